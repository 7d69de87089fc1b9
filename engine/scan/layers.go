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
	if opts.Cache == nil {
		return analyze.Image(ctx, img, opts.Analysis)
	}
	keys := make([]string, len(img.Layers))
	for i, l := range img.Layers {
		keys[i] = opts.Analysis.CacheKey(l.DiffID)
	}
	hits, err := opts.Cache.Get(keys)
	if err != nil {
		slog.Warn("layer cache unavailable; analysing every layer", "error", err)
		hits = nil
	}
	missing := *img
	missing.Layers = nil
	var missingIdx []int
	for i, l := range img.Layers {
		if hits[keys[i]] == nil {
			missing.Layers = append(missing.Layers, l)
			missingIdx = append(missingIdx, i)
		}
	}
	slog.Debug("layer cache", "hits", len(img.Layers)-len(missingIdx), "layers", len(img.Layers))
	fresh, err := analyze.Image(ctx, &missing, opts.Analysis)
	if err != nil {
		return nil, err
	}
	results := make([]*types.LayerResult, len(img.Layers))
	toStore := map[string]*types.LayerResult{}
	for j, i := range missingIdx {
		results[i] = fresh[j]
		toStore[keys[i]] = fresh[j]
	}
	if err := opts.Cache.Put(toStore); err != nil {
		slog.Warn("could not store layer results in the cache", "error", err)
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
