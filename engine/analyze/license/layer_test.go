package license_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/analyze"
	"github.com/docker-scan/docker-scan/engine/analyze/license"
	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/merge"
	"github.com/docker-scan/docker-scan/engine/types"
)

func read(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// comment puts text in a block comment, as source files carry headers.
func comment(text string) string {
	var b strings.Builder
	b.WriteString("/*!\n")
	for line := range strings.Lines(text) {
		b.WriteString(" * " + line)
	}
	b.WriteString(" */\n")
	return b.String()
}

func randomBytes(seed uint64, n int, printable bool) string {
	rng := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		if printable {
			b[i] = byte(' ' + rng.IntN(95))
			if rng.IntN(60) == 0 {
				b[i] = '\n'
			}
		} else {
			b[i] = byte(rng.IntN(256))
		}
	}
	return string(b)
}

const dep5 = `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: fieldpkg
Source: https://example.org/fieldpkg

Files: *
Copyright: 2024 The Example Project Authors
License: MIT

License: MIT
`

func walk(t *testing.T, opts license.Options, layer ...imagebuild.File) *types.LayerResult {
	t.Helper()
	b, err := imagebuild.TarBytes(layer)
	if err != nil {
		t.Fatal(err)
	}
	analyzers, err := analyze.LicenseAnalyzers(opts)
	if err != nil {
		t.Fatal(err)
	}
	res := &types.LayerResult{DiffID: "sha256:" + strings.Repeat("1", 64)}
	if err := analyze.Walk(context.Background(), bytes.NewReader(b), analyze.Config{Analyzers: analyzers}, res); err != nil {
		t.Fatal(err)
	}
	return res
}

// TestLicenseFull walks a layer holding licence texts, texts that are
// none, Debian copyright files and package sources, and merges it under a
// layer that deletes some of them.
func TestLicenseFull(t *testing.T) {
	mit := read(t, "MIT.txt")
	bottom := walk(t, license.Options{},
		imagebuild.File{Path: "opt/mit/LICENSE", Body: mit},
		imagebuild.File{Path: "opt/apache/LICENSE.txt", Body: read(t, "Apache-2.0.txt")},
		imagebuild.File{Path: "opt/gpl/COPYING", Body: read(t, "GPL-3.0.txt")},
		imagebuild.File{Path: "opt/bsd/LICENSE.md", Body: read(t, "BSD-3-Clause.txt")},
		imagebuild.File{Path: "opt/prose/NOTICE", Body: read(t, "english.txt")},
		imagebuild.File{Path: "opt/noise/LICENSE", Body: randomBytes(1, 20000, false)},
		imagebuild.File{Path: "opt/printable/LICENSE", Body: "license\n" + randomBytes(2, 20000, true)},
		imagebuild.File{Path: "usr/share/doc/fieldpkg/copyright", Body: dep5 + mit},
		imagebuild.File{Path: "usr/share/doc/textpkg/copyright", Body: "This package was put together by a maintainer.\n\n" + mit},
		imagebuild.File{Path: "srv/app/node_modules/x/index.js", Body: comment(mit) + "module.exports = function x() { return 1 }\n"},
		imagebuild.File{Path: "srv/app/node_modules/x/util.js", Body: "module.exports.add = (a, b) => a + b\n"},
		imagebuild.File{Path: "srv/app/src/main.js", Body: comment(mit) + "console.log('app')\n"},
	)
	for _, is := range bottom.Issues {
		t.Errorf("issue: %+v", is)
	}
	byPath := map[string]types.LicenseFile{}
	for _, f := range bottom.Licenses {
		byPath[f.FilePath] = f
	}
	found := func(path, typ, name string) {
		t.Helper()
		f, ok := byPath[path]
		if !ok {
			t.Errorf("%s: not listed", path)
			return
		}
		if f.Type != typ || len(f.Findings) != 1 || f.Findings[0].Name != name || f.Findings[0].Confidence < license.DefaultThreshold ||
			f.Findings[0].Link != "https://spdx.org/licenses/"+name+".html" {
			t.Errorf("%s: %+v, want %s %s", path, f, typ, name)
		}
	}
	found("opt/mit/LICENSE", types.LicenseTypeFile, "MIT")
	found("opt/apache/LICENSE.txt", types.LicenseTypeFile, "Apache-2.0")
	found("opt/gpl/COPYING", types.LicenseTypeFile, "GPL-3.0")
	found("opt/bsd/LICENSE.md", types.LicenseTypeFile, "BSD-3-Clause")
	found("usr/share/doc/textpkg/copyright", types.LicenseTypeDpkg, "MIT")
	found("srv/app/node_modules/x/index.js", types.LicenseTypeHeader, "MIT")
	if f := byPath["usr/share/doc/textpkg/copyright"]; f.PkgName != "textpkg" {
		t.Errorf("copyright file's package: %+v", f)
	}
	// Licence files without a licence are listed with no findings (they
	// hide lower copies); a copyright file the dpkg analyzer reads too.
	for _, p := range []string{"opt/prose/NOTICE", "opt/printable/LICENSE", "usr/share/doc/fieldpkg/copyright"} {
		if f, ok := byPath[p]; !ok || len(f.Findings) != 0 {
			t.Errorf("%s: %+v (listed %v), want no findings", p, f, ok)
		}
	}
	// Binary content, sources without licence, sources outside package
	// directories: not listed.
	for _, p := range []string{"opt/noise/LICENSE", "srv/app/node_modules/x/util.js", "srv/app/src/main.js"} {
		if f, ok := byPath[p]; ok {
			t.Errorf("%s listed: %+v", p, f)
		}
	}

	top := walk(t, license.Options{},
		imagebuild.File{Path: "opt/mit/.wh.LICENSE"},
		imagebuild.File{Path: "opt/bsd/.wh..wh..opq"},
		imagebuild.File{Path: "opt/gpl/COPYING", Body: read(t, "english.txt")},
	)
	top.DiffID = "sha256:" + strings.Repeat("2", 64)
	art := merge.Layers([]*types.LayerResult{bottom, top})
	var got []string
	for _, f := range art.Licenses {
		got = append(got, f.FilePath+"="+f.Findings[0].Name)
		if f.Layer.DiffID != bottom.DiffID {
			t.Errorf("%s: layer %+v", f.FilePath, f.Layer)
		}
	}
	want := "opt/apache/LICENSE.txt=Apache-2.0 srv/app/node_modules/x/index.js=MIT usr/share/doc/textpkg/copyright=MIT"
	if strings.Join(got, " ") != want {
		t.Errorf("artifact licences:\n got %s\nwant %s", strings.Join(got, " "), want)
	}
}

// TestThresholdInCacheKey: scans with different thresholds never share a
// cached layer result.
func TestThresholdInCacheKey(t *testing.T) {
	key := func(th float64) string {
		a, err := analyze.LicenseAnalyzers(license.Options{Threshold: th})
		if err != nil {
			t.Fatal(err)
		}
		return analyze.Config{Analyzers: a}.CacheKey("sha256:x")
	}
	if key(0.9) == key(0.95) || key(0.9) != key(0) {
		t.Error("the threshold does not decide the cache key")
	}
	if _, err := analyze.LicenseAnalyzers(license.Options{Threshold: 2}); err == nil {
		t.Error("threshold 2 accepted")
	}
}
