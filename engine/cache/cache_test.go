package cache

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/docker-scan/docker-scan/engine/types"
)

func result(diffID string) *types.LayerResult {
	return &types.LayerResult{DiffID: diffID, SchemaVersion: 1, OSReleases: []types.OSRelease{{FilePath: "etc/alpine-release", Family: "alpine", Name: "3.20.3"}}}
}

func backends(t *testing.T) map[string]Cache {
	return map[string]Cache{"fs": NewFS(t.TempDir(), 1, time.Hour), "memory": NewMemory(1, time.Hour)}
}

func TestRoundTripAndClear(t *testing.T) {
	for name, c := range backends(t) {
		t.Run(name, func(t *testing.T) {
			got, err := c.Get(context.Background(), []string{"a"})
			if err != nil || len(got) != 0 {
				t.Fatalf("empty cache: %v %v", got, err)
			}
			if err := c.Put(context.Background(), map[string]*types.LayerResult{"a": result("sha256:a"), "b": result("sha256:b")}); err != nil {
				t.Fatal(err)
			}
			got, err = c.Get(context.Background(), []string{"a", "b", "c"})
			if err != nil || len(got) != 2 || got["a"].DiffID != "sha256:a" || got["b"].OSReleases[0].Name != "3.20.3" {
				t.Fatalf("got %+v, %v", got, err)
			}
			if err := c.Clear(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got, _ := c.Get(context.Background(), []string{"a"}); len(got) != 0 {
				t.Fatal("Clear left entries")
			}
		})
	}
}

func TestMissesNeverErrors(t *testing.T) {
	dir := t.TempDir()
	c := NewFS(dir, 1, time.Hour)
	if err := c.Put(context.Background(), map[string]*types.LayerResult{"ok": result("sha256:ok")}); err != nil {
		t.Fatal(err)
	}
	// A corrupt entry and an entry of another schema, written behind the
	// cache's back.
	b, err := bolt.Open(c.Path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	b.Update(func(tx *bolt.Tx) error {
		tx.Bucket(layerBucket).Put([]byte("corrupt"), []byte("{not json"))
		tx.Bucket(layerBucket).Put([]byte("foreign"), []byte(`{"StoredAt":"2026-01-01T00:00:00Z","Result":{"SchemaVersion":99}}`))
		tx.Bucket(layerBucket).Put([]byte("old"), []byte(`{"StoredAt":"2020-01-01T00:00:00Z","Result":{"SchemaVersion":1}}`))
		return nil
	})
	b.Close()
	got, err := c.Get(context.Background(), []string{"ok", "corrupt", "foreign", "old"})
	if err != nil || len(got) != 1 || got["ok"] == nil {
		t.Fatalf("got %v, %v; want only the good entry", got, err)
	}

	// A cache file that is not bbolt at all is empty, then replaced.
	if err := os.WriteFile(c.Path, []byte("garbage, not a bbolt file"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Get(context.Background(), []string{"ok"}); err != nil || len(got) != 0 {
		t.Fatalf("garbage file: %v, %v", got, err)
	}
	if err := c.Put(context.Background(), map[string]*types.LayerResult{"new": result("sha256:new")}); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Get(context.Background(), []string{"new"}); got["new"] == nil {
		t.Fatal("the garbage file was not replaced")
	}
}

// Several writers (as several scan processes would) share the file.
func TestConcurrentWriters(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := NewFS(dir, 1, time.Hour)
			key := string(rune('a' + i))
			errs[i] = c.Put(context.Background(), map[string]*types.LayerResult{key: result("sha256:" + key)})
			if errs[i] == nil {
				if got, _ := c.Get(context.Background(), []string{key}); got[key] == nil {
					errs[i] = os.ErrNotExist
				}
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	got, _ := NewFS(dir, 1, time.Hour).Get(context.Background(), []string{"a", "b", "c", "d", "e", "f", "g", "h"})
	if len(got) != 8 {
		t.Errorf("%d entries survived, want 8", len(got))
	}
	if _, err := os.Stat(filepath.Join(dir, FileName)); err != nil {
		t.Fatal(err)
	}
}
