package cache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

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

func (c *FS) Get(keys []string) (map[string]*types.LayerResult, error) {
	out := map[string]*types.LayerResult{}
	if _, err := os.Stat(c.Path); errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	b, err := bolt.Open(c.Path, 0o600, &bolt.Options{ReadOnly: true, Timeout: c.LockTimeout})
	if err != nil {
		// A cache file that is not bbolt (or is damaged) is treated as
		// empty; the next Put replaces it.
		return out, nil
	}
	defer b.Close()
	now := time.Now()
	_ = b.View(func(tx *bolt.Tx) error {
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
	return out, nil
}

func (c *FS) Put(results map[string]*types.LayerResult) error {
	if len(results) == 0 {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(c.Path), 0o700); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	b, err := c.openForWrite()
	if err != nil {
		return err
	}
	defer b.Close()
	now := time.Now()
	return b.Update(func(tx *bolt.Tx) error {
		bucket, err := tx.CreateBucketIfNotExists(layerBucket)
		if err != nil {
			return err
		}
		for k, r := range results {
			raw, err := encode(r, now)
			if err != nil {
				return err
			}
			if err := bucket.Put([]byte(k), raw); err != nil {
				return err
			}
		}
		return nil
	})
}

// openForWrite opens the file read-write; a file that bbolt cannot read is
// replaced by a fresh one.
func (c *FS) openForWrite() (*bolt.DB, error) {
	b, err := bolt.Open(c.Path, 0o600, &bolt.Options{Timeout: c.LockTimeout})
	if err == nil {
		return b, nil
	}
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("cache %s: another process holds it: %w", c.Path, err)
	}
	if rmErr := os.Remove(c.Path); rmErr != nil {
		return nil, fmt.Errorf("cache %s: %w", c.Path, err)
	}
	b, err = bolt.Open(c.Path, 0o600, &bolt.Options{Timeout: c.LockTimeout})
	if err != nil {
		return nil, fmt.Errorf("cache %s: %w", c.Path, err)
	}
	return b, nil
}

func (c *FS) Clear() error {
	err := os.Remove(c.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}
