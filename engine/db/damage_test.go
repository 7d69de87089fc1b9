package db_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/docker-scan/docker-scan/engine/db"
)

// spreadDB writes a DB that spans many pages: nested buckets over several
// leaf and branch pages, and a value long enough for overflow pages, so
// that damage at any offset lands on something a lookup reads.
func spreadDB(t testing.TB, dir string) string {
	t.Helper()
	path := filepath.Join(dir, db.DBFile)
	long := strings.Repeat("a long description ", 1500)
	err := db.WriteDB(path, func(tx *bolt.Tx) error {
		for i := range 400 {
			pkg := fmt.Sprintf("pkg-%03d", i)
			id := fmt.Sprintf("CVE-2024-%05d", i)
			if err := db.PutAdvisory(tx, "alpine 3.20", pkg, id, map[string]any{"FixedVersion": "1.0.1-r0"}); err != nil {
				return err
			}
			if err := db.PutAdvisory(tx, "npm::GitHub Security Advisory npm", pkg, id, map[string]any{"PatchedVersions": []string{"1.0.1"}}); err != nil {
				return err
			}
			if err := db.PutVulnerability(tx, id, map[string]any{"Title": "t", "Description": long[:i*60]}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// lookUp runs every kind of lookup and returns the first error.
func lookUp(d *db.DB) error {
	d.HasPlatform("alpine 3.20")
	for _, pkg := range []string{"pkg-000", "pkg-123", "pkg-399"} {
		if _, err := d.Advisories("alpine 3.20", pkg); err != nil {
			return err
		}
		if _, err := d.AdvisoriesByPrefix("npm::", pkg); err != nil {
			return err
		}
	}
	for _, id := range []string{"CVE-2024-00001", "CVE-2024-00200", "CVE-2024-00399"} {
		if _, _, err := d.Vulnerability(id); err != nil {
			return err
		}
	}
	return nil
}

// damaged fails unless err is nil or says the DB is damaged and what to do.
func wantDamagedOrNil(t *testing.T, what string, err error) {
	t.Helper()
	var de *db.DamagedError
	if err == nil {
		return
	}
	if !errors.As(err, &de) || !strings.Contains(err.Error(), "docker scan db update --force") || strings.Contains(err.Error(), "\n") {
		t.Errorf("%s: want a one-line damaged-DB error, got %v", what, err)
	}
}

// damagedVariants are the ways a DB file was found broken in the field.
func damagedVariants(good []byte) map[string][]byte {
	v := map[string][]byte{
		"empty":          {},
		"one byte":       {0},
		"random 64 KiB":  randomBytes(1, 64<<10),
		"random 1 MiB":   randomBytes(2, 1<<20),
		"meta zeroed":    patch(good, 0, make([]byte, 8192)),
		"truncated 100":  good[:100],
		"truncated 4096": good[:4096],
		"truncated 8192": good[:8192],
	}
	for _, frac := range []int{4, 2} {
		v[fmt.Sprintf("truncated at 1/%d", frac)] = good[:len(good)/frac/4096*4096]
	}
	v["truncated by one page"] = good[:len(good)-4096]
	for page := 2; page*4096 < len(good); page += max(1, len(good)/4096/12) {
		v[fmt.Sprintf("page %d zeroed", page)] = patch(good, page*4096, make([]byte, 4096))
		v[fmt.Sprintf("page %d random", page)] = patch(good, page*4096, randomBytes(int64(page), 4096))
	}
	return v
}

func patch(b []byte, off int, with []byte) []byte {
	out := bytes.Clone(b)
	copy(out[off:], with)
	return out
}

func randomBytes(seed int64, n int) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(seed)).Read(b)
	return b
}

// TestDamagedDB: every damaged variant opens with one clear error or reads
// with one; none crashes the process. A file that is not whole fails
// Verify, which guards installs.
func TestDamagedDB(t *testing.T) {
	good, err := os.ReadFile(spreadDB(t, t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	if len(good) < 40*4096 {
		t.Fatalf("the DB is %d bytes: too small to damage page by page", len(good))
	}
	for name, raw := range damagedVariants(good) {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), db.DBFile)
			if err := os.WriteFile(path, raw, 0o644); err != nil {
				t.Fatal(err)
			}
			d, err := db.Open(path)
			wantDamagedOrNil(t, "open", err)
			if err == nil {
				wantDamagedOrNil(t, "lookup", lookUp(d))
				d.Close()
			}
			// Zeroed pages may be free ones, and the last page past the
			// high-water mark: harmless. The rest must fail Verify.
			if !strings.HasPrefix(name, "page") && name != "truncated by one page" && db.Verify(path) == nil {
				t.Errorf("Verify passed")
			}
		})
	}
	t.Run("empty says so", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), db.DBFile)
		os.WriteFile(path, nil, 0o644)
		_, err := db.Open(path)
		if err == nil || !strings.Contains(err.Error(), "empty") || strings.Contains(err.Error(), "bad file descriptor") {
			t.Errorf("got %v", err)
		}
	})
}

// TestDBTruncatedWhileOpen: the file shrinks under an open DB (another
// process truncated it in place): the mapped pages past the new end fault,
// and the lookup returns the damage instead of killing the process; later
// lookups return it at once.
func TestDBTruncatedWhileOpen(t *testing.T) {
	path := spreadDB(t, t.TempDir())
	d, err := db.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := lookUp(d); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, 8192); err != nil {
		t.Fatal(err)
	}
	err = lookUp(d)
	var de *db.DamagedError
	if !errors.As(err, &de) || !strings.Contains(err.Error(), "memory fault") {
		t.Fatalf("got %v", err)
	}
	if _, err := d.Advisories("alpine 3.20", "pkg-001"); !errors.As(err, &de) {
		t.Errorf("a later lookup: %v", err)
	}
	if !d.HasPlatform("no such platform") {
		t.Errorf("a damaged DB says it lacks a platform: the scan would go on without reporting the damage")
	}
}

func TestVerifyAcceptsWholeDB(t *testing.T) {
	if err := db.Verify(spreadDB(t, t.TempDir())); err != nil {
		t.Fatal(err)
	}
}

// FuzzDBOpen: any bytes as trivy.db open and read with an error or a
// result, never a crash.
func FuzzDBOpen(f *testing.F) {
	dir := f.TempDir()
	meta := db.Metadata{Version: db.SchemaVersion}
	if err := db.BuildFixtureDB(dir, meta, "../../testdata/db/alpine-3.14.yaml", "../../testdata/db/languages.yaml"); err != nil {
		f.Fatal(err)
	}
	good, err := os.ReadFile(filepath.Join(dir, db.DBFile))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	for _, n := range []int{0, 16, 4096, 8192, len(good) / 2, len(good) - 4096} {
		f.Add(good[:n])
	}
	for page := 0; page*4096 < len(good); page++ {
		f.Add(patch(good, page*4096+16, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		path := filepath.Join(t.TempDir(), db.DBFile)
		if err := os.WriteFile(path, raw, 0o644); err != nil {
			t.Fatal(err)
		}
		d, err := db.Open(path)
		if err != nil {
			return
		}
		defer d.Close()
		d.HasPlatform("alpine 3.14")
		d.Advisories("alpine 3.14", "musl")
		d.AdvisoriesByPrefix("npm::", "lodash")
		d.Vulnerability("CVE-2022-37434")
	})
}

// BenchmarkVerify: the full check that a download or an import pays once,
// per MB of DB.
func BenchmarkVerify(b *testing.B) {
	path := spreadDB(b, b.TempDir())
	fi, _ := os.Stat(path)
	b.SetBytes(fi.Size())
	for b.Loop() {
		if err := db.Verify(path); err != nil {
			b.Fatal(err)
		}
	}
}
