package license_test

import (
	"archive/tar"
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker-scan/docker-scan/engine/analyze"
	"github.com/docker-scan/docker-scan/engine/analyze/license"
	"github.com/docker-scan/docker-scan/engine/types"
)

// benchTrees are real trees of this machine, as an image holds them:
// Debian's package documentation (a copyright file per package) and the
// node_modules that npm ships.
var benchTrees = []string{"/usr/share/doc", "/usr/lib/node_modules/npm"}

// benchLayer tars the trees (regular files up to 1 MiB) and counts the
// files the analyzer reads and the bytes of those.
func benchLayer(b *testing.B, a analyze.Analyzer) (layer []byte, files int) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	head := a.(analyze.HeadFilter)
	for _, root := range benchTrees {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return nil
			}
			content, err := os.ReadFile(p)
			if err != nil || len(content) > 1<<20 {
				return nil
			}
			name := strings.TrimPrefix(p, "/")
			if a.Wants(name, int64(len(content))) && head.WantsHead(name, content[:min(len(content), analyze.HeadSize)]) {
				files++
			}
			if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
				return err
			}
			_, err = tw.Write(content)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		b.Fatal(err)
	}
	if files == 0 {
		b.Skip("no licence files under", benchTrees)
	}
	return buf.Bytes(), files
}

// BenchmarkLicenseFull walks a layer of real licence files, copyright
// files and package sources with the --license-full analyzer; it reports
// the classifier's load time (paid once per process) and the time per
// file read.
func BenchmarkLicenseFull(b *testing.B) {
	start := time.Now()
	if _, err := license.Load(); err != nil {
		b.Fatal(err)
	}
	load := time.Since(start)
	analyzers, err := analyze.LicenseAnalyzers(license.Options{})
	if err != nil {
		b.Fatal(err)
	}
	layer, files := benchLayer(b, analyzers[0])
	var res *types.LayerResult
	b.ResetTimer()
	for b.Loop() {
		res = &types.LayerResult{}
		if err := analyze.Walk(context.Background(), bytes.NewReader(layer), analyze.Config{Analyzers: analyzers}, res); err != nil {
			b.Fatal(err)
		}
	}
	found := 0
	for _, f := range res.Licenses {
		if len(f.Findings) > 0 {
			found++
		}
	}
	b.ReportMetric(float64(load.Milliseconds()), "load-ms")
	b.ReportMetric(float64(files), "files-read")
	b.ReportMetric(float64(found), "files-with-licence")
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(files), "µs/file")
	b.ReportMetric(float64(len(layer)>>20), "layer-MiB")
}
