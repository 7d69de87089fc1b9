package analyze

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/ulikunitz/xz"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/types"
)

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func blobLayer(blob []byte, digest, diffID string) types.Layer {
	return types.Layer{Digest: digest, DiffID: diffID, Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(blob)), nil }}
}

var apkLayer = []imagebuild.File{
	{Path: "etc/alpine-release", Body: "3.20.3\n"},
	{Path: "lib/apk/db/installed", Body: "P:musl\nV:1.2.5-r0\nA:x86_64\n\n"},
}

func TestLayerVerifiesDigests(t *testing.T) {
	plain, _ := imagebuild.TarBytes(apkLayer)
	decoy, _ := imagebuild.TarBytes([]imagebuild.File{{Path: "etc/alpine-release", Body: "3.20.3\n"}})
	gz := gzipped(plain)
	// A forger can append bytes after the tar's end: the walk never reads
	// them, but they are part of the layer's digest.
	tail := append(append([]byte{}, plain...), "appended"...)
	cases := []struct {
		name     string
		layer    types.Layer
		mismatch string // what the error must say; "" for success
	}{
		{"honest gzip", blobLayer(gz, sha(gz), sha(plain)), ""},
		{"honest plain, no blob digest", blobLayer(plain, "", sha(plain)), ""},
		{"decoy claims another diffID", blobLayer(gzipped(decoy), "", sha(plain)), "layer " + sha(plain) + " does not match its digest"},
		{"blob does not match its digest, no diffID", blobLayer(gz, sha(plain), ""), "layer blob " + sha(plain) + " does not match its digest"},
		// The diffID names what is analysed and cached: with it checked,
		// a blob compressed otherwise than its digest says is the same
		// content, and is not hashed a second time.
		{"blob digest off, diffID right", blobLayer(gz, sha(plain), sha(plain)), ""},
		{"bytes after the tar", blobLayer(tail, "", sha(plain)), "does not match its digest"},
		{"unknown algorithm is not checked", blobLayer(gz, "md5:0123", "blake3:abcd"), ""},
		{"plain blob stored under its diffID", blobLayer(plain, sha(plain), sha(plain)), ""},
		{"plain decoy stored under another diffID", blobLayer(decoy, sha(plain), sha(plain)), "layer " + sha(plain) + " does not match its digest"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := Layer(context.Background(), c.layer, Config{Analyzers: OSAnalyzers()})
			if c.mismatch == "" {
				if err != nil || len(res.PackageDBs) != 1 {
					t.Fatalf("res %+v, err %v", res, err)
				}
				return
			}
			var de *DigestError
			if res != nil || !errors.As(err, &de) || !strings.Contains(err.Error(), c.mismatch) || !strings.Contains(err.Error(), "tampered") {
				t.Fatalf("want a digest mismatch %q and no result; got %+v, %v", c.mismatch, res, err)
			}
		})
	}
}

func TestVerifiable(t *testing.T) {
	for d, want := range map[string]bool{
		sha([]byte("x")):                     true,
		"sha512:" + strings.Repeat("ab", 64): true,
		"":                                   false,
		"sha256:x":                           false,
		"sha256:" + strings.Repeat("A", 64):  false,
		"md5:" + strings.Repeat("a", 32):     false,
	} {
		if Verifiable(d) != want {
			t.Errorf("Verifiable(%q) = %v", d, !want)
		}
	}
}

// A layer whose apk database is a hard link to a file earlier in the
// layer, under a path no analyzer wants: the second pass reads it.
func TestLayerHardlinkedPackageDB(t *testing.T) {
	plain, _ := imagebuild.TarBytes([]imagebuild.File{
		{Path: "etc/alpine-release", Body: "3.20.3\n"},
		{Path: "tmp/db", Body: "P:musl\nV:1.2.5-r0\nA:x86_64\n\n"},
		{Path: "lib/apk/db/installed", Type: tar.TypeLink, Linkname: "tmp/db"},
	})
	res, err := Layer(context.Background(), blobLayer(plain, "", sha(plain)), Config{Analyzers: OSAnalyzers()})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.PackageDBs) != 1 || len(res.PackageDBs[0].Packages) != 1 || res.PackageDBs[0].Packages[0].Name != "musl" {
		t.Fatalf("packages = %+v, issues %+v", res.PackageDBs, res.Issues)
	}
	if len(res.Issues) != 0 {
		t.Errorf("issues = %+v", res.Issues)
	}
	// Walk alone cannot read the layer twice: it says so.
	walked := &types.LayerResult{}
	if err := Walk(context.Background(), bytes.NewReader(plain), Config{Analyzers: OSAnalyzers()}, walked); err != nil {
		t.Fatal(err)
	}
	if len(walked.Issues) != 1 || walked.Issues[0].FilePath != "lib/apk/db/installed" {
		t.Errorf("issues = %+v", walked.Issues)
	}
}

// A link to a file an analyzer saw under the target's name is not read
// again: the secret scan wants every file, links included.
func TestWalkHardlinkSeenUnderTarget(t *testing.T) {
	seen, res, err := walkFiles(t,
		imagebuild.File{Path: "usr/bin/a", Body: "x"},
		imagebuild.File{Path: "usr/bin/b", Type: tar.TypeLink, Linkname: "usr/bin/a"},
		imagebuild.File{Path: "usr/bin/c", Type: tar.TypeLink, Linkname: "/not/in/layer"},
	)
	if err != nil || len(seen) != 1 || len(res.Issues) != 0 {
		t.Fatalf("offered %q, issues %+v, err %v", seen, res.Issues, err)
	}
}

func TestWalkLongPathsAreSkipped(t *testing.T) {
	long := strings.Repeat("d/", MaxPathLength/2) + "x"
	seen, res, err := walkFiles(t,
		imagebuild.File{Path: long, Body: "a"},
		imagebuild.File{Path: "etc/link", Type: tar.TypeSymlink, Linkname: long},
		imagebuild.File{Path: "etc/.wh." + strings.Repeat("w", MaxPathLength)},
		imagebuild.File{Path: "ok", Body: "b"},
	)
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 || seen[0] != "ok=b" || len(res.Symlinks) != 0 || len(res.WhiteoutFiles) != 0 {
		t.Errorf("offered %q, symlinks %+v, whiteouts %d", seen, res.Symlinks, len(res.WhiteoutFiles))
	}
	if len(res.Issues) != 1 || !strings.Contains(res.Issues[0].Reason, "3 entries") {
		t.Errorf("issues = %+v", res.Issues)
	}
}

func TestWalkEntryCap(t *testing.T) {
	defer func(n int) { maxEntries = n }(maxEntries)
	maxEntries = 100
	var files []imagebuild.File
	for i := range 101 {
		files = append(files, imagebuild.File{Path: fmt.Sprint("f", i), Type: tar.TypeDir})
	}
	if _, _, err := walkFiles(t, files[:100]...); err != nil {
		t.Fatal(err)
	}
	if _, _, err := walkFiles(t, files...); err == nil || !strings.Contains(err.Error(), "more than 100 entries") {
		t.Fatalf("err = %v", err)
	}
}

func TestLayerBzip2AndXZ(t *testing.T) {
	plain, _ := imagebuild.TarBytes(apkLayer)
	if _, err := exec.LookPath("bzip2"); err == nil {
		cmd := exec.Command("bzip2", "-c")
		cmd.Stdin = bytes.NewReader(plain)
		bz, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		res, err := Layer(context.Background(), blobLayer(bz, sha(bz), sha(plain)), Config{Analyzers: OSAnalyzers()})
		if err != nil || len(res.PackageDBs) != 1 {
			t.Errorf("bzip2: %+v, %v", res, err)
		}
	}
	var xzBlob bytes.Buffer
	w, _ := xz.NewWriter(&xzBlob)
	w.Write(plain)
	w.Close()
	if _, err := Layer(context.Background(), blobLayer(xzBlob.Bytes(), "", ""), Config{Analyzers: OSAnalyzers()}); err == nil || !strings.Contains(err.Error(), "xz-compressed") {
		t.Errorf("xz: %v", err)
	}
}

// cancelAfter cancels a context once n bytes have been read.
type cancelAfter struct {
	r      io.Reader
	n      int
	cancel func()
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.n -= n; c.n <= 0 {
		c.cancel()
	}
	return n, err
}

// Draining what follows the tar's end stops when the scan is cancelled.
func TestLayerDrainIsCancelled(t *testing.T) {
	plain, _ := imagebuild.TarBytes(apkLayer)
	blob := append(append([]byte{}, plain...), make([]byte, 64<<20)...)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	layer := types.Layer{DiffID: sha(blob), Open: func() (io.ReadCloser, error) {
		return io.NopCloser(&cancelAfter{r: bytes.NewReader(blob), n: len(plain) + 8<<20, cancel: cancel}), nil
	}}
	if _, err := Layer(ctx, layer, Config{Analyzers: OSAnalyzers()}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

// skippedByParents is the former skip-dirs check, one match per parent
// directory: the single "PAT/**" match must agree with it.
func skippedByParents(pats []string, name string) bool {
	c := Config{}
	for dir := path.Dir(name); dir != "." && dir != "/"; dir = path.Dir(dir) {
		for _, pat := range pats {
			c.SkipFiles = []string{strings.TrimSuffix(strings.TrimPrefix(pat, "/"), "/")}
			if c.skipped(dir) {
				return true
			}
		}
	}
	return false
}

func TestSkipDirsMatchesEveryParent(t *testing.T) {
	pats := [][]string{{"**/node_modules"}, {"/var/cache/"}, {"usr/*/x"}, {"a"}, {"**"}, {"*/b/**"}, {"a/b/c"}}
	names := []string{"a", "a/b", "a/b/c", "a/b/c/d", "x/node_modules/p.json", "node_modules/a/b", "var/cache/x/y", "var/cachex/y", "usr/lib/x/y", "usr/lib/y/x", "q/b/r/s", "b/a"}
	for _, p := range pats {
		for _, n := range names {
			if got, want := (Config{SkipDirs: p}).skipped(n), skippedByParents(p, n); got != want {
				t.Errorf("skip-dirs %q, %s: skipped = %v, want %v", p, n, got, want)
			}
		}
	}
}

// Links cost little input each but make analyzers read their target
// again: past a cap they are counted in one issue instead.
func TestLayerHardlinkCap(t *testing.T) {
	files := []imagebuild.File{{Path: "tmp/db", Body: "P:musl\nV:1.2.5-r0\n\n"}}
	for range maxHardlinks + 5 {
		files = append(files, imagebuild.File{Path: "lib/apk/db/installed", Type: tar.TypeLink, Linkname: "tmp/db"})
	}
	plain, _ := imagebuild.TarBytes(files)
	res, err := Layer(context.Background(), blobLayer(plain, "", sha(plain)), Config{Analyzers: OSAnalyzers()})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.PackageDBs) != maxHardlinks || len(res.Issues) != 1 || !strings.HasPrefix(res.Issues[0].Reason, "5 hard links were not analysed") {
		t.Errorf("%d package DBs, issues %+v", len(res.PackageDBs), res.Issues)
	}
}

// failer fails on every file with a long, multi-line reason.
type failer struct{}

func (failer) Name() string             { return "failer" }
func (failer) Version() int             { return 1 }
func (failer) Wants(string, int64) bool { return true }
func (failer) Analyze(p string, _ []byte, _ *types.LayerResult) error {
	return errors.New(strings.Repeat("bad\nline ", 1000))
}

// A layer of many malformed files keeps a bounded list of issues.
func TestWalkIssueCap(t *testing.T) {
	var files []imagebuild.File
	for i := range maxIssues + 10 {
		files = append(files, imagebuild.File{Path: fmt.Sprint("f", i), Body: "x"})
	}
	b, _ := imagebuild.TarBytes(files)
	res := &types.LayerResult{}
	if err := Walk(context.Background(), bytes.NewReader(b), Config{Analyzers: []Analyzer{failer{}}}, res); err != nil {
		t.Fatal(err)
	}
	if len(res.Issues) != maxIssues+1 || res.Issues[maxIssues].Reason != "10 more files of this layer could not be fully analysed" {
		t.Fatalf("%d issues, last %+v", len(res.Issues), res.Issues[len(res.Issues)-1])
	}
	if r := res.Issues[0].Reason; len(r) > maxReason+3 || strings.Contains(r, "\n") {
		t.Errorf("reason of %d bytes: %q", len(r), r)
	}
}

// zstdFrame wraps data in one raw block of a zstd frame whose header
// declares a window of 2^windowLog bytes, as a hostile encoder may.
func zstdFrame(windowLog int, data []byte) []byte {
	frame := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, byte(windowLog-10) << 3}
	hdr := uint32(1) | uint32(len(data))<<3 // last block, raw
	frame = append(frame, byte(hdr), byte(hdr>>8), byte(hdr>>16))
	return append(frame, data...)
}

func TestLayerZstdWindowCap(t *testing.T) {
	plain, _ := imagebuild.TarBytes(apkLayer)
	small := zstdFrame(20, plain)
	res, err := Layer(context.Background(), blobLayer(small, sha(small), sha(plain)), Config{Analyzers: OSAnalyzers()})
	if err != nil || len(res.PackageDBs) != 1 {
		t.Fatalf("1 MiB window: %+v, %v", res, err)
	}
	// A header asking for a 1 GiB window would make the decoder hold
	// that much of history: refused, as the zstd tool refuses it.
	huge := zstdFrame(30, plain)
	if _, err := Layer(context.Background(), blobLayer(huge, sha(huge), sha(plain)), Config{Analyzers: OSAnalyzers()}); err == nil {
		t.Fatal("a 1 GiB zstd window was accepted")
	}
}
