package compose

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	ctypes "github.com/compose-spec/compose-go/v2/types"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/scan"
	"github.com/docker-scan/docker-scan/engine/testenv"
	"github.com/docker-scan/docker-scan/engine/types"
)

// benchStackLayer is one generated gzip layer, kept in the test cache
// between runs.
func benchStackLayer(b *testing.B, name string, seed, files int) (types.Layer, int64) {
	b.Helper()
	fill := imagebuild.BenchLayerFill(seed, files)
	dir, err := testenv.Cached("bench-compose-"+name, fmt.Sprintf("v1-%d-%d", seed, files), func(dir string) error {
		_, err := imagebuild.CachedGzipTar(filepath.Join(dir, "layer.tar.gz"), fill)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	p := filepath.Join(dir, "layer.tar.gz")
	n, err := imagebuild.CachedGzipTar(p, fill)
	if err != nil {
		b.Fatal(err)
	}
	// Real digests: layers are shared and cached by verified diffIDs only.
	digest, diffID, err := imagebuild.GzipTarDigests(p)
	if err != nil {
		b.Fatal(err)
	}
	return types.Layer{Digest: digest, DiffID: diffID, Open: func() (io.ReadCloser, error) { return os.Open(p) }}, n
}

// BenchmarkStack compares scanning a 6-service stack, 4 of whose images
// share one base layer, with scanning its largest image alone: the stack
// should cost less than twice as much (the target), thanks to
// shared layer analysis and images scanned in parallel. Cold: no layer
// cache; OS, language and secret analysis.
func BenchmarkStack(b *testing.B) {
	base, baseSize := benchStackLayer(b, "base", 0, 11000)
	images := map[string]*types.Image{}
	var largest int64
	var largestRef string
	var stackBytes int64 = baseSize
	for i := range 4 {
		app, n := benchStackLayer(b, fmt.Sprintf("app%d", i), 10+i, 2000)
		ref := fmt.Sprintf("shop/app%d:1", i)
		images[ref] = &types.Image{Name: ref, ID: "sha256:" + ref, Layers: []types.Layer{base, app}}
		stackBytes += n
		if baseSize+n > largest {
			largest, largestRef = baseSize+n, ref
		}
	}
	for i := range 2 {
		l, n := benchStackLayer(b, fmt.Sprintf("other%d", i), 20+i, 4000)
		ref := fmt.Sprintf("infra/other%d:1", i)
		images[ref] = &types.Image{Name: ref, ID: "sha256:" + ref, Layers: []types.Layer{l}}
		stackBytes += n
	}
	project := &Project{Project: &ctypes.Project{Name: "bench"}}
	var plan []ServiceImage
	for ref := range images {
		plan = append(plan, ServiceImage{Service: ref, Image: ref})
	}
	opts := scan.DefaultOptions()
	opts.Scanners = []string{scan.ScannerSecret}
	run := func(b *testing.B, plan []ServiceImage) {
		for b.Loop() {
			o := opts
			o.Shared = &scan.SharedLayers{}
			r := Runner{
				Open: func(_ context.Context, ref string) (*types.Image, error) {
					img := *images[ref]
					img.Close = func() error { return nil }
					return &img, nil
				},
				Scan:     func(ctx context.Context, img *types.Image) (*types.Report, error) { return scan.Image(ctx, img, o) },
				Parallel: 2,
			}
			rep, _, err := r.Run(context.Background(), project, plan)
			if err != nil {
				b.Fatal(err)
			}
			for s, sr := range rep.Services {
				if sr.Error != "" {
					b.Fatalf("%s: %s", s, sr.Error)
				}
			}
		}
	}
	b.Run("largest-image", func(b *testing.B) {
		b.SetBytes(largest)
		run(b, []ServiceImage{{Service: "largest", Image: largestRef}})
	})
	b.Run("stack-6-services", func(b *testing.B) {
		b.SetBytes(stackBytes)
		run(b, plan)
	})
}
