package cache

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/docker-scan/docker-scan/engine/types"
)

// Outage wraps a cache on another machine (Redis) so that its being down
// costs a scan one warning, not one per call: the first failed Get or Put
// returns its error (the scan logs it, and goes on without the cache);
// after that, Get answers every key as a miss and Put skips, without
// trying the server, until Retry has passed. Then one call tries it again:
// if it works the cache is back (an INFO says so), and a later failure is
// a new outage with its own warning; if it fails, the wait starts over
// without a word. Retry 0 never tries again, for a process as short as a
// scan. Clear is passed through: whoever clears wants to know it failed.
type Outage struct {
	Cache Cache
	Retry time.Duration

	mu        sync.Mutex
	down      bool
	downSince time.Time
	now       func() time.Time
}

// NewOutage wraps c; see Outage.
func NewOutage(c Cache, retry time.Duration) *Outage {
	return &Outage{Cache: c, Retry: retry, now: time.Now}
}

func (o *Outage) clock() time.Time {
	if o.now == nil {
		return time.Now()
	}
	return o.now()
}

// skip says whether to leave the server alone for now. While it is down,
// one caller at a time gets to try it again (probe).
func (o *Outage) skip() (skip, probe bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.down {
		return false, false
	}
	if o.Retry <= 0 || o.clock().Sub(o.downSince) < o.Retry {
		return true, false
	}
	// Others wait out another Retry while this call tries.
	o.downSince = o.clock()
	return false, true
}

// record notes how a call to the server went; it returns the error the
// caller should see: only the first of an outage.
func (o *Outage) record(err error, probe bool) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err == nil {
		if o.down {
			slog.Info("the layer cache is reachable again")
		}
		o.down = false
		return nil
	}
	if o.down || probe {
		slog.Debug("the layer cache is still unavailable", "error", err)
		o.down, o.downSince = true, o.clock()
		return nil
	}
	o.down, o.downSince = true, o.clock()
	return err
}

// Down reports whether the last call to the server failed.
func (o *Outage) Down() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.down
}

func (o *Outage) Get(ctx context.Context, keys []string) (map[string]*types.LayerResult, error) {
	skip, probe := o.skip()
	if skip {
		return map[string]*types.LayerResult{}, nil
	}
	hits, err := o.Cache.Get(ctx, keys)
	if ctx.Err() != nil {
		// The caller gave up: that says nothing about the server.
		return hits, err
	}
	if err = o.record(err, probe); err != nil {
		return nil, err
	}
	if hits == nil {
		hits = map[string]*types.LayerResult{}
	}
	return hits, nil
}

func (o *Outage) Put(ctx context.Context, results map[string]*types.LayerResult) error {
	skip, probe := o.skip()
	if skip {
		return nil
	}
	err := o.Cache.Put(ctx, results)
	if ctx.Err() != nil {
		return err
	}
	return o.record(err, probe)
}

func (o *Outage) Clear(ctx context.Context) error { return o.Cache.Clear(ctx) }

// String names the wrapped cache (a Redis server, without credentials).
func (o *Outage) String() string { return fmt.Sprint(o.Cache) }

// Close closes the wrapped cache if it holds connections.
func (o *Outage) Close() error { return Close(o.Cache) }

// Close closes c if it holds something to close (connections to Redis);
// the fs and memory caches hold nothing between calls.
func Close(c Cache) error {
	if cl, ok := c.(io.Closer); ok {
		return cl.Close()
	}
	return nil
}
