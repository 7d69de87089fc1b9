package ospkg

import (
	"testing"

	"github.com/docker-scan/docker-scan/engine/families"
	"github.com/docker-scan/docker-scan/engine/types"
)

// releaseFiles are release files as the distributions ship them (first
// lines verbatim; os-release files cut to the lines that matter, quoting
// as shipped), with the OS Trivy reports for each.
var releaseFiles = []struct {
	path, content string
	family, name  string
}{
	{"etc/rocky-release", "Rocky Linux release 8.6 (Green Obsidian)\n", "rocky", "8.6"},
	{"etc/rocky-release", "Rocky Linux release 9.3 (Blue Onyx)\n", "rocky", "9.3"},
	{"etc/redhat-release", "Rocky Linux release 9.3 (Blue Onyx)\n", "rocky", "9.3"},
	{"etc/almalinux-release", "AlmaLinux release 8.5 (Arctic Sphynx)\n", "alma", "8.5"},
	{"etc/almalinux-release", "AlmaLinux release 9.4 (Seafoam Ocelot)\n", "alma", "9.4"},
	{"etc/oracle-release", "Oracle Linux Server release 7.9\n", "oracle", "7.9"},
	{"etc/oracle-release", "Oracle Linux Server release 8.10\n", "oracle", "8.10"},
	{"etc/redhat-release", "Red Hat Enterprise Linux release 8.10 (Ootpa)\n", "redhat", "8.10"},
	{"etc/fedora-release", "Fedora release 35 (Thirty Five)\n", "fedora", "35"},
	{"etc/system-release", "Amazon Linux release 2 (Karoo)\n", "amazon", "2 (Karoo)"},
	{"etc/system-release", "Amazon Linux AMI release 2018.03\n", "amazon", "AMI release 2018.03"},
	{"usr/lib/system-release", "Amazon Linux release 2023.5.20240805 (Amazon Linux)\n", "amazon", "2023.5.20240805 (Amazon Linux)"},
	{"etc/mariner-release", "CBL-Mariner 2.0.20220226\nMARINER_BUILD_NUMBER=b1a9e8a\n", "cbl-mariner", "2.0.20220226"},
	{"etc/mariner-release", "CBL-Mariner 1.0.20210127\nMARINER_BUILD_NUMBER=7d4b8c1\n", "cbl-mariner", "1.0.20210127"},
	{"etc/azurelinux-release", "Azure Linux 3.0.20240727\nAZURELINUX_BUILD_NUMBER=9a3e5c0\n", "azurelinux", "3.0.20240727"},
	// azurelinux-release.spec writes the vendor first.
	{"etc/azurelinux-release", "Microsoft Azure Linux 3.0.20241005\nAZURELINUX_BUILD_NUMBER=1a2b3c4\n", "azurelinux", "3.0.20241005"},
	{EtcOSRelease, "NAME=\"Amazon Linux\"\nVERSION=\"2023\"\nID=\"amzn\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"2023\"\nPLATFORM_ID=\"platform:al2023\"\n", "amazon", "2023"},
	{EtcOSRelease, "NAME=\"SLES\"\nVERSION=\"15-SP5\"\nVERSION_ID=\"15.5\"\nPRETTY_NAME=\"SUSE Linux Enterprise Server 15 SP5\"\nID=\"sles\"\nID_LIKE=\"suse\"\nANSI_COLOR=\"0;32\"\nCPE_NAME=\"cpe:/o:suse:sles:15:sp5\"\n", "sles", "15.5"},
	{UsrOSRelease, "NAME=\"SLE Micro\"\nVERSION=\"5.5\"\nVERSION_ID=\"5.5\"\nPRETTY_NAME=\"SUSE Linux Enterprise Micro 5.5\"\nID=\"sle-micro\"\nID_LIKE=\"suse\"\n", "slem", "5.5"},
	{UsrOSRelease, "NAME=\"SLE Micro for Rancher\"\nVERSION=\"5.4\"\nVERSION_ID=\"5.4\"\nID=\"sle-micro-rancher\"\nID_LIKE=\"suse\"\n", "slem", "5.4"},
	{UsrOSRelease, "NAME=\"SL-Micro\"\nVERSION=\"6.0\"\nVERSION_ID=\"6.0\"\nID=\"sl-micro\"\nID_LIKE=\"suse\"\n", "slem", "6.0"},
	{EtcOSRelease, "NAME=\"openSUSE Leap\"\nVERSION=\"15.6\"\nID=\"opensuse-leap\"\nID_LIKE=\"suse opensuse\"\nVERSION_ID=\"15.6\"\n", "opensuse-leap", "15.6"},
	{EtcOSRelease, "NAME=\"openSUSE Leap\"\nVERSION=\"42.3\"\nID=opensuse\nID_LIKE=\"suse\"\nVERSION_ID=\"42.3\"\n", "opensuse-leap", "42.3"},
	{UsrOSRelease, "NAME=\"openSUSE Leap Micro\"\nVERSION=\"6.0\"\nVERSION_ID=\"6.0\"\nPRETTY_NAME=\"openSUSE Leap Micro 6.0\"\nID=\"opensuse-leap-micro\"\nID_LIKE=\"suse opensuse\"\n", "opensuse-leapmicro", "6.0"},
	{UsrOSRelease, "NAME=\"openSUSE Tumbleweed\"\n# VERSION=\"20240821\"\nID=\"opensuse-tumbleweed\"\nID_LIKE=\"opensuse suse\"\nVERSION_ID=\"20240821\"\n", "opensuse-tumbleweed", "20240821"},
	{EtcOSRelease, "NAME=\"VMware Photon OS\"\nVERSION=\"5.0\"\nID=photon\nVERSION_ID=5.0\nPRETTY_NAME=\"VMware Photon OS/Linux\"\n", "photon", "5.0"},
	{EtcOSRelease, "NAME=\"Common Base Linux Mariner\"\nVERSION=\"2.0.20220226\"\nID=mariner\nVERSION_ID=\"2.0\"\n", "cbl-mariner", "2.0"},
	{EtcOSRelease, "NAME=\"Microsoft Azure Linux\"\nVERSION=\"3.0.20240727\"\nID=azurelinux\nVERSION_ID=\"3.0\"\n", "azurelinux", "3.0"},
	{EtcOSRelease, "ID=wolfi\nNAME=\"Wolfi\"\nPRETTY_NAME=\"Wolfi\"\nVERSION_ID=\"20230201\"\nHOME_URL=\"https://wolfi.dev\"\n", "wolfi", "20230201"},
	{EtcOSRelease, "ID=chainguard\nNAME=\"Chainguard\"\nPRETTY_NAME=\"Chainguard\"\nVERSION_ID=\"20230214\"\nHOME_URL=\"https://chainguard.dev/\"\n", "chainguard", "20230214"},
	{EtcOSRelease, "NAME=\"Oracle Linux Server\"\nVERSION=\"8.10\"\nID=\"ol\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"8.10\"\n", "oracle", "8.10"},
	{EtcOSRelease, "NAME=\"AlmaLinux\"\nVERSION=\"9.4 (Seafoam Ocelot)\"\nID=\"almalinux\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.4\"\n", "alma", "9.4"},
}

func TestFamilyReleaseFiles(t *testing.T) {
	for _, tt := range releaseFiles {
		if !(Release{}).Wants(tt.path, int64(len(tt.content))) {
			t.Errorf("%s not wanted", tt.path)
			continue
		}
		res := &types.LayerResult{}
		if err := (Release{}).Analyze(tt.path, []byte(tt.content), res); err != nil {
			t.Fatal(err)
		}
		want := types.OSRelease{FilePath: tt.path, Family: tt.family, Name: tt.name}
		if len(res.OSReleases) != 1 || res.OSReleases[0] != want {
			t.Errorf("%s %q: got %+v, want %+v", tt.path, tt.content, res.OSReleases, want)
		}
	}
	// Files that name no family: other families' links to
	// etc/system-release, a truncated release line.
	for _, tt := range []struct{ path, content string }{
		{"etc/system-release", "CentOS Linux release 7.9.2009 (Core)\n"},
		{"etc/system-release", "Amazon Linux\n"},
		{"etc/mariner-release", "CBL-Mariner\n"},
		{"etc/oracle-release", "Oracle Linux Server\n"},
		{"etc/rocky-release", ""},
	} {
		res := &types.LayerResult{}
		if err := (Release{}).Analyze(tt.path, []byte(tt.content), res); err != nil || len(res.OSReleases) != 0 {
			t.Errorf("%s %q: %+v, %v", tt.path, tt.content, res.OSReleases, err)
		}
	}
}

// Ubuntu Pro's status.json (trimmed) with esm-infra enabled, and as
// shipped in images that never attached.
const (
	esmEnabled = `{"_doc": "Content provided in json response is currently considered Experimental and may change",
 "attached": true, "machine_id": "0b2f1a7e",
 "services": [
  {"name": "esm-apps", "entitled": "yes", "status": "disabled", "description": "Expanded Security Maintenance for Applications"},
  {"name": "esm-infra", "entitled": "yes", "status": "enabled", "description": "Expanded Security Maintenance for Infrastructure"},
  {"name": "livepatch", "entitled": "yes", "status": "n/a"}
 ], "version": "27.11.3~16.04.1"}`
	esmDisabled = `{"attached": false, "services": [
  {"name": "esm-infra", "available": "yes", "status": "disabled"},
  {"name": "esm-apps", "available": "yes", "status": "enabled"}]}`
)

func TestUbuntuESMStatus(t *testing.T) {
	const path = "var/lib/ubuntu-advantage/status.json"
	if !(Release{}).Wants(path, int64(len(esmEnabled))) {
		t.Fatal("status.json not wanted")
	}
	res := &types.LayerResult{}
	if err := (Release{}).Analyze(path, []byte(esmEnabled), res); err != nil {
		t.Fatal(err)
	}
	if want := (types.OSRelease{FilePath: path, Family: "ubuntu"}); len(res.OSReleases) != 1 || res.OSReleases[0] != want {
		t.Fatalf("ESM enabled: %+v", res.OSReleases)
	}
	// What merge makes of it: the version gains -ESM.
	releases := map[string]types.OSRelease{path: res.OSReleases[0], EtcOSRelease: {FilePath: EtcOSRelease, Family: "ubuntu", Name: "16.04"}}
	if got := families.WithExtended(types.OS{Family: "ubuntu", Name: "16.04"}, releases); got.Name != "16.04-ESM" {
		t.Errorf("ESM version %q", got.Name)
	}
	if got := families.WithExtended(types.OS{Family: "debian", Name: "12"}, releases); got.Name != "12" {
		t.Errorf("debian with Ubuntu's status.json: %q", got.Name)
	}
	res = &types.LayerResult{}
	if err := (Release{}).Analyze(path, []byte(esmDisabled), res); err != nil || len(res.OSReleases) != 0 {
		t.Errorf("ESM disabled: %+v, %v", res.OSReleases, err)
	}
	if got := families.WithExtended(types.OS{Family: "ubuntu", Name: "16.04"}, nil); got.Name != "16.04" {
		t.Errorf("no status.json: %q", got.Name)
	}
	if err := (Release{}).Analyze(path, []byte(`{"services": [`), &types.LayerResult{}); err == nil {
		t.Error("truncated status.json accepted")
	}
}

// FuzzReleaseFiles runs every release path's reader on arbitrary content:
// it may name a family or not, or (status.json) give one error, never
// panic, and what it names is a family the table knows.
func FuzzReleaseFiles(f *testing.F) {
	paths := append(families.ReleaseFiles(), "var/lib/ubuntu-advantage/status.json")
	for i, tt := range releaseFiles {
		f.Add(i%len(paths), tt.content)
	}
	f.Add(len(paths)-1, esmEnabled)
	f.Add(len(paths)-1, esmDisabled)
	f.Add(0, "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\n")
	f.Fuzz(func(t *testing.T, i int, content string) {
		if i < 0 {
			i = -i
		}
		path := paths[i%len(paths)]
		res := &types.LayerResult{}
		err := (Release{}).Analyze(path, []byte(content), res)
		if err != nil && path != "var/lib/ubuntu-advantage/status.json" {
			t.Fatalf("%s: %v", path, err)
		}
		for _, r := range res.OSReleases {
			if r.FilePath != path || r.Family == "" {
				t.Fatalf("%s: %+v", path, r)
			}
			if _, ok := families.ByReleaseFile(path); ok {
				if _, known := families.ByName(r.Family); !known {
					t.Fatalf("%s names unknown family %q", path, r.Family)
				}
			}
		}
	})
}
