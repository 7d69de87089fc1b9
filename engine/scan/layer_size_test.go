package scan

import (
	"context"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docker-scan/docker-scan/engine/analyze"
	"github.com/docker-scan/docker-scan/engine/cache"
)

// Metadata.Layers[].Size is each layer's uncompressed size (its tar
// stream) and Metadata.Size their sum, as Trivy reports them; a scan
// from the layer cache reports the same.
func TestReportLayerSizes(t *testing.T) {
	v1img, _ := multiLayerImage(t)
	layers, err := v1img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var want []int64
	var total int64
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, n)
		total += n
	}
	opts := DefaultOptions()
	opts.Now = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	opts.Cache = cache.NewFS(t.TempDir(), analyze.ResultSchemaVersion, 0)
	var opens atomic.Int64
	img := countingImage(t, &opens)
	for _, scan := range []string{"analysed", "cached"} {
		rep, err := Image(context.Background(), img, opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Metadata.Layers) != len(want) {
			t.Fatalf("%s: %d layers", scan, len(rep.Metadata.Layers))
		}
		for i, l := range rep.Metadata.Layers {
			if l.Size != want[i] {
				t.Errorf("%s: layer %d size %d, want %d (blob %d)", scan, i, l.Size, want[i], img.Layers[i].Size)
			}
		}
		if rep.Metadata.Size != total {
			t.Errorf("%s: Metadata.Size = %d, want %d", scan, rep.Metadata.Size, total)
		}
	}
	if opens.Load() != 3 {
		t.Errorf("%d layers opened, want 3 (the second scan from the cache)", opens.Load())
	}
}
