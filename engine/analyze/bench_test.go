package analyze

import (
	"archive/tar"
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/docker-scan/docker-scan/engine/types"
)

// The benchmark image: benchLayers gzip layers of benchFilesPerLayer files,
// over 800 MB and 50,000 files in all: text, source code, binary-like
// files, a few .env files with (made-up) tokens, and in the first layer a
// few large logs (some over the secret scan's size limit), mixed so that
// it compresses about as well as real layers. It is
// generated once per machine under the temp dir (it takes a minute) and
// reused.
const (
	benchLayers        = 5
	benchFilesPerLayer = 11000
	benchVersion       = "v2"
)

func benchImage(b *testing.B) (layers []types.Layer, uncompressed int64, files int) {
	b.Helper()
	dir := filepath.Join(os.TempDir(), "docker-scan-bench-"+benchVersion)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	for i := range benchLayers {
		p := filepath.Join(dir, fmt.Sprintf("layer%d.tar.gz", i))
		sizeFile := p + ".size"
		if _, err := os.Stat(sizeFile); err != nil {
			n, err := writeBenchLayer(p, i)
			if err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(sizeFile, []byte(fmt.Sprint(n)), 0o644); err != nil {
				b.Fatal(err)
			}
		}
		raw, err := os.ReadFile(sizeFile)
		if err != nil {
			b.Fatal(err)
		}
		var n int64
		fmt.Sscan(string(raw), &n)
		uncompressed += n
		files += benchFilesPerLayer
		layers = append(layers, types.Layer{
			DiffID: fmt.Sprintf("sha256:bench%d", i),
			Open:   func() (io.ReadCloser, error) { return os.Open(p) },
		})
	}
	return layers, uncompressed, files
}

// writeBenchLayer writes one layer and returns its uncompressed size.
func writeBenchLayer(path string, seed int) (int64, error) {
	return writeGzipTar(path, func(tw *tar.Writer) error { return fillBenchLayer(tw, seed) })
}

// writeGzipTar writes a gzipped tar filled by fill to path (through a
// .partial file renamed when complete) and returns its uncompressed size.
func writeGzipTar(path string, fill func(*tar.Writer) error) (int64, error) {
	f, err := os.Create(path + ".partial")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	zw := gzip.NewWriter(bw)
	counter := &countingWriter{w: zw}
	tw := tar.NewWriter(counter)
	if err := fill(tw); err != nil {
		return 0, err
	}
	if err := tw.Close(); err != nil {
		return 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	if err := bw.Flush(); err != nil {
		return 0, err
	}
	if err := f.Close(); err != nil {
		return 0, err
	}
	return counter.n, os.Rename(path+".partial", path)
}

func fillBenchLayer(tw *tar.Writer, seed int) error {
	rng := rand.New(rand.NewPCG(uint64(seed), 42))
	words := strings.Fields("the of and to in is that for it as with was on be by this are or from at which but not have an they all were we one there can more has been if no so will would other what about out up some into them only time these two may then do first any my now such like our over man me even most made after also did many before must through back years where much your way well down should because each just those people how too little state good very make world still own see men work long get here between both life being under never day same another know while last might us great old year off come since against go came right used take three")
	buf := make([]byte, 0, 1<<20)
	for i := range benchFilesPerLayer {
		buf = buf[:0]
		var name string
		switch {
		case i == 0 && seed == 0:
			name, buf = "lib/apk/db/installed", append(buf, benchApkDB()...)
		case i < 5 && seed == 0: // large logs: two over the secret size limit
			name = fmt.Sprintf("var/log/app%d.log", i)
			n := []int{0, 24 << 20, 16 << 20, 6 << 20, 3 << 20}[i]
			for len(buf) < n {
				buf = fmt.Appendf(buf, "2026-11-26T10:%02d:%02d.%03dZ INFO request id=%08x path=/api/v1/items status=200 duration=%dms\n",
					rng.IntN(60), rng.IntN(60), rng.IntN(1000), rng.Uint32(), rng.IntN(900))
			}
		case i%997 == 0: // an .env with a (made-up) token
			name = fmt.Sprintf("srv/app%d/.env", i)
			buf = fmt.Appendf(buf, "PORT=8080\nGITHUB_TOKEN=ghp_%036d\nLOG_LEVEL=info\n", i)
		case i%5 == 1: // source code
			name = fmt.Sprintf("src/bench%d/mod%d/file%d.go", seed, i%97, i)
			for len(buf) < 2<<10+rng.IntN(10<<10) {
				buf = fmt.Appendf(buf, "func handler%d(w http.ResponseWriter, r *http.Request) {\n\tkey := os.Getenv(\"API_KEY_%d\")\n\tif err := process(r.Context(), key, %d); err != nil {\n\t\thttp.Error(w, err.Error(), 500)\n\t}\n}\n\n", rng.IntN(1<<20), rng.IntN(100), rng.IntN(1000))
			}
		case i%3 == 0: // binary-like: half random, half zero runs
			name = fmt.Sprintf("usr/lib/bench%d/lib%d.so", seed, i)
			n := 8<<10 + rng.IntN(48<<10)
			for len(buf) < n {
				if rng.IntN(2) == 0 {
					buf = append(buf, make([]byte, 64+rng.IntN(256))...)
				} else {
					for range 64 + rng.IntN(256) {
						buf = append(buf, byte(rng.Uint32()))
					}
				}
			}
		default: // text-like
			name = fmt.Sprintf("usr/share/bench%d/doc%d.txt", seed, i)
			n := 1<<10 + rng.IntN(12<<10)
			for len(buf) < n {
				buf = append(buf, words[rng.IntN(len(words))]...)
				buf = append(buf, ' ')
				if rng.IntN(12) == 0 {
					buf = append(buf, '\n')
				}
			}
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(buf)), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		if _, err := tw.Write(buf); err != nil {
			return err
		}
	}
	return nil
}

func benchApkDB() string {
	var b strings.Builder
	for i := range 300 {
		fmt.Fprintf(&b, "P:pkg%d\nV:1.%d.0-r0\nA:x86_64\nL:MIT\no:src%d\nF:usr/lib\nR:lib%d.so\n\n", i, i, i/3, i)
	}
	return b.String()
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
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
