package cache

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker-scan/docker-scan/engine/types"
)

// bigResult is a result large enough that a cache of a few hundred spans
// many pages, some of them overflow pages.
func bigResult(key string, n int) *types.LayerResult {
	r := result(key)
	for i := range n {
		r.Issues = append(r.Issues, types.AnalysisIssue{FilePath: fmt.Sprintf("usr/lib/file-%d", i), Reason: strings.Repeat("x", 40)})
	}
	return r
}

func spreadCache(t testing.TB, dir string) (*FS, []string) {
	t.Helper()
	c := NewFS(dir, 1, time.Hour)
	var keys []string
	results := map[string]*types.LayerResult{}
	for i := range 300 {
		k := fmt.Sprintf("sha256:%04d", i)
		keys = append(keys, k)
		results[k] = bigResult(k, i%40)
	}
	if err := c.Put(context.Background(), results); err != nil {
		t.Fatal(err)
	}
	return c, keys
}

// checkGetThenPut: Get returns a miss or entries that are what was
// stored, never a panic; the Put after it succeeds and is read back, so a
// damaged file was moved aside.
func checkGetThenPut(t *testing.T, c *FS, keys []string) {
	t.Helper()
	got, err := c.Get(context.Background(), keys)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	for k, r := range got {
		if r.DiffID != k {
			t.Errorf("entry %s holds the result of %s", k, r.DiffID)
		}
	}
	if err := c.Put(context.Background(), map[string]*types.LayerResult{"fresh": result("fresh")}); err != nil {
		t.Fatalf("Put after damage: %v", err)
	}
	if got, _ := c.Get(context.Background(), []string{"fresh"}); got["fresh"] == nil {
		t.Fatalf("the entry Put after damage is not read back")
	}
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

func TestDamagedCacheIsAMiss(t *testing.T) {
	c, keys := spreadCache(t, t.TempDir())
	good, err := os.ReadFile(c.Path)
	if err != nil {
		t.Fatal(err)
	}
	variants := map[string][]byte{
		"empty":          {},
		"random":         randomBytes(1, 256<<10),
		"meta zeroed":    patch(good, 0, make([]byte, 8192)),
		"truncated 4096": good[:4096],
		"truncated 8192": good[:8192],
		"truncated half": good[:len(good)/2/4096*4096],
	}
	for page := 2; page*4096 < len(good); page += max(1, len(good)/4096/10) {
		variants[fmt.Sprintf("page %d zeroed", page)] = patch(good, page*4096, make([]byte, 4096))
		variants[fmt.Sprintf("page %d random", page)] = patch(good, page*4096, randomBytes(int64(page), 4096))
	}
	for name, raw := range variants {
		t.Run(name, func(t *testing.T) {
			c := NewFS(t.TempDir(), 1, time.Hour)
			if err := os.WriteFile(c.Path, raw, 0o600); err != nil {
				t.Fatal(err)
			}
			checkGetThenPut(t, c, keys)
		})
	}
	t.Run("truncated is moved aside", func(t *testing.T) {
		c := NewFS(t.TempDir(), 1, time.Hour)
		os.WriteFile(c.Path, good[:len(good)/2/4096*4096], 0o600)
		if got, _ := c.Get(context.Background(), keys); len(got) != 0 {
			t.Errorf("%d entries from a truncated file", len(got))
		}
		if _, err := os.Stat(c.Path + DamagedSuffix); err != nil {
			t.Errorf("not moved aside: %v", err)
		}
		if err := c.Clear(context.Background()); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(c.Path + DamagedSuffix); err == nil {
			t.Errorf("Clear left the damaged file")
		}
	})
}

// TestCacheOverwrittenInPlace: while readers and writers use the cache,
// another process overwrites the file in place (no lock, no rename), as a
// careless copy or a disk fault would: every Get is a miss or a valid
// entry, nothing crashes, and a Put afterwards works.
func TestCacheOverwrittenInPlace(t *testing.T) {
	dir := t.TempDir()
	c, keys := spreadCache(t, dir)
	good, _ := os.ReadFile(c.Path)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		r := rand.New(rand.NewSource(7))
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			f, err := os.OpenFile(c.Path, os.O_WRONLY|os.O_CREATE, 0o600)
			if err != nil {
				continue
			}
			switch i % 3 {
			case 0:
				f.Truncate(int64(r.Intn(len(good))))
			case 1:
				f.WriteAt(randomBytes(int64(i), 4096), int64(r.Intn(len(good))))
			case 2:
				f.WriteAt(good, 0)
			}
			f.Close()
			time.Sleep(time.Millisecond)
		}
	}()
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := NewFS(dir, 1, time.Hour)
			c.LockTimeout = 5 * time.Second
			for i := range 30 {
				got, err := c.Get(context.Background(), keys)
				if err != nil {
					t.Errorf("Get: %v", err)
				}
				for k, r := range got {
					if r.DiffID != k {
						t.Errorf("entry %s holds %s", k, r.DiffID)
					}
				}
				k := fmt.Sprintf("w%d-%d", w, i)
				_ = c.Put(context.Background(), map[string]*types.LayerResult{k: result(k)})
			}
		}()
	}
	time.Sleep(2 * time.Second)
	close(stop)
	wg.Wait()
	os.WriteFile(c.Path, good[:len(good)/2], 0o600)
	checkGetThenPut(t, NewFS(dir, 1, time.Hour), keys)
}

// FuzzCacheRead: any bytes as the cache file are a miss or valid entries,
// and a Put afterwards succeeds.
func FuzzCacheRead(f *testing.F) {
	dir := f.TempDir()
	c := NewFS(dir, 1, time.Hour)
	if err := c.Put(context.Background(), map[string]*types.LayerResult{"a": result("a"), "b": bigResult("b", 200)}); err != nil {
		f.Fatal(err)
	}
	good, err := os.ReadFile(c.Path)
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
		c := NewFS(t.TempDir(), 1, time.Hour)
		c.LockTimeout = time.Second
		if err := os.WriteFile(c.Path, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		checkGetThenPut(t, c, []string{"a", "b"})
	})
}
