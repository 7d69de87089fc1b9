package ospkg

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
)

// rpmFixtures are real rpm databases (see testdata/rpm/README), one per
// format, with the list Debian's rpm (or go-rpmdb's authors' rpm -qa) gave.
var rpmFixtures = []struct{ gz, dbFile, golden string }{
	{"bdb-libuuid.Packages.gz", "var/lib/rpm/Packages", "bdb-libuuid.golden"},
	{"ndb-sle15-bci.Packages.db.gz", "usr/lib/sysimage/rpm/Packages.db", "ndb-sle15-bci.golden"},
	{"sqlite-cbl-mariner-2.0.rpmdb.sqlite.gz", "var/lib/rpm/rpmdb.sqlite", "sqlite-cbl-mariner-2.0.golden"},
}

func gunzipFixture(t testing.TB, name string) []byte {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "rpm", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rpmLine is a package the way oracle.sh prints it.
func rpmLine(p RPMPackage, withFiles bool) string {
	none := func(s string) string {
		if s == "" {
			return "(none)"
		}
		return s
	}
	files := "-"
	if withFiles {
		files = "(none)"
		if len(p.Files) > 0 {
			files = strconv.Itoa(len(p.Files))
		}
	}
	return strings.Join([]string{p.Name, strconv.Itoa(p.Epoch), p.Version, p.Release, p.Arch, none(p.SourceRPM),
		none(p.License), none(p.Vendor), none(p.Modularitylabel), files}, "\t")
}

func readGolden(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "rpm", name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// compareWithOracle checks the whole list of packages against the golden.
func compareWithOracle(t *testing.T, pkgs []RPMPackage, golden string) {
	t.Helper()
	want := readGolden(t, golden)
	withFiles := !strings.HasSuffix(want[0], "\t-")
	var got []string
	for _, p := range pkgs {
		got = append(got, rpmLine(p, withFiles))
	}
	slices.Sort(got)
	if len(got) != len(want) {
		t.Errorf("%s: %d packages, oracle has %d", golden, len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			t.Errorf("%s line %d:\n got %q\nwant %q", golden, i+1, got[i], want[i])
		}
	}
}

// TestRPMAnalyzerMatchesOracle runs the analyzer on each fixture as the
// walker would (a stream) and checks rpm's fields against the oracle, the
// packages it adds against its fields, and that no temp file is left.
func TestRPMAnalyzerMatchesOracle(t *testing.T) {
	for _, fx := range rpmFixtures {
		t.Run(fx.golden, func(t *testing.T) {
			db := gunzipFixture(t, fx.gz)
			tmp := t.TempDir()
			a := NewRPM(tmp)
			if !a.WantsStream(fx.dbFile, int64(len(db)), 0o644, db[:64]) {
				t.Fatalf("does not want %s", fx.dbFile)
			}
			// The list straight from the library, against the oracle.
			path := filepath.Join(t.TempDir(), filepath.Base(fx.dbFile))
			if err := os.WriteFile(path, db, 0o600); err != nil {
				t.Fatal(err)
			}
			rpms, err := ReadRPMDB(path)
			if err != nil {
				t.Fatal(err)
			}
			compareWithOracle(t, rpms, fx.golden)

			res := types.LayerResult{DiffID: "sha256:l"}
			if err := a.AnalyzeStream(fx.dbFile, int64(len(db)), bytes.NewReader(db), &res); err != nil {
				t.Fatal(err)
			}
			if len(res.Issues) > 0 || len(res.PackageDBs) != 1 {
				t.Fatalf("issues %v, %d package DBs", res.Issues, len(res.PackageDBs))
			}
			pdb := res.PackageDBs[0]
			if pdb.Type != "rpm" || pdb.FilePath != fx.dbFile || len(pdb.Packages) != len(rpms) {
				t.Fatalf("package DB %s %s with %d packages, want rpm %s with %d", pdb.Type, pdb.FilePath, len(pdb.Packages), fx.dbFile, len(rpms))
			}
			for i, p := range pdb.Packages {
				r := rpms[i]
				if p.Name != r.Name || p.Version != r.Version || p.Release != r.Release || p.Epoch != r.Epoch || p.Arch != r.Arch || p.Maintainer != r.Vendor || len(p.InstalledFiles) != len(r.Files) {
					t.Errorf("package %d: %+v from %+v", i, p, r)
				}
				for j, f := range p.InstalledFiles {
					if "/"+f != r.Files[j] {
						t.Errorf("%s: file %q from %q", p.Name, f, r.Files[j])
						break
					}
				}
			}
			left, _ := os.ReadDir(tmp)
			if len(left) > 0 {
				t.Errorf("temp dir holds %d files after the analysis", len(left))
			}
		})
	}
}

// TestRPMFields spot-checks the types.Package of known packages: the
// source rpm split out, epochs, licenses, owned files.
func TestRPMFields(t *testing.T) {
	db := gunzipFixture(t, "sqlite-cbl-mariner-2.0.rpmdb.sqlite.gz")
	res := types.LayerResult{}
	if err := NewRPM(t.TempDir()).AnalyzeStream("var/lib/rpm/rpmdb.sqlite", int64(len(db)), bytes.NewReader(db), &res); err != nil {
		t.Fatal(err)
	}
	byName := map[string]types.Package{}
	for _, p := range res.PackageDBs[0].Packages {
		byName[p.Name] = p
	}
	audit := byName["audit-libs"]
	if audit.ID != "audit-libs@3.0.6-1.cm2.x86_64" || audit.SrcName != "audit" || audit.SrcVersion != "3.0.6" || audit.SrcRelease != "1.cm2" ||
		!slices.Equal(audit.Licenses, []string{"LGPLv2+"}) || audit.Maintainer != "Microsoft Corporation" {
		t.Errorf("audit-libs: %+v", audit)
	}
	if !slices.Contains(byName["bash"].InstalledFiles, "bin/bash") {
		t.Errorf("bash does not own bin/bash: %v", byName["bash"].InstalledFiles)
	}
}

// TestRPMModularityLabel reads CentOS 8 (BerkeleyDB, modular packages)
// from go-rpmdb's module, which is a dependency and so in the module
// cache whenever this package builds.
func TestRPMModularityLabel(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-json", "github.com/knqyf263/go-rpmdb").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var mod struct{ Dir string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		t.Fatalf("go-rpmdb not in the module cache (go mod download): %s", out)
	}
	rpms, err := ReadRPMDB(filepath.Join(mod.Dir, "pkg", "testdata", "centos8-modularitylabel", "Packages"))
	if err != nil {
		t.Fatal(err)
	}
	compareWithOracle(t, rpms, "bdb-centos8-modularitylabel.golden")
	pkgs, _ := rpmPackages(rpms)
	for _, p := range pkgs {
		if p.Name == "NetworkManager" && (p.Epoch != 1 || p.SrcEpoch != 1 || p.ID != "NetworkManager@1.22.8-5.el8_2.x86_64") {
			t.Errorf("NetworkManager: %+v", p)
		}
		// CentOS's filesystem package owns the root ("/" in rpm -ql),
		// kept as "" and reported as "/", as Trivy lists it.
		if p.Name == "filesystem" && (len(p.InstalledFiles) < 2 || p.InstalledFiles[0] != "" || p.InstalledFiles[1] != "bin") {
			t.Errorf("filesystem files start %q", p.InstalledFiles[:min(2, len(p.InstalledFiles))])
		}
	}
}

func TestSplitSourceRPM(t *testing.T) {
	for _, tc := range []struct{ in, name, version, release string }{
		{"glibc-2.28-151.el8.src.rpm", "glibc", "2.28", "151.el8"},
		{"python3-pip-wheel-21.2.3-6.el9.src.rpm", "python3-pip-wheel", "21.2.3", "6.el9"},
		{"gcc11-11.2.1+git610-1.3.9.src.rpm", "gcc11", "11.2.1+git610", "1.3.9"},
		{"foo-1-2.nosrc.rpm", "foo", "1", "2"},
		{"", "", "", ""},
		{"nodash.src.rpm", "", "", ""},
		{"a-1.src.rpm", "", "", ""},
		{"-1-2.src.rpm", "", "", ""},
		{"a--2.src.rpm", "", "", ""},
		{"a-1-.src.rpm", "", "", ""},
		{"a-1-2.rpm", "", "", ""},
	} {
		name, version, release, ok := SplitSourceRPM(tc.in)
		if name != tc.name || version != tc.version || release != tc.release || ok != (tc.name != "") {
			t.Errorf("SplitSourceRPM(%q) = %q %q %q %v", tc.in, name, version, release, ok)
		}
	}
}

// A package whose source rpm is missing or unparsable is its own source.
func TestRPMSourceFallback(t *testing.T) {
	pkgs, _ := rpmPackages([]RPMPackage{{Name: "x", Epoch: 2, Version: "1", Release: "3", SourceRPM: "junk"}})
	if p := pkgs[0]; p.SrcName != "x" || p.SrcVersion != "1" || p.SrcRelease != "3" || p.SrcEpoch != 2 {
		t.Errorf("%+v", p)
	}
}

// TestRPMBadDatabases: truncated and corrupt databases give an error, never
// a panic or a hang, and leave no temp file.
func TestRPMBadDatabases(t *testing.T) {
	for _, fx := range rpmFixtures {
		db := gunzipFixture(t, fx.gz)
		for _, tc := range []struct {
			name string
			b    []byte
		}{
			{"empty", nil},
			{"header only", db[:100]},
			{"half", db[:len(db)/2]},
			{"zeroed middle", append(append(append([]byte{}, db[:len(db)/3]...), make([]byte, len(db)/3)...), db[2*len(db)/3:]...)},
		} {
			t.Run(fx.golden+"/"+tc.name, func(t *testing.T) {
				tmp := t.TempDir()
				res := types.LayerResult{}
				err := NewRPM(tmp).AnalyzeStream(fx.dbFile, int64(len(tc.b)), bytes.NewReader(tc.b), &res)
				t.Logf("err=%v packages=%d", err, len(res.PackageDBs))
				if err == nil && len(res.PackageDBs) != 1 {
					t.Errorf("no error and %d package DBs", len(res.PackageDBs))
				}
				if left, _ := os.ReadDir(tmp); len(left) > 0 {
					t.Errorf("temp dir holds %d files", len(left))
				}
			})
		}
	}
}

func TestRPMTooBig(t *testing.T) {
	res := types.LayerResult{DiffID: "sha256:l"}
	err := NewRPM(t.TempDir()).AnalyzeStream("var/lib/rpm/Packages", maxRPMDBSize+1, strings.NewReader(""), &res)
	if err != nil || len(res.Issues) != 1 || !strings.Contains(res.Issues[0].Reason, "over the limit") {
		t.Fatalf("err %v, issues %v", err, res.Issues)
	}
	// A stream longer than its header said is cut at the cap too.
	err = NewRPM(t.TempDir()).readErr(io.MultiReader(strings.NewReader("x"), zeros{}))
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("err %v", err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func (a RPM) readErr(r io.Reader) error { _, _, err := a.read(r); return err }

func TestRPMWants(t *testing.T) {
	a := NewRPM("")
	for p, want := range map[string]bool{
		"var/lib/rpm/Packages": true, "usr/lib/sysimage/rpm/rpmdb.sqlite": true, "usr/lib/sysimage/rpm/Packages.db": true,
		"var/lib/rpm/Name": false, "var/lib/rpm/rpmdb.sqlite-wal": false, "x/var/lib/rpm/Packages": false,
	} {
		if got := a.WantsStream(p, 1000, 0o644, nil); got != want {
			t.Errorf("WantsStream(%s) = %v", p, got)
		}
	}
	if a.WantsStream("var/lib/rpm/Packages", 1000, os.ModeSymlink, nil) {
		t.Error("wants a symlink")
	}
	res := types.LayerResult{}
	if err := a.AnalyzeStream("var/lib/rpm/Packages", 10, strings.NewReader("0123456789"), &res); err == nil {
		t.Error("no error without a temp dir")
	}
}

// TestRPMDigestMatchesOracle checks each package's Digest, md5:<SIGMD5>
// as Trivy reports it, against SIGMD5 as Debian's rpm prints it
// (testdata/rpm/README), for the formats that rpm reads.
func TestRPMDigestMatchesOracle(t *testing.T) {
	for _, fx := range []struct{ gz, dbFile, golden string }{
		{"bdb-libuuid.Packages.gz", "var/lib/rpm/Packages", "bdb-libuuid.sigmd5"},
		{"sqlite-cbl-mariner-2.0.rpmdb.sqlite.gz", "var/lib/rpm/rpmdb.sqlite", "sqlite-cbl-mariner-2.0.sigmd5"},
	} {
		t.Run(fx.golden, func(t *testing.T) {
			db := gunzipFixture(t, fx.gz)
			res := types.LayerResult{}
			if err := NewRPM(t.TempDir()).AnalyzeStream(fx.dbFile, int64(len(db)), bytes.NewReader(db), &res); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range res.PackageDBs[0].Packages {
				sum, ok := strings.CutPrefix(p.Digest, "md5:")
				if !ok || len(sum) != 32 {
					t.Errorf("%s: digest %q", p.ID, p.Digest)
				}
				got = append(got, p.Name+"-"+p.Version+"-"+p.Release+"."+p.Arch+"\t"+sum)
			}
			slices.Sort(got)
			want := readGolden(t, fx.golden)
			if !slices.Equal(got, want) {
				t.Errorf("got %d digests, oracle %d; first difference:", len(got), len(want))
				for i := range min(len(got), len(want)) {
					if got[i] != want[i] {
						t.Errorf(" got %q\nwant %q", got[i], want[i])
						break
					}
				}
			}
		})
	}
}
