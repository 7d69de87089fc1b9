package analyze

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/types"
)

// recorder wants every file and records what it was offered.
type recorder struct{ seen *[]string }

func (recorder) Name() string             { return "recorder" }
func (recorder) Version() int             { return 1 }
func (recorder) Wants(string, int64) bool { return true }
func (r recorder) Analyze(p string, c []byte, _ *types.LayerResult) error {
	*r.seen = append(*r.seen, p+"="+string(c))
	return nil
}

func walkFiles(t *testing.T, files ...imagebuild.File) ([]string, *types.LayerResult, error) {
	t.Helper()
	b, err := imagebuild.TarBytes(files)
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	res := &types.LayerResult{}
	err = Walk(context.Background(), bytes.NewReader(b), Config{Analyzers: []Analyzer{recorder{&seen}}}, res)
	return seen, res, err
}

func TestWalkHostileEntries(t *testing.T) {
	seen, res, err := walkFiles(t,
		imagebuild.File{Path: "../../../../tmp/escape", Body: "a"},
		imagebuild.File{Path: "/etc/absolute", Body: "b"},
		imagebuild.File{Path: "./usr//lib/../lib/./x", Body: "c"},
		imagebuild.File{Path: "dev/null", Type: tar.TypeChar},
		imagebuild.File{Path: "dev/sda", Type: tar.TypeBlock},
		imagebuild.File{Path: "run/fifo", Type: tar.TypeFifo},
		imagebuild.File{Path: "etc/hard", Type: tar.TypeLink, Linkname: "etc/absolute"},
		imagebuild.File{Path: "etc/os-release", Type: tar.TypeSymlink, Linkname: "../usr/lib/os-release"},
		imagebuild.File{Path: "../", Type: tar.TypeDir},
		imagebuild.File{Path: strings.Repeat("d/", 2000) + "deep", Body: "e"},
	)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"tmp/escape=a", "etc/absolute=b", "usr/lib/x=c", strings.Repeat("d/", 2000) + "deep=e"}
	if !slices.Equal(seen, want) {
		t.Errorf("offered %q, want %q", seen, want)
	}
	if len(res.Symlinks) != 1 || res.Symlinks[0] != (types.Symlink{Path: "etc/os-release", Target: "../usr/lib/os-release"}) {
		t.Errorf("symlinks = %+v", res.Symlinks)
	}
}

func TestWalkWhiteouts(t *testing.T) {
	seen, res, err := walkFiles(t,
		imagebuild.File{Path: "etc/.wh.passwd"},
		imagebuild.File{Path: "var/lib/.wh..wh..opq"},
		imagebuild.File{Path: ".wh.top"},
		imagebuild.File{Path: "var/lib/new", Body: "n"},
	)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.WhiteoutFiles, []string{"etc/passwd", "top"}) || !slices.Equal(res.OpaqueDirs, []string{"var/lib"}) {
		t.Errorf("whiteouts %q, opaque %q", res.WhiteoutFiles, res.OpaqueDirs)
	}
	if !slices.Equal(seen, []string{"var/lib/new=n"}) {
		t.Errorf("offered %q", seen)
	}
}

func TestWalkBrokenTar(t *testing.T) {
	b, err := imagebuild.TarBytes([]imagebuild.File{{Path: "lib/apk/db/installed", Body: strings.Repeat("P:x\nV:1\n\n", 100)}})
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string][]byte{
		"truncated content": b[:700],
		"garbage header":    bytes.Repeat([]byte{0xff}, 1024),
	}
	// A PAX extended header claiming 8 GiB: archive/tar refuses it rather
	// than buffering it.
	tests["huge pax header"] = rawHeader("PaxHeaders/x", tar.TypeXHeader, 8<<30)
	// A file claiming 8 GiB of content that is not there.
	tests["lying size"] = rawHeader("lib/apk/db/installed", tar.TypeReg, 8<<30)

	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			err := Walk(context.Background(), bytes.NewReader(data), Config{Analyzers: OSAnalyzers()}, &types.LayerResult{})
			if err == nil {
				t.Fatal("no error for a broken layer")
			}
		})
	}
}

func TestLayerCompressions(t *testing.T) {
	plain, err := imagebuild.TarBytes([]imagebuild.File{
		{Path: "etc/alpine-release", Body: "3.20.3\n"},
		{Path: "lib/apk/db/installed", Body: "P:musl\nV:1.2.5-r0\nA:x86_64\n\n"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var gz, zs bytes.Buffer
	gw := gzip.NewWriter(&gz)
	gw.Write(plain)
	gw.Close()
	zw, _ := zstd.NewWriter(&zs)
	zw.Write(plain)
	zw.Close()
	for name, blob := range map[string][]byte{"plain": plain, "gzip": gz.Bytes(), "zstd": zs.Bytes()} {
		t.Run(name, func(t *testing.T) {
			layer := types.Layer{DiffID: "sha256:x", Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(blob)), nil }}
			res, err := Layer(context.Background(), layer, Config{Analyzers: OSAnalyzers()})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.OSReleases) != 1 || res.OSReleases[0].Name != "3.20.3" {
				t.Errorf("os = %+v", res.OSReleases)
			}
			if len(res.PackageDBs) != 1 || res.PackageDBs[0].Packages[0].ID != "musl@1.2.5-r0" {
				t.Errorf("packages = %+v", res.PackageDBs)
			}
		})
	}
}

func TestWalkMalformedPackageDB(t *testing.T) {
	b, _ := imagebuild.TarBytes([]imagebuild.File{
		{Path: "var/lib/dpkg/status", Body: "Package: a\nnot a field\n"},
		{Path: "etc/alpine-release", Body: "3.20.3\n"},
	})
	res := &types.LayerResult{DiffID: "sha256:layer"}
	if err := Walk(context.Background(), bytes.NewReader(b), Config{Analyzers: OSAnalyzers()}, res); err != nil {
		t.Fatalf("a malformed file failed the layer: %v", err)
	}
	if len(res.Issues) != 1 {
		t.Fatalf("issues = %+v", res.Issues)
	}
	is := res.Issues[0]
	if is.Layer != "sha256:layer" || is.Analyzer != "dpkg" || is.FilePath != "var/lib/dpkg/status" || !strings.Contains(is.Reason, "line 2") {
		t.Errorf("issue %+v should name the layer, analyzer, file and line", is)
	}
	if len(res.OSReleases) != 1 {
		t.Errorf("the walk did not go on past the malformed file: %+v", res.OSReleases)
	}
}

// panicker panics on every file it is given.
type panicker struct{}

func (panicker) Name() string                                     { return "panicker" }
func (panicker) Version() int                                     { return 1 }
func (panicker) Wants(string, int64) bool                         { return true }
func (panicker) Analyze(string, []byte, *types.LayerResult) error { panic("boom") }

func TestWalkAnalyzerPanics(t *testing.T) {
	b, _ := imagebuild.TarBytes([]imagebuild.File{{Path: "a", Body: "x"}, {Path: "b", Body: "y"}})
	var seen []string
	res := &types.LayerResult{}
	cfg := Config{Analyzers: []Analyzer{panicker{}, recorder{&seen}}}
	if err := Walk(context.Background(), bytes.NewReader(b), cfg, res); err != nil {
		t.Fatal(err)
	}
	if len(res.Issues) != 2 || !strings.Contains(res.Issues[0].Reason, "boom") || len(seen) != 2 {
		t.Errorf("issues %+v, offered %q", res.Issues, seen)
	}
}

// failingStreamer takes every file as a stream and fails on it.
type failingStreamer struct{}

func (failingStreamer) Name() string                                        { return "failing" }
func (failingStreamer) Version() int                                        { return 1 }
func (failingStreamer) WantsStream(string, int64, fs.FileMode, []byte) bool { return true }
func (failingStreamer) AnalyzeStream(string, int64, io.Reader, *types.LayerResult) error {
	return errors.New("not a binary")
}

func TestWalkStreamerErrorIsAnIssue(t *testing.T) {
	b, _ := imagebuild.TarBytes([]imagebuild.File{{Path: "usr/bin/x", Body: strings.Repeat("x", 100)}, {Path: "etc/alpine-release", Body: "3.20.3\n"}})
	res := &types.LayerResult{}
	cfg := Config{Analyzers: OSAnalyzers(), Streamers: []StreamAnalyzer{failingStreamer{}}}
	if err := Walk(context.Background(), bytes.NewReader(b), cfg, res); err != nil {
		t.Fatal(err)
	}
	if len(res.Issues) != 1 || res.Issues[0].Analyzer != "failing" || res.Issues[0].FilePath != "usr/bin/x" || len(res.OSReleases) != 1 {
		t.Errorf("issues %+v, os %+v", res.Issues, res.OSReleases)
	}
}

func TestWalkCancelled(t *testing.T) {
	b, _ := imagebuild.TarBytes([]imagebuild.File{{Path: "a", Body: "x"}})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Walk(ctx, bytes.NewReader(b), Config{Analyzers: OSAnalyzers()}, &types.LayerResult{}); err == nil {
		t.Fatal("a cancelled walk returned no error")
	}
}

func FuzzWalk(f *testing.F) {
	seed, _ := imagebuild.TarBytes([]imagebuild.File{
		{Path: "etc/alpine-release", Body: "3.20.3\n"},
		{Path: "lib/apk/db/installed", Body: "P:musl\nV:1.2.5-r0\n\n"},
		{Path: "var/lib/dpkg/status", Body: "Package: a\nStatus: install ok installed\nVersion: 1\n"},
		{Path: "etc/.wh.x"},
		{Path: "../../x", Type: tar.TypeSymlink, Linkname: "/etc/passwd"},
	})
	f.Add(seed)
	var gz bytes.Buffer
	gw := gzip.NewWriter(&gz)
	gw.Write(seed)
	gw.Close()
	f.Add(gz.Bytes())
	hostile, _ := imagebuild.TarBytes([]imagebuild.File{
		{Path: "tmp/db", Body: "P:musl\nV:1.2.5-r0\n\n"},
		{Path: "lib/apk/db/installed", Type: tar.TypeLink, Linkname: "tmp/db"},
		{Path: "lib/apk/db/installed2", Type: tar.TypeLink, Linkname: "../../lib/apk/db/installed"},
		{Path: strings.Repeat("l/", MaxPathLength/2+1), Body: "x"},
		{Path: "etc/.wh..wh..opq"},
	})
	f.Add(hostile)
	f.Add(append([]byte("BZh9"), hostile...))
	f.Add(append([]byte{0xfd, '7', 'z', 'X', 'Z', 0}, hostile...))
	f.Fuzz(func(t *testing.T, data []byte) {
		// Claiming the data's own digest as diffID exercises verification:
		// a plain tar must pass it.
		layer := types.Layer{DiffID: sha(data), Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}
		res, err := Layer(context.Background(), layer, Config{Analyzers: OSAnalyzers()})
		var mismatch *DigestError
		if errors.As(err, &mismatch) && !bytes.HasPrefix(data, gzipMagic) && !bytes.HasPrefix(data, zstdMagic) && !bytes.HasPrefix(data, bzip2Magic) {
			t.Fatalf("a plain tar failed its own digest: %v", err)
		}
		if err != nil {
			return
		}
		for _, p := range append(res.WhiteoutFiles, res.OpaqueDirs...) {
			if strings.HasPrefix(p, "/") || strings.HasPrefix(p, "../") || p == ".." {
				t.Fatalf("path escapes the root: %q", p)
			}
		}
	})
}

// rawHeader builds a ustar header block by hand, to say what tar.Writer
// would refuse to write.
func rawHeader(name string, typ byte, size int64) []byte {
	b := make([]byte, 512)
	copy(b[0:], name)
	copy(b[100:], "0000644\x00")
	copy(b[108:], "0000000\x00")
	copy(b[116:], "0000000\x00")
	copy(b[124:], fmt.Sprintf("%011o\x00", size))
	copy(b[136:], "00000000000\x00")
	b[156] = typ
	copy(b[257:], "ustar\x0000")
	copy(b[148:], "        ")
	sum := 0
	for _, c := range b {
		sum += int(c)
	}
	copy(b[148:], fmt.Sprintf("%06o\x00 ", sum))
	return append(b, make([]byte, 1024)...)
}

func TestWalkSkipFilesAndDirs(t *testing.T) {
	b, _ := imagebuild.TarBytes([]imagebuild.File{
		{Path: "app/node_modules/a/package.json", Body: "1"},
		{Path: "app/src/main.go", Body: "2"},
		{Path: "etc/secret.key", Body: "3"},
		{Path: "etc/hosts", Body: "4"},
		{Path: "var/cache/x/y", Body: "5"},
	})
	var seen []string
	cfg := Config{
		Analyzers: []Analyzer{recorder{&seen}},
		SkipFiles: []string{"/etc/*.key"},
		SkipDirs:  []string{"**/node_modules", "/var/cache/"},
	}
	if err := cfg.ValidatePatterns(); err != nil {
		t.Fatal(err)
	}
	if err := Walk(context.Background(), bytes.NewReader(b), cfg, &types.LayerResult{}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"app/src/main.go=2", "etc/hosts=4"}; !slices.Equal(seen, want) {
		t.Errorf("offered %q, want %q", seen, want)
	}
	if err := (Config{SkipFiles: []string{"a[b"}}).ValidatePatterns(); err == nil {
		t.Error("a bad glob was accepted")
	}
}

// elfStreamer takes executable files that start like ELF.
type elfStreamer struct{ got *[]string }

func (elfStreamer) Name() string { return "elf" }
func (elfStreamer) Version() int { return 1 }
func (elfStreamer) WantsStream(_ string, _ int64, mode fs.FileMode, head []byte) bool {
	return mode&0o111 != 0 && bytes.HasPrefix(head, []byte("\x7fELF"))
}
func (s elfStreamer) AnalyzeStream(p string, _ int64, r io.Reader, _ *types.LayerResult) error {
	b := make([]byte, 8)
	io.ReadFull(r, b)
	*s.got = append(*s.got, p+"="+string(b[4:]))
	return nil
}

func TestWalkStreamers(t *testing.T) {
	elf := "\x7fELFtail" + strings.Repeat("x", 100)
	b, _ := imagebuild.TarBytes([]imagebuild.File{
		{Path: "usr/bin/app", Body: elf, Mode: 0o755},
		{Path: "usr/share/app.elf", Body: elf, Mode: 0o644},
		{Path: "usr/bin/script", Body: "#!/bin/sh\n" + strings.Repeat("echo hi\n", 20), Mode: 0o755},
	})
	var streamed, seen []string
	cfg := Config{Analyzers: []Analyzer{recorder{&seen}}, Streamers: []StreamAnalyzer{elfStreamer{&streamed}}}
	if err := Walk(context.Background(), bytes.NewReader(b), cfg, &types.LayerResult{}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(streamed, []string{"usr/bin/app=tail"}) {
		t.Errorf("streamed %q", streamed)
	}
	// The others still get whole contents, first bytes included.
	if len(seen) != 2 || !strings.HasPrefix(seen[0], "usr/share/app.elf=\x7fELFtail") || !strings.HasPrefix(seen[1], "usr/bin/script=#!/bin/sh\n") {
		t.Errorf("offered %q", seen)
	}
}
