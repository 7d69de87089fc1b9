package scan

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"

	"github.com/docker-scan/docker-scan/engine/types"
)

// SharedLayers lets scans that run at the same time (the images of a
// compose project) share layer analysis: a layer that several images hold
// is analysed by the first scan to need it; the others wait for its
// result, and scans that come later take it at once. Each scan gets its
// own copy, since merging writes into the results.
type SharedLayers struct {
	mu       sync.Mutex
	calls    map[string]*layerCall
	analysed atomic.Int64
}

type layerCall struct {
	done chan struct{}
	raw  []byte
	err  error
}

// Analysed is how many layers have been analysed (read) so far.
func (s *SharedLayers) Analysed() int64 { return s.analysed.Load() }

// claim splits keys into those this scan must analyse (now registered as
// in progress) and those another scan has or is analysing.
func (s *SharedLayers) claim(keys []string) (own []string, others map[string]*layerCall) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.calls == nil {
		s.calls = map[string]*layerCall{}
	}
	others = map[string]*layerCall{}
	mine := map[string]bool{}
	for _, k := range keys {
		if mine[k] {
			continue
		}
		if c, ok := s.calls[k]; ok {
			others[k] = c
			continue
		}
		s.calls[k] = &layerCall{done: make(chan struct{})}
		mine[k] = true
		own = append(own, k)
	}
	return own, others
}

// finish publishes the results of the layers a scan claimed; on error
// the claims are dropped so that a later scan may try again.
func (s *SharedLayers) finish(results map[string]*types.LayerResult, keys []string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range keys {
		c := s.calls[k]
		if err == nil {
			c.raw, c.err = json.Marshal(results[k])
		} else {
			c.err = err
			delete(s.calls, k)
		}
		close(c.done)
	}
}

// wait returns a copy of another scan's result for a layer.
func (c *layerCall) wait(ctx context.Context) (*types.LayerResult, error) {
	select {
	case <-c.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if c.err != nil {
		return nil, c.err
	}
	var r types.LayerResult
	if err := json.Unmarshal(c.raw, &r); err != nil {
		return nil, err
	}
	return &r, nil
}
