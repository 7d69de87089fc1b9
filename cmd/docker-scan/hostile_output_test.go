package main

// Hostile cases of the output side: where -o writes, what the table makes
// of hostile field values, merge, and the OS package databases.

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/testenv"
	"github.com/docker-scan/docker-scan/engine/types"
)

// outputArchive writes a docker-save tarball of one layer per file list.
func outputArchive(t *testing.T, layers ...[]imagebuild.File) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "img.tar")
	if err := imagebuild.DockerArchiveOf(p, "hostile:1", layers...); err != nil {
		t.Fatal(err)
	}
	// The child's peak RSS as measured starts from this process's at the
	// fork (the exec keeps the high-water mark): give back what building
	// a big input took.
	debug.FreeOSMemory()
	return p
}

// outputSmallAlpine is a well-formed image: the input of the -o cases.
func outputSmallAlpine(t *testing.T) string {
	return outputArchive(t, []imagebuild.File{
		{Path: "etc/alpine-release", Body: "3.14.10\n"},
		{Path: "lib/apk/db/installed", Body: "P:musl\nV:1.2.2-r4\nA:x86_64\n\n"},
	})
}

// outputScanJSON runs a package-only JSON scan of archive and decodes the report.
func outputScanJSON(t *testing.T, archive string, extra ...string) (hostileRun, types.Report) {
	t.Helper()
	args := append([]string{"image", "--input", archive, "--scanners", "none", "--format", "json", "--cache-dir", t.TempDir()}, extra...)
	r := runHostile(t, args...)
	var rep types.Report
	if r.exit != 0 {
		t.Fatalf("exit %d: %s", r.exit, tail([]byte(r.stderr), 2000))
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("report: %v", err)
	}
	return r, rep
}

func outputPackageCount(rep types.Report) int {
	n := 0
	for _, res := range rep.Results {
		n += len(res.Packages)
	}
	return n
}

func outputHasIssue(rep types.Report, want string) bool {
	for _, is := range rep.AnalysisIssues {
		if strings.Contains(is.Reason, want) {
			return true
		}
	}
	return false
}

// outputNoTempLeft fails when dir holds anything but names.
func outputNoTempLeft(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		keep := false
		for _, n := range names {
			keep = keep || e.Name() == n
		}
		if !keep {
			t.Errorf("left behind in %s: %s", dir, e.Name())
		}
	}
}

func TestHostileOutputDevNull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the issue's case needs root: only root could replace /dev/null")
	}
	r := runHostile(t, "image", "--input", outputSmallAlpine(t), "--scanners", "none", "-o", os.DevNull, "--cache-dir", t.TempDir())
	if r.exit != 0 {
		t.Fatalf("exit %d: %s", r.exit, r.stderr)
	}
	fi, err := os.Stat(os.DevNull)
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("/dev/null is now %v (%v)", fi.Mode(), err)
	}
	if left, _ := filepath.Glob("/dev/.null.*"); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}

func TestHostileOutputFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "report.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			got <- err.Error()
			return
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		got <- string(b)
	}()
	r := runHostile(t, "image", "--input", outputSmallAlpine(t), "--scanners", "none", "--format", "json", "-o", fifo, "--cache-dir", t.TempDir())
	if r.exit != 0 {
		t.Fatalf("exit %d: %s", r.exit, r.stderr)
	}
	if s := <-got; !strings.Contains(s, `"musl@1.2.2-r4"`) {
		t.Errorf("the reader got %.200q", s)
	}
	if fi, _ := os.Lstat(fifo); fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced by a %v", fi.Mode())
	}
	outputNoTempLeft(t, dir, "report.fifo")
}

func TestHostileOutputFIFOWithoutReaderTimesOut(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "report.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	r := runHostile(t, "image", "--input", outputSmallAlpine(t), "--scanners", "none", "-o", fifo, "--timeout", "3s", "-q", "--cache-dir", t.TempDir())
	r.oneErrorLine(t, "timed out")
}

func TestHostileOutputSymlink(t *testing.T) {
	dir := t.TempDir()
	target, link := filepath.Join(dir, "real.json"), filepath.Join(dir, "link.json")
	if err := os.WriteFile(target, []byte("old"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real.json", link); err != nil {
		t.Fatal(err)
	}
	r := runHostile(t, "image", "--input", outputSmallAlpine(t), "--scanners", "none", "--format", "json", "-o", link, "--cache-dir", t.TempDir())
	if r.exit != 0 {
		t.Fatalf("exit %d: %s", r.exit, r.stderr)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 {
		t.Error("the symlink was replaced")
	}
	b, _ := os.ReadFile(target)
	if !strings.Contains(string(b), "musl") {
		t.Errorf("the target holds %.100q", b)
	}
	if fi, _ := os.Stat(target); fi.Mode().Perm() != 0o640 {
		t.Errorf("the target's mode is now %v", fi.Mode().Perm())
	}
	outputNoTempLeft(t, dir, "real.json", "link.json")
}

func TestHostileOutputHardlink(t *testing.T) {
	dir := t.TempDir()
	precious, out := filepath.Join(dir, "precious"), filepath.Join(dir, "report.json")
	if err := os.WriteFile(precious, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(precious, out); err != nil {
		t.Fatal(err)
	}
	r := runHostile(t, "image", "--input", outputSmallAlpine(t), "--scanners", "none", "--format", "json", "-o", out, "--cache-dir", t.TempDir())
	if r.exit != 0 {
		t.Fatalf("exit %d: %s", r.exit, r.stderr)
	}
	if b, _ := os.ReadFile(precious); string(b) != "keep me" {
		t.Errorf("the other link now holds %.100q", b)
	}
	if b, _ := os.ReadFile(out); !strings.Contains(string(b), "musl") {
		t.Errorf("the output holds %.100q", b)
	}
	outputNoTempLeft(t, dir, "precious", "report.json")
}

func TestHostileOutputMissingDirectory(t *testing.T) {
	out := filepath.Join(t.TempDir(), "no", "such", "report.json")
	// The input is missing too: the output is checked first, before any
	// scanning.
	r := runHostile(t, "image", "--input", filepath.Join(t.TempDir(), "nope.tar"), "-o", out, "--cache-dir", t.TempDir())
	r.oneErrorLine(t, "does not exist")
	if !strings.Contains(r.stderr, "output") {
		t.Errorf("the error does not say it is the output: %s", r.stderr)
	}
}

func TestHostileOutputNoTempAfterFailure(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "report.json")
	if err := os.WriteFile(out, []byte("previous report"), 0o644); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(t.TempDir(), "garbage.tar")
	if err := os.WriteFile(garbage, []byte(strings.Repeat("not a tar ", 1000)), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runHostile(t, "image", "--input", garbage, "-o", out, "--cache-dir", t.TempDir())
	if r.exit == 0 {
		t.Fatal("a garbage input was scanned")
	}
	r = runHostile(t, "image", "--input", outputSmallAlpine(t), "--scanners", "none", "-o", out, "--timeout", "1ms", "-q", "--cache-dir", t.TempDir())
	r.oneErrorLine(t, "timed out")
	if b, _ := os.ReadFile(out); string(b) != "previous report" {
		t.Errorf("a failed scan changed the report: %.100q", b)
	}
	outputNoTempLeft(t, dir, "report.json")
}

// outputHostileDB is a DB fixture with n advisories for the apk package "evil",
// one of them with a 10 MB title.
func outputHostileDB(t *testing.T, n int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("data-sources:\n  alpine 3.14: {ID: alpine, Name: Alpine Secdb, URL: https://secdb.alpinelinux.org/}\nadvisories:\n  alpine 3.14:\n    evil:\n")
	for i := range n {
		fmt.Fprintf(&b, "      CVE-2099-%05d: {FixedVersion: 2.0-r0}\n", i)
	}
	b.WriteString("vulnerabilities:\n  CVE-2099-00000:\n    Title: \"" + strings.Repeat("long title ", 1<<20) + "\"\n    VendorSeverity: {nvd: HIGH}\n")
	p := filepath.Join(t.TempDir(), "hostile.yaml")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return fixtureCache(t, p)
}

func TestHostileOutputTableLongCells(t *testing.T) {
	// A 900 KB package name (its origin is "evil", which the DB knows) and
	// a 900 KB version on 200 advisories each, one with a 10 MB title.
	long := strings.Repeat("x", 900<<10)
	apk := "P:" + long + "\nV:1.0-r0\no:evil\nA:x86_64\n\nP:evil\nV:1.0-r0\nA:x86_64\n\nP:other\nV:1.0-r" + long + "\nA:x86_64\n\n"
	archive := outputArchive(t, []imagebuild.File{
		{Path: "etc/alpine-release", Body: "3.14.10\n"},
		{Path: "lib/apk/db/installed", Body: apk},
	})
	cache := outputHostileDB(t, 200)
	r := runHostile(t, "image", "--input", archive, "--format", "table", "--offline-scan", "--skip-db-update", "--cache-dir", cache)
	if r.exit != 0 {
		t.Fatalf("exit %d: %s", r.exit, tail([]byte(r.stderr), 2000))
	}
	if n := strings.Count(r.stdout, "CVE-2099-"); n < 400 {
		t.Errorf("%d rows, want 400", n)
	}
	if len(r.stdout) > 4<<20 {
		t.Errorf("table of %d MB", len(r.stdout)>>20)
	}
	for _, l := range strings.Split(r.stdout, "\n") {
		if len(l) > 4<<10 {
			t.Fatalf("a line of %d bytes", len(l))
		}
	}
	// The package table too, with the 900 KB version.
	r = runHostile(t, "image", "--input", archive, "--format", "table", "--scanners", "none", "--cache-dir", t.TempDir())
	if r.exit != 0 || len(r.stdout) > 1<<20 || !strings.Contains(r.stdout, "│ other") {
		t.Errorf("package table: exit %d, %d bytes", r.exit, len(r.stdout))
	}
}

func TestHostileOutputTableEscapes(t *testing.T) {
	archive := outputArchive(t, []imagebuild.File{
		{Path: "etc/alpine-release", Body: "3.14.10\n"},
		{Path: "lib/apk/db/installed", Body: "P:evil\x1b[2J\x1b]0;pwned\a\rname\nV:1.0-r0\nA:x86_64\n\n"},
	})
	r := runHostile(t, "image", "--input", archive, "--scanners", "none", "--cache-dir", t.TempDir())
	if r.exit != 0 {
		t.Fatalf("exit %d: %s", r.exit, r.stderr)
	}
	if strings.ContainsAny(r.stdout, "\x1b\r\a") {
		t.Errorf("control characters reached the terminal: %q", r.stdout)
	}
	if !strings.Contains(r.stdout, `evil\x1b[2J`) {
		t.Errorf("the name is not shown escaped:\n%s", r.stdout)
	}
}

func TestHostileOutputMergeBomb(t *testing.T) {
	const n = 20000
	var status strings.Builder
	base := []imagebuild.File{{Path: "etc/debian_version", Body: "12.5\n"}}
	for i := range n {
		fmt.Fprintf(&status, "Package: p%d\nStatus: install ok installed\nVersion: 1.0\nArchitecture: amd64\n\n", i)
		base = append(base, imagebuild.File{Path: fmt.Sprintf("var/lib/dpkg/info/p%d.md5sums", i), Body: fmt.Sprintf("d41d8cd98f00b204e9800998ecf8427e  usr/share/p%d\n", i)})
	}
	base = append(base, imagebuild.File{Path: "var/lib/dpkg/status", Body: status.String()})
	var top []imagebuild.File
	for i := range n {
		top = append(top, imagebuild.File{Path: fmt.Sprintf("tmp/d%d/.wh.f", i)}, imagebuild.File{Path: fmt.Sprintf("opt/o%d/.wh..wh..opq", i)})
	}
	// And one whiteout that does hide something: a package's file list.
	top = append(top, imagebuild.File{Path: "var/lib/dpkg/info/.wh.p0.md5sums"})
	r, rep := outputScanJSON(t, outputArchive(t, base, top))
	if got := outputPackageCount(rep); got != n {
		t.Errorf("%d packages, want %d", got, n)
	}
	t.Logf("merge bomb: %v, %d MB", r.wall, r.maxRSS>>20)
}

func TestHostileOutputMillionPackageDpkg(t *testing.T) {
	testenv.Slow(t, "a dpkg database of a million packages")
	var status strings.Builder
	for i := range 1_000_000 {
		fmt.Fprintf(&status, "Package: p%d\nStatus: install ok installed\nVersion: 1\n\n", i)
	}
	archive := outputArchive(t, []imagebuild.File{
		{Path: "etc/debian_version", Body: "12.5\n"},
		{Path: "var/lib/dpkg/status", Body: status.String()},
	})
	_, rep := outputScanJSON(t, archive)
	if got := outputPackageCount(rep); got == 0 || got > 100_000 {
		t.Errorf("%d packages", got)
	}
	if !outputHasIssue(rep, "packages past the first") {
		t.Errorf("no issue says packages were left out: %+v", rep.AnalysisIssues)
	}
}

func TestHostileOutputOversizeApkDB(t *testing.T) {
	const record = "P:a\nV:1.0-r0\nA:x86_64\n\n"
	db := strings.Repeat(record, (65<<20)/len(record)+1)
	archive := outputArchive(t, []imagebuild.File{
		{Path: "etc/alpine-release", Body: "3.14.10\n"},
		{Path: "lib/apk/db/installed", Body: db},
	})
	_, rep := outputScanJSON(t, archive)
	if !outputHasIssue(rep, "over the limit") {
		t.Errorf("a %d MB apk DB was left out without an issue: %+v", len(db)>>20, rep.AnalysisIssues)
	}
}

func TestHostileOutputApkLongLine(t *testing.T) {
	db := "P:musl\nV:1.2.2-r4\nA:x86_64\n\nP:evil\nV:1.0-r0\nL:" + strings.Repeat("MIT ", 512<<10) + "\n\nP:zlib\nV:1.2.11-r3\nA:x86_64\n\n"
	archive := outputArchive(t, []imagebuild.File{
		{Path: "etc/alpine-release", Body: "3.14.10\n"},
		{Path: "lib/apk/db/installed", Body: db},
	})
	_, rep := outputScanJSON(t, archive)
	if got := outputPackageCount(rep); got != 2 {
		t.Errorf("%d packages, want musl and zlib", got)
	}
	if !outputHasIssue(rep, "line over") {
		t.Errorf("no issue for the long line: %+v", rep.AnalysisIssues)
	}
}

func TestHostileOutputInterruptLeavesNoTemp(t *testing.T) {
	// A scan that takes seconds (a 1M-package status file), interrupted
	// while its report is due in dir.
	var status strings.Builder
	for i := range 1_000_000 {
		fmt.Fprintf(&status, "Package: p%d\nStatus: install ok installed\nVersion: 1\n\n", i)
	}
	archive := outputArchive(t, []imagebuild.File{{Path: "var/lib/dpkg/status", Body: status.String()}})
	dir := t.TempDir()
	cmd := exec.Command(pluginBin, "image", "--input", archive, "--scanners", "none", "-q", "-o", filepath.Join(dir, "report.json"), "--cache-dir", t.TempDir())
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	cmd.Process.Signal(os.Interrupt)
	start := time.Now()
	err := cmd.Wait()
	if time.Since(start) > 6*time.Second {
		t.Errorf("took %v to stop after Ctrl-C", time.Since(start))
	}
	if err == nil {
		t.Skip("the scan finished before the interrupt")
	}
	if !strings.Contains(stderr.String(), "interrupted") || strings.Count(strings.TrimSpace(stderr.String()), "\n") > 0 {
		t.Errorf("stderr: %s", stderr.String())
	}
	outputNoTempLeft(t, dir)
}
