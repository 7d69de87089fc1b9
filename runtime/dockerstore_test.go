package runtime

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/storage"
	"github.com/vbatts/tar-split/tar/asm"
	tsstorage "github.com/vbatts/tar-split/tar/storage"
)

// fakeStore lays out a Docker data root as dockerd 20.10-28 keeps it with
// the overlay2 driver: for each layer, its files unpacked under
// overlay2/<cache ID>/diff and its tar-split metadata (written by the
// tar-split library, as dockerd writes it when it loads a layer) under
// image/overlay2/layerdb/sha256/<chain ID>/.
type fakeStore struct {
	root    string
	diffIDs []string
	tars    [][]byte
	dirs    []string
	metas   []string
}

type tarEntry struct {
	name, body, link string
	typ              byte
}

func layerTar(t testing.TB, entries []tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	mtime := time.Unix(1700000000, 0)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: 0o644, ModTime: mtime, Linkname: e.link, Uname: "root", Gname: "root"}
		switch e.typ {
		case tar.TypeDir:
			h.Mode = 0o755
		case tar.TypeReg:
			h.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func newFakeStore(t *testing.T, layers ...[]tarEntry) *fakeStore {
	t.Helper()
	return newFakeStoreIn(t, t.TempDir(), layers...)
}

func newFakeStoreIn(t testing.TB, root string, layers ...[]tarEntry) *fakeStore {
	t.Helper()
	if !anyUserInPlace {
		anyUserInPlace = true
		t.Cleanup(func() { anyUserInPlace = false })
	}
	s := &fakeStore{root: root}
	chain := ""
	for i, entries := range layers {
		raw := layerTar(t, entries)
		sum := sha256.Sum256(raw)
		diffID := "sha256:" + hex.EncodeToString(sum[:])
		if chain == "" {
			chain = diffID
		} else {
			c := sha256.Sum256([]byte(chain + " " + diffID))
			chain = "sha256:" + hex.EncodeToString(c[:])
		}
		cacheID := fmt.Sprintf("%064x", i+1)
		dir := filepath.Join(s.root, "overlay2", cacheID, "diff")
		meta := filepath.Join(s.root, "image", "overlay2", "layerdb", "sha256", strings.TrimPrefix(chain, "sha256:"))
		for _, d := range []string{dir, meta} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		// The metadata, as dockerd records it while it unpacks the layer.
		js := unpackLayer(t, raw, dir)
		for name, body := range map[string][]byte{"diff": []byte(diffID), "cache-id": []byte(cacheID), "tar-split.json.gz": js, "size": []byte(fmt.Sprint(len(raw)))} {
			if err := os.WriteFile(filepath.Join(meta, name), body, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		s.diffIDs, s.tars, s.dirs, s.metas = append(s.diffIDs, diffID), append(s.tars, raw), append(s.dirs, dir), append(s.metas, meta)
	}
	return s
}

// unpackLayer writes the layer tar raw's files into dir (whiteouts left
// out, as a storage driver keeps them its own way) and returns its
// tar-split metadata, gzipped, written by the tar-split library as the
// engines write it while they unpack a layer.
func unpackLayer(t testing.TB, raw []byte, dir string) []byte {
	t.Helper()
	var js bytes.Buffer
	zw := gzip.NewWriter(&js)
	through, err := asm.NewInputTarStream(bytes.NewReader(raw), tsstorage.NewJSONPacker(zw), tsstorage.NewDiscardFilePutter())
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(through)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, h.Name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(filepath.Base(h.Name), ".wh.") {
			continue
		}
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(p, 0o755)
		case tar.TypeReg:
			var body []byte
			if body, err = io.ReadAll(tr); err == nil {
				os.Remove(p)
				err = os.WriteFile(p, body, 0o644)
			}
		case tar.TypeSymlink:
			os.Remove(p)
			err = os.Symlink(h.Linkname, p)
		case tar.TypeLink:
			os.Remove(p)
			err = os.Link(filepath.Join(dir, h.Linkname), p)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	io.Copy(io.Discard, through)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return js.Bytes()
}

func (s *fakeStore) inspect() image.InspectResponse {
	var in image.InspectResponse
	in.RootFS.Layers = s.diffIDs
	in.GraphDriver = &storage.DriverData{Name: "overlay2", Data: map[string]string{"UpperDir": s.dirs[len(s.dirs)-1], "MergedDir": "/nonexistent"}}
	return in
}

func (s *fakeStore) open(t *testing.T) ([]storedLayer, error) {
	t.Helper()
	in := s.inspect()
	store, err := localDockerStore(in)
	if err != nil {
		return nil, err
	}
	if store.root != s.root || store.driver != "overlay2" {
		t.Fatalf("store %+v, want root %s", store, s.root)
	}
	return store.layers(in.RootFS.Layers, in.GraphDriver.Data["UpperDir"])
}

func readLayer(l storedLayer) ([]byte, error) {
	rc, err := l.open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

var baseLayer = []tarEntry{
	{name: "etc/", typ: tar.TypeDir},
	{name: "etc/os-release", typ: tar.TypeReg, body: "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n"},
	{name: "usr/", typ: tar.TypeDir},
	{name: "usr/lib/", typ: tar.TypeDir},
	{name: "usr/lib/os-release", typ: tar.TypeSymlink, link: "../../etc/os-release"},
	{name: "var/", typ: tar.TypeDir},
	{name: "var/lib/", typ: tar.TypeDir},
	{name: "var/lib/dpkg/", typ: tar.TypeDir},
	{name: "var/lib/dpkg/status", typ: tar.TypeReg, body: strings.Repeat("Package: zlib1g\nStatus: install ok installed\nVersion: 1:1.2.13.dfsg-1\n\n", 3000)},
	{name: "var/lib/dpkg/empty", typ: tar.TypeReg},
	{name: "var/lib/dpkg/status-old", typ: tar.TypeLink, link: "var/lib/dpkg/status"},
}

var appLayer = []tarEntry{
	{name: "app/", typ: tar.TypeDir},
	{name: "app/package.json", typ: tar.TypeReg, body: `{"name":"app","version":"1.0.0"}`},
	{name: "app/ünïcode name.txt", typ: tar.TypeReg, body: "text"},
	{name: "etc/.wh.os-release", typ: tar.TypeReg},
}

// TestInPlaceLayersAreTheDiffIDs: each layer read in place is byte for
// byte the tar it was loaded from (so its diffID), for two layers (the
// chain ID of the second derives from both) with directories, symlinks,
// hard links, empty files, whiteouts and a non-ASCII name.
func TestInPlaceLayersAreTheDiffIDs(t *testing.T) {
	bothWays(t, testInPlaceLayersAreTheDiffIDs)
}

// bothWays runs a test with files opened by openat2 and by os.Root (the
// way of kernels before 5.6).
func bothWays(t *testing.T, test func(t *testing.T)) {
	t.Run("openat2", test)
	t.Run("os.Root", func(t *testing.T) {
		noOpenat2 = true
		defer func() { noOpenat2 = false }()
		test(t)
	})
}

func testInPlaceLayersAreTheDiffIDs(t *testing.T) {
	s := newFakeStore(t, baseLayer, appLayer)
	layers, err := s.open(t)
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 2 {
		t.Fatalf("%d layers", len(layers))
	}
	for i, l := range layers {
		got, err := readLayer(l)
		if err != nil {
			t.Fatalf("layer %d: %v", i, err)
		}
		if !bytes.Equal(got, s.tars[i]) {
			t.Errorf("layer %d: %d bytes assembled, the tar has %d; equal prefix %d", i, len(got), len(s.tars[i]), commonPrefix(got, s.tars[i]))
		}
		if l.diffID != s.diffIDs[i] {
			t.Errorf("layer %d is %s, want %s", i, l.diffID, s.diffIDs[i])
		}
	}
	// As types.Layer, in order.
	for i, tl := range inPlaceLayers(layers) {
		rc, err := tl.Open()
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.New()
		io.Copy(h, rc)
		rc.Close()
		if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != tl.DiffID || got != s.diffIDs[i] {
			t.Errorf("layer %d hashes to %s, DiffID %s", i, got, tl.DiffID)
		}
	}
}

func commonPrefix(a, b []byte) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// TestInPlaceStoreRefused: a store that is not the engine's, or not one
// this reader knows, is turned down before any layer is read, so that
// the export is used instead.
func TestInPlaceStoreRefused(t *testing.T) {
	for name, spoil := range map[string]func(s *fakeStore, in *image.InspectResponse){
		"vfs driver":         func(_ *fakeStore, in *image.InspectResponse) { in.GraphDriver.Name = "vfs" },
		"no graph driver":    func(_ *fakeStore, in *image.InspectResponse) { in.GraphDriver = nil },
		"relative upper dir": func(_ *fakeStore, in *image.InspectResponse) { in.GraphDriver.Data["UpperDir"] = "overlay2/x/diff" },
		"upper dir elsewhere": func(_ *fakeStore, in *image.InspectResponse) {
			in.GraphDriver.Data["UpperDir"] = "/var/lib/nothing/overlay2/x/diff"
		},
		"remote engine's path": func(s *fakeStore, in *image.InspectResponse) {
			in.GraphDriver.Data["UpperDir"] = filepath.Join(s.root, "overlay2", strings.Repeat("f", 64), "diff")
		},
		"layer not in the store": func(s *fakeStore, in *image.InspectResponse) {
			in.RootFS.Layers = append([]string{"sha256:" + strings.Repeat("0", 64)}, in.RootFS.Layers...)
		},
		"diff file of another layer": func(s *fakeStore, _ *image.InspectResponse) {
			os.WriteFile(filepath.Join(s.metas[1], "diff"), []byte(s.diffIDs[0]), 0o644)
		},
		"cache id with a slash": func(s *fakeStore, _ *image.InspectResponse) {
			os.WriteFile(filepath.Join(s.metas[0], "cache-id"), []byte("../../etc"), 0o644)
		},
		"no tar-split": func(s *fakeStore, _ *image.InspectResponse) {
			os.Remove(filepath.Join(s.metas[0], "tar-split.json.gz"))
		},
		"top layer elsewhere": func(s *fakeStore, in *image.InspectResponse) {
			in.GraphDriver.Data["UpperDir"] = s.dirs[0]
		},
		"not a digest": func(s *fakeStore, in *image.InspectResponse) { in.RootFS.Layers[0] = "sha256:../../x" },
	} {
		t.Run(name, func(t *testing.T) {
			s := newFakeStore(t, baseLayer, appLayer)
			in := s.inspect()
			spoil(s, &in)
			store, err := localDockerStore(in)
			if err == nil {
				_, err = store.layers(in.RootFS.Layers, in.GraphDriver.Data["UpperDir"])
			}
			if err == nil {
				t.Fatal("the store was accepted")
			}
			t.Log(err)
		})
	}
}

// TestInPlaceHostileStore: a layer directory or metadata that does not
// hold what the tar-split says fails the read with an error naming the
// file; nothing outside the layer directory is read, and a FIFO does not
// stall it.
func TestInPlaceHostileStore(t *testing.T) { bothWays(t, testInPlaceHostileStore) }

func testInPlaceHostileStore(t *testing.T) {
	outside := "OUTSIDE-THE-LAYER"
	for name, c := range map[string]struct {
		spoil func(t *testing.T, s *fakeStore)
		want  string
	}{
		"file removed": {func(t *testing.T, s *fakeStore) { os.Remove(filepath.Join(s.dirs[0], "etc/os-release")) }, "etc/os-release"},
		"file shorter": {func(t *testing.T, s *fakeStore) {
			os.WriteFile(filepath.Join(s.dirs[0], "var/lib/dpkg/status"), []byte("Package: x\n"), 0o644)
		}, "shorter than its tar header says"},
		"symlinked file out of the layer": {func(t *testing.T, s *fakeStore) {
			p := filepath.Join(s.dirs[0], "etc/os-release")
			os.Remove(p)
			os.WriteFile(filepath.Join(s.root, "secret"), []byte(outside), 0o644)
			os.Symlink(filepath.Join(s.root, "secret"), p)
		}, "etc/os-release"},
		"symlinked directory out of the layer": {func(t *testing.T, s *fakeStore) {
			p := filepath.Join(s.dirs[0], "etc")
			os.RemoveAll(p)
			os.MkdirAll(filepath.Join(s.root, "hostetc"), 0o755)
			os.WriteFile(filepath.Join(s.root, "hostetc", "os-release"), []byte(outside), 0o644)
			os.Symlink(filepath.Join(s.root, "hostetc"), p)
		}, "etc/os-release"},
		"fifo": {func(t *testing.T, s *fakeStore) {
			p := filepath.Join(s.dirs[0], "etc/os-release")
			os.Remove(p)
			if err := syscall.Mkfifo(p, 0o644); err != nil {
				t.Skip("mkfifo:", err)
			}
		}, "not a regular file"},
		"name out of the layer": {func(t *testing.T, s *fakeStore) {
			os.WriteFile(filepath.Join(s.root, "overlay2", "secret"), []byte(outside), 0o644)
			rewriteTarSplit(t, s.metas[0], func(e *tsstorage.Entry) {
				if e.Type == tsstorage.FileType && e.Name == "etc/os-release" {
					e.Name = "../../secret"
				}
			})
		}, "secret"},
		"truncated metadata": {func(t *testing.T, s *fakeStore) {
			p := filepath.Join(s.metas[0], "tar-split.json.gz")
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:len(b)/2], 0o644)
		}, "tar-split.json.gz"},
		"not gzip": {func(t *testing.T, s *fakeStore) {
			os.WriteFile(filepath.Join(s.metas[0], "tar-split.json.gz"), []byte("{}"), 0o644)
		}, "tar-split.json.gz"},
	} {
		t.Run(name, func(t *testing.T) {
			s := newFakeStore(t, baseLayer)
			c.spoil(t, s)
			layers, err := s.open(t)
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			var got []byte
			go func() {
				defer close(done)
				got, err = readLayer(layers[0])
			}()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("the read stalled")
			}
			if bytes.Contains(got, []byte(outside)) {
				t.Fatal("a file outside the layer directory was read")
			}
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasSuffix(err.Error(), readHint) || strings.Count(err.Error(), readHint) != 1 {
				t.Fatalf("err = %v, want one naming %q, with the hint once", err, c.want)
			}
			t.Log(err)
		})
	}
}

// rewriteTarSplit changes the entries of a layer's tar-split metadata.
func rewriteTarSplit(t *testing.T, meta string, change func(*tsstorage.Entry)) {
	t.Helper()
	p := filepath.Join(meta, "tar-split.json.gz")
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	dec, enc := json.NewDecoder(zr), json.NewEncoder(zw)
	for {
		var e tsstorage.Entry
		if err := dec.Decode(&e); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		change(&e)
		enc.Encode(&e)
	}
	f.Close()
	zw.Close()
	if err := os.WriteFile(p, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// FuzzTarSplitAssembly: whatever a layer's tar-split metadata says, the
// assembly ends (an error or the tar), does not panic, and reads nothing
// outside the layer directory.
func FuzzTarSplitAssembly(f *testing.F) {
	dir := f.TempDir()
	s := newFakeStoreIn(f, dir, baseLayer)
	if b, err := os.ReadFile(filepath.Join(s.metas[0], "tar-split.json.gz")); err == nil {
		if zr, err := gzip.NewReader(bytes.NewReader(b)); err == nil {
			if js, err := io.ReadAll(zr); err == nil {
				f.Add(js)
			}
		}
	}
	f.Add([]byte(`{"type":1,"name":"../../outside","size":10,"payload":null,"position":0}` + "\n"))
	f.Add([]byte(`{"type":1,"name":"etc","size":10,"payload":null,"position":0}` + "\n"))
	f.Add([]byte(`{"type":2,"payload":"AAAA","position":0}` + "\n" + `{"type":7}` + "\n"))
	outside := "OUTSIDE-THE-LAYER"
	os.WriteFile(filepath.Join(dir, "outside"), []byte(outside), 0o644)
	f.Fuzz(func(t *testing.T, js []byte) {
		meta := filepath.Join(t.TempDir(), "tar-split.json.gz")
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(js)
		zw.Close()
		if err := os.WriteFile(meta, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		var got []byte
		done := make(chan struct{})
		go func() {
			defer close(done)
			got, _ = readLayer(storedLayer{diffID: s.diffIDs[0], tarSplit: meta, dir: s.dirs[0]})
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			buf := make([]byte, 1<<20)
			t.Fatalf("the assembly stalled on %q\n%s", js, buf[:goruntime.Stack(buf, true)])
		}
		if bytes.Contains(got, []byte(outside)) {
			t.Fatal("read a file outside the layer directory")
		}
	})
}
