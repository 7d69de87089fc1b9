package runtime

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/iox"
)

// within fails the test if fn does not return in d: the cases below used
// to block forever.
func within(t *testing.T, d time.Duration, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("still blocked after %v", d)
	}
}

// layoutWithBlob writes an OCI layout and returns it with the path of its
// first layer blob.
func layoutWithBlob(t *testing.T) (dir, blob string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "layout")
	img := testImage(t, "amd64", "3.20.3")
	if err := imagebuild.WriteOCILayout(dir, "a:1", img); err != nil {
		t.Fatal(err)
	}
	layers, _ := img.Layers()
	d, _ := layers[0].Digest()
	return dir, filepath.Join(dir, "blobs", d.Algorithm, d.Hex)
}

func TestLayoutRefusesBlobsThatAreNotFiles(t *testing.T) {
	hostFile := filepath.Join(t.TempDir(), "host.tar")
	if err := os.WriteFile(hostFile, mustTar(t, imagebuild.File{Path: "root/.env", Body: "AWS_SECRET=x"}), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, replace := range map[string]func(string) error{
		"symlink to a host file": func(p string) error { return os.Symlink(hostFile, p) },
		"symlink inside":         func(p string) error { return os.Symlink("../../index.json", p) },
		"fifo":                   func(p string) error { return syscall.Mkfifo(p, 0o600) },
	} {
		t.Run(name, func(t *testing.T) {
			dir, blob := layoutWithBlob(t)
			os.Remove(blob)
			if err := replace(blob); err != nil {
				t.Fatal(err)
			}
			within(t, 10*time.Second, func() {
				img, err := Open(context.Background(), "", Options{Input: dir, Platform: amd64})
				if err != nil {
					t.Fatal(err)
				}
				defer img.Close()
				rc, err := img.Layers[0].Open()
				if err == nil {
					rc.Close()
					t.Fatal("a blob that is not a regular file was opened")
				}
				if !strings.Contains(err.Error(), "symlink") && !strings.Contains(err.Error(), "named pipe") {
					t.Errorf("error %q does not say what the blob is", err)
				}
			})
		})
	}
	t.Run("fifo index", func(t *testing.T) {
		dir, _ := layoutWithBlob(t)
		os.Remove(filepath.Join(dir, "index.json"))
		if err := syscall.Mkfifo(filepath.Join(dir, "index.json"), 0o600); err != nil {
			t.Fatal(err)
		}
		within(t, 10*time.Second, func() {
			if _, err := Open(context.Background(), "", Options{Input: dir, Platform: amd64}); err == nil {
				t.Error("a layout whose index.json is a FIFO was opened")
			}
		})
	})
}

// gzipBomb is a gzipped docker-save-like tar whose one file inflates to
// size bytes of zeros.
func gzipBomb(t *testing.T, size int64) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	tw := newTarWriter(zw)
	if err := tw.file("blobs/zeros", size, zeroReader{}); err != nil {
		t.Fatal(err)
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

func TestGzipInputBudget(t *testing.T) {
	dir := t.TempDir()
	bomb := filepath.Join(dir, "bomb.tar.gz")
	if err := os.WriteFile(bomb, gzipBomb(t, 64<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(dir, "tmp")
	_, err := Open(context.Background(), "", Options{Input: bomb, TempDir: tmp, MaxInputSize: 8 << 20})
	if err == nil || !strings.Contains(err.Error(), "decompressed input is larger than 8.0 MiB") || !strings.Contains(err.Error(), "--max-input-size") {
		t.Fatalf("err = %v", err)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Errorf("temp files left behind: %v", entries)
	}
	if got := InputBudget(0, 10<<20); got != 1<<30 {
		t.Errorf("budget of 10 MB = %d, want the 1 GiB floor", got)
	}
	if got := InputBudget(0, 100<<20); got != 100*(100<<20) {
		t.Errorf("budget of 100 MB = %d, want 100x", got)
	}
}

// A gzipped input is spooled into a temp file that the run holds locked:
// orphan removal leaves it alone while the image is open.
func TestInputTempFileIsLocked(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.tar")
	if err := imagebuild.WriteDockerArchive(good, "a:1", testImage(t, "amd64", "3.20.3")); err != nil {
		t.Fatal(err)
	}
	gzipFile(t, good, good+".gz")
	tmp := filepath.Join(dir, "tmp")
	img, err := Open(context.Background(), "", Options{Input: good + ".gz", TempDir: tmp})
	if err != nil {
		t.Fatal(err)
	}
	matches, _ := filepath.Glob(filepath.Join(tmp, inputPattern))
	if len(matches) != 1 {
		t.Fatalf("temp files %v", matches)
	}
	if freed, err := iox.RemoveOrphans(tmp, TempFilePatterns...); err != nil || freed != 0 {
		t.Errorf("removed a live run's temp file: %d bytes, %v", freed, err)
	}
	img.Close()
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Errorf("temp files left behind: %v", entries)
	}
}

func TestFIFOInput(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.tar")
	if err := imagebuild.WriteDockerArchive(good, "a:1", testImage(t, "amd64", "3.20.3")); err != nil {
		t.Fatal(err)
	}
	t.Run("streamed by a writer", func(t *testing.T) {
		fifo := filepath.Join(dir, "fifo")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Fatal(err)
		}
		go func() {
			w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
			if err != nil {
				return
			}
			defer w.Close()
			f, _ := os.Open(good)
			defer f.Close()
			io.Copy(w, f)
		}()
		within(t, 10*time.Second, func() {
			img, err := Open(context.Background(), "", Options{Input: fifo, TempDir: filepath.Join(dir, "tmp")})
			if err != nil {
				t.Fatal(err)
			}
			img.Close()
			if len(img.Layers) != 2 {
				t.Errorf("layers = %d", len(img.Layers))
			}
		})
	})
	t.Run("writer that never writes", func(t *testing.T) {
		fifo := filepath.Join(dir, "stalled")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Fatal(err)
		}
		w, err := os.OpenFile(fifo, os.O_RDWR, 0) // a writer, holding the pipe open
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		within(t, 10*time.Second, func() {
			_, err := Open(ctx, "", Options{Input: fifo, TempDir: filepath.Join(dir, "tmp")})
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("err = %v", err)
			}
		})
	})
	t.Run("no writer", func(t *testing.T) {
		fifo := filepath.Join(dir, "lonely")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		within(t, 10*time.Second, func() {
			_, err := Open(ctx, "", Options{Input: fifo, TempDir: filepath.Join(dir, "tmp")})
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("err = %v", err)
			}
		})
	})
	if entries, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(entries) != 0 {
		t.Errorf("temp files left behind: %v", entries)
	}
}

// An engine that sends more than 4x the image size it reported is cut
// off, and its export removed.
func TestExportBudget(t *testing.T) {
	tmp := t.TempDir()
	exp := &lazyExport{id: "sha256:abc", tempDir: tmp, maxSize: exportBudget(1 << 20), write: func(ctx context.Context, w io.Writer) error {
		_, err := io.Copy(w, io.LimitReader(zeroReader{}, 256<<20))
		return err
	}}
	_, err := exp.image(context.Background())
	if err == nil || !strings.Contains(err.Error(), "4x the image size it reports") {
		t.Fatalf("err = %v", err)
	}
	exp.Close()
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Errorf("temp files left behind: %v", entries)
	}
	if exportBudget(0) != 0 {
		t.Error("an image of unknown size got a budget")
	}
}

// An export stops when the scan is cancelled, even through an engine
// call that does not take ctx.
func TestExportCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	exp := &lazyExport{id: "sha256:abc", tempDir: t.TempDir(), write: func(_ context.Context, w io.Writer) error {
		cancel()
		_, err := io.Copy(w, zeroReader{})
		return err
	}}
	within(t, 10*time.Second, func() {
		if _, err := exp.image(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v", err)
		}
	})
	exp.Close()
}
