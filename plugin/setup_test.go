package plugin

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/iox"
)

func TestImplicitConfigFileIsAnnounced(t *testing.T) {
	archive := demoArchive(t)
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile("docker-scan.yaml", []byte("skip-files: [\"**\"]\nscanners: [none]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, err := run(t, "image", "--input", archive, "--cache-dir", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	want := "applied config file " + filepath.Join(dir, "docker-scan.yaml")
	if strings.Count(stderr, "applied config file") != 1 || !strings.Contains(stderr, want) || !strings.Contains(stderr, "skip-files") || !strings.Contains(stderr, "scanners") {
		t.Errorf("stderr lacks one line saying %q with the keys it set:\n%s", want, stderr)
	}
	// Named on the command line, the file is no surprise.
	_, stderr, err = run(t, "image", "--input", archive, "--cache-dir", t.TempDir(), "--config", "docker-scan.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stderr, "applied config file") {
		t.Errorf("an explicit --config announced:\n%s", stderr)
	}
}

func TestOutputDirCheckedBeforeTheScan(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope", "report.json")
	// The input does not exist either: the output is checked first, so a
	// long scan never ends in "cannot write the report".
	_, _, err := run(t, "image", "--input", filepath.Join(t.TempDir(), "nope.tar"), "--output", missing, "--cache-dir", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "does not exist") || !strings.Contains(err.Error(), "output") {
		t.Fatalf("err = %v, want the output directory named", err)
	}
}

// orphan makes a temp file as a run killed before its cleanup leaves it:
// present, unlocked.
func orphan(t *testing.T, dir, name string, size int) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, make([]byte, size), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestScanAndCleanRemoveOrphans(t *testing.T) {
	archive := demoArchive(t)
	cache := t.TempDir()
	tmp := filepath.Join(cache, "tmp")
	dead := orphan(t, tmp, "input-123.tar", 1000)
	other := orphan(t, tmp, "notes.txt", 10)
	live, err := iox.CreateTemp(tmp, "export-*.tar")
	if err != nil {
		t.Fatal(err)
	}
	defer live.Remove()
	_, stderr, err := run(t, "image", "--scanners", "none", "--input", archive, "--cache-dir", cache)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dead); err == nil {
		t.Error("a killed run's temp file survived a scan")
	}
	if !strings.Contains(stderr, "removed temp files") || !strings.Contains(stderr, "1000") {
		t.Errorf("freed bytes not logged:\n%s", stderr)
	}
	for _, p := range []string{other, live.Name()} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s removed: %v", p, err)
		}
	}

	dead = orphan(t, tmp, "containerd-export-9.tar", 10)
	orphan(t, filepath.Join(cache, "db"), "trivy.db.download-1", 10)
	out, _, err := run(t, "clean", "--all", "--cache-dir", cache)
	if err != nil {
		t.Fatalf("clean: %q %v", out, err)
	}
	if _, err := os.Stat(dead); err == nil {
		t.Error("clean --all left a killed run's temp file")
	}
	if _, err := os.Stat(live.Name()); err != nil {
		t.Errorf("clean --all removed a live run's temp file: %v", err)
	}
}
