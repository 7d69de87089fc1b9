package detect

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/docker-scan/docker-scan/engine/types"
)

// rpmPkg is an rpm package as the rpm analyzer reports it.
func rpmPkg(name string, epoch int, version, release, arch, src string) types.Package {
	p := types.Package{Name: name, Epoch: epoch, Version: version, Release: release, Arch: arch,
		SrcName: src, SrcEpoch: epoch, SrcVersion: version, SrcRelease: release}
	p.ID = name + "@" + p.FullVersion()
	return p
}

// matchFamily matches pkgs of an OS family against the fixture files and
// renders the findings as found does.
func matchFamily(t *testing.T, family, version string, pkgs []types.Package, fixtures ...string) string {
	t.Helper()
	got, err := OSPackages(openFixture(t, fixtures...), artifact(family, version, pkgs...))
	if err != nil {
		t.Fatalf("%s %s: %v", family, version, err)
	}
	return found(got)
}

func checkFound(t *testing.T, what, got string, want ...string) {
	t.Helper()
	if w := strings.Join(want, "\n"); got != w {
		t.Errorf("%s: got\n%s\nwant\n%s", what, got, w)
	}
}

// Installed packages below are from go-rpmdb v0.1.1's real databases
// (pkg/testdata): centos8-modularitylabel for the RHEL rebuilds (Rocky,
// Alma and Oracle have no database there: the release is faked as theirs,
// the packages are CentOS 8.2's), cbl-mariner-2.0, sle15-bci. Release
// strings of other families are theirs, with a package list borrowed.
var (
	centos8Glibc   = rpmPkg("glibc", 0, "2.28", "101.el8", "x86_64", "glibc")
	centos8SSLLibs = rpmPkg("openssl-libs", 1, "1.1.1c", "15.el8", "x86_64", "openssl")
	centos8Bash    = rpmPkg("bash", 0, "4.4.19", "10.el8", "x86_64", "bash")
	centos8NodeJS  = func() types.Package {
		p := rpmPkg("nodejs", 1, "10.21.0", "3.module_el8.2.0+391+8da3adc6", "x86_64", "nodejs")
		p.Modularitylabel = "nodejs:10:8020020200707141642:6a468ee4"
		return p
	}()
	centos8NPM = func() types.Package {
		p := rpmPkg("npm", 1, "6.14.4", "1.10.21.0.3.module_el8.2.0+391+8da3adc6", "x86_64", "nodejs")
		p.SrcVersion, p.SrcRelease = "10.21.0", "3.module_el8.2.0+391+8da3adc6"
		p.Modularitylabel = "nodejs:10:8020020200707141642:6a468ee4"
		return p
	}()
	mariner2SSLLibs = rpmPkg("openssl-libs", 0, "1.1.1k", "7.cm2", "x86_64", "openssl")
	mariner2Curl    = rpmPkg("curl", 0, "7.76.0", "6.cm2", "x86_64", "curl")
	sle15Libz1      = func() types.Package {
		p := rpmPkg("libz1", 0, "1.2.11", "3.21.1", "x86_64", "zlib")
		return p
	}()
)

func TestOracleFlavoursArchesEpochs(t *testing.T) {
	// Oracle Linux 8.6's release with CentOS 8.2's packages, plus Ksplice
	// and FIPS builds of glibc as Oracle ships them.
	ksplice := rpmPkg("glibc", 0, "2.28", "101.ksplice1.el8", "x86_64", "glibc")
	fips := rpmPkg("glibc", 0, "2.28", "101.el8_fips", "x86_64", "glibc")
	aarch := rpmPkg("glibc", 0, "2.28", "101.el8", "aarch64", "glibc")
	got := matchFamily(t, "oracle", "8.6", []types.Package{centos8Glibc, ksplice, fips, centos8SSLLibs}, "testdata/oracle.yaml")
	checkFound(t, "oracle 8", got,
		// 1001: fixed == installed; 1003: aarch64 only; 1005, 1006:
		// other flavours' builds.
		"glibc 2.28-101.el8 CVE-2099-1002 fixed 2.28-151.0.1.el8 HIGH/oracle-oval",
		"glibc 2.28-101.el8 CVE-2099-1004 fixed 2.28-164.0.1.el8 UNKNOWN/",
		// The FIPS build meets the FIPS-only advisory alone.
		"glibc 2.28-101.el8_fips CVE-2099-1005 fixed 2.28-211.0.1.el8_fips UNKNOWN/",
		// The Ksplice build meets the Ksplice entries alone.
		"glibc 2.28-101.ksplice1.el8 CVE-2099-1004 fixed 2.28-164.0.1.ksplice1.el8 UNKNOWN/",
		"glibc 2.28-101.ksplice1.el8 CVE-2099-1006 fixed 2.28-211.0.1.ksplice1.el8 UNKNOWN/",
		// Epoch 1 installed: 1.1.1k-7.el8 (epoch 0) is older; the
		// advisory under the source name "openssl" is not looked up.
		"openssl-libs 1:1.1.1c-15.el8 CVE-2099-1011 fixed 1:1.1.1k-7.0.1.el8 UNKNOWN/",
	)
	got = matchFamily(t, "oracle", "8.6", []types.Package{aarch}, "testdata/oracle.yaml")
	checkFound(t, "oracle 8 aarch64", got,
		"glibc 2.28-101.el8 CVE-2099-1002 fixed 2.28-151.0.1.el8 HIGH/oracle-oval",
		"glibc 2.28-101.el8 CVE-2099-1003 fixed 2.28-200.0.1.el8 UNKNOWN/",
	)
}

func TestAlmaRockyModular(t *testing.T) {
	// nginx as AlmaLinux 8 images list it when rpm lost its module label.
	nginx := rpmPkg("nginx", 1, "1.14.1", "9.module_el8.0.0+184+e34fea82", "x86_64", "nginx")
	pkgs := []types.Package{centos8NodeJS, centos8NPM, nginx, centos8Bash}
	checkFound(t, "alma 8", matchFamily(t, "alma", "8.6", pkgs, "testdata/alma-rocky.yaml"),
		"bash 4.4.19-10.el8 CVE-2099-2006 fixed 4.4.20-1.el8_4 UNKNOWN/",
		// Modular: nodejs:10::nodejs, not nodejs; 2002 is fixed == installed.
		"nodejs 1:10.21.0-3.module_el8.2.0+391+8da3adc6 CVE-2099-2001 fixed 1:10.24.0-1.module_el8.3.0+2047+b07ac215.alma UNKNOWN/",
		// npm is looked up under its own (binary) name in the module.
		"npm 1:6.14.4-1.10.21.0.3.module_el8.2.0+391+8da3adc6 CVE-2099-2004 fixed 1:6.14.11-1.10.24.0.1.module_el8.3.0+2047+b07ac215.alma UNKNOWN/",
	)
	checkFound(t, "rocky 8", matchFamily(t, "rocky", "8.6", pkgs, "testdata/alma-rocky.yaml"),
		"bash 4.4.19-10.el8 CVE-2099-2103 fixed 4.4.20-4.el8_6 UNKNOWN/",
		"nodejs 1:10.21.0-3.module_el8.2.0+391+8da3adc6 CVE-2099-2101 fixed 1:10.24.0-1.module+el8.3.0+434+2ab5050a UNKNOWN/",
	)
}

func TestAmazonReleases(t *testing.T) {
	curl2 := rpmPkg("curl", 0, "7.79.1", "4.amzn2.0.1", "x86_64", "curl")
	ssl2 := rpmPkg("openssl-libs", 1, "1.0.2k", "24.amzn2.0.9", "x86_64", "openssl")
	checkFound(t, "amazon 2", matchFamily(t, "amazon", "2 (Karoo)", []types.Package{curl2, ssl2}, "testdata/amazon.yaml"),
		"curl 7.79.1-4.amzn2.0.1 CVE-2099-3003 fixed 8.3.0-1.amzn2.0.4 UNKNOWN/",
		"openssl-libs 1:1.0.2k-24.amzn2.0.9 CVE-2099-3004 fixed 1:1.0.2k-24.amzn2.0.10 UNKNOWN/",
	)
	glibc := rpmPkg("glibc", 0, "2.34", "52.amzn2023.0.8", "x86_64", "glibc")
	checkFound(t, "amazon 2023", matchFamily(t, "amazon", "2023.5.20240805 (Amazon Linux)", []types.Package{glibc}, "testdata/amazon.yaml"),
		"glibc 2.34-52.amzn2023.0.8 CVE-2099-3007 fixed 2.34-52.amzn2023.0.11 UNKNOWN/")
	curl1 := rpmPkg("curl", 0, "7.61.1", "12.93.amzn1", "x86_64", "curl")
	checkFound(t, "amazon 1", matchFamily(t, "amazon", "AMI release 2018.03", []types.Package{curl1}, "testdata/amazon.yaml"),
		"curl 7.61.1-12.93.amzn1 CVE-2099-3001 fixed 7.61.1-12.95.amzn1 UNKNOWN/")
}

func TestSUSEFamilies(t *testing.T) {
	pkgs := []types.Package{sle15Libz1}
	checkFound(t, "sles 15.3", matchFamily(t, "sles", "15.3", pkgs, "testdata/suse.yaml"),
		"libz1 1.2.11-3.21.1 CVE-2099-4002 fixed 1.2.11-3.24.1 UNKNOWN/")
	checkFound(t, "opensuse-leap 15.3", matchFamily(t, "opensuse-leap", "15.3", pkgs, "testdata/suse.yaml"),
		"libz1 1.2.11-3.21.1 CVE-2099-4021 fixed 1.2.11-3.24.1 UNKNOWN/")
	micro := rpmPkg("libz1", 0, "1.2.13", "150500.4.0.1", "x86_64", "zlib")
	checkFound(t, "slem 5.5", matchFamily(t, "slem", "5.5", []types.Package{micro}, "testdata/suse.yaml"),
		"libz1 1.2.13-150500.4.0.1 CVE-2099-4011 fixed 1.2.13-150500.4.3.1 UNKNOWN/")
	checkFound(t, "opensuse-leapmicro 5.5", matchFamily(t, "opensuse-leapmicro", "5.5", []types.Package{micro}, "testdata/suse.yaml"),
		"libz1 1.2.13-150500.4.0.1 CVE-2099-4031 fixed 1.2.13-150500.4.3.1 UNKNOWN/")
	// Tumbleweed: one bucket whatever the snapshot.
	tw := rpmPkg("libz1", 0, "1.3", "1.1", "x86_64", "zlib")
	for _, snapshot := range []string{"20231006", "20240821"} {
		checkFound(t, "tumbleweed "+snapshot, matchFamily(t, "opensuse-tumbleweed", snapshot, []types.Package{tw}, "testdata/suse.yaml"),
			"libz1 1.3-1.1 CVE-2099-4041 fixed 1.3.1-1.1 UNKNOWN/")
	}
}

func TestPhotonMarinerAzure(t *testing.T) {
	// Photon: the source name, the binary's version.
	photon := rpmPkg("openssl-libs", 0, "3.0.9", "1.ph5", "x86_64", "openssl")
	photon.SrcRelease = "9.ph5"
	checkFound(t, "photon 5.0", matchFamily(t, "photon", "5.0", []types.Package{photon}, "testdata/photon-azure.yaml"),
		"openssl-libs 3.0.9-1.ph5 CVE-2099-5001 fixed 3.0.9-3.ph5 UNKNOWN/")
	// CBL-Mariner 2.0 (its own database's packages): source names,
	// unfixed advisories with their status.
	checkFound(t, "cbl-mariner 2.0", matchFamily(t, "cbl-mariner", "2.0.20220226", []types.Package{mariner2SSLLibs, mariner2Curl}, "testdata/photon-azure.yaml"),
		"curl 7.76.0-6.cm2 CVE-2099-5105 will_not_fix  UNKNOWN/",
		"openssl-libs 1.1.1k-7.cm2 CVE-2099-5102 fixed 1.1.1k-21.cm2 HIGH/cbl-mariner",
		"openssl-libs 1.1.1k-7.cm2 CVE-2099-5103 affected  UNKNOWN/",
	)
	azl := rpmPkg("openssl-libs", 0, "3.3.0", "1.azl3", "x86_64", "openssl")
	checkFound(t, "azurelinux 3.0", matchFamily(t, "azurelinux", "3.0.20240727", []types.Package{azl}, "testdata/photon-azure.yaml"),
		"openssl-libs 3.3.0-1.azl3 CVE-2099-5201 fixed 3.3.0-2.azl3 UNKNOWN/",
		"openssl-libs 3.3.0-1.azl3 CVE-2099-5202 under_investigation  UNKNOWN/",
	)
}

func TestVersionlessAPKBuckets(t *testing.T) {
	lib := types.Package{ID: "libcrypto3@3.1.4-r5", Name: "libcrypto3", Version: "3.1.4-r5", SrcName: "openssl", SrcVersion: "3.1.4-r5"}
	for _, version := range []string{"20230201", ""} {
		checkFound(t, "wolfi "+version, matchFamily(t, "wolfi", version, []types.Package{lib}, "testdata/apk-ubuntu-esm.yaml"),
			"libcrypto3 3.1.4-r5 CVE-2099-6001 fixed 3.1.5-r0 UNKNOWN/")
	}
	checkFound(t, "chainguard", matchFamily(t, "chainguard", "20230214", []types.Package{lib}, "testdata/apk-ubuntu-esm.yaml"),
		"libcrypto3 3.1.4-r5 CVE-2099-6101 fixed 3.1.5-r0 UNKNOWN/",
		"libcrypto3 3.1.4-r5 CVE-2099-6102 affected  UNKNOWN/",
	)
}

func TestUbuntuESM(t *testing.T) {
	defer func(f func() time.Time) { now = f }(now)
	at := func(date string) {
		day, err := time.Parse(time.DateOnly, date)
		if err != nil {
			t.Fatal(err)
		}
		now = func() time.Time { return day }
	}
	ssl20 := types.Package{Name: "libssl1.1", Version: "1.1.1f", Release: "1ubuntu2.19", SrcName: "openssl", SrcVersion: "1.1.1f", SrcRelease: "1ubuntu2.19"}
	ssl22 := types.Package{Name: "libssl3", Version: "3.0.2", Release: "0ubuntu1.14", SrcName: "openssl", SrcVersion: "3.0.2", SrcRelease: "0ubuntu1.14"}
	at("2026-01-01")
	// 20.04-ESM has dates of its own: its bucket, whatever the date.
	checkFound(t, "20.04-ESM", matchFamily(t, "ubuntu", "20.04-ESM", []types.Package{ssl20}, "testdata/apk-ubuntu-esm.yaml"),
		"libssl1.1 1.1.1f-1ubuntu2.19 CVE-2099-6202 fixed 1.1.1f-1ubuntu2.23+esm1 UNKNOWN/")
	checkFound(t, "20.04", matchFamily(t, "ubuntu", "20.04", []types.Package{ssl20}, "testdata/apk-ubuntu-esm.yaml"),
		"libssl1.1 1.1.1f-1ubuntu2.19 CVE-2099-6201 fixed 1.1.1f-1ubuntu2.20 UNKNOWN/")
	// 22.04-ESM has none: while 22.04 is supported, 22.04's bucket.
	checkFound(t, "22.04-ESM in 2026", matchFamily(t, "ubuntu", "22.04-ESM", []types.Package{ssl22}, "testdata/apk-ubuntu-esm.yaml"),
		"libssl3 3.0.2-0ubuntu1.14 CVE-2099-6301 fixed 3.0.2-0ubuntu1.15 UNKNOWN/")
	at("2028-01-01")
	checkFound(t, "22.04-ESM in 2028", matchFamily(t, "ubuntu", "22.04-ESM", []types.Package{ssl22}, "testdata/apk-ubuntu-esm.yaml"),
		"libssl3 3.0.2-0ubuntu1.14 CVE-2099-6302 fixed 3.0.2-0ubuntu1.99+esm1 UNKNOWN/")
}

func TestFamilyWithoutBucket(t *testing.T) {
	d := openFixture(t, "testdata/suse.yaml")
	for _, os := range [][2]string{{"fedora", "35"}, {"sles", "15.9"}, {"rocky", "8.6"}} {
		if _, err := OSPackages(d, artifact(os[0], os[1], sle15Libz1)); !errors.Is(err, ErrNotMatched) {
			t.Errorf("%s %s: %v, want ErrNotMatched", os[0], os[1], err)
		}
	}
}

func TestFamiliesEndOfLife(t *testing.T) {
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		family, version string
		want            bool
	}{
		{"oracle", "7.9", true}, {"oracle", "8.10", false},
		{"rocky", "8.6", false}, {"alma", "9.4", false},
		{"amazon", "AMI release 2018.03", true}, {"amazon", "2 (Karoo)", false}, {"amazon", "2023.5.20240805 (Amazon Linux)", false},
		{"sles", "15.3", true}, {"sles", "15.7", false}, {"slem", "5.1", true},
		{"opensuse-leap", "15.3", true}, {"opensuse-leap", "15.6", false}, {"opensuse-tumbleweed", "20240821", false},
		{"photon", "3.0", true}, {"photon", "5.0", false},
		{"cbl-mariner", "2.0.20220226", true}, {"azurelinux", "3.0.20240727", false},
		{"wolfi", "20230201", false}, {"chainguard", "", false},
		{"ubuntu", "20.04", true}, {"ubuntu", "20.04-ESM", false}, {"ubuntu", "16.04-ESM", false},
		{"ubuntu", "14.04-ESM", true}, {"ubuntu", "22.04-ESM", false},
		{"centos", "7.9.2009", true}, {"redhat", "8.9", false},
	} {
		if got := EndOfLife(tt.family, tt.version, day); got != tt.want {
			t.Errorf("%s %s: end of life %v, want %v", tt.family, tt.version, got, tt.want)
		}
	}
}
