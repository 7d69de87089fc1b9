package scan

import (
	"context"
	"log/slog"

	"github.com/docker-scan/docker-scan/engine/analyze"
	"github.com/docker-scan/docker-scan/engine/types"
)

// analyzeLayers returns the result of every layer of img, in order: from
// the cache when it has them, by reading the layer otherwise. A layer
// found in the cache is never opened, so a source that must export an
// image to read its layers does not export it at all when every layer is
// cached.
func analyzeLayers(ctx context.Context, img *types.Image, opts Options) ([]*types.LayerResult, error) {
	if opts.Cache == nil && opts.Shared == nil {
		return analyze.Image(ctx, img, opts.Analysis)
	}
	keys := make([]string, len(img.Layers))
	for i, l := range img.Layers {
		keys[i] = opts.Analysis.CacheKey(l.DiffID)
	}
	var hits map[string]*types.LayerResult
	if opts.Cache != nil {
		var err error
		if hits, err = opts.Cache.Get(keys); err != nil {
			slog.Warn("layer cache unavailable; analysing every layer", "error", err)
			hits = nil
		}
	}
	if hits == nil {
		hits = map[string]*types.LayerResult{}
	}
	var missingKeys []string
	for i := range img.Layers {
		if hits[keys[i]] == nil {
			missingKeys = append(missingKeys, keys[i])
		}
	}
	slog.Debug("layer cache", "hits", len(img.Layers)-len(missingKeys), "layers", len(img.Layers))
	// With scans running beside this one, analyse only what no other scan
	// has taken on, and wait for the rest.
	own, others := missingKeys, map[string]*layerCall(nil)
	if opts.Shared != nil {
		own, others = opts.Shared.claim(missingKeys)
	}
	missing := *img
	missing.Layers = nil
	var missingIdx []int
	for i, l := range img.Layers {
		if containsKey(own, keys[i]) && !containsIdxKey(missingIdx, keys, keys[i]) {
			missing.Layers = append(missing.Layers, l)
			missingIdx = append(missingIdx, i)
		}
	}
	fresh, err := analyze.Image(ctx, &missing, opts.Analysis)
	results := make([]*types.LayerResult, len(img.Layers))
	toStore := map[string]*types.LayerResult{}
	if err == nil {
		for j, i := range missingIdx {
			toStore[keys[i]] = fresh[j]
		}
	}
	if opts.Shared != nil {
		opts.Shared.analysed.Add(int64(len(missing.Layers)))
		opts.Shared.finish(toStore, own, err)
	}
	if err != nil {
		return nil, err
	}
	for i := range img.Layers {
		if r := toStore[keys[i]]; r != nil && results[i] == nil && hits[keys[i]] == nil {
			results[i] = r
			hits[keys[i]] = r // an image holding one layer twice
		}
	}
	for k, c := range others {
		r, err := c.wait(ctx)
		if err != nil {
			return nil, err
		}
		hits[k] = r
	}
	if opts.Cache != nil && len(toStore) > 0 {
		if err := opts.Cache.Put(toStore); err != nil {
			slog.Warn("could not store layer results in the cache", "error", err)
		}
	}
	for i, l := range img.Layers {
		if results[i] == nil {
			r := *hits[keys[i]]
			// The same layer may be stored compressed differently elsewhere.
			r.Digest, r.DiffID = l.Digest, l.DiffID
			results[i] = &r
		}
	}
	return results, nil
}

// containsIdxKey tells whether a layer with key k is among those at idx.
func containsIdxKey(idx []int, keys []string, k string) bool {
	for _, i := range idx {
		if keys[i] == k {
			return true
		}
	}
	return false
}
