package families

import (
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
)

// Each family's bucket for versions as its images report them (see
// engine/analyze/ospkg's release tests for where they come from).
func TestFamilyBuckets(t *testing.T) {
	for _, tt := range []struct{ family, version, want string }{
		{"rocky", "8.6", "rocky 8"}, {"rocky", "9.3", "rocky 9"},
		{"alma", "9.4", "alma 9"},
		{"oracle", "8.10", "Oracle Linux 8"}, {"oracle", "7.9", "Oracle Linux 7"},
		{"redhat", "8.10", "Red Hat"}, {"centos", "7.9.2009", "Red Hat"},
		{"amazon", "2 (Karoo)", "amazon linux 2"}, {"amazon", "2", "amazon linux 2"},
		{"amazon", "AMI release 2018.03", "amazon linux 1"}, {"amazon", "2018.03", "amazon linux 1"},
		{"amazon", "2023.5.20240805 (Amazon Linux)", "amazon linux 2023"}, {"amazon", "2023", "amazon linux 2023"},
		{"cbl-mariner", "2.0.20220226", "CBL-Mariner 2.0"}, {"cbl-mariner", "2.0", "CBL-Mariner 2.0"},
		{"azurelinux", "3.0.20240727", "Azure Linux 3.0"},
		{"photon", "5.0", "Photon OS 5.0"},
		{"sles", "15.5", "SUSE Linux Enterprise 15.5"}, {"slem", "5.5", "SUSE Linux Enterprise Micro 5.5"},
		{"opensuse-leap", "15.6", "openSUSE Leap 15.6"}, {"opensuse-leapmicro", "6.0", "openSUSE Leap Micro 6.0"},
		{"opensuse-tumbleweed", "20240821", "openSUSE Tumbleweed"},
		{"wolfi", "20230201", "wolfi"}, {"chainguard", "20230214", "chainguard"},
		{"ubuntu", "20.04-ESM", "ubuntu 20.04-ESM"},
	} {
		if got := mustFamily(t, tt.family).BucketFor(tt.version); got != tt.want {
			t.Errorf("%s %s: bucket %q, want %q", tt.family, tt.version, got, tt.want)
		}
	}
}

func TestFlavour(t *testing.T) {
	for release, want := range map[string]string{
		"157.ksplice1.el7_3.4":        FlavourKsplice,
		"2:2.17-157.ksplice1.el7_3.4": FlavourKsplice,
		"4.0.1.el8_fips":              FlavourFIPS,
		"10:3.6.16-4.0.1.el8_fips":    FlavourFIPS,
		"101.el8":                     FlavourNormal,
		"189.5.0.1.el8_6":             FlavourNormal,
		"":                            FlavourNormal,
	} {
		if got := Flavour(release); got != want {
			t.Errorf("Flavour(%q) = %s, want %s", release, got, want)
		}
	}
}

func TestRPMOrdering(t *testing.T) {
	for _, tt := range []struct {
		family, a, b string
		want         int
	}{
		{"rocky", "1:1.1.1c-15.el8", "1.1.1k-7.el8", 1}, // epoch first
		{"oracle", "2.28-101.el8", "2.28-151.0.1.el8", -1},
		{"sles", "1.2.11-3.21.1", "1.2.11-3.24.1", -1},
		{"cbl-mariner", "1.1.1k-7.cm2", "1.1.1k-21.cm2", -1},
		{"photon", "1.0~rc1-1.ph5", "1.0-1.ph5", -1},
		{"amazon", "7.79.1-4.amzn2.0.1", "7.79.1-4.amzn2.0.10", -1},
		{"amazon", "1:1.0.2k-24.amzn2.0.9", "1.0.2k-24.amzn2.0.99", 1},
	} {
		f := mustFamily(t, tt.family)
		a, errA := f.ParseVersion(tt.a)
		b, errB := f.ParseVersion(tt.b)
		if errA != nil || errB != nil {
			t.Fatalf("%s: %v %v", tt.family, errA, errB)
		}
		if got := sign(a.Compare(b)); got != tt.want {
			t.Errorf("%s: %s vs %s = %d, want %d", tt.family, tt.a, tt.b, got, tt.want)
		}
	}
}

func TestSUSEPURLNamespace(t *testing.T) {
	m, _ := PackageManagerByType("rpm")
	p := types.Package{Name: "libz1", Version: "1.2.11", Release: "3.21.1", Arch: "x86_64"}
	for family, want := range map[string]string{
		"sles":          "pkg:rpm/suse/libz1@1.2.11-3.21.1?arch=x86_64&distro=sles-15.3",
		"opensuse-leap": "pkg:rpm/opensuse/libz1@1.2.11-3.21.1?arch=x86_64&distro=opensuse-leap-15.3",
		"cbl-mariner":   "pkg:rpm/cbl-mariner/libz1@1.2.11-3.21.1?arch=x86_64&distro=cbl-mariner-15.3",
	} {
		if got := m.PURL(p, types.OS{Family: family, Name: "15.3"}); got != want {
			t.Errorf("%s: %s, want %s", family, got, want)
		}
	}
}
