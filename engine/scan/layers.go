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
// cached, and one that streams its export (Image.Stream) has the entries
// of cached layers skipped (analyzeMissing).
//
// Results are cached, and shared with concurrent scans, under the layer's
// diffID only when analysis checks that diffID against the bytes it reads
// (analyze.Verifiable): a diffID is a claim of the image, and a decoy
// image claiming a vulnerable layer's diffID must not decide what scans
// of the real one report. Other layers are analysed every time.
func analyzeLayers(ctx context.Context, img *types.Image, opts Options) ([]*types.LayerResult, error) {
	// Analyze has built them already; a test calling this alone has not.
	cfg, err := opts.analysisConfig()
	if err != nil {
		return nil, err
	}
	opts.Analysis = cfg
	if opts.Cache == nil && opts.Shared == nil {
		return analyzeMissing(ctx, img, img, opts)
	}
	// keys[i] is "" for a layer that may not be cached.
	keys := make([]string, len(img.Layers))
	var lookup []string
	firstIdx := map[string]int{} // key -> the first layer that has it
	cacheKey := opts.Analysis.CacheKeyer()
	for i, l := range img.Layers {
		if !analyze.Verifiable(l.DiffID) {
			continue
		}
		keys[i] = cacheKey(l.DiffID)
		if _, dup := firstIdx[keys[i]]; !dup {
			firstIdx[keys[i]] = i
			lookup = append(lookup, keys[i])
		}
	}
	var hits map[string]*types.LayerResult
	if opts.Cache != nil && len(lookup) > 0 {
		var err error
		if hits, err = opts.Cache.Get(ctx, lookup); err != nil {
			slog.Warn("layer cache unavailable; analysing every layer", "error", err)
			hits = nil
		}
	}
	if hits == nil {
		hits = map[string]*types.LayerResult{}
	}
	var missingKeys []string
	for _, k := range lookup {
		if hits[k] == nil {
			missingKeys = append(missingKeys, k)
		}
	}
	slog.Debug("layer cache", "hits", len(lookup)-len(missingKeys), "layers", len(img.Layers))
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
		if keys[i] == "" {
			missing.Layers = append(missing.Layers, l)
			missingIdx = append(missingIdx, i)
		}
	}
	for _, k := range own {
		i := firstIdx[k]
		missing.Layers = append(missing.Layers, img.Layers[i])
		missingIdx = append(missingIdx, i)
	}
	var fresh []*types.LayerResult
	if len(missing.Layers) > 0 {
		fresh, err = analyzeMissing(ctx, img, &missing, opts)
	}
	results := make([]*types.LayerResult, len(img.Layers))
	toStore := map[string]*types.LayerResult{}
	if err == nil {
		for j, i := range missingIdx {
			results[i] = fresh[j]
			if keys[i] != "" {
				toStore[keys[i]] = fresh[j]
			}
		}
	}
	if opts.Shared != nil {
		opts.Shared.analysed.Add(int64(len(missing.Layers)))
		// On error, the scans waiting for these layers get the error.
		opts.Shared.finish(toStore, own, err)
	}
	if err != nil {
		return nil, err
	}
	for k, c := range others {
		r, err := c.wait(ctx)
		if err != nil {
			return nil, err
		}
		hits[k] = r
	}
	if opts.Cache != nil && len(toStore) > 0 {
		if err := opts.Cache.Put(ctx, toStore); err != nil {
			slog.Warn("could not store layer results in the cache", "error", err)
		}
	}
	for i, l := range img.Layers {
		if results[i] != nil {
			continue
		}
		// A cached or shared result, or a second copy of a layer this scan
		// analysed: merging writes into results, so each gets its own.
		src := hits[keys[i]]
		if src == nil {
			src = toStore[keys[i]]
		}
		r := *src
		// The same layer may be stored compressed differently elsewhere.
		r.Digest, r.DiffID = l.Digest, l.DiffID
		results[i] = &r
	}
	return results, nil
}
