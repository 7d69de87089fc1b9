package ospkg

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
)

// marinerRPMs reads the CBL-Mariner 2.0 fixture through the library.
func marinerRPMs(t *testing.T) []RPMPackage {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rpmdb.sqlite")
	if err := os.WriteFile(path, gunzipFixture(t, "sqlite-cbl-mariner-2.0.rpmdb.sqlite.gz"), 0o600); err != nil {
		t.Fatal(err)
	}
	rpms, err := ReadRPMDB(path)
	if err != nil {
		t.Fatal(err)
	}
	return rpms
}

// TestRPMCapabilitiesMatchOracle checks the Provides and Requires the
// library reads against rpm's PROVIDENAME and REQUIRENAME, every entry.
func TestRPMCapabilitiesMatchOracle(t *testing.T) {
	var got []string
	for _, r := range marinerRPMs(t) {
		for _, c := range r.Provides {
			got = append(got, r.Name+"\tP\t"+c)
		}
		for _, c := range r.Requires {
			got = append(got, r.Name+"\tR\t"+c)
		}
	}
	slices.Sort(got)
	want := readGolden(t, "sqlite-cbl-mariner-2.0.capabilities")
	if !slices.Equal(got, want) {
		t.Errorf("%d capabilities, oracle has %d", len(got), len(want))
	}
}

// TestRPMDependsOn: requirements resolve to the IDs of the packages that
// provide them (bash needs /bin/sh, which it provides itself, libc.so.6
// and libreadline.so.8), sorted, each once; rpmlib() features and files
// nothing provides by name are dropped.
func TestRPMDependsOn(t *testing.T) {
	db := gunzipFixture(t, "sqlite-cbl-mariner-2.0.rpmdb.sqlite.gz")
	res := types.LayerResult{}
	if err := NewRPM(t.TempDir()).AnalyzeStream("var/lib/rpm/rpmdb.sqlite", int64(len(db)), bytes.NewReader(db), &res); err != nil {
		t.Fatal(err)
	}
	byName := map[string]types.Package{}
	ids := map[string]bool{}
	with := 0
	for _, p := range res.PackageDBs[0].Packages {
		byName[p.Name] = p
		ids[p.ID] = true
	}
	for _, p := range res.PackageDBs[0].Packages {
		if len(p.DependsOn) > 0 {
			with++
		}
		if !slices.IsSorted(p.DependsOn) || len(slices.Compact(slices.Clone(p.DependsOn))) != len(p.DependsOn) || slices.Contains(p.DependsOn, p.ID) {
			t.Errorf("%s: DependsOn %q not sorted, unique and without itself", p.ID, p.DependsOn)
		}
		for _, d := range p.DependsOn {
			if !ids[d] {
				t.Errorf("%s depends on %s, which is not in the database", p.ID, d)
			}
		}
	}
	for name, want := range map[string][]string{
		"bash":       {"glibc@2.34-2.cm2.x86_64", "readline@8.1-1.cm2.x86_64"},
		"glibc":      {"filesystem@1.1-8.cm2.x86_64"},
		"filesystem": nil,
	} {
		if got := byName[name].DependsOn; !slices.Equal(got, want) {
			t.Errorf("%s: DependsOn %q, want %q", name, got, want)
		}
	}
	if with < 100 {
		t.Errorf("only %d of %d packages have dependencies", with, len(ids))
	}
}

// TestRPMRepositoryClass classes packages as Trivy does, by Vendor: the
// distribution's (prefix of one of its vendor names) are official and
// keep their files; any other vendor, or none (a package built with a
// plain rpmbuild), is third-party and lists no files; Amazon's packages
// may have no vendor and are official by their release.
func TestRPMRepositoryClass(t *testing.T) {
	rpms := marinerRPMs(t)
	byName := map[string]int{}
	for i, r := range rpms {
		byName[r.Name] = i
	}
	rpms[byName["bash"]].Vendor = ""
	rpms[byName["openssl"]].Vendor = "Docker"
	rpms[byName["zlib"]].Vendor = ""
	rpms[byName["zlib"]].Release = "1.amzn2.0.2"
	pkgs, _ := rpmPackages(rpms)
	for _, tc := range []struct {
		name  string
		class types.RepositoryClass
	}{
		{"bash", types.RepositoryClassThirdParty},
		{"openssl", types.RepositoryClassThirdParty},
		{"zlib", types.RepositoryClassOfficial},
		{"glibc", types.RepositoryClassOfficial},
	} {
		p := pkgs[byName[tc.name]]
		if p.Repository.Class != tc.class || p.ThirdParty() != (tc.class == types.RepositoryClassThirdParty) {
			t.Errorf("%s (vendor %q): class %q, want %q", p.Name, rpms[byName[tc.name]].Vendor, p.Repository.Class, tc.class)
		}
		if files := len(p.InstalledFiles); (files == 0) != p.ThirdParty() {
			t.Errorf("%s: %s with %d files", p.Name, p.Repository.Class, files)
		}
	}
	// Third-party packages still resolve dependencies.
	if deps := pkgs[byName["bash"]].DependsOn; !slices.Contains(deps, "glibc@2.34-2.cm2.x86_64") {
		t.Errorf("bash: DependsOn %q", deps)
	}
	// Mariner's filesystem package does not own the root (CentOS's does:
	// TestRPMModularityLabel), and no path is empty.
	for _, p := range pkgs {
		if slices.Contains(p.InstalledFiles, "") {
			t.Errorf("%s owns the root", p.Name)
		}
	}
}
