package main

// Hostile layers and image sources: each case builds its image with a
// generator below and scans it with the real binary (runHostile).

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/klauspost/compress/gzip"
	"github.com/ulikunitz/xz"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/testenv"
	"github.com/docker-scan/docker-scan/engine/types"
)

const githubToken = "GITHUB_TOKEN=ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8\n"

// saveLayer is one layer of a hand-written docker save archive: its blob
// as stored, and the diffID the config claims for it.
type saveLayer struct {
	blob   []byte
	diffID string
}

func plainLayer(t *testing.T, files ...imagebuild.File) saveLayer {
	t.Helper()
	b, err := imagebuild.TarBytes(files)
	if err != nil {
		t.Fatal(err)
	}
	return saveLayer{blob: b, diffID: sha256Of(b)}
}

func sha256Of(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// writeDockerSave writes a docker save archive as old Docker did
// (<n>/layer.tar, no digests in file names): every layer is checked by
// the diffID its config claims, and nothing else.
func writeDockerSave(t *testing.T, path, tag string, layers ...saveLayer) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	add := func(name string, b []byte) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Size: int64(len(b)), Mode: 0o644, Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(b)
	}
	diffIDs := make([]string, 0, len(layers))
	paths := make([]string, 0, len(layers))
	for i, l := range layers {
		diffIDs = append(diffIDs, l.diffID)
		p := fmt.Sprintf("%d/layer.tar", i)
		paths = append(paths, p)
		add(p, l.blob)
	}
	config, _ := json.Marshal(map[string]any{
		"architecture": "amd64", "os": "linux",
		"rootfs": map[string]any{"type": "layers", "diff_ids": diffIDs},
	})
	add("config.json", config)
	manifest, _ := json.Marshal([]map[string]any{{"Config": "config.json", "RepoTags": []string{tag}, "Layers": paths}})
	add("manifest.json", manifest)
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
}

func secretsIn(t *testing.T, stdout string) []string {
	t.Helper()
	var rep types.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, tail([]byte(stdout), 2000))
	}
	var ids []string
	for _, r := range rep.Results {
		for _, s := range r.Secrets {
			ids = append(ids, r.Target+":"+s.RuleID)
		}
	}
	return ids
}

// A decoy (one clean layer claiming the diffID of a layer that leaks a
// token) scanned with the same cache as the real image, in either order,
// must not hide the real image's finding.
func TestHostileLayersCachePoisoning(t *testing.T) {
	dir := t.TempDir()
	leaky := plainLayer(t, imagebuild.File{Path: "etc/alpine-release", Body: "3.20.3\n"}, imagebuild.File{Path: "app/.env", Body: githubToken})
	clean := plainLayer(t, imagebuild.File{Path: "etc/alpine-release", Body: "3.20.3\n"})
	real, decoy := filepath.Join(dir, "real.tar"), filepath.Join(dir, "decoy.tar")
	writeDockerSave(t, real, "real:1", leaky)
	writeDockerSave(t, decoy, "decoy:1", saveLayer{blob: clean.blob, diffID: leaky.diffID})
	for _, order := range [][]string{{decoy, real}, {real, decoy}} {
		t.Run("first "+filepath.Base(order[0]), func(t *testing.T) {
			cache := filepath.Join(t.TempDir(), "cache")
			for _, input := range order {
				r := runHostile(t, "image", "--input", input, "--cache-dir", cache, "--scanners", "secret", "--format", "json", "--exit-code", "0", "--quiet")
				if input == decoy {
					if r.exit != 0 {
						r.oneErrorLine(t, "does not match its digest")
					}
					continue
				}
				if r.exit != 0 || len(secretsIn(t, r.stdout)) != 1 {
					t.Errorf("the real image: exit %d, secrets %v\n%s", r.exit, secretsIn(t, r.stdout), r.stderr)
				}
			}
		})
	}
}

// A docker save whose layer tar was swapped for another image's.
func TestHostileLayersSwappedLayer(t *testing.T) {
	dir := t.TempDir()
	a := plainLayer(t, imagebuild.File{Path: "app/.env", Body: githubToken})
	b := plainLayer(t, imagebuild.File{Path: "etc/alpine-release", Body: "3.20.3\n"})
	swapped := filepath.Join(dir, "swapped.tar")
	writeDockerSave(t, swapped, "swapped:1", saveLayer{blob: b.blob, diffID: a.diffID})
	r := runHostile(t, "image", "--input", swapped, "--cache-dir", filepath.Join(dir, "cache"), "--scanners", "secret", "--quiet")
	r.oneErrorLine(t, "layer "+a.diffID+" does not match its digest")
}

// An OCI layout whose layer blob was replaced: by another layer's (the
// diffID check fails the scan), or by the same tar stored uncompressed (the
// content the diffID names, analysed as it is: the blob digest is checked
// only when no diffID can be, see analyze.readLayer).
func TestHostileLayersOCIBlobMismatch(t *testing.T) {
	for _, tc := range []struct {
		name    string
		replace func(layer v1.Layer) []byte
		wantErr bool
	}{
		{"another layer", func(v1.Layer) []byte {
			other, err := imagebuild.Layer(imagebuild.File{Path: "etc/alpine-release", Body: "3.99.0\n"})
			if err != nil {
				t.Fatal(err)
			}
			rc, _ := other.Compressed()
			b, _ := io.ReadAll(rc)
			return b
		}, true},
		{"same tar uncompressed", func(layer v1.Layer) []byte {
			rc, _ := layer.Uncompressed()
			b, _ := io.ReadAll(rc)
			return b
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			layer, err := imagebuild.Layer(imagebuild.File{Path: "etc/alpine-release", Body: "3.20.3\n"})
			if err != nil {
				t.Fatal(err)
			}
			img, _ := imagebuild.Image("amd64", layer)
			layout := filepath.Join(dir, "layout")
			if err := imagebuild.WriteOCILayout(layout, "a:1", img); err != nil {
				t.Fatal(err)
			}
			d, _ := layer.Digest()
			diffID, _ := layer.DiffID()
			if err := os.WriteFile(filepath.Join(layout, "blobs", d.Algorithm, d.Hex), tc.replace(layer), 0o644); err != nil {
				t.Fatal(err)
			}
			r := runHostile(t, "image", "--input", layout, "--cache-dir", filepath.Join(dir, "cache"), "--scanners", "none", "--format", "json", "--quiet")
			if tc.wantErr {
				r.oneErrorLine(t, "layer "+diffID.String()+" does not match its digest")
				return
			}
			if r.exit != 0 || !strings.Contains(r.stdout, `"Name": "3.20.3"`) {
				t.Errorf("exit %d, want the report of the layer's content:\n%s%s", r.exit, r.stdout, r.stderr)
			}
		})
	}
}

// An OCI layout whose layer blob is a symlink to a host tar full of
// secrets, or a FIFO: refused, never followed or waited on.
func TestHostileLayersLayoutBlobNotAFile(t *testing.T) {
	dir := t.TempDir()
	host := filepath.Join(dir, "host.tar")
	hostTar, _ := imagebuild.TarBytes([]imagebuild.File{{Path: "root/.env", Body: githubToken}})
	os.WriteFile(host, hostTar, 0o600)
	for name, c := range map[string]struct {
		replace func(string) error
		want    string
	}{
		"symlink": {func(p string) error { return os.Symlink(host, p) }, "a symlink, which is not followed out of an image"},
		"fifo":    {func(p string) error { return syscall.Mkfifo(p, 0o600) }, "a named pipe, not a file"},
	} {
		t.Run(name, func(t *testing.T) {
			layer, _ := imagebuild.Layer(imagebuild.File{Path: "etc/alpine-release", Body: "3.20.3\n"})
			img, _ := imagebuild.Image("amd64", layer)
			layout := filepath.Join(t.TempDir(), "layout")
			if err := imagebuild.WriteOCILayout(layout, "a:1", img); err != nil {
				t.Fatal(err)
			}
			d, _ := layer.Digest()
			blob := filepath.Join(layout, "blobs", d.Algorithm, d.Hex)
			os.Remove(blob)
			if err := c.replace(blob); err != nil {
				t.Fatal(err)
			}
			r := runHostile(t, "image", "--input", layout, "--cache-dir", filepath.Join(dir, "cache"), "--scanners", "secret", "--quiet")
			r.oneErrorLine(t, c.want)
		})
	}
}

// An apk database stored as a hard link to a file earlier in the layer.
func TestHostileLayersHardlinkedPackageDB(t *testing.T) {
	dir := t.TempDir()
	archive := filepath.Join(dir, "hardlink.tar")
	writeDockerSave(t, archive, "hardlink:1", plainLayer(t,
		imagebuild.File{Path: "etc/alpine-release", Body: "3.20.3\n"},
		imagebuild.File{Path: "var/tmp/db", Body: "P:musl\nV:1.2.5-r0\nA:x86_64\n\n"},
		imagebuild.File{Path: "lib/apk/db/installed", Type: tar.TypeLink, Linkname: "var/tmp/db"},
	))
	r := runHostile(t, "image", "--input", archive, "--cache-dir", filepath.Join(dir, "cache"), "--scanners", "none", "--format", "json", "--quiet")
	if r.exit != 0 || !strings.Contains(r.stdout, `"musl@1.2.5-r0"`) {
		t.Errorf("exit %d; the hard-linked database's package is missing:\n%s\n%s", r.exit, tail([]byte(r.stdout), 2000), r.stderr)
	}
}

// repeatedLayer is a gzip layer made of a head, an entry repeated n
// times, and the tar's end, each its own gzip member, so that a layer of
// gigabytes costs one compression of each part. It returns the blob and
// its diffID.
func repeatedLayer(t *testing.T, head []imagebuild.File, entry *tar.Header, body []byte, n int) saveLayer {
	t.Helper()
	part := func(write func(tw *tar.Writer)) []byte {
		var raw bytes.Buffer
		tw := tar.NewWriter(&raw)
		write(tw)
		tw.Flush()
		return raw.Bytes()
	}
	headTar := part(func(tw *tar.Writer) {
		for _, f := range head {
			tw.WriteHeader(&tar.Header{Name: f.Path, Size: int64(len(f.Body)), Mode: 0o644, Typeflag: tar.TypeReg})
			tw.Write([]byte(f.Body))
		}
	})
	entryTar := part(func(tw *tar.Writer) {
		if err := tw.WriteHeader(entry); err != nil {
			t.Fatal(err)
		}
		tw.Write(body)
	})
	endTar := make([]byte, 1024)
	h := sha256.New()
	var blob bytes.Buffer
	member := func(b []byte) []byte {
		var z bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
		zw.Write(b)
		zw.Close()
		return z.Bytes()
	}
	blob.Write(member(headTar))
	h.Write(headTar)
	entryGz := member(entryTar)
	for range n {
		blob.Write(entryGz)
		h.Write(entryTar)
	}
	blob.Write(member(endTar))
	h.Write(endTar)
	return saveLayer{blob: blob.Bytes(), diffID: "sha256:" + hex.EncodeToString(h.Sum(nil))}
}

// Entries with paths far past PATH_MAX: 1,000 of ~1 MiB (used to run out
// of memory) and 20,000 of 64 KiB (used to run past 300 s). They are
// skipped and counted in one analysis issue.
func TestHostileLayersLongPaths(t *testing.T) {
	testenv.Slow(t, "21,000 entries with paths past PATH_MAX")
	for _, c := range []struct {
		name         string
		files, bytes int
	}{{"1000 x 1 MiB", 1000, 1<<20 - 4096}, {"20000 x 64 KiB", 20000, 64 << 10}} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			long := &tar.Header{Name: "d/" + strings.Repeat("a", c.bytes), Size: 1, Mode: 0o644, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
			layer := repeatedLayer(t, []imagebuild.File{{Path: "etc/alpine-release", Body: "3.20.3\n"}}, long, []byte("x"), c.files)
			archive := filepath.Join(dir, "long.tar")
			writeDockerSave(t, archive, "long:1", layer)
			r := runHostile(t, "image", "--input", archive, "--cache-dir", filepath.Join(dir, "cache"), "--format", "json", "--scanners", "secret", "--exit-code", "0")
			if r.exit != 0 || !strings.Contains(r.stdout, fmt.Sprintf("%d entries with a path or link target longer than 4096 bytes were skipped", c.files)) {
				t.Errorf("exit %d, stderr:\n%s", r.exit, tail([]byte(r.stderr), 2000))
			}
		})
	}
}

// Layers compressed with bzip2 are read; xz ones refused with a reason.
func TestHostileLayersBzip2AndXZ(t *testing.T) {
	dir := t.TempDir()
	plain := plainLayer(t, imagebuild.File{Path: "app/.env", Body: githubToken})
	var xzBlob bytes.Buffer
	w, _ := xz.NewWriter(&xzBlob)
	w.Write(plain.blob)
	w.Close()
	xzArchive := filepath.Join(dir, "xz.tar")
	writeDockerSave(t, xzArchive, "xz:1", saveLayer{blob: xzBlob.Bytes(), diffID: plain.diffID})
	r := runHostile(t, "image", "--input", xzArchive, "--cache-dir", filepath.Join(dir, "cache"), "--scanners", "secret", "--quiet")
	r.oneErrorLine(t, "layer is xz-compressed, which docker scan does not read")

	if !haveCommand("bzip2") {
		return
	}
	cmd := exec.Command("bzip2", "-c")
	cmd.Stdin = bytes.NewReader(plain.blob)
	bz, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	bzArchive := filepath.Join(dir, "bz.tar")
	writeDockerSave(t, bzArchive, "bz:1", saveLayer{blob: bz, diffID: plain.diffID})
	r = runHostile(t, "image", "--input", bzArchive, "--cache-dir", filepath.Join(dir, "cache"), "--scanners", "secret", "--format", "json", "--exit-code", "0", "--quiet")
	if r.exit != 0 || len(secretsIn(t, r.stdout)) != 1 {
		t.Errorf("bzip2 layer: exit %d\n%s", r.exit, r.stderr)
	}
}

// An image of 100,000 (empty) layers: the bookkeeping must stay linear.
func TestHostileLayersManyLayers(t *testing.T) {
	testenv.Slow(t, "an image of 100,000 layers, scanned twice")
	dir := t.TempDir()
	var layers []saveLayer
	for i := range 100_000 {
		layers = append(layers, plainLayer(t, imagebuild.File{Path: fmt.Sprint(i), Type: tar.TypeDir}))
	}
	archive := filepath.Join(dir, "many.tar")
	writeDockerSave(t, archive, "many:1", layers...)
	r := runHostile(t, "image", "--input", archive, "--cache-dir", filepath.Join(dir, "cache"), "--scanners", "secret", "--quiet", "--exit-code", "0")
	if r.exit != 0 {
		t.Errorf("exit %d:\n%s", r.exit, tail([]byte(r.stderr), 2000))
	}
	// Under a timeout shorter than the scan, every stage (archive index,
	// layers, merge, cache) must give up within a second or so of it.
	const limit = 2 * time.Second
	r = runHostile(t, "image", "--input", archive, "--cache-dir", filepath.Join(dir, "cache2"), "--scanners", "secret", "--quiet", "--timeout", limit.String())
	if r.wall > limit+2*time.Second || (r.exit != 0 && !strings.Contains(r.stderr, "timed out")) {
		t.Errorf("--timeout %v: exit %d after %v:\n%s", limit, r.exit, r.wall, tail([]byte(r.stderr), 2000))
	}
}

// gzipOfZeros is one gzip member of n zero bytes.
func gzipOfZeros(n int64) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	io.CopyN(zw, zeros{}, n)
	zw.Close()
	return buf.Bytes()
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// A 10 MB gzipped --input that inflates to 10 GB stops at its budget
// instead of filling the disk, and leaves no temp file behind.
func TestHostileLayersGzipBombInput(t *testing.T) {
	testenv.Slow(t, "a 10 MB input that inflates to 10 GB")
	dir := t.TempDir()
	member := gzipOfZeros(1 << 30) // about 1 MB
	f, err := os.Create(filepath.Join(dir, "bomb.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		f.Write(member)
	}
	f.Close()
	cache := filepath.Join(dir, "cache")
	r := runHostile(t, "image", "--input", f.Name(), "--cache-dir", cache, "--scanners", "secret", "--quiet")
	r.oneErrorLine(t, "decompressed input is larger than 1.0 GiB")
	if entries, _ := os.ReadDir(filepath.Join(cache, "tmp")); len(entries) != 0 {
		t.Errorf("temp files left in the cache: %v", entries)
	}
}

// A layer of one 8 GiB file of zeros (8 MB of gzip): reading, draining
// and hashing it stop when --timeout passes.
func TestHostileLayersTimeout(t *testing.T) {
	testenv.Slow(t, "an 8 GiB layer read until --timeout")
	dir := t.TempDir()
	const size = 8 << 30
	var head bytes.Buffer
	tw := tar.NewWriter(&head)
	tw.WriteHeader(&tar.Header{Name: "zeros", Size: size, Mode: 0o644})
	tw.Flush()
	var blob bytes.Buffer
	zw := gzip.NewWriter(&blob)
	zw.Write(head.Bytes())
	zw.Close()
	member := gzipOfZeros(1 << 30)
	for range size >> 30 {
		blob.Write(member)
	}
	blob.Write(gzipOfZeros(1024)) // the tar's end
	archive := filepath.Join(dir, "slow.tar")
	// The diffID is not the layer's: the scan must stop on time before it
	// could find out.
	writeDockerSave(t, archive, "slow:1", saveLayer{blob: blob.Bytes(), diffID: "sha256:" + strings.Repeat("0", 64)})
	start := time.Now()
	r := runHostile(t, "image", "--input", archive, "--cache-dir", filepath.Join(dir, "cache"), "--scanners", "secret", "--quiet", "--timeout", "2s")
	r.oneErrorLine(t, "timed out after 2s")
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("--timeout 2s stopped the scan after %v", took)
	}
}
