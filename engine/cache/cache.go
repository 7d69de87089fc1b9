// Package cache keeps layer-analysis results, so that a layer seen before
// (in this image, another image, or another runtime's copy of it) is not
// read again. Results are keyed by analyze.Config.CacheKey.
package cache

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/docker-scan/docker-scan/engine/types"
)

// Cache stores layer results. A missing, expired, corrupt or foreign entry
// is a miss, never an error; errors are for a cache that cannot be used.
type Cache interface {
	// Get returns the results it has for keys.
	Get(ctx context.Context, keys []string) (map[string]*types.LayerResult, error)
	// Put stores results by key.
	Put(ctx context.Context, results map[string]*types.LayerResult) error
	// Clear removes every entry.
	Clear(ctx context.Context) error
}

// entry is what is stored per key.
type entry struct {
	StoredAt time.Time
	Result   *types.LayerResult
}

func encode(r *types.LayerResult, now time.Time) ([]byte, error) {
	return json.Marshal(entry{StoredAt: now, Result: r})
}

// decode returns nil for anything that is not a usable, unexpired entry.
func decode(raw []byte, ttl time.Duration, now time.Time, schema int) *types.LayerResult {
	var e entry
	if err := json.Unmarshal(raw, &e); err != nil || e.Result == nil || e.Result.SchemaVersion != schema {
		return nil
	}
	if ttl > 0 && now.Sub(e.StoredAt) > ttl {
		return nil
	}
	return e.Result
}

// Memory keeps results for the life of the process.
type Memory struct {
	mu      sync.Mutex
	entries map[string][]byte
	TTL     time.Duration
	Schema  int
}

// NewMemory returns an empty in-memory cache for results of schema.
func NewMemory(schema int, ttl time.Duration) *Memory {
	return &Memory{entries: map[string][]byte{}, TTL: ttl, Schema: schema}
}

func (m *Memory) Get(_ context.Context, keys []string) (map[string]*types.LayerResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]*types.LayerResult{}
	for _, k := range keys {
		if raw, ok := m.entries[k]; ok {
			if r := decode(raw, m.TTL, time.Now(), m.Schema); r != nil {
				out[k] = r
			}
		}
	}
	return out, nil
}

func (m *Memory) Put(_ context.Context, results map[string]*types.LayerResult) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, r := range results {
		raw, err := encode(r, time.Now())
		if err != nil {
			return fmt.Errorf("cache: %w", err)
		}
		m.entries[k] = raw
	}
	return nil
}

func (m *Memory) Clear(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.entries = map[string][]byte{}
	return nil
}
