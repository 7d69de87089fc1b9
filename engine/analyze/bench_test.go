package analyze

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/testenv"
	"github.com/docker-scan/docker-scan/engine/types"
)

// The benchmark image: benchLayers gzip layers of benchFilesPerLayer files,
// over 800 MB and 50,000 files in all: text, source code, binary-like
// files, a few .env files with (made-up) tokens, and in the first layer a
// few large logs (some over the secret scan's size limit), mixed so that
// it compresses about as well as real layers. It is
// generated once per machine in the test cache (it takes a minute) and
// reused.
const (
	benchLayers        = 5
	benchFilesPerLayer = 11000
	benchVersion       = "v2"
)

func benchImage(b *testing.B) (layers []types.Layer, uncompressed int64, files int) {
	b.Helper()
	dir, err := testenv.Cached("bench-layers", benchVersion, func(dir string) error {
		for i := range benchLayers {
			p := filepath.Join(dir, fmt.Sprintf("layer%d.tar.gz", i))
			if _, err := imagebuild.CachedGzipTar(p, imagebuild.BenchLayerFill(i, benchFilesPerLayer)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	for i := range benchLayers {
		p := filepath.Join(dir, fmt.Sprintf("layer%d.tar.gz", i))
		n, err := imagebuild.CachedGzipTar(p, imagebuild.BenchLayerFill(i, benchFilesPerLayer))
		if err != nil {
			b.Fatal(err)
		}
		uncompressed += n
		files += benchFilesPerLayer
		digest, diffID := benchDigests(b, p)
		layers = append(layers, types.Layer{
			Digest: digest,
			DiffID: diffID,
			Open:   func() (io.ReadCloser, error) { return os.Open(p) },
		})
	}
	return layers, uncompressed, files
}

// benchDigests are a layer file's real digests, so that the benchmark
// pays for verifying them as a scan does.
func benchDigests(b *testing.B, p string) (digest, diffID string) {
	digest, diffID, err := imagebuild.GzipTarDigests(p)
	if err != nil {
		b.Fatal(err)
	}
	return digest, diffID
}

// peakHeap samples the heap in use while fn runs.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	fn()
	close(stop)
	wg.Wait()
	return peak.Load()
}

// gzipSeconds is the time `gzip -dc LAYER > /dev/null` takes for every
// layer, one after the other.
func gzipSeconds(b *testing.B, layers []types.Layer) float64 {
	if _, err := exec.LookPath("gzip"); err != nil {
		return 0
	}
	start := time.Now()
	for _, l := range layers {
		f, err := l.Open()
		if err != nil {
			b.Fatal(err)
		}
		cmd := exec.Command("gzip", "-dc")
		cmd.Stdin = f
		if err := cmd.Run(); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	return time.Since(start).Seconds()
}

// BenchmarkLayerAnalysis reports throughput in MB/s of uncompressed layer
// data, the peak heap, and the ratio to gzip -dc on the same layers, for
// the whole image (layers in parallel, as a scan runs them), for one layer
// at a time, and for a single layer (memory must not grow with the image).
func BenchmarkLayerAnalysis(b *testing.B) {
	layers, size, files := benchImage(b)
	if size < 500<<20 || files < 50000 {
		b.Fatalf("bench image is too small: %d bytes, %d files", size, files)
	}
	gz := gzipSeconds(b, layers)
	b.Logf("bench image: %d layers, %.0f MB uncompressed, %d files; gzip -dc of all layers: %.2fs", len(layers), float64(size)/1e6, files, gz)
	img := &types.Image{Name: "bench", Layers: layers}

	run := func(b *testing.B, analyze func() error, bytes int64, gzipRef float64) {
		b.SetBytes(bytes)
		var peak uint64
		var elapsed time.Duration
		for b.Loop() {
			start := time.Now()
			p := peakHeap(func() {
				if err := analyze(); err != nil {
					b.Fatal(err)
				}
			})
			elapsed += time.Since(start)
			peak = max(peak, p)
		}
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		if gzipRef > 0 {
			b.ReportMetric(elapsed.Seconds()/float64(b.N)/gzipRef, "x-gzip-dc")
		}
	}
	b.Run("image-parallel", func(b *testing.B) {
		run(b, func() error {
			res, err := Image(context.Background(), img, Config{Analyzers: OSAnalyzers()})
			if err == nil && len(res[0].PackageDBs) != 1 {
				err = fmt.Errorf("the bench image's apk database was not found")
			}
			return err
		}, size, gz)
	})
	secrets, err := SecretAnalyzers(nil)
	if err != nil {
		b.Fatal(err)
	}
	withSecrets := Config{Analyzers: append(OSAnalyzers(), secrets...)}
	b.Run("image-parallel-secrets", func(b *testing.B) {
		run(b, func() error {
			_, err := Image(context.Background(), img, withSecrets)
			return err
		}, size, gz)
	})
	b.Run("image-sequential", func(b *testing.B) {
		run(b, func() error {
			for _, l := range layers {
				if _, err := Layer(context.Background(), l, Config{Analyzers: OSAnalyzers()}); err != nil {
					return err
				}
			}
			return nil
		}, size, gz)
	})
	b.Run("one-layer", func(b *testing.B) {
		one := layers[1:2]
		run(b, func() error {
			_, err := Layer(context.Background(), one[0], Config{Analyzers: OSAnalyzers()})
			return err
		}, size/int64(len(layers)), gzipSeconds(b, one))
	})
}
