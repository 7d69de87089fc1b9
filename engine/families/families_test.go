package families

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker-scan/docker-scan/engine/types"
)

// Every matched family has all a scan needs, and names and IDs are unique.
func TestOSFamilyRowsComplete(t *testing.T) {
	names, ids, files := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, f := range osFamilies {
		if f.Name == "" || len(f.IDs) == 0 {
			t.Errorf("%+v: no name or no os-release ID", f)
		}
		if names[f.Name] {
			t.Errorf("%s: two rows", f.Name)
		}
		names[f.Name] = true
		for _, id := range f.IDs {
			if id != strings.ToLower(id) || ids[id] {
				t.Errorf("%s: ID %q not lower case or in two rows", f.Name, id)
			}
			ids[id] = true
		}
		for _, p := range f.ReleaseFiles {
			if files[p] || IsGenericReleaseFile(p) {
				t.Errorf("%s: release file %s claimed twice", f.Name, p)
			}
			files[p] = true
		}
		if !f.Matched() {
			continue
		}
		if f.Packages.Type == "" || f.Packages.PURLType == "" || f.ParseVersion == nil {
			t.Errorf("%s: matched but no package manager, PURL type or version comparer", f.Name)
		}
		// A bucket with a release needs a cut; a versionless one may have
		// a cut for its EOL dates (Red Hat's one bucket).
		if strings.Contains(f.Bucket, "%s") && f.Cut == nil || strings.Count(f.Bucket, "%") > 1 {
			t.Errorf("%s: bucket %q and release cut disagree", f.Name, f.Bucket)
		}
		if _, ok := eolDates[f.Name]; !ok && f.Cut != nil {
			t.Errorf("%s: no end-of-life dates", f.Name)
		}
		// EOL dates are keyed by the release the cut gives.
		for release := range eolDates[f.Name] {
			if got := f.Release(release); got != release {
				t.Errorf("eol.yaml: %s %q is no release the cut gives (%q)", f.Name, release, got)
			}
		}
	}
	for _, f := range osFamilies {
		if f.DerivedFrom != "" && !names[f.DerivedFrom] {
			t.Errorf("%s: derived from unknown family %s", f.Name, f.DerivedFrom)
		}
	}
	for family := range eolDates {
		if f, ok := ByName(family); !ok || !f.Matched() {
			t.Errorf("eol.yaml: %s is no matched family", family)
		}
	}
}

func TestBucketFor(t *testing.T) {
	wolfi := OSFamily{Name: "wolfi", IDs: []string{"wolfi"}, Packages: apk, Bucket: "wolfi", ParseVersion: parseAPK, SourceNames: true}
	tests := []struct {
		family  OSFamily
		version string
		want    string
	}{
		{mustFamily(t, "alpine"), "3.20.3", "alpine 3.20"},
		{mustFamily(t, "alpine"), "3.21_alpha20240807", "alpine 3.21"},
		{mustFamily(t, "alpine"), "edge", "alpine edge"},
		{mustFamily(t, "alpine"), "3", "alpine 3"},
		{mustFamily(t, "debian"), "12.7", "debian 12"},
		{mustFamily(t, "debian"), "13", "debian 13"},
		{mustFamily(t, "ubuntu"), "22.04", "ubuntu 22.04"},
		{wolfi, "20230201", "wolfi"},
		{wolfi, "", "wolfi"},
	}
	for _, tt := range tests {
		if got := tt.family.BucketFor(tt.version); got != tt.want {
			t.Errorf("%s %s: bucket %q, want %q", tt.family.Name, tt.version, got, tt.want)
		}
	}
	if got := wolfi.Release("20230201"); got != "20230201" {
		t.Errorf("versionless release = %q", got)
	}
}

func mustFamily(t *testing.T, name string) OSFamily {
	t.Helper()
	f, ok := ByName(name)
	if !ok {
		t.Fatalf("no row %s", name)
	}
	return f
}

func TestLookups(t *testing.T) {
	ids := map[string]string{"alpine": "alpine", " Ubuntu ": "ubuntu", "rhel": "redhat", "almalinux": "alma", "amzn": "amazon",
		"ol": "oracle", "mariner": "cbl-mariner", "sle-micro": "slem", "sle-micro-rancher": "slem", "opensuse": "opensuse-leap",
		"opensuse-leap": "opensuse-leap", "opensuse-tumbleweed": "opensuse-tumbleweed", "opensuse-leap-micro": "opensuse-leapmicro",
		"sles": "sles", "photon": "photon", "azurelinux": "azurelinux", "chainguard": "chainguard", "rocky": "rocky", "wolfi": "wolfi", "Gentoo": "gentoo", "": ""}
	for id, want := range ids {
		if got := NameFromID(id); got != want {
			t.Errorf("NameFromID(%q) = %q, want %q", id, got, want)
		}
	}
	if f, ok := ByID("wolfi"); !ok || f.Bucket != "wolfi" || f.Cut != nil {
		t.Errorf("wolfi: %+v %v", f, ok)
	}
	if f, ok := ByReleaseFile("etc/debian_version"); !ok || f.Name != "debian" {
		t.Errorf("etc/debian_version: %+v %v", f, ok)
	}
	if f, ok := ByReleaseFile("usr/lib/system-release"); !ok || f.Name != "amazon" {
		t.Errorf("usr/lib/system-release: %+v %v", f, ok)
	}
	if _, ok := ByReleaseFile(EtcOSRelease); ok {
		t.Error("os-release belongs to no one family")
	}
	// Derived families' files come before the file of the family they
	// derive from (every Rocky image also has etc/redhat-release).
	got := ReleaseFiles()
	for _, pair := range [][2]string{{"etc/rocky-release", "etc/redhat-release"}, {"etc/oracle-release", "etc/redhat-release"},
		{"etc/almalinux-release", "etc/redhat-release"}, {"etc/centos-release", "etc/redhat-release"}, {"etc/redhat-release", EtcOSRelease},
		{"etc/alpine-release", EtcOSRelease}, {EtcOSRelease, UsrOSRelease}, {UsrOSRelease, EtcLSBRelease}} {
		if i, j := slices.Index(got, pair[0]), slices.Index(got, pair[1]); i < 0 || j < 0 || i > j {
			t.Errorf("ReleaseFiles = %q: %s must come before %s", got, pair[0], pair[1])
		}
	}
	wantMatched := []string{"alma", "alpine", "amazon", "azurelinux", "bottlerocket", "cbl-mariner", "centos", "chainguard", "debian", "opensuse-leap",
		"opensuse-leapmicro", "opensuse-tumbleweed", "oracle", "photon", "redhat", "rocky", "slem", "sles", "ubuntu", "wolfi"}
	if got := MatchedNames(); !slices.Equal(got, wantMatched) {
		t.Errorf("MatchedNames = %q", got)
	}
	if f, _ := ByName("fedora"); f.Matched() {
		t.Error("fedora has no advisories in the DB")
	}
	for typ, want := range map[string]bool{"apk": true, "dpkg": true, "node-pkg": false, "": false, "rpm": true} {
		if IsOSPackageType(typ) != want {
			t.Errorf("IsOSPackageType(%q) = %v", typ, !want)
		}
	}
	if m, _ := PackageManagerByType("dpkg"); m.Fallback != "debian" {
		t.Errorf("dpkg fallback = %q", m.Fallback)
	}
	if e, ok := EcosystemByType("node-pkg"); !ok || e.Target != "Node.js" || e.PerFile {
		t.Errorf("node-pkg: %+v", e)
	}
	if e, ok := EcosystemByType("conda-pkg"); !ok || e.Matched() || e.PURL != nil {
		t.Errorf("conda-pkg is reported, not matched: %+v", e)
	}
	if _, ok := EcosystemByType("apk"); ok {
		t.Error("apk is no language ecosystem")
	}
}

func TestEcosystemRowsComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range ecosystems {
		if e.Type == "" || seen[e.Type] || IsOSPackageType(e.Type) {
			t.Errorf("%q: empty, twice, or an OS type", e.Type)
		}
		seen[e.Type] = true
		if e.Target == "" && !e.PerFile {
			t.Errorf("%s: no report target", e.Type)
		}
		if e.Matched() && (e.Normalize == nil || e.Matches == nil || e.PURL == nil || !strings.HasSuffix(e.BucketPrefix, "::")) {
			t.Errorf("%s: matched but incomplete", e.Type)
		}
	}
}

func TestVersionOrdering(t *testing.T) {
	tests := []struct {
		family, a, b string
		want         int
	}{
		{"alpine", "3.1.4-r5", "3.1.5-r0", -1},
		{"alpine", "1.2_rc1-r0", "1.2-r0", -1},
		{"debian", "1:1.0-1", "2.0-1", 1},
		{"debian", "2.36-9+deb12u4", "2.36-9+deb12u10", -1},
		{"ubuntu", "1.0~rc1", "1.0", -1},
		{"ubuntu", "1.0-1", "1.0-1", 0},
	}
	for _, tt := range tests {
		f := mustFamily(t, tt.family)
		a, err := f.ParseVersion(tt.a)
		if err != nil {
			t.Fatal(err)
		}
		b, err := f.ParseVersion(tt.b)
		if err != nil {
			t.Fatal(err)
		}
		if got := sign(a.Compare(b)); got != tt.want {
			t.Errorf("%s: %s vs %s = %d, want %d", tt.family, tt.a, tt.b, got, tt.want)
		}
	}
	if _, err := mustFamily(t, "debian").ParseVersion("not a version!"); err == nil {
		t.Error("bad dpkg version parsed")
	}
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

func TestRanges(t *testing.T) {
	tests := []struct {
		typ, version, constraints string
		want                      bool
	}{
		{"node-pkg", "1.2.2", "<1.2.3", true},
		{"node-pkg", "1.2.3", "<1.2.3", false},
		{"python-pkg", "1.26.17", ">=1.26.0, <1.26.18", true},
		{"jar", "2.14.0", "<2.15.0", true},
		{"gobinary", "0.3.5", ">=0.3.0, <0.3.8", true},
		// Go versions keep their "v", as Trivy reports them; the DB's
		// ranges have none.
		{"gobinary", "v0.3.5", ">=0.3.0, <0.3.8", true},
		{"gobinary", "v0.3.8", ">=0.3.0, <0.3.8", false},
		{"gobinary", "v0.3.8", "0.3.8", true},
		{"gobinary", "v1.26.8", "<1.26.9", true},
		{"gobinary", "v0.0.0-20220722155217-630584e8d5aa", "<0.0.0-20220906165146-f3363e06e74c", true},
		{"gemspec", "1.13.10", "<1.13.10", false},
	}
	for _, tt := range tests {
		e, _ := EcosystemByType(tt.typ)
		got, err := e.Matches(tt.version, tt.constraints)
		if err != nil || got != tt.want {
			t.Errorf("%s %s %s: %v, %v", tt.typ, tt.version, tt.constraints, got, err)
		}
	}
}

func TestPURLs(t *testing.T) {
	os := types.OS{Family: "alpine", Name: "3.20.3"}
	m, _ := PackageManagerByType("apk")
	if got, want := m.PURL(types.Package{Name: "musl", Version: "1.2.5-r0", Arch: "x86_64"}, os), "pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=3.20.3"; got != want {
		t.Errorf("apk purl %s, want %s", got, want)
	}
	if got, want := m.PURL(types.Package{Name: "musl", Version: "1.2.5-r0"}, types.OS{}), "pkg:apk/apk/musl@1.2.5-r0"; got != want {
		t.Errorf("apk purl without OS %s, want %s", got, want)
	}
	for typ, want := range map[string]string{
		"node-pkg":    "pkg:npm/%40babel/core@7.12.3",
		"jar":         "pkg:maven/org.example/lib@1.0",
		"python-pkg":  "pkg:pypi/zope-interface@5.0",
		"gobinary":    "pkg:golang/golang.org/x/net@v0.3.5",
		"composer":    "pkg:composer/monolog/monolog@2.0",
		"dotnet-core": "pkg:nuget/Newtonsoft.Json@13.0.1",
	} {
		names := map[string][2]string{"node-pkg": {"@babel/core", "7.12.3"}, "jar": {"org.example:lib", "1.0"}, "python-pkg": {"Zope.Interface", "5.0"},
			"gobinary": {"golang.org/x/net", "v0.3.5"}, "composer": {"monolog/monolog", "2.0"}, "dotnet-core": {"Newtonsoft.Json", "13.0.1"}}
		e, _ := EcosystemByType(typ)
		if got := e.PURL(types.Package{Name: names[typ][0], Version: names[typ][1]}); got != want {
			t.Errorf("%s purl %s, want %s", typ, got, want)
		}
	}
}

func TestEndOfLife(t *testing.T) {
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		family, version string
		want            bool
	}{
		{"alpine", "3.14.10", true},
		{"alpine", "3.21.0", false},
		{"debian", "10.13", true},
		{"debian", "12.7", false},
		{"ubuntu", "20.04", true},
		{"ubuntu", "99.04", false},
		{"redhat", "7.9", false},
	}
	for _, tt := range tests {
		if got := mustFamily(t, tt.family).EndOfLife(tt.version, now); got != tt.want {
			t.Errorf("%s %s: end of life %v", tt.family, tt.version, got)
		}
	}
	if _, err := parseEOL([]byte("alpine:\n  \"3.1\": not-a-date\n")); err == nil {
		t.Error("bad date accepted")
	}
}
