package server_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docker-scan/docker-scan/engine/db"
	"github.com/docker-scan/docker-scan/engine/db/dbtest"
	"github.com/docker-scan/docker-scan/engine/server"
)

var holderT0 = time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)

// holderFixtureDir builds, in a dir of its own, a DB whose one musl
// advisory is named marker.
func holderFixtureDir(t *testing.T, marker string, updatedAt time.Time) string {
	t.Helper()
	dir := t.TempDir()
	fixture := filepath.Join(dir, "f.yaml")
	if err := os.WriteFile(fixture, []byte(`
data-sources:
  alpine 3.20: {ID: alpine, Name: Alpine Secdb}
advisories:
  alpine 3.20:
    musl:
      `+marker+`: {FixedVersion: 1.2.5-r1}
vulnerabilities:
  `+marker+`: {Title: marker}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "db")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	meta := db.Metadata{Version: db.SchemaVersion, UpdatedAt: updatedAt, NextUpdate: updatedAt.Add(24 * time.Hour)}
	if err := db.BuildFixtureDB(out, meta, fixture); err != nil {
		t.Fatal(err)
	}
	return out
}

func holderOpen(t *testing.T, dir string) *db.DB {
	t.Helper()
	d, err := db.Open(filepath.Join(dir, db.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// holderMarker is the one advisory of a fixture DB, or an error when the
// DB cannot be read (closed, for one).
func holderMarker(d *db.DB) (string, error) {
	advs, err := d.Advisories("alpine 3.20", "musl")
	if err != nil {
		return "", err
	}
	if len(advs) != 1 {
		return "", fmt.Errorf("%d advisories, want 1", len(advs))
	}
	return advs[0].VulnerabilityID, nil
}

func TestDBHolderScansKeepTheirDBAcrossSwaps(t *testing.T) {
	const generations = 4
	var dbs []*db.DB
	for i := range generations {
		dbs = append(dbs, holderOpen(t, holderFixtureDir(t, fmt.Sprintf("CVE-2026-%04d", i), holderT0.Add(time.Duration(i)*time.Hour))))
	}
	h := server.NewDBHolder(dbs[0])

	// One scan is known to straddle every swap: it holds the first DB
	// until all swaps are done.
	long, releaseLong := h.Acquire()

	var wg sync.WaitGroup
	var lookups, failures atomic.Int64
	stop := make(chan struct{})
	for w := range 8 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				d, release := h.Acquire()
				if d == nil {
					failures.Add(1)
					t.Errorf("scanner %d: no DB", w)
					return
				}
				first, err := holderMarker(d)
				for i := 0; i < 20 && err == nil; i++ {
					var got string
					got, err = holderMarker(d)
					if err == nil && got != first {
						err = fmt.Errorf("a lookup saw %s after %s: the DB changed under a scan", got, first)
					}
					lookups.Add(1)
					time.Sleep(50 * time.Microsecond)
				}
				release()
				if err != nil {
					failures.Add(1)
					t.Errorf("scanner %d: %v", w, err)
					return
				}
			}
		})
	}
	for _, next := range dbs[1:] {
		time.Sleep(20 * time.Millisecond)
		h.Swap(next)
	}
	time.Sleep(20 * time.Millisecond)
	close(stop)
	wg.Wait()
	if lookups.Load() < 100 || failures.Load() > 0 {
		t.Fatalf("%d lookups, %d failed scans", lookups.Load(), failures.Load())
	}

	// The long scan still reads the first DB: it was not closed under it.
	if got, err := holderMarker(long); err != nil || got != "CVE-2026-0000" {
		t.Fatalf("the scan holding the first DB read %q, %v after the swaps", got, err)
	}
	// The DBs in between are closed: nobody holds them.
	for i, d := range dbs[1 : generations-1] {
		if _, err := holderMarker(d); err == nil {
			t.Errorf("DB %d is still open after it was replaced and released", i+1)
		}
	}
	releaseLong()
	releaseLong() // releasing twice is harmless
	if _, err := holderMarker(long); err == nil {
		t.Error("the first DB is still open after its last scan released it")
	}
	d, release := h.Acquire()
	if got, err := holderMarker(d); err != nil || got != "CVE-2026-0003" {
		t.Fatalf("new scans get %q, %v; want the last DB swapped in", got, err)
	}
	if m, ok := h.Metadata(); !ok || !m.UpdatedAt.Equal(holderT0.Add(3*time.Hour)) {
		t.Errorf("metadata %+v, %v; want the last DB's", m, ok)
	}
	release()

	h.Close()
	if h.Loaded() {
		t.Error("Loaded after Close")
	}
	if d, _ := h.Acquire(); d != nil {
		t.Error("Acquire returned a DB after Close")
	}
	if _, err := holderMarker(dbs[generations-1]); err == nil {
		t.Error("the current DB is still open after Close with no scan holding it")
	}
}

func TestDBHolderEmpty(t *testing.T) {
	h := server.NewDBHolder(nil)
	if h.Loaded() {
		t.Fatal("an empty holder says a DB is loaded")
	}
	d, release := h.Acquire()
	release()
	if d != nil {
		t.Fatal("an empty holder handed out a DB")
	}
	if _, ok := h.Age(time.Now()); ok {
		t.Fatal("an empty holder has an age")
	}
}

// holderPublish pushes a fixture DB whose advisory is marker to repo.
func holderPublish(t *testing.T, reg *dbtest.Registry, repo, marker string, updatedAt time.Time) {
	t.Helper()
	archive, err := dbtest.Archive(holderFixtureDir(t, marker, updatedAt))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dbtest.Push(reg.Host+"/"+repo, archive); err != nil {
		t.Fatal(err)
	}
}

// holderServing is the marker of the DB the holder hands out now.
func holderServing(t *testing.T, h *server.DBHolder) string {
	t.Helper()
	d, release := h.Acquire()
	defer release()
	if d == nil {
		t.Fatal("no DB loaded")
	}
	m, err := holderMarker(d)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// holderSetup downloads the first DB as the server's startup does and
// returns the holder and refresher around it, on a clock the test moves.
func holderSetup(t *testing.T, reg *dbtest.Registry, repo string, now *atomic.Pointer[time.Time]) (*server.DBHolder, *server.Refresher) {
	t.Helper()
	clock := func() time.Time { return *now.Load() }
	u := &db.Updater{Dir: filepath.Join(t.TempDir(), "db"), Repositories: []string{reg.Host + "/" + repo}, Insecure: true, Now: clock}
	if err := u.Ensure(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	h := server.NewDBHolder(holderOpen(t, u.Dir))
	t.Cleanup(h.Close)
	return h, &server.Refresher{Holder: h, Updater: u, Now: clock, Metrics: server.NewMetrics(h)}
}

func TestRefresherSwapsInANewerDBWhileAScanHoldsTheOld(t *testing.T) {
	reg := dbtest.NewRegistry()
	defer reg.Close()
	holderPublish(t, reg, "trivy-db", "CVE-OLD", holderT0)
	var now atomic.Pointer[time.Time]
	t0 := holderT0.Add(time.Hour)
	now.Store(&t0)
	h, r := holderSetup(t, reg, "trivy-db:latest", &now)
	ctx := context.Background()

	// Not due: nothing is downloaded, the same DB goes on.
	if err := r.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if reg.BlobGets() != 1 || holderServing(t, h) != "CVE-OLD" {
		t.Fatalf("a refresh before the next update: %d downloads, serving %s", reg.BlobGets(), holderServing(t, h))
	}

	scan, release := h.Acquire()
	holderPublish(t, reg, "trivy-db", "CVE-NEW", holderT0.Add(24*time.Hour))
	later := holderT0.Add(25 * time.Hour)
	now.Store(&later)
	if err := r.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if got := holderServing(t, h); got != "CVE-NEW" {
		t.Fatalf("after the refresh new scans get %s, want CVE-NEW", got)
	}
	if m, _ := h.Metadata(); !m.UpdatedAt.Equal(holderT0.Add(24 * time.Hour)) {
		t.Errorf("metadata UpdatedAt %s, want the new DB's", m.UpdatedAt)
	}
	// The file was replaced on disk; the scan that held the old DB reads
	// it still.
	if got, err := holderMarker(scan); err != nil || got != "CVE-OLD" {
		t.Fatalf("the scan holding the old DB read %q, %v", got, err)
	}
	release()
	if _, err := holderMarker(scan); err == nil {
		t.Fatal("the old DB is still open after its scan released it")
	}
}

func TestRefresherFailureKeepsServing(t *testing.T) {
	reg := dbtest.NewRegistry()
	defer reg.Close()
	holderPublish(t, reg, "trivy-db", "CVE-OLD", holderT0)
	var now atomic.Pointer[time.Time]
	t0 := holderT0.Add(time.Hour)
	now.Store(&t0)
	h, r := holderSetup(t, reg, "trivy-db:latest", &now)
	ctx := context.Background()

	// The registry refuses: the refresh fails and the DB stays.
	later := holderT0.Add(48 * time.Hour)
	now.Store(&later)
	reg.RateLimit("trivy-db")
	if err := r.Refresh(ctx); err == nil {
		t.Fatal("a refresh against a registry that refuses succeeded")
	}
	if got := holderServing(t, h); got != "CVE-OLD" {
		t.Fatalf("after a failed download the server serves %q", got)
	}

	// A damaged file installed over the DB (not by the updater) is
	// refused and the open DB stays.
	r.SkipUpdate = true
	bad := filepath.Join(r.Updater.Dir, "bad")
	if err := os.WriteFile(bad, []byte("not a bbolt file, not at all, not even close to one"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(bad, r.Updater.DBPath()); err != nil {
		t.Fatal(err)
	}
	if err := r.Refresh(ctx); err == nil {
		t.Fatal("a refresh swapped in a damaged DB")
	}
	if got := holderServing(t, h); got != "CVE-OLD" {
		t.Fatalf("after a damaged install the server serves %q", got)
	}
	if !h.Loaded() {
		t.Fatal("no DB loaded after failed refreshes")
	}
}

func TestRefresherPicksUpAnImport(t *testing.T) {
	reg := dbtest.NewRegistry()
	defer reg.Close()
	holderPublish(t, reg, "trivy-db", "CVE-OLD", holderT0)
	var now atomic.Pointer[time.Time]
	t0 := holderT0.Add(time.Hour)
	now.Store(&t0)
	h, r := holderSetup(t, reg, "trivy-db:latest", &now)
	r.SkipUpdate = true

	archive, err := dbtest.Archive(holderFixtureDir(t, "CVE-IMPORTED", holderT0.Add(2*time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "db.tar.gz")
	if err := os.WriteFile(file, archive, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := r.Updater.Import(context.Background(), file); err != nil {
		t.Fatal(err)
	}
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := holderServing(t, h); got != "CVE-IMPORTED" {
		t.Fatalf("after an import and a refresh the server serves %s", got)
	}
	if reg.BlobGets() != 1 {
		t.Errorf("--skip-db-update downloaded: %d blob downloads", reg.BlobGets())
	}
}

func TestRefresherRunLoop(t *testing.T) {
	reg := dbtest.NewRegistry()
	defer reg.Close()
	holderPublish(t, reg, "trivy-db", "CVE-OLD", holderT0)
	var now atomic.Pointer[time.Time]
	t0 := holderT0.Add(time.Hour)
	now.Store(&t0)
	h, r := holderSetup(t, reg, "trivy-db:latest", &now)
	r.Interval = 20 * time.Millisecond

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		r.Run(ctx)
		close(done)
	}()
	holderPublish(t, reg, "trivy-db", "CVE-NEW", holderT0.Add(24*time.Hour))
	later := holderT0.Add(25 * time.Hour)
	now.Store(&later)
	deadline := time.Now().Add(20 * time.Second)
	for holderServing(t, h) != "CVE-NEW" {
		if time.Now().After(deadline) {
			t.Fatal("the refresh loop did not swap in the new DB within 20 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}
