package analyze

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/testenv"
	"github.com/docker-scan/docker-scan/engine/types"
)

// benchLangLayer is one gzip layer with a node_modules tree of 30,000
// files (3,000 packages of 10 files) and 200 jars, generated once per
// machine in the test cache.
func benchLangLayer(b *testing.B) (types.Layer, int64) {
	b.Helper()
	dir, err := testenv.Cached("bench-lang-layer", "v1", func(dir string) error {
		_, err := imagebuild.CachedGzipTar(filepath.Join(dir, "layer.tar.gz"), fillLangLayer)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	p := filepath.Join(dir, "layer.tar.gz")
	n, err := imagebuild.CachedGzipTar(p, fillLangLayer)
	if err != nil {
		b.Fatal(err)
	}
	return types.Layer{DiffID: "sha256:benchlang", Open: func() (io.ReadCloser, error) { return os.Open(p) }}, n
}

func fillLangLayer(tw *tar.Writer) error {
	put := func(name string, body []byte) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err := tw.Write(body)
		return err
	}
	js := bytes.Repeat([]byte("module.exports = function (a, b) { return a + b; };\n"), 60)
	for i := range 3000 {
		dir := fmt.Sprintf("srv/app/node_modules/pkg-%d/", i)
		if err := put(dir+"package.json", fmt.Appendf(nil, `{"name": "pkg-%d", "version": "1.%d.0", "license": "MIT", "main": "index.js"}`, i, i%50)); err != nil {
			return err
		}
		for j := range 9 {
			if err := put(fmt.Sprintf("%slib/file%d.js", dir, j), js); err != nil {
				return err
			}
		}
	}
	for i := range 200 {
		var jar bytes.Buffer
		zj := zip.NewWriter(&jar)
		w, _ := zj.Create(fmt.Sprintf("META-INF/maven/com.example/lib%d/pom.properties", i))
		fmt.Fprintf(w, "groupId=com.example\nartifactId=lib%d\nversion=2.%d.0\n", i, i%10)
		for c := range 40 {
			w, _ := zj.Create(fmt.Sprintf("com/example/lib%d/Class%d.class", i, c))
			w.Write(bytes.Repeat([]byte{0xca, 0xfe, 0xba, 0xbe, byte(c)}, 400))
		}
		zj.Close()
		if err := put(fmt.Sprintf("opt/app/lib/lib%d-2.%d.0.jar", i, i%10), jar.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

// BenchmarkLanguageAnalysis: the OS analyzers alone, then with the
// language analyzers, over the node_modules-and-jars layer.
func BenchmarkLanguageAnalysis(b *testing.B) {
	layer, size := benchLangLayer(b)
	for _, c := range []struct {
		name string
		cfg  Config
	}{
		{"os-only", Config{Analyzers: OSAnalyzers()}},
		{"os-and-languages", Config{Analyzers: append(OSAnalyzers(), LanguageAnalyzers()...), Streamers: LanguageStreamers()}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(size)
			var pkgs int
			for b.Loop() {
				res, err := Layer(context.Background(), layer, c.cfg)
				if err != nil {
					b.Fatal(err)
				}
				pkgs = 0
				for _, db := range res.PackageDBs {
					pkgs += len(db.Packages)
				}
			}
			b.ReportMetric(float64(pkgs), "packages")
		})
	}
}
