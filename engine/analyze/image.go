package analyze

import (
	"context"
	"errors"
	"fmt"
	"runtime"

	"golang.org/x/sync/errgroup"

	"github.com/docker-scan/docker-scan/engine/types"
)

// Image analyzes every layer of img, several at once, and returns the
// results in layer order.
func Image(ctx context.Context, img *types.Image, cfg Config) ([]*types.LayerResult, error) {
	results := make([]*types.LayerResult, len(img.Layers))
	parent := ctx
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, layer := range img.Layers {
		if ctx.Err() != nil {
			break // a layer failed, or time ran out: start no more
		}
		g.Go(func() error {
			res, err := Layer(ctx, layer, cfg)
			var mismatch *DigestError
			if errors.As(err, &mismatch) {
				return err // it names the layer already
			}
			if err != nil {
				return fmt.Errorf("analyze layer %s: %w", layerName(layer), err)
			}
			results[i] = res
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	// The loop may have stopped early on the caller's cancellation
	// without any layer failing.
	if err := parent.Err(); err != nil {
		return nil, err
	}
	return results, nil
}

func layerName(l types.Layer) string {
	if l.DiffID != "" {
		return l.DiffID
	}
	return l.Digest
}
