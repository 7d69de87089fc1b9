package imagebuild

import (
	"archive/tar"
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"

	"github.com/klauspost/compress/gzip"
)

// WriteGzipTar writes a gzipped tar filled by fill to path (through a
// .partial file renamed when complete) and returns its uncompressed size.
func WriteGzipTar(path string, fill func(*tar.Writer) error) (int64, error) {
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

func fillBenchLayer(tw *tar.Writer, seed, files int) error {
	rng := rand.New(rand.NewPCG(uint64(seed), 42))
	words := strings.Fields("the of and to in is that for it as with was on be by this are or from at which but not have an they all were we one there can more has been if no so will would other what about out up some into them only time these two may then do first any my now such like our over man me even most made after also did many before must through back years where much your way well down should because each just those people how too little state good very make world still own see men work long get here between both life being under never day same another know while last might us great old year off come since against go came right used take three")
	buf := make([]byte, 0, 1<<20)
	for i := range files {
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

// CachedGzipTar returns the uncompressed size of the gzipped tar at path,
// writing it with fill first if a run before has not (benchmark layers are
// generated once per machine and kept under the temp dir).
func CachedGzipTar(path string, fill func(*tar.Writer) error) (int64, error) {
	sizeFile := path + ".size"
	if raw, err := os.ReadFile(sizeFile); err == nil {
		var n int64
		if _, err := fmt.Sscan(string(raw), &n); err == nil {
			return n, nil
		}
	}
	n, err := WriteGzipTar(path, fill)
	if err != nil {
		return 0, err
	}
	return n, os.WriteFile(sizeFile, []byte(fmt.Sprint(n)), 0o644)
}

// BenchLayerFill fills a benchmark layer of files files (seed makes it
// differ from others; seed 0 holds an apk DB of 300 packages and a few
// large logs). Mixed text, source code, binary-like files and a few .env
// files with (made-up) tokens, it compresses about as well as real layers.
func BenchLayerFill(seed, files int) func(*tar.Writer) error {
	return func(tw *tar.Writer) error { return fillBenchLayer(tw, seed, files) }
}

// GzipTarDigests are the real digests of the gzipped tar at path (the
// blob's and the uncompressed stream's, the diffID), so that benchmark
// layers are verified as a scan verifies real ones.
func GzipTarDigests(path string) (digest, diffID string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	blob, stream := sha256.New(), sha256.New()
	zr, err := gzip.NewReader(io.TeeReader(f, blob))
	if err != nil {
		return "", "", err
	}
	if _, err := io.Copy(stream, zr); err != nil {
		return "", "", err
	}
	if _, err := io.Copy(blob, f); err != nil {
		return "", "", err
	}
	return "sha256:" + hex.EncodeToString(blob.Sum(nil)), "sha256:" + hex.EncodeToString(stream.Sum(nil)), nil
}
