package imagebuild

import (
	"fmt"
	"path/filepath"
)

// RPMFamily is a test image of one rpm-based OS family: a real database
// from go-rpmdb's test data, the release files as the family ships them,
// and the package its second layer updates. Families for which go-rpmdb
// has no database of their own borrow one of the same format and say so
// in Borrowed: the scanner tells families by their release files, so the
// borrowed package list only has to be a real one.
type RPMFamily struct {
	// Name names the image: "centos7", "rocky8"...
	Name string
	// Family and Version are what the scanner should report (types.OS
	// Family and Name), as Trivy reports them for these release files.
	Family, Version string
	// Testdata is the directory under GoRPMDBTestdata holding the base
	// database; DBPath its path in the image.
	Testdata, DBPath string
	// Borrowed says whose database this is when it is not the family's.
	Borrowed string
	// Arch is the image architecture ("" = amd64).
	Arch   string
	Files  []File
	Update RPMUpdate
}

// Spec is the RPMImageSpec of the family's image, work in workDir, the
// built rpm kept by cache (testenv.Cached, or nil).
func (f RPMFamily) Spec(workDir string, cache func(name, version string, build func(dir string) error) (string, error)) (RPMImageSpec, error) {
	td, err := GoRPMDBTestdata()
	if err != nil {
		return RPMImageSpec{}, err
	}
	return RPMImageSpec{
		BaseDB:  filepath.Join(td, f.Testdata, filepath.Base(f.DBPath)),
		DBPath:  f.DBPath,
		Files:   f.Files,
		Arch:    f.Arch,
		Update:  f.Update,
		WorkDir: workDir,
		Cache:   cache,
	}, nil
}

// BuildRPMFamily builds the image of the RPMFamilies row called name.
// Errors wrap ErrNoRPMTools when the rpm tools or go-rpmdb's data are
// missing (tests skip then).
func BuildRPMFamily(name, workDir string, cache func(name, version string, build func(dir string) error) (string, error)) (*RPMImage, RPMFamily, error) {
	f, ok := RPMFamilyByName(name)
	if !ok {
		return nil, f, fmt.Errorf("no RPM family image %q", name)
	}
	spec, err := f.Spec(workDir, cache)
	if err != nil {
		return nil, f, err
	}
	img, err := BuildRPMImage(spec)
	return img, f, err
}

// RPMFamilyByName finds a row of RPMFamilies.
func RPMFamilyByName(name string) (RPMFamily, bool) {
	for _, f := range RPMFamilies {
		if f.Name == name {
			return f, true
		}
	}
	return RPMFamily{}, false
}

// symlink is a tar symlink entry (release files are often links).
func symlink(path, target string) File {
	return File{Path: path, Type: '2', Linkname: target, Mode: 0o777}
}

const (
	bdbPath    = "var/lib/rpm/Packages"
	sqlitePath = "var/lib/rpm/rpmdb.sqlite"
	ndbPath    = "usr/lib/sysimage/rpm/Packages.db"
)

// RPMFamilies are the rpm family images, one per family (two for
// CentOS: 7, and 8 with modular packages; two for Amazon: 2 and 2023).
var RPMFamilies = []RPMFamily{
	{
		Name: "centos7", Family: "centos", Version: "7.5.1804", Testdata: "centos7-plain", DBPath: bdbPath,
		Files: []File{
			{Path: "etc/centos-release", Body: "CentOS Linux release 7.5.1804 (Core) \n"},
			symlink("etc/redhat-release", "centos-release"),
			symlink("etc/system-release", "centos-release"),
			{Path: "etc/os-release", Body: `NAME="CentOS Linux"
VERSION="7 (Core)"
ID="centos"
ID_LIKE="rhel fedora"
VERSION_ID="7"
PRETTY_NAME="CentOS Linux 7 (Core)"
ANSI_COLOR="0;31"
CPE_NAME="cpe:/o:centos:centos:7"
HOME_URL="https://www.centos.org/"
BUG_REPORT_URL="https://bugs.centos.org/"

CENTOS_MANTISBT_PROJECT="CentOS-7"
CENTOS_MANTISBT_PROJECT_VERSION="7"
REDHAT_SUPPORT_PRODUCT="centos"
REDHAT_SUPPORT_PRODUCT_VERSION="7"

`},
		},
		// A release-only update (the version stays 1.0.2k), epoch 1.
		Update: RPMUpdate{Name: "openssl-libs", SrcName: "openssl", Epoch: 1, Version: "1.0.2k", Release: "26.el7_9"},
	},
	{
		Name: "centos8", Family: "centos", Version: "8.2.2004", Testdata: "centos8-modularitylabel", DBPath: bdbPath,
		Files: []File{
			{Path: "etc/centos-release", Body: "CentOS Linux release 8.2.2004 (Core) \n"},
			symlink("etc/redhat-release", "centos-release"),
			symlink("etc/system-release", "centos-release"),
			{Path: "etc/os-release", Body: `NAME="CentOS Linux"
VERSION="8 (Core)"
ID="centos"
ID_LIKE="rhel fedora"
VERSION_ID="8"
PLATFORM_ID="platform:el8"
PRETTY_NAME="CentOS Linux 8 (Core)"
ANSI_COLOR="0;31"
CPE_NAME="cpe:/o:centos:centos:8"
HOME_URL="https://www.centos.org/"
BUG_REPORT_URL="https://bugs.centos.org/"

CENTOS_MANTISBT_PROJECT="CentOS-8"
CENTOS_MANTISBT_PROJECT_VERSION="8"
REDHAT_SUPPORT_PRODUCT="centos"
REDHAT_SUPPORT_PRODUCT_VERSION="8"

`},
		},
		// A modular package moves to a newer build of its stream.
		Update: RPMUpdate{Name: "nodejs", Epoch: 1, Version: "10.24.0", Release: "1.module_el8.3.0+717+fa496f1d",
			Modularitylabel: "nodejs:10:8030020210304194401:30b713e6"},
	},
	{
		Name: "ubi8", Family: "redhat", Version: "8.6", Testdata: "ubi8-s390x", DBPath: bdbPath, Arch: "s390x",
		Files: []File{
			{Path: "etc/redhat-release", Body: "Red Hat Enterprise Linux release 8.6 (Ootpa)\n"},
			symlink("etc/system-release", "redhat-release"),
			{Path: "etc/os-release", Body: `NAME="Red Hat Enterprise Linux"
VERSION="8.6 (Ootpa)"
ID="rhel"
ID_LIKE="fedora"
VERSION_ID="8.6"
PLATFORM_ID="platform:el8"
PRETTY_NAME="Red Hat Enterprise Linux 8.6 (Ootpa)"
ANSI_COLOR="0;31"
CPE_NAME="cpe:/o:redhat:enterprise_linux:8::baseos"
HOME_URL="https://www.redhat.com/"
DOCUMENTATION_URL="https://access.redhat.com/documentation/en-us/red_hat_enterprise_linux/8/"
BUG_REPORT_URL="https://bugzilla.redhat.com/"

REDHAT_BUGZILLA_PRODUCT="Red Hat Enterprise Linux 8"
REDHAT_BUGZILLA_PRODUCT_VERSION=8.6
REDHAT_SUPPORT_PRODUCT="Red Hat Enterprise Linux"
REDHAT_SUPPORT_PRODUCT_VERSION="8.6"
`},
		},
		Update: RPMUpdate{Name: "openssl-libs", SrcName: "openssl", Epoch: 1, Version: "1.1.1k", Release: "7.el8_6"},
	},
	{
		Name: "fedora35", Family: "fedora", Version: "35", Testdata: "fedora35", DBPath: sqlitePath,
		Files: []File{
			{Path: "usr/lib/fedora-release", Body: "Fedora release 35 (Thirty Five)\n"},
			symlink("etc/fedora-release", "../usr/lib/fedora-release"),
			symlink("etc/redhat-release", "fedora-release"),
			symlink("etc/system-release", "fedora-release"),
			{Path: "usr/lib/os-release", Body: `NAME="Fedora Linux"
VERSION="35 (Container Image)"
ID=fedora
VERSION_ID=35
VERSION_CODENAME=""
PLATFORM_ID="platform:f35"
PRETTY_NAME="Fedora Linux 35 (Container Image)"
ANSI_COLOR="0;38;2;60;110;180"
LOGO=fedora-logo-icon
CPE_NAME="cpe:/o:fedoraproject:fedora:35"
HOME_URL="https://fedoraproject.org/"
DOCUMENTATION_URL="https://docs.fedoraproject.org/en-US/fedora/f35/system-administrators-guide/"
SUPPORT_URL="https://ask.fedoraproject.org/"
BUG_REPORT_URL="https://bugzilla.redhat.com/"
REDHAT_BUGZILLA_PRODUCT="Fedora"
REDHAT_BUGZILLA_PRODUCT_VERSION=35
REDHAT_SUPPORT_PRODUCT="Fedora"
REDHAT_SUPPORT_PRODUCT_VERSION=35
PRIVACY_POLICY_URL="https://fedoraproject.org/wiki/Legal:PrivacyPolicy"
VARIANT="Container Image"
VARIANT_ID=container
`},
			symlink("etc/os-release", "../usr/lib/os-release"),
		},
		Update: RPMUpdate{Name: "libcurl", SrcName: "curl", Version: "7.79.1", Release: "7.fc35"},
	},
	{
		Name: "cbl-mariner2", Family: "cbl-mariner", Version: "2.0.20220226", Testdata: "cbl-mariner-2.0", DBPath: sqlitePath,
		Files: []File{
			{Path: "etc/mariner-release", Body: "CBL-Mariner 2.0.20220226\nMARINER_BUILD_NUMBER=0d6ec7c\n"},
			{Path: "etc/os-release", Body: `NAME="Common Base Linux Mariner"
VERSION="2.0.20220226"
ID=mariner
VERSION_ID="2.0"
PRETTY_NAME="CBL-Mariner/Linux"
ANSI_COLOR="1;34"
HOME_URL="https://aka.ms/cbl-mariner"
BUG_REPORT_URL="https://aka.ms/cbl-mariner"
SUPPORT_URL="https://aka.ms/cbl-mariner"
`},
		},
		Update: RPMUpdate{Name: "openssl", Version: "1.1.1k", Release: "21.cm2"},
	},
	{
		Name: "sles15", Family: "sles", Version: "15.3", Testdata: "sle15-bci", DBPath: ndbPath,
		Files: []File{
			{Path: "usr/lib/os-release", Body: `NAME="SLES"
VERSION="15-SP3"
VERSION_ID="15.3"
PRETTY_NAME="SUSE Linux Enterprise Server 15 SP3"
ID="sles"
ID_LIKE="suse"
ANSI_COLOR="0;32"
CPE_NAME="cpe:/o:suse:sles:15:sp3"
DOCUMENTATION_URL="https://documentation.suse.com/"
`},
			symlink("etc/os-release", "../usr/lib/os-release"),
		},
		Update: RPMUpdate{Name: "libz1", SrcName: "zlib", Version: "1.2.11", Release: "3.24.1"},
	},
	{
		Name: "rocky8", Family: "rocky", Version: "8.6", Testdata: "centos8-modularitylabel", DBPath: bdbPath,
		Borrowed: "CentOS 8.2's database (BerkeleyDB, as Rocky 8 has)",
		Files: []File{
			{Path: "etc/rocky-release", Body: "Rocky Linux release 8.6 (Green Obsidian)\n"},
			symlink("etc/redhat-release", "rocky-release"),
			symlink("etc/system-release", "rocky-release"),
			{Path: "usr/lib/os-release", Body: `NAME="Rocky Linux"
VERSION="8.6 (Green Obsidian)"
ID="rocky"
ID_LIKE="rhel centos fedora"
VERSION_ID="8.6"
PLATFORM_ID="platform:el8"
PRETTY_NAME="Rocky Linux 8.6 (Green Obsidian)"
ANSI_COLOR="0;32"
CPE_NAME="cpe:/o:rocky:rocky:8:GA"
HOME_URL="https://rockylinux.org/"
BUG_REPORT_URL="https://bugs.rockylinux.org/"
ROCKY_SUPPORT_PRODUCT="Rocky Linux"
ROCKY_SUPPORT_PRODUCT_VERSION="8"
REDHAT_SUPPORT_PRODUCT="Rocky Linux"
REDHAT_SUPPORT_PRODUCT_VERSION="8"
`},
			symlink("etc/os-release", "../usr/lib/os-release"),
		},
		Update: RPMUpdate{Name: "bash", Version: "4.4.20", Release: "4.el8_6"},
	},
	{
		Name: "alma9", Family: "alma", Version: "9.1", Testdata: "fedora35", DBPath: sqlitePath,
		Borrowed: "Fedora 35's database (SQLite, as AlmaLinux 9 has)",
		Files: []File{
			{Path: "etc/almalinux-release", Body: "AlmaLinux release 9.1 (Lime Lynx)\n"},
			symlink("etc/redhat-release", "almalinux-release"),
			symlink("etc/system-release", "almalinux-release"),
			{Path: "etc/os-release", Body: `NAME="AlmaLinux"
VERSION="9.1 (Lime Lynx)"
ID="almalinux"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.1"
PLATFORM_ID="platform:el9"
PRETTY_NAME="AlmaLinux 9.1 (Lime Lynx)"
ANSI_COLOR="0;34"
LOGO="fedora-logo-icon"
CPE_NAME="cpe:/o:almalinux:almalinux:9::baseos"
HOME_URL="https://almalinux.org/"
DOCUMENTATION_URL="https://wiki.almalinux.org/"
BUG_REPORT_URL="https://bugs.almalinux.org/"

ALMALINUX_MANTISBT_PROJECT="AlmaLinux-9"
ALMALINUX_MANTISBT_PROJECT_VERSION="9.1"
REDHAT_SUPPORT_PRODUCT="AlmaLinux"
REDHAT_SUPPORT_PRODUCT_VERSION="9.1"
`},
		},
		Update: RPMUpdate{Name: "openssl-libs", SrcName: "openssl", Epoch: 1, Version: "3.0.1", Release: "43.el9_0"},
	},
	{
		Name: "oracle8", Family: "oracle", Version: "8.6", Testdata: "centos8-modularitylabel", DBPath: bdbPath,
		Borrowed: "CentOS 8.2's database (BerkeleyDB, as Oracle Linux 8 has)",
		Files: []File{
			{Path: "etc/oracle-release", Body: "Oracle Linux Server release 8.6\n"},
			// Oracle Linux ships Red Hat's name in its own redhat-release.
			{Path: "etc/redhat-release", Body: "Red Hat Enterprise Linux release 8.6 (Ootpa)\n"},
			symlink("etc/system-release", "oracle-release"),
			{Path: "etc/os-release", Body: `NAME="Oracle Linux Server"
VERSION="8.6"
ID="ol"
ID_LIKE="fedora"
VARIANT="Server"
VARIANT_ID="server"
VERSION_ID="8.6"
PLATFORM_ID="platform:el8"
PRETTY_NAME="Oracle Linux Server 8.6"
ANSI_COLOR="0;31"
CPE_NAME="cpe:/o:oracle:linux:8:6:server"
HOME_URL="https://linux.oracle.com/"
BUG_REPORT_URL="https://bugzilla.oracle.com/"

ORACLE_BUGZILLA_PRODUCT="Oracle Linux 8"
ORACLE_BUGZILLA_PRODUCT_VERSION=8.6
ORACLE_SUPPORT_PRODUCT="Oracle Linux"
ORACLE_SUPPORT_PRODUCT_VERSION=8.6
`},
		},
		Update: RPMUpdate{Name: "glibc", Version: "2.28", Release: "189.5.0.1.el8_6"},
	},
	{
		Name: "amazon2", Family: "amazon", Version: "2 (Karoo)", Testdata: "centos7-plain", DBPath: bdbPath,
		Borrowed: "CentOS 7's database (BerkeleyDB, as Amazon Linux 2 has)",
		Files: []File{
			{Path: "etc/system-release", Body: "Amazon Linux release 2 (Karoo)\n"},
			{Path: "etc/os-release", Body: `NAME="Amazon Linux"
VERSION="2"
ID="amzn"
ID_LIKE="centos rhel fedora"
VERSION_ID="2"
PRETTY_NAME="Amazon Linux 2"
ANSI_COLOR="0;33"
CPE_NAME="cpe:2.3:o:amazon:amazon_linux:2"
HOME_URL="https://amazonlinux.com/"
`},
		},
		Update: RPMUpdate{Name: "curl", Version: "8.3.0", Release: "1.amzn2.0.4"},
	},
	{
		Name: "amazon2023", Family: "amazon", Version: "2023", Testdata: "fedora35", DBPath: sqlitePath,
		Borrowed: "Fedora 35's database (SQLite, as Amazon Linux 2023 has)",
		Files: []File{
			{Path: "etc/amazon-linux-release", Body: "Amazon Linux release 2023.5.20240805 (Amazon Linux)\n"},
			symlink("etc/system-release", "amazon-linux-release"),
			{Path: "etc/os-release", Body: `NAME="Amazon Linux"
VERSION="2023"
ID="amzn"
ID_LIKE="fedora"
VERSION_ID="2023"
PLATFORM_ID="platform:al2023"
PRETTY_NAME="Amazon Linux 2023.5.20240805"
ANSI_COLOR="0;33"
CPE_NAME="cpe:2.3:o:amazon:amazon_linux:2023"
HOME_URL="https://aws.amazon.com/linux/amazon-linux-2023/"
DOCUMENTATION_URL="https://docs.aws.amazon.com/linux/"
SUPPORT_URL="https://aws.amazon.com/premiumsupport/"
BUG_REPORT_URL="https://github.com/amazonlinux/amazon-linux-2023"
VENDOR_NAME="AWS"
VENDOR_URL="https://aws.amazon.com/"
SUPPORT_END="2028-03-15"
`},
		},
		Update: RPMUpdate{Name: "glibc", Version: "2.34", Release: "52.amzn2023.0.11"},
	},
	{
		Name: "photon5", Family: "photon", Version: "5.0", Testdata: "cbl-mariner-2.0", DBPath: sqlitePath,
		Borrowed: "CBL-Mariner 2.0's database (SQLite, as Photon OS 5 has)",
		Files: []File{
			{Path: "etc/photon-release", Body: "VMware Photon OS 5.0\nPHOTON_BUILD_NUMBER=dde71ec57\n"},
			{Path: "etc/lsb-release", Body: "DISTRIB_ID=\"VMware Photon OS\"\nDISTRIB_RELEASE=\"5.0\"\nDISTRIB_CODENAME=Photon\nDISTRIB_DESCRIPTION=\"VMware Photon OS 5.0\"\n"},
			{Path: "etc/os-release", Body: `NAME="VMware Photon OS"
VERSION="5.0"
ID=photon
VERSION_ID=5.0
PRETTY_NAME="VMware Photon OS/Linux"
ANSI_COLOR="1;34"
HOME_URL="https://vmware.github.io/photon/"
BUG_REPORT_URL="https://github.com/vmware/photon/issues"
`},
		},
		Update: RPMUpdate{Name: "zlib", Version: "1.2.13", Release: "3.ph5"},
	},
	{
		Name: "azurelinux3", Family: "azurelinux", Version: "3.0", Testdata: "cbl-mariner-2.0", DBPath: sqlitePath,
		Borrowed: "CBL-Mariner 2.0's database (SQLite, as Azure Linux 3.0 has)",
		Files: []File{
			// azurelinux-release.spec writes "%{distribution} %{version}"
			// and the build number, in /usr/lib, linked from /etc.
			{Path: "usr/lib/azurelinux-release", Body: "Microsoft Azure Linux 3.0\nAZURELINUX_BUILD_NUMBER=3.0.20240727\n"},
			symlink("etc/azurelinux-release", "../usr/lib/azurelinux-release"),
			{Path: "usr/lib/os-release", Body: `NAME="Microsoft Azure Linux"
VERSION="3.0.20240727"
ID=azurelinux
VERSION_ID="3.0"
PRETTY_NAME="Microsoft Azure Linux 3.0"
ANSI_COLOR="1;34"
HOME_URL="https://aka.ms/azurelinux"
BUG_REPORT_URL="https://aka.ms/azurelinux"
SUPPORT_URL="https://aka.ms/azurelinux"
`},
			symlink("etc/os-release", "../usr/lib/os-release"),
		},
		Update: RPMUpdate{Name: "openssl-libs", SrcName: "openssl", Version: "3.3.0", Release: "2.azl3"},
	},
	{
		Name: "opensuse-leap15", Family: "opensuse-leap", Version: "15.3", Testdata: "sle15-bci", DBPath: ndbPath,
		Borrowed: "SLE 15 SP3 BCI's database (NDB, as openSUSE Leap 15.3 has)",
		Files: []File{
			{Path: "usr/lib/os-release", Body: `NAME="openSUSE Leap"
VERSION="15.3"
ID="opensuse-leap"
ID_LIKE="suse opensuse"
VERSION_ID="15.3"
PRETTY_NAME="openSUSE Leap 15.3"
ANSI_COLOR="0;32"
CPE_NAME="cpe:/o:opensuse:leap:15.3"
BUG_REPORT_URL="https://bugs.opensuse.org"
HOME_URL="https://www.opensuse.org/"
`},
			symlink("etc/os-release", "../usr/lib/os-release"),
		},
		Update: RPMUpdate{Name: "bash", Version: "4.4", Release: "150300.19.6.1"},
	},
	{
		Name: "opensuse-tumbleweed", Family: "opensuse-tumbleweed", Version: "20231006", Testdata: "sle15-bci", DBPath: ndbPath,
		Borrowed: "SLE 15 SP3 BCI's database (NDB, as openSUSE Tumbleweed has)",
		Files: []File{
			{Path: "usr/lib/os-release", Body: `NAME="openSUSE Tumbleweed"
# VERSION="20231006"
ID="opensuse-tumbleweed"
ID_LIKE="opensuse suse"
VERSION_ID="20231006"
PRETTY_NAME="openSUSE Tumbleweed"
ANSI_COLOR="0;32"
CPE_NAME="cpe:/o:opensuse:tumbleweed:20231006"
BUG_REPORT_URL="https://bugzilla.opensuse.org"
SUPPORT_URL="https://bugs.opensuse.org"
HOME_URL="https://www.opensuse.org"
DOCUMENTATION_URL="https://en.opensuse.org/Portal:Tumbleweed"
LOGO="distributor-logo-Tumbleweed"
`},
			symlink("etc/os-release", "../usr/lib/os-release"),
		},
		Update: RPMUpdate{Name: "libz1", SrcName: "zlib", Version: "1.3", Release: "1.1"},
	},
}
