package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/docker-scan/docker-scan/engine/db/dbtest"
	"github.com/docker-scan/docker-scan/engine/imagebuild"
)

// fixtureArchive is the Alpine fixture DB packed as the published
// db.tar.gz.
func fixtureArchive(t *testing.T) []byte {
	t.Helper()
	archive, err := dbtest.Archive(filepath.Join(fixtureCache(t, "../../testdata/db/alpine-3.14.yaml"), "db"))
	if err != nil {
		t.Fatal(err)
	}
	return archive
}

// publishFixture pushes the fixture DB to the registry, as the real DB is
// published.
func publishFixture(t *testing.T, reg *dbtest.Registry, repo string) {
	t.Helper()
	if _, err := dbtest.Push(reg.Host+"/"+repo, fixtureArchive(t)); err != nil {
		t.Fatal(err)
	}
}

func alpineDemoArchive(t *testing.T) string {
	t.Helper()
	l, err := imagebuild.Layer(
		imagebuild.File{Path: "etc/alpine-release", Body: "3.14.10\n"},
		imagebuild.File{Path: "lib/apk/db/installed", Body: "P:zlib\nV:1.2.11-r3\nA:x86_64\no:zlib\n\n"},
	)
	if err != nil {
		t.Fatal(err)
	}
	img, err := imagebuild.Image("amd64", l)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "zlib.tar")
	if err := imagebuild.WriteDockerArchive(p, "zlib:old", img); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDBThroughCLI: a scan downloads the DB from --db-repository (the
// first repository rate-limited, the second serving), `db status` reports
// it, and two scan processes started at once with an empty cache share one
// download.
func TestDBThroughCLI(t *testing.T) {
	reg := dbtest.NewRegistry()
	defer reg.Close()
	publishFixture(t, reg, "aquasecurity/trivy-db:2")
	reg.RateLimit("aquasec/trivy-db")
	repos := "--db-repository=" + reg.Host + "/aquasec/trivy-db:2," + reg.Host + "/aquasecurity/trivy-db:2"
	archive := alpineDemoArchive(t)

	cache := t.TempDir()
	r := scanCLI(t, "image", "--input", archive, "--format", "json", "--cache-dir", cache, repos)
	if r.exit != 0 {
		t.Fatalf("exit %d: %s", r.exit, r.stderr)
	}
	if got := strings.Join(findings(parseReport(t, r.stdout)), "\n"); !strings.Contains(got, "zlib 1.2.11-r3 CVE-2022-37434 fixed 1.2.12-r2 CRITICAL/nvd") {
		t.Errorf("findings after download:\n%s", got)
	}
	if !strings.Contains(r.stderr, "TOOMANYREQUESTS") && !strings.Contains(r.stderr, "429") {
		t.Errorf("the rate-limited repository is not mentioned:\n%s", r.stderr)
	}
	status := scanCLI(t, "db", "status", "--cache-dir", cache)
	for _, want := range []string{"Version:       2", "NextUpdate:", filepath.Join(cache, "db", "trivy.db")} {
		if !strings.Contains(status.stdout, want) {
			t.Errorf("db status lacks %q:\n%s", want, status.stdout)
		}
	}

	// Two processes at once, empty cache: one download.
	shared := t.TempDir()
	before := reg.BlobGets()
	var wg sync.WaitGroup
	results := make([]error, 2)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(pluginBin, "image", "--input", archive, "--quiet", "--cache-dir", shared, repos)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Logf("%s", out)
			}
			results[i] = err
		}()
	}
	wg.Wait()
	for _, err := range results {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := reg.BlobGets() - before; got != 1 {
		t.Errorf("%d DB downloads for two concurrent scans, want 1", got)
	}
	if entries, _ := os.ReadDir(filepath.Join(shared, "db")); len(entries) != 3 {
		t.Errorf("DB dir holds %d entries, want trivy.db, metadata.json and the lock", len(entries))
	}
}

// TestNoNetworkMessage: with no DB and no reachable repository, the error
// says what to do, in one line.
func TestNoNetworkMessage(t *testing.T) {
	r := scanCLI(t, "image", "--input", alpineDemoArchive(t), "--cache-dir", t.TempDir(), "--db-repository", "127.0.0.1:1/nothing:2", "--quiet")
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if r.exit != 1 || len(lines) != 1 || !strings.Contains(r.stderr, "docker scan db import") || !strings.Contains(r.stderr, "--db-repository") {
		t.Errorf("exit %d, stderr:\n%s", r.exit, r.stderr)
	}
}

// TestDBImportThroughCLI installs a copied db.tar.gz, then scans offline.
func TestDBImportThroughCLI(t *testing.T) {
	archive := fixtureArchive(t)
	tgz := filepath.Join(t.TempDir(), "db.tar.gz")
	if err := os.WriteFile(tgz, archive, 0o644); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	if r := scanCLI(t, "db", "import", tgz, "--cache-dir", cache); r.exit != 0 {
		t.Fatalf("db import: exit %d: %s", r.exit, r.stderr)
	}
	r := scanCLI(t, "image", "--input", alpineDemoArchive(t), "--format", "json", "--cache-dir", cache, "--offline-scan")
	if r.exit != 0 || len(findings(parseReport(t, r.stdout))) != 2 {
		t.Fatalf("offline scan after import: exit %d, %s\n%s", r.exit, r.stderr, r.stdout)
	}
	bad := filepath.Join(t.TempDir(), "bad.tar.gz")
	os.WriteFile(bad, archive[:len(archive)/2], 0o644)
	if r := scanCLI(t, "db", "import", bad, "--cache-dir", cache); r.exit != 1 {
		t.Errorf("a truncated archive was imported: exit %d", r.exit)
	}
	if r := scanCLI(t, "image", "--input", alpineDemoArchive(t), "--format", "json", "--cache-dir", cache, "--offline-scan"); r.exit != 0 {
		t.Errorf("the truncated import broke the installed DB: %s", r.stderr)
	}
}
