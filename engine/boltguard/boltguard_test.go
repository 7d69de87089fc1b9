package boltguard

import (
	"errors"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// Run turns a memory fault on a mapping past the end of its file (what a
// truncated bbolt file does) into an error, and restores the goroutine's
// fault setting, so that faults elsewhere stay fatal.
func TestRunCatchesFaultAndRestores(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	os.WriteFile(path, make([]byte, 8192), 0o600)
	f, _ := os.Open(path)
	defer f.Close()
	mem, err := syscall.Mmap(int(f.Fd()), 0, 8192, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(mem)
	os.Truncate(path, 0)
	var sink byte
	err = Run(func() error { sink = mem[4096]; return nil })
	if !Faulted(err) || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "memory fault") {
		t.Fatalf("got %v", err)
	}
	if debug.SetPanicOnFault(false) {
		t.Error("Run left the goroutine's faults as panics")
	}
	if err := Run(func() error { panic("invalid page type") }); !Faulted(err) || !strings.Contains(err.Error(), "invalid page type") {
		t.Errorf("panic: %v", err)
	}
	_ = sink
}

func TestHeader(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ok.db")
	b, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	b.Update(func(tx *bolt.Tx) error {
		bk, _ := tx.CreateBucket([]byte("b"))
		return bk.Put([]byte("k"), make([]byte, 100000))
	})
	b.Close()
	if err := Header(path); err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile(path)
	for name, c := range map[string]struct {
		raw  []byte
		want string
	}{
		"empty":     {nil, "empty"},
		"short":     {good[:100], "truncated"},
		"tiny":      {good[:20], "too short"},
		"truncated": {good[:len(good)/2], "truncated"},
		"foreign":   {[]byte(strings.Repeat("not bbolt ", 1000)), "not a bbolt file"},
	} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, c.raw, 0o600)
		if err := Header(p); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
