package ospkg

import (
	"fmt"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
)

func analyzeDB(t *testing.T, a interface {
	Wants(string, int64) bool
	Analyze(string, []byte, *types.LayerResult) error
}, filePath string, content []byte) *types.LayerResult {
	t.Helper()
	if !a.Wants(filePath, int64(len(content))) {
		t.Fatalf("%s of %d bytes not wanted: it could not be reported", filePath, len(content))
	}
	res := &types.LayerResult{DiffID: "sha256:l"}
	if err := a.Analyze(filePath, content, res); err != nil {
		t.Fatalf("analyze: %v", err)
	}
	return res
}

func names(res *types.LayerResult) []string {
	var out []string
	for _, db := range res.PackageDBs {
		for _, p := range db.Packages {
			out = append(out, p.Name)
		}
	}
	return out
}

func oneIssue(t *testing.T, res *types.LayerResult, want string) {
	t.Helper()
	if len(res.Issues) != 1 || !strings.Contains(res.Issues[0].Reason, want) || res.Issues[0].FilePath == "" || res.Issues[0].Layer != "sha256:l" {
		t.Fatalf("issues = %+v, want one about %q", res.Issues, want)
	}
}

func TestApkLongLineSkipsTheRecord(t *testing.T) {
	db := "P:musl\nV:1.2.5-r0\n\nP:evil\nV:" + strings.Repeat("9", 2<<20) + "\n\nP:zlib\nV:1.3.1-r0\n"
	res := analyzeDB(t, Apk{}, ApkDB, []byte(db))
	if got := names(res); fmt.Sprint(got) != "[musl zlib]" {
		t.Errorf("packages = %v", got)
	}
	oneIssue(t, res, "line over 1048576 bytes")
}

func TestDpkgLongLineSkipsTheStanza(t *testing.T) {
	db := "Package: bash\nStatus: install ok installed\nVersion: 5.2-1\n\n" +
		"Package: evil\nStatus: install ok installed\nDescription: x\n " + strings.Repeat("y", 5<<20) + "\nVersion: 1\n\n" +
		"Package: zlib1g\nStatus: install ok installed\nVersion: 1:1.2.13\n"
	res := analyzeDB(t, Dpkg{}, DpkgStatus, []byte(db))
	if got := names(res); fmt.Sprint(got) != "[bash zlib1g]" {
		t.Errorf("packages = %v", got)
	}
	oneIssue(t, res, "line over 4194304 bytes")
}

func TestOversizeDBIsReported(t *testing.T) {
	big := []byte(strings.Repeat("P:a\nV:1\n\n", maxDBSize/9+1))
	for _, c := range []struct {
		a interface {
			Wants(string, int64) bool
			Analyze(string, []byte, *types.LayerResult) error
		}
		path string
	}{{Apk{}, ApkDB}, {Dpkg{}, DpkgStatus}} {
		res := analyzeDB(t, c.a, c.path, big)
		if len(res.PackageDBs) != 0 {
			t.Errorf("%s: an oversize DB was parsed", c.path)
		}
		oneIssue(t, res, "over the limit")
	}
}

func TestPackageLimit(t *testing.T) {
	var b strings.Builder
	for i := range maxPackagesPerDB + 10 {
		fmt.Fprintf(&b, "Package: p%d\nStatus: install ok installed\nVersion: 1\n\n", i)
	}
	res := analyzeDB(t, Dpkg{}, DpkgStatus, []byte(b.String()))
	if n := len(names(res)); n != maxPackagesPerDB {
		t.Errorf("%d packages, want the limit %d", n, maxPackagesPerDB)
	}
	oneIssue(t, res, "packages past the first")

	b.Reset()
	for i := range maxPackagesPerDB + 10 {
		fmt.Fprintf(&b, "P:p%d\nV:1\n\n", i)
	}
	res = analyzeDB(t, Apk{}, ApkDB, []byte(b.String()))
	if n := len(names(res)); n != maxPackagesPerDB {
		t.Errorf("apk: %d packages, want the limit %d", n, maxPackagesPerDB)
	}
	oneIssue(t, res, "packages past the first")
}

func TestApkLastRecordWithoutBlankLine(t *testing.T) {
	pkgs, err := ParseApk([]byte("P:a\nV:1\n\nP:b\nV:2"))
	if err != nil || len(pkgs) != 2 {
		t.Fatalf("pkgs %v err %v", pkgs, err)
	}
}

func TestDpkgFactsLongPathAndOversize(t *testing.T) {
	sum := "d41d8cd98f00b204e9800998ecf8427e  "
	md5sums := sum + "usr/bin/y\n" + sum + strings.Repeat("d/", 3000) + "f\n" + sum + "usr/bin/x\n"
	res := analyzeDB(t, DpkgFacts{}, "var/lib/dpkg/info/x.md5sums", []byte(md5sums))
	if f := res.PackageFacts[0].InstalledFiles; fmt.Sprint(f) != "[usr/bin/x usr/bin/y]" {
		t.Errorf("files = %v", f)
	}
	oneIssue(t, res, "paths over 4096 bytes")

	res = analyzeDB(t, DpkgFacts{}, "var/lib/dpkg/info/x.md5sums", make([]byte, maxFactsFileSize+1))
	if len(res.PackageFacts) != 0 {
		t.Error("oversize .md5sums read")
	}
	oneIssue(t, res, "over the limit")
}

// BenchmarkDpkgMillionPackages is the issue's 1M-package status file
// (56 MB): the limit keeps what it costs to the first packages.
func BenchmarkDpkgMillionPackages(b *testing.B) {
	var sb strings.Builder
	for i := range 1_000_000 {
		fmt.Fprintf(&sb, "Package: p%d\nStatus: install ok installed\nVersion: 1\n\n", i)
	}
	content := []byte(sb.String())
	b.SetBytes(int64(len(content)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		res := &types.LayerResult{}
		if err := (Dpkg{}).Analyze(DpkgStatus, content, res); err != nil {
			b.Fatal(err)
		}
	}
}
