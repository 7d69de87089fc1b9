package db_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker-scan/docker-scan/engine/db"
	"github.com/docker-scan/docker-scan/engine/db/dbtest"
)

var t0 = time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)

// publish builds a small DB whose musl advisory names marker, and pushes
// it to repo.
func publish(t *testing.T, reg *dbtest.Registry, repo, marker string, updatedAt time.Time, version int) string {
	t.Helper()
	dir := t.TempDir()
	fixture := filepath.Join(dir, "f.yaml")
	os.WriteFile(fixture, []byte(`
data-sources:
  alpine 3.20: {ID: alpine, Name: Alpine Secdb}
advisories:
  alpine 3.20:
    musl:
      `+marker+`: {FixedVersion: 1.2.5-r1}
vulnerabilities:
  `+marker+`: {Title: marker}
`), 0o644)
	meta := db.Metadata{Version: version, UpdatedAt: updatedAt, NextUpdate: updatedAt.Add(24 * time.Hour)}
	out := filepath.Join(dir, "out")
	os.MkdirAll(out, 0o755)
	if err := db.BuildFixtureDB(out, meta, fixture); err != nil {
		t.Fatal(err)
	}
	archive, err := dbtest.Archive(out)
	if err != nil {
		t.Fatal(err)
	}
	digest, err := dbtest.Push(reg.Host+"/"+repo, archive)
	if err != nil {
		t.Fatal(err)
	}
	return digest
}

// installed returns the advisory ID of the installed DB, or "" when none opens.
func installed(t *testing.T, dir string) string {
	t.Helper()
	d, err := db.Open(filepath.Join(dir, db.DBFile))
	if err != nil {
		return ""
	}
	defer d.Close()
	advs, err := d.Advisories("alpine 3.20", "musl")
	if err != nil || len(advs) != 1 {
		t.Fatalf("advisories: %v %v", advs, err)
	}
	if advs[0].DataSource == nil || advs[0].DataSource.ID != "alpine" {
		t.Errorf("data source not filled from the data-source bucket: %+v", advs[0].DataSource)
	}
	return advs[0].VulnerabilityID
}

func noTempFiles(t *testing.T, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != db.DBFile && e.Name() != db.MetadataFile && e.Name() != ".lock" {
			t.Errorf("left behind in the DB dir: %s", e.Name())
		}
	}
}

func TestDownloadAndUpdatePolicy(t *testing.T) {
	reg := dbtest.NewRegistry()
	defer reg.Close()
	publish(t, reg, "aquasec/trivy-db:2", "CVE-2026-0001", t0, 2)

	now := t0.Add(time.Hour)
	u := &db.Updater{Dir: t.TempDir(), Repositories: []string{reg.Host + "/aquasec/trivy-db:2"}, Now: func() time.Time { return now }}
	ctx := context.Background()

	if err := u.Ensure(ctx, true); err == nil || !strings.Contains(err.Error(), "docker scan db import") {
		t.Fatalf("--skip-db-update without a DB: %v", err)
	}
	if err := u.Ensure(ctx, false); err != nil {
		t.Fatal(err)
	}
	if got := installed(t, u.Dir); got != "CVE-2026-0001" {
		t.Fatalf("installed %q", got)
	}
	m, err := db.ReadMetadata(u.Dir)
	if err != nil || !m.DownloadedAt.Equal(now) || !m.UpdatedAt.Equal(t0) {
		t.Fatalf("metadata %+v, %v", m, err)
	}

	// A newer DB is published, but ours is not due yet: no download.
	publish(t, reg, "aquasec/trivy-db:2", "CVE-2026-0002", t0.Add(12*time.Hour), 2)
	gets := reg.BlobGets()
	now = t0.Add(20 * time.Hour)
	if err := u.Ensure(ctx, false); err != nil {
		t.Fatal(err)
	}
	if reg.BlobGets() != gets || installed(t, u.Dir) != "CVE-2026-0001" {
		t.Fatal("downloaded before NextUpdate")
	}

	// Past NextUpdate: downloaded again.
	now = t0.Add(25 * time.Hour)
	if err := u.Ensure(ctx, false); err != nil {
		t.Fatal(err)
	}
	if got := installed(t, u.Dir); got != "CVE-2026-0002" {
		t.Fatalf("after NextUpdate installed %q", got)
	}
	noTempFiles(t, u.Dir)
}

func TestFallbackOnRateLimit(t *testing.T) {
	reg := dbtest.NewRegistry()
	defer reg.Close()
	publish(t, reg, "aquasec/trivy-db:2", "CVE-2026-0001", t0, 2)
	publish(t, reg, "aquasecurity/trivy-db:2", "CVE-2026-0003", t0, 2)
	reg.RateLimit("aquasec/trivy-db")

	u := &db.Updater{Dir: t.TempDir(), Repositories: []string{reg.Host + "/aquasec/trivy-db:2", reg.Host + "/aquasecurity/trivy-db:2"}, Now: func() time.Time { return t0 }}
	start := time.Now()
	if err := u.Ensure(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	if got := installed(t, u.Dir); got != "CVE-2026-0003" {
		t.Fatalf("installed %q, want the second repository's DB", got)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("falling back took %s: a 429 must not be retried", d)
	}
}

func TestTruncatedDownloadKeepsOldDB(t *testing.T) {
	reg := dbtest.NewRegistry()
	defer reg.Close()
	publish(t, reg, "aquasec/trivy-db:2", "CVE-2026-0001", t0, 2)
	now := t0
	u := &db.Updater{Dir: t.TempDir(), Repositories: []string{reg.Host + "/aquasec/trivy-db:2"}, Now: func() time.Time { return now }}
	if err := u.Ensure(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	reg.Truncate(publish(t, reg, "aquasec/trivy-db:2", "CVE-2026-0002", t0.Add(24*time.Hour), 2))
	now = t0.Add(48 * time.Hour)
	err := u.Update(context.Background(), false)
	if err == nil || strings.Contains(err.Error(), "\n") {
		t.Fatalf("a truncated download must fail with one line: %v", err)
	}
	if got := installed(t, u.Dir); got != "CVE-2026-0001" {
		t.Fatalf("the old DB was not kept: %q", got)
	}
	m, _ := db.ReadMetadata(u.Dir)
	if !m.UpdatedAt.Equal(t0) {
		t.Errorf("metadata changed: %+v", m)
	}
	noTempFiles(t, u.Dir)
	// A scan (Ensure) goes on with the old DB.
	if err := u.Ensure(context.Background(), false); err != nil {
		t.Fatalf("a scan must keep using the old DB: %v", err)
	}
}

func TestTruncatedFirstDownloadFails(t *testing.T) {
	reg := dbtest.NewRegistry()
	defer reg.Close()
	reg.Truncate(publish(t, reg, "aquasec/trivy-db:2", "CVE-2026-0001", t0, 2))
	u := &db.Updater{Dir: t.TempDir(), Repositories: []string{reg.Host + "/aquasec/trivy-db:2"}}
	err := u.Ensure(context.Background(), false)
	if err == nil || !strings.Contains(err.Error(), "docker scan db import") {
		t.Fatalf("error must say what to do: %v", err)
	}
	if _, err := os.Stat(filepath.Join(u.Dir, db.DBFile)); err == nil {
		t.Fatal("a half-downloaded DB was installed")
	}
	noTempFiles(t, u.Dir)
}

func TestConcurrentScansShareOneDownload(t *testing.T) {
	reg := dbtest.NewRegistry()
	defer reg.Close()
	publish(t, reg, "aquasec/trivy-db:2", "CVE-2026-0001", t0, 2)
	dir := t.TempDir()
	before := reg.BlobGets()
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u := &db.Updater{Dir: dir, Repositories: []string{reg.Host + "/aquasec/trivy-db:2"}, Now: func() time.Time { return t0 }}
			errs[i] = u.Ensure(context.Background(), false)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// One download: the layer blob, once.
	if got := reg.BlobGets() - before; got != 1 {
		t.Errorf("%d blob downloads for 4 concurrent scans, want 1", got)
	}
	if installed(t, dir) != "CVE-2026-0001" {
		t.Fatal("no DB")
	}
}

func TestRejectsWrongArtifacts(t *testing.T) {
	reg := dbtest.NewRegistry()
	defer reg.Close()
	publish(t, reg, "old/trivy-db:1", "CVE-2026-0001", t0, 1)
	u := &db.Updater{Dir: t.TempDir(), Repositories: []string{reg.Host + "/old/trivy-db:1", reg.Host + "/missing/db:2"}}
	err := u.Ensure(context.Background(), false)
	if err == nil || !strings.Contains(err.Error(), "schema version 1") || !strings.Contains(err.Error(), "missing/db:2") {
		t.Fatalf("error must name each repository and why: %v", err)
	}
	noTempFiles(t, u.Dir)
}

func TestImport(t *testing.T) {
	src := t.TempDir()
	fixture := filepath.Join(src, "f.yaml")
	os.WriteFile(fixture, []byte("advisories:\n  alpine 3.20:\n    musl:\n      CVE-2026-0009: {}\ndata-sources:\n  alpine 3.20: {ID: alpine}\n"), 0o644)
	if err := db.BuildFixtureDB(src, db.Metadata{Version: 2, UpdatedAt: t0, NextUpdate: t0.Add(24 * time.Hour)}, fixture); err != nil {
		t.Fatal(err)
	}
	archive, err := dbtest.Archive(src)
	if err != nil {
		t.Fatal(err)
	}
	tgz := filepath.Join(t.TempDir(), "db.tar.gz")
	os.WriteFile(tgz, archive, 0o644)

	for name, file := range map[string]string{"tar.gz": tgz, "bolt file": filepath.Join(src, db.DBFile)} {
		u := &db.Updater{Dir: t.TempDir()}
		if err := u.Import(context.Background(), file); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := installed(t, u.Dir); got != "CVE-2026-0009" {
			t.Errorf("%s: installed %q", name, got)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.db")
	os.WriteFile(bad, []byte("not a bolt file at all, but long enough to be read"), 0o644)
	os.WriteFile(filepath.Join(filepath.Dir(bad), db.MetadataFile), []byte(`{"Version":2}`), 0o644)
	u := &db.Updater{Dir: t.TempDir()}
	if err := u.Import(context.Background(), bad); err == nil {
		t.Fatal("a file that is not a DB was imported")
	}
	noTempFiles(t, u.Dir)
}
