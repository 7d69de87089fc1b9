package main

// Hostile inputs of the vulnerability DB, the layer cache, and the binary
// and archive parsers: each case is built by a generator (here, in
// engine/analyze/lang/hostilebin or in engine/db/dbtest) and run through
// the real binary with runHostile.

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/docker-scan/docker-scan/engine/analyze/lang/hostilebin"
	"github.com/docker-scan/docker-scan/engine/db/dbtest"
	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/testenv"
)

// h3Image writes a docker save archive of one layer holding files.
func h3Image(t *testing.T, files ...imagebuild.File) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "image.tar")
	if err := imagebuild.DockerArchiveOf(p, "hostile:1", files); err != nil {
		t.Fatal(err)
	}
	return p
}

// h3Cache is a cache dir with the fixture DBs installed.
func h3Cache(t *testing.T) string {
	t.Helper()
	return fixtureCache(t, "../../testdata/db/alpine-3.14.yaml", "../../testdata/db/debian-12.yaml", "../../testdata/db/languages.yaml")
}

// h3Issues returns the report's analysis issues, one line each.
func h3Issues(t *testing.T, r hostileRun) string {
	t.Helper()
	rep := parseReport(t, r.stdout)
	var lines []string
	for _, is := range rep.AnalysisIssues {
		lines = append(lines, is.FilePath+": "+is.Reason)
	}
	return strings.Join(lines, "\n")
}

func TestHostileDBGoPointerOverflow(t *testing.T) {
	img := h3Image(t, imagebuild.File{Path: "usr/bin/app", Body: string(hostilebin.GoPointerOverflowELF()), Mode: 0o755})
	if fi, _ := os.Stat(img); fi.Size() > 64<<10 {
		t.Fatalf("the image is %d bytes", fi.Size())
	}
	r := runHostile(t, "image", "--input", img, "--format", "json", "--offline-scan", "--cache-dir", h3Cache(t))
	if r.exit != 0 {
		t.Fatalf("exit %d: %s", r.exit, r.stderr)
	}
	parseReport(t, r.stdout)
}

func TestHostileDBRustZlibBomb(t *testing.T) {
	bomb, err := hostilebin.RustDepBomb(2700)
	if err != nil {
		t.Fatal(err)
	}
	img := h3Image(t, imagebuild.File{Path: "usr/bin/tool", Body: string(bomb), Mode: 0o755})
	r := runHostile(t, "image", "--input", img, "--format", "json", "--offline-scan", "--cache-dir", h3Cache(t))
	if r.exit != 0 {
		t.Fatalf("exit %d: %s", r.exit, r.stderr)
	}
	if got := h3Issues(t, r); !strings.Contains(got, "usr/bin/tool: cargo-auditable dependency list: it inflates to more than") {
		t.Errorf("analysis issues:\n%s", got)
	}
}

func TestHostileDBJarRepeatedEntries(t *testing.T) {
	jar, err := hostilebin.RepeatedEntryJar(50000, 64<<20)
	if err != nil {
		t.Fatal(err)
	}
	img := h3Image(t, imagebuild.File{Path: "app/app.jar", Body: string(jar), Mode: 0o644})
	r := runHostile(t, "image", "--input", img, "--format", "json", "--offline-scan", "--cache-dir", h3Cache(t))
	if r.exit != 0 {
		t.Fatalf("exit %d: %s", r.exit, r.stderr)
	}
	if got := h3Issues(t, r); !strings.Contains(got, "app/app.jar: app/app.jar: its central directory lists entries that share their bytes") {
		t.Errorf("analysis issues:\n%s", got)
	}
}

func h3Patch(b []byte, off int, with []byte) []byte {
	out := bytes.Clone(b)
	if off < len(out) {
		copy(out[off:], with)
	}
	return out
}

func h3Random(seed int64, n int) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(seed)).Read(b)
	return b
}

// h3Variants are the damaged copies of a bbolt file that were seen in the
// field: empty, truncated at several sizes, zeroed and random pages, and
// random bytes.
func h3Variants(good []byte) map[string][]byte {
	v := map[string][]byte{
		"empty":          {},
		"random":         h3Random(1, 64<<10),
		"truncated 4096": good[:4096],
		"truncated 8192": good[:8192],
		"truncated half": good[:len(good)/2/4096*4096],
		"meta zeroed":    h3Patch(good, 0, make([]byte, 8192)),
	}
	for page := 2; page*4096 < len(good); page++ {
		v[fmt.Sprintf("page %d zeroed", page)] = h3Patch(good, page*4096, make([]byte, 4096))
		v[fmt.Sprintf("page %d random", page)] = h3Patch(good, page*4096, h3Random(int64(page), 4096))
	}
	return v
}

// TestHostileDBCorruptTrivyDB: a damaged trivy.db is one clear line that
// says what to do, or (damage on a page no lookup reads) a report; never
// a crash.
func TestHostileDBCorruptTrivyDB(t *testing.T) {
	testenv.Slow(t, "scans against many damaged vulnerability DBs")
	base := h3Cache(t)
	good, err := os.ReadFile(filepath.Join(base, "db", "trivy.db"))
	if err != nil {
		t.Fatal(err)
	}
	img := alpineDemoArchive(t)
	for name, raw := range h3Variants(good) {
		t.Run(name, func(t *testing.T) {
			cache := h3Cache(t)
			if err := os.WriteFile(filepath.Join(cache, "db", "trivy.db"), raw, 0o644); err != nil {
				t.Fatal(err)
			}
			r := runHostile(t, "image", "--input", img, "--format", "json", "--quiet", "--offline-scan", "--cache-dir", cache)
			if r.exit == 0 && strings.HasPrefix(name, "page") {
				// The damage is on a page no lookup reads (a free one):
				// the report must be the undamaged DB's.
				if n := len(findings(parseReport(t, r.stdout))); n != 2 {
					t.Errorf("%d findings, want 2: a damaged page changed the report silently", n)
				}
				return
			}
			r.oneErrorLine(t, "the vulnerability DB is damaged")
			if !strings.Contains(r.stderr, "docker scan db update --force") {
				t.Errorf("the error does not say what to do: %s", r.stderr)
			}
			if name == "empty" && (strings.Contains(r.stderr, "bad file descriptor") || !strings.Contains(r.stderr, "empty")) {
				t.Errorf("empty DB: %s", r.stderr)
			}
		})
	}
}

// h3ScanCache returns a cache dir whose scan-cache.db holds the layer of
// img, and that file's bytes.
func h3ScanCache(t *testing.T, img string) (string, []byte) {
	t.Helper()
	cache := h3Cache(t)
	if r := scanCLI(t, "image", "--input", img, "--quiet", "--offline-scan", "--cache-dir", cache); r.exit != 0 {
		t.Fatalf("exit %d: %s", r.exit, r.stderr)
	}
	good, err := os.ReadFile(filepath.Join(cache, "scan-cache.db"))
	if err != nil {
		t.Fatal(err)
	}
	return cache, good
}

// TestHostileDBCorruptScanCache: a damaged scan-cache.db is a cache miss:
// the scan reports as usual, warns once, moves the file aside, and the
// next scan uses a new cache.
func TestHostileDBCorruptScanCache(t *testing.T) {
	testenv.Slow(t, "scans against many damaged scan caches")
	img := alpineDemoArchive(t)
	_, good := h3ScanCache(t, img)
	for name, raw := range h3Variants(good) {
		t.Run(name, func(t *testing.T) {
			cache, _ := h3ScanCache(t, img)
			path := filepath.Join(cache, "scan-cache.db")
			if err := os.WriteFile(path, raw, 0o600); err != nil {
				t.Fatal(err)
			}
			r := runHostile(t, "image", "--input", img, "--format", "json", "--offline-scan", "--cache-dir", cache)
			if r.exit != 0 {
				t.Fatalf("exit %d: %s", r.exit, r.stderr)
			}
			if n := len(findings(parseReport(t, r.stdout))); n != 2 {
				t.Errorf("%d findings, want 2", n)
			}
			if n := strings.Count(r.stderr, "scan cache is damaged"); n > 1 {
				t.Errorf("%d warnings about the cache, want at most one:\n%s", n, r.stderr)
			}
			again := runHostile(t, "image", "--input", img, "--format", "json", "--offline-scan", "--cache-dir", cache)
			if again.exit != 0 || strings.Contains(again.stderr, "scan cache is damaged") {
				t.Errorf("the second scan: exit %d\n%s", again.exit, again.stderr)
			}
		})
	}
}

// TestHostileDBScanCacheOverwrittenDuringScans: 8 scans at once while
// another process overwrites scan-cache.db in place (truncating it,
// writing random pages, writing it back whole): every scan reports, none
// crashes.
func TestHostileDBScanCacheOverwrittenDuringScans(t *testing.T) {
	img := alpineDemoArchive(t)
	cache, good := h3ScanCache(t, img)
	path := filepath.Join(cache, "scan-cache.db")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		r := rand.New(rand.NewSource(3))
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o600); err == nil {
				switch i % 3 {
				case 0:
					f.Truncate(int64(r.Intn(len(good))))
				case 1:
					f.WriteAt(h3Random(int64(i), 4096), int64(r.Intn(len(good))))
				case 2:
					f.WriteAt(good, 0)
				}
				f.Close()
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	runs := make([]hostileRun, 8)
	var scans sync.WaitGroup
	for i := range runs {
		scans.Add(1)
		go func() {
			defer scans.Done()
			runs[i] = runHostile(t, "image", "--input", img, "--format", "json", "--offline-scan", "--cache-dir", cache)
		}()
	}
	scans.Wait()
	close(stop)
	wg.Wait()
	for i, r := range runs {
		if r.exit != 0 {
			t.Errorf("scan %d: exit %d: %s", i, r.exit, tail([]byte(r.stderr), 2000))
			continue
		}
		if n := len(findings(parseReport(t, r.stdout))); n != 2 {
			t.Errorf("scan %d: %d findings, want 2", i, n)
		}
	}
}

// TestHostileDBImport: a truncated db.tar.gz and a bomb (2 MB that
// unpacks to 2 GiB) are refused with one line; the installed DB stays,
// and no temp file is left.
func TestHostileDBImport(t *testing.T) {
	archive := fixtureArchive(t)
	bomb, err := dbtest.BombArchive(2048)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		body []byte
		want string
	}{
		"truncated":      {archive[:len(archive)/2], "truncated"},
		"truncated tail": {archive[:len(archive)-6], "truncated"},
		"bomb":           {bomb, "larger than"},
		"empty":          {nil, "not a DB archive"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			cache := h3Cache(t)
			file := filepath.Join(t.TempDir(), "db.tar.gz")
			os.WriteFile(file, c.body, 0o644)
			r := runHostile(t, "db", "import", file, "--cache-dir", cache)
			r.oneErrorLine(t, c.want)
			h3NoTempFiles(t, filepath.Join(cache, "db"))
			if again := runHostile(t, "image", "--input", alpineDemoArchive(t), "--quiet", "--offline-scan", "--cache-dir", cache); again.exit != 0 {
				t.Errorf("the installed DB no longer works: %s", again.stderr)
			}
		})
	}
}

func h3NoTempFiles(t *testing.T, dbDir string) {
	t.Helper()
	for _, pat := range []string{"trivy.db.download-*", "trivy.db.import-*"} {
		if m, _ := filepath.Glob(filepath.Join(dbDir, pat)); len(m) != 0 {
			t.Errorf("left behind: %v", m)
		}
	}
}

// TestHostileDBImportKilled: an import killed (SIGKILL) half-way leaves
// its temp file; the next import removes it.
func TestHostileDBImportKilled(t *testing.T) {
	bomb, err := dbtest.BombArchive(2048)
	if err != nil {
		t.Fatal(err)
	}
	cache := h3Cache(t)
	dbDir := filepath.Join(cache, "db")
	file := filepath.Join(t.TempDir(), "db.tar.gz")
	os.WriteFile(file, bomb, 0o644)
	cmd := exec.Command(pluginBin, "db", "import", file, "--cache-dir", cache)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var left []string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && len(left) == 0; time.Sleep(5 * time.Millisecond) {
		left, _ = filepath.Glob(filepath.Join(dbDir, "trivy.db.import-*"))
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if len(left) == 0 {
		t.Fatal("the import made no temp file before it was killed")
	}
	if _, err := os.Stat(left[0]); err != nil {
		t.Skipf("the import finished before it was killed")
	}
	good := filepath.Join(t.TempDir(), "db.tar.gz")
	os.WriteFile(good, fixtureArchive(t), 0o644)
	if r := runHostile(t, "db", "import", good, "--cache-dir", cache); r.exit != 0 {
		t.Fatalf("exit %d: %s", r.exit, r.stderr)
	}
	h3NoTempFiles(t, dbDir)
}
