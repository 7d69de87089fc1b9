package server

import (
	"container/list"
	"sync"

	"github.com/docker-scan/docker-scan/engine/types"
)

// recentBlobs keeps the layer results and artifacts a server received
// last, in its own memory, so that scans go on while the shared cache
// (Redis) is down: a client's PutBlob and the Scan that follows it reach
// the same replica often enough, and the client sends again what a
// replica lacks. Bounded by entry count: a layer result is kilobytes to a
// few megabytes.
type recentBlobs struct {
	mu    sync.Mutex
	limit int
	order *list.List // of *recentEntry, most recent first
	byKey map[string]*list.Element
}

type recentEntry struct {
	key    string
	result *types.LayerResult
}

func newRecentBlobs(limit int) *recentBlobs {
	return &recentBlobs{limit: limit, order: list.New(), byKey: map[string]*list.Element{}}
}

func (r *recentBlobs) put(key string, res *types.LayerResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.byKey[key]; ok {
		e.Value.(*recentEntry).result = res
		r.order.MoveToFront(e)
		return
	}
	r.byKey[key] = r.order.PushFront(&recentEntry{key, res})
	for r.order.Len() > r.limit {
		last := r.order.Back()
		r.order.Remove(last)
		delete(r.byKey, last.Value.(*recentEntry).key)
	}
}

// fill adds to found what it has of keys that found lacks. Results are
// shared, read-only: merging copies what it changes.
func (r *recentBlobs) fill(found map[string]*types.LayerResult, keys []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range keys {
		if found[k] != nil {
			continue
		}
		if e, ok := r.byKey[k]; ok {
			found[k] = e.Value.(*recentEntry).result
			r.order.MoveToFront(e)
		}
	}
}
