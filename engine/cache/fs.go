package cache

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/docker-scan/docker-scan/engine/boltguard"
	"github.com/docker-scan/docker-scan/engine/types"
)

// FileName is the bbolt file of the fs cache inside the cache dir.
const FileName = "scan-cache.db"

var layerBucket = []byte("layers")

// FS keeps results in one bbolt file. The file is opened for each Get and
// Put and closed right after, so that several processes share it: readers
// take bbolt's shared lock, a writer the exclusive one for the moment of
// its write.
type FS struct {
	Path   string
	TTL    time.Duration
	Schema int
	// LockTimeout bounds the wait for another process's write.
	LockTimeout time.Duration
}

// NewFS returns the fs cache in dir for results of schema.
func NewFS(dir string, schema int, ttl time.Duration) *FS {
	return &FS{Path: filepath.Join(dir, FileName), TTL: ttl, Schema: schema, LockTimeout: 30 * time.Second}
}

// DamagedSuffix names where a damaged cache file is moved: one file,
// replaced by the next damaged one, so that damage never piles up on disk.
const DamagedSuffix = ".damaged"

// Get returns the usable entries for keys. A damaged file (truncated,
// overwritten, with bad pages) is a miss: it is moved aside so that the
// next Put starts a new one, and a WARN says so once.
func (c *FS) Get(_ context.Context, keys []string) (map[string]*types.LayerResult, error) {
	out := map[string]*types.LayerResult{}
	if _, err := os.Stat(c.Path); err != nil {
		// Missing is a miss; unreadable is one too: the Put will say why.
		return out, nil
	}
	h, err := c.open(true)
	if err != nil {
		if errors.Is(err, boltguard.ErrCorrupt) {
			c.moveAside(h, err)
		}
		h.Close()
		return out, nil
	}
	// bbolt holds the shared lock now: no Put is half-way through the
	// file, so a meta page that does not fit it is damage.
	if err := boltguard.Header(c.Path); err != nil {
		c.moveAside(h, err)
		h.Close()
		return out, nil
	}
	now := time.Now()
	err = boltguard.Run(func() error {
		return h.DB.View(func(tx *bolt.Tx) error {
			bucket := tx.Bucket(layerBucket)
			if bucket == nil {
				return nil
			}
			for _, k := range keys {
				if raw := bucket.Get([]byte(k)); raw != nil {
					if r := decode(raw, c.TTL, now, c.Schema); r != nil {
						out[k] = r
					}
				}
			}
			return nil
		})
	})
	if err != nil {
		c.moveAside(h, err)
		h.Release()
		return map[string]*types.LayerResult{}, nil
	}
	h.Close()
	return out, nil
}

// lockPoll is how long one attempt waits for the file's lock. A damaged
// file that faulted keeps its lock for as long as bbolt's mapping of it
// lives; once it is moved aside, a fresh attempt opens the new file at
// Path instead of waiting out the whole LockTimeout on the old one.
const lockPoll = 250 * time.Millisecond

// open opens Path, waiting at most LockTimeout (0: no limit) for the lock.
func (c *FS) open(readOnly bool) (*boltguard.Handle, error) {
	timeout := c.LockTimeout
	if timeout <= 0 {
		timeout = 1 << 62
	}
	deadline := time.Now().Add(timeout)
	for {
		wait := min(lockPoll, max(time.Until(deadline), time.Millisecond))
		h, err := boltguard.Open(c.Path, 0o600, &bolt.Options{ReadOnly: readOnly, Timeout: wait}, false)
		if !errors.Is(err, bolterrors.ErrTimeout) || time.Now().After(deadline) {
			return h, err
		}
	}
}

// moveAside renames the damaged file that h opened out of the way,
// unless another process has already replaced it at Path.
func (c *FS) moveAside(h *boltguard.Handle, cause error) {
	if !h.Opened(c.Path) {
		return
	}
	aside := c.Path + DamagedSuffix
	if err := os.Rename(c.Path, aside); err != nil {
		slog.Warn("the scan cache is damaged and could not be moved aside; layers are analysed again", "file", c.Path, "reason", cause.Error(), "error", err)
		return
	}
	slog.Warn("the scan cache is damaged: moved it aside and starting a new one", "file", c.Path, "moved_to", aside, "reason", cause.Error())
}

// Put stores results. A damaged file is moved aside and the write goes to
// a new one.
func (c *FS) Put(_ context.Context, results map[string]*types.LayerResult) error {
	if len(results) == 0 {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(c.Path), 0o700); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		var damaged bool
		if damaged, err = c.put(results); !damaged {
			return err
		}
	}
	return err
}

// put makes one attempt; damaged says the file was found damaged and
// moved aside, and another attempt may succeed.
func (c *FS) put(results map[string]*types.LayerResult) (damaged bool, err error) {
	h, err := c.open(false)
	if err != nil {
		if !errors.Is(err, boltguard.ErrCorrupt) {
			h.Close()
			if errors.Is(err, bolterrors.ErrTimeout) {
				return false, fmt.Errorf("cache %s: another process holds it: %w", c.Path, err)
			}
			return false, fmt.Errorf("cache %s: %w", c.Path, err)
		}
		c.moveAside(h, err)
		h.Release()
		return true, fmt.Errorf("cache %s: %w", c.Path, err)
	}
	// bbolt holds the write lock now: no other Put is half-way through
	// the file, so a meta page that does not fit it is damage.
	if herr := boltguard.Header(c.Path); herr != nil {
		c.moveAside(h, herr)
		h.Close()
		return true, fmt.Errorf("cache %s: %w", c.Path, herr)
	}
	now := time.Now()
	err = boltguard.Run(func() error {
		return h.DB.Update(func(tx *bolt.Tx) error {
			bucket, err := tx.CreateBucketIfNotExists(layerBucket)
			if err != nil {
				return err
			}
			// In key order: bbolt splits pages as it goes, and keys put
			// in random order into one transaction cost quadratic time
			// (100,000 layers: 7 s).
			for _, k := range slices.Sorted(maps.Keys(results)) {
				raw, err := encode(results[k], now)
				if err != nil {
					return err
				}
				if err := bucket.Put([]byte(k), raw); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err != nil {
		// Our own data always fits: a write that fails (a page that
		// bbolt cannot read, a freelist naming impossible pages) is the
		// file's damage. (A full disk is reported by the next attempt.)
		c.moveAside(h, err)
		h.Release()
		return true, fmt.Errorf("cache %s: %w", c.Path, err)
	}
	if err := h.Close(); err != nil {
		return false, fmt.Errorf("cache %s: %w", c.Path, err)
	}
	return false, nil
}

// Clear removes the cache file and a damaged one moved aside.
func (c *FS) Clear(context.Context) error {
	var errs []error
	for _, p := range []string{c.Path, c.Path + DamagedSuffix} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
