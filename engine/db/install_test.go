package db_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker-scan/docker-scan/engine/db"
	"github.com/docker-scan/docker-scan/engine/db/dbtest"
	"github.com/docker-scan/docker-scan/engine/iox"
)

func fixtureArchive(t *testing.T) []byte {
	t.Helper()
	dir := t.TempDir()
	if err := db.BuildFixtureDB(dir, db.Metadata{Version: db.SchemaVersion, UpdatedAt: t0, NextUpdate: t0.Add(24 * time.Hour)}, "../../testdata/db/alpine-3.14.yaml"); err != nil {
		t.Fatal(err)
	}
	archive, err := dbtest.Archive(dir)
	if err != nil {
		t.Fatal(err)
	}
	return archive
}

func writeFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// leftovers lists the DB dir's files other than the installed DB.
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		switch e.Name() {
		case db.DBFile, db.MetadataFile, ".lock":
		default:
			out = append(out, e.Name())
		}
	}
	return out
}

// TestImportBomb: a 1 MB archive of a 1 GiB trivy.db stops at the budget
// (512 MiB for a small archive) with a clear error, and leaves the
// installed DB and no temp file behind.
func TestImportBomb(t *testing.T) {
	u := &db.Updater{Dir: t.TempDir()}
	if err := u.Import(context.Background(), writeFile(t, "db.tar.gz", fixtureArchive(t))); err != nil {
		t.Fatal(err)
	}
	bomb, err := dbtest.BombArchive(1024)
	if err != nil {
		t.Fatal(err)
	}
	if len(bomb) > 2<<20 {
		t.Fatalf("the bomb is %d bytes", len(bomb))
	}
	err = u.Import(context.Background(), writeFile(t, "bomb.tar.gz", bomb))
	if !errors.Is(err, iox.ErrBudget) || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("got %v", err)
	}
	if l := leftovers(t, u.Dir); len(l) != 0 {
		t.Errorf("left behind: %v", l)
	}
	if d, err := db.Open(u.DBPath()); err != nil {
		t.Errorf("the installed DB was damaged: %v", err)
	} else {
		d.Close()
	}
	// The same construction, small: the stream is valid to its end, and
	// what fails is the content (zeros are not a DB).
	small, _ := dbtest.BombArchive(4)
	err = u.Import(context.Background(), writeFile(t, "small.tar.gz", small))
	if err == nil || errors.Is(err, iox.ErrBudget) || !strings.Contains(err.Error(), "unusable") {
		t.Errorf("small: %v", err)
	}
}

func TestImportTruncated(t *testing.T) {
	u := &db.Updater{Dir: t.TempDir()}
	archive := fixtureArchive(t)
	for _, n := range []int{1, 10, len(archive) / 3, len(archive) - 10} {
		err := u.Import(context.Background(), writeFile(t, "db.tar.gz", archive[:n]))
		if err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("%d bytes: %v", n, err)
		}
	}
	if l := leftovers(t, u.Dir); len(l) != 0 {
		t.Errorf("left behind: %v", l)
	}
	if _, err := os.Stat(u.DBPath()); err == nil {
		t.Errorf("a truncated archive was installed")
	}
}

// TestImportRemovesOrphans: the temp files of a killed install (unlocked)
// go at the next import; a live one (locked) stays.
func TestImportRemovesOrphans(t *testing.T) {
	u := &db.Updater{Dir: t.TempDir()}
	os.MkdirAll(u.Dir, 0o755)
	for _, name := range []string{"trivy.db.download-123", "trivy.db.import-456", "trivy.db.download-789.new"} {
		os.WriteFile(filepath.Join(u.Dir, name), make([]byte, 4096), 0o600)
	}
	live, err := iox.CreateTemp(u.Dir, "trivy.db.download-*")
	if err != nil {
		t.Fatal(err)
	}
	defer live.Remove()
	if err := u.Import(context.Background(), writeFile(t, "db.tar.gz", fixtureArchive(t))); err != nil {
		t.Fatal(err)
	}
	if l := leftovers(t, u.Dir); len(l) != 1 || l[0] != filepath.Base(live.Name()) {
		t.Errorf("left: %v, want only the live %s", l, filepath.Base(live.Name()))
	}
}

// An archive whose trivy.db is a damaged bbolt file is refused by the
// full check, before it replaces anything.
func TestImportDamagedDB(t *testing.T) {
	dir := t.TempDir()
	path := spreadDB(t, dir)
	good, _ := os.ReadFile(path)
	os.WriteFile(path, patch(good, 20*4096, make([]byte, 4096)), 0o644)
	db.WriteMetadata(dir, db.Metadata{Version: db.SchemaVersion, UpdatedAt: t0})
	archive, err := dbtest.Archive(dir)
	if err != nil {
		t.Fatal(err)
	}
	u := &db.Updater{Dir: t.TempDir()}
	err = u.Import(context.Background(), writeFile(t, "db.tar.gz", archive))
	if err == nil || !strings.Contains(err.Error(), "unusable") {
		t.Fatalf("got %v", err)
	}
	if _, err := os.Stat(u.DBPath()); err == nil {
		t.Errorf("the damaged DB was installed")
	}
}

// FuzzDBImport: any bytes as a db.tar.gz are installed or refused with
// an error, never a crash, and never leave a temp file.
func FuzzDBImport(f *testing.F) {
	dir := f.TempDir()
	if err := db.BuildFixtureDB(dir, db.Metadata{Version: db.SchemaVersion}, "../../testdata/db/alpine-3.14.yaml"); err != nil {
		f.Fatal(err)
	}
	archive, err := dbtest.Archive(dir)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(archive)
	for _, n := range []int{2, 10, len(archive) / 2, len(archive) - 8} {
		f.Add(archive[:n])
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		u := &db.Updater{Dir: t.TempDir()}
		file := filepath.Join(t.TempDir(), "db.tar.gz")
		if err := os.WriteFile(file, raw, 0o644); err != nil {
			t.Fatal(err)
		}
		err := u.Import(context.Background(), file)
		if l := leftovers(t, u.Dir); len(l) != 0 {
			t.Fatalf("left behind: %v", l)
		}
		if err == nil {
			d, err := db.Open(u.DBPath())
			if err != nil {
				t.Fatalf("an imported DB does not open: %v", err)
			}
			d.Close()
		}
	})
}
