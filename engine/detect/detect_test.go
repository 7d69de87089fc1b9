package detect

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/docker-scan/docker-scan/engine/db"
	"github.com/docker-scan/docker-scan/engine/db/dbtest"
	"github.com/docker-scan/docker-scan/engine/types"
)

func openFixture(t testing.TB, files ...string) *db.DB { return dbtest.FixtureDB(t, files...) }

func artifact(family, version string, pkgs ...types.Package) types.Artifact {
	return types.Artifact{OS: types.OS{Family: family, Name: version}, PackageDBs: []types.PackageDB{{Packages: pkgs}}}
}

// found renders findings as "pkg CVE status fixed severity/source".
func found(vs []types.DetectedVulnerability) string {
	var lines []string
	for _, v := range vs {
		lines = append(lines, strings.Join([]string{v.PkgName, v.InstalledVersion, v.VulnerabilityID, v.Status.String(), v.FixedVersion, v.Severity + "/" + v.SeveritySource}, " "))
	}
	return strings.Join(lines, "\n")
}

func TestAlpineBoundaries(t *testing.T) {
	d := openFixture(t, "testdata/mechanics.yaml")
	libssl := types.Package{ID: "libssl3@3.1.4-r5", Name: "libssl3", Version: "3.1.4-r5", SrcName: "openssl", SrcVersion: "3.1.4-r5", Arch: "x86_64"}
	got, err := OSPackages(d, artifact("alpine", "3.19.1", libssl))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"libssl3 3.1.4-r5 CVE-2024-4603 fixed 3.1.5-r0 MEDIUM/nvd",
		"libssl3 3.1.4-r5 CVE-2099-0001 affected  UNKNOWN/",
	}, "\n")
	if found(got) != want {
		t.Errorf("got\n%s\nwant\n%s", found(got), want)
	}
	v := got[0]
	if v.PrimaryURL != "https://avd.aquasec.com/nvd/cve-2024-4603" || v.DataSource == nil || v.DataSource.ID != "alpine" ||
		v.CVSS["nvd"].V3Score != 5.3 || v.PublishedDate == nil || v.Title == "" || v.PkgID != "libssl3@3.1.4-r5" {
		t.Errorf("details not filled: %+v", v)
	}
}

func TestAlpineRepositoryRelease(t *testing.T) {
	d := openFixture(t, "testdata/mechanics.yaml")
	p := types.Package{Name: "libcrypto3", Version: "3.3.0-r2", SrcName: "openssl", SrcVersion: "3.3.0-r2"}
	art := artifact("alpine", "3.19.1", p)
	art.Repository = &types.Repository{Family: "alpine", Release: "3.20"}
	got, err := OSPackages(d, art)
	if err != nil {
		t.Fatal(err)
	}
	if found(got) != "libcrypto3 3.3.0-r2 CVE-2024-5535 fixed 3.3.1-r1 UNKNOWN/" {
		t.Errorf("packages from the v3.20 repository must be matched against alpine 3.20:\n%s", found(got))
	}
}

func TestDebianSourceMatching(t *testing.T) {
	d := openFixture(t, "testdata/mechanics.yaml")
	libc6 := types.Package{ID: "libc6@2.36-9+deb12u4", Name: "libc6", Version: "2.36-9+deb12u4", SrcName: "glibc", SrcVersion: "2.36-9+deb12u4", Arch: "amd64"}
	libcBin := libc6
	libcBin.Name, libcBin.ID = "libc-bin", "libc-bin@2.36-9+deb12u4"
	zlib := types.Package{Name: "zlib1g", Version: "1.2.13.dfsg-1", Epoch: 1, SrcName: "zlib", SrcVersion: "1.2.13.dfsg-1", SrcEpoch: 1, Arch: "amd64"}
	got, err := OSPackages(d, artifact("debian", "12.7", libc6, libcBin, zlib))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		// The per-advisory severity (HIGH) beats Debian's vendor severity (MEDIUM).
		"libc-bin 2.36-9+deb12u4 CVE-2025-4802 fixed 2.36-9+deb12u11 MEDIUM/debian",
		"libc-bin 2.36-9+deb12u4 CVE-2010-4756 will_not_fix  LOW/debian",
		"libc-bin 2.36-9+deb12u4 CVE-2019-1010022 affected  LOW/debian",
		"libc6 2.36-9+deb12u4 CVE-2025-4802 fixed 2.36-9+deb12u11 MEDIUM/debian",
		"libc6 2.36-9+deb12u4 CVE-2010-4756 will_not_fix  LOW/debian",
		"libc6 2.36-9+deb12u4 CVE-2019-1010022 affected  LOW/debian",
		// Only the deprecated string severity is known.
		"zlib1g 1:1.2.13.dfsg-1 CVE-2023-45853 will_not_fix  CRITICAL/",
	}, "\n")
	if found(got) != want {
		t.Errorf("got\n%s\nwant\n%s", found(got), want)
	}
	// deb12u3 fixed CVE-2023-4911 before deb12u4: an older package is hit.
	old := libc6
	old.Version, old.SrcVersion = "2.36-9+deb12u1", "2.36-9+deb12u1"
	got, _ = OSPackages(d, artifact("debian", "12.2", old))
	if !strings.Contains(found(got), "CVE-2023-4911 fixed 2.36-9+deb12u3 HIGH/debian") {
		t.Errorf("older libc6 must have CVE-2023-4911 with the advisory's HIGH:\n%s", found(got))
	}
}

func TestUnknownFamilyAndRelease(t *testing.T) {
	d := openFixture(t, "testdata/mechanics.yaml")
	p := types.Package{Name: "bash", Version: "5.2-1"}
	for _, art := range []types.Artifact{artifact("fedora", "40", p), artifact("plan9", "4", p), artifact("debian", "13.1", p)} {
		got, err := OSPackages(d, art)
		if !errors.Is(err, ErrNotMatched) || len(got) != 0 {
			t.Errorf("%+v: got %v, %v", art.OS, got, err)
		}
	}
}

func TestEndOfLife(t *testing.T) {
	now := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		family, version string
		want            bool
	}{
		{"alpine", "3.14.10", true},
		{"alpine", "3.22.1", false},
		{"debian", "11.9", true},
		{"debian", "12.7", false},
		{"ubuntu", "20.04", true},
		{"ubuntu", "24.04", false},
		{"alpine", "edge", false},
		{"fedora", "40", false},
	} {
		if got := EndOfLife(tt.family, tt.version, now); got != tt.want {
			t.Errorf("EndOfLife(%s %s) = %v", tt.family, tt.version, got)
		}
	}
	if EndOfLife("alpine", "3.14.10", time.Date(2023, 4, 30, 0, 0, 0, 0, time.UTC)) {
		t.Error("3.14 was supported until 2023-05-01")
	}
}
