package scan

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/docker-scan/docker-scan/engine/analyze"
	"github.com/docker-scan/docker-scan/engine/cache"
	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/types"
)

// streamEntry is one entry of a fake export: the digest it is named by
// ("" for a legacy <id>/layer.tar) and its bytes.
type streamEntry struct {
	digest string
	body   []byte
}

func diffIDOf(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

func tarOf(t *testing.T, files ...imagebuild.File) []byte {
	t.Helper()
	b, err := imagebuild.TarBytes(files)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// streamImage is an image of layers whose Open reads each layer alone and
// whose Stream sends entries in the order given, counting what it is asked.
type streamImage struct {
	img     *types.Image
	opened  int
	streams int
	visited int
}

func newStreamImage(layers [][]byte, entries []streamEntry) *streamImage {
	s := &streamImage{img: &types.Image{Name: "fake", Source: "test"}}
	for _, l := range layers {
		s.img.Layers = append(s.img.Layers, types.Layer{DiffID: diffIDOf(l), Open: func() (io.ReadCloser, error) {
			s.opened++
			return io.NopCloser(bytes.NewReader(l)), nil
		}})
	}
	if entries != nil {
		s.img.Stream = func(ctx context.Context, visit func(string, io.Reader) error) error {
			s.streams++
			for _, e := range entries {
				s.visited++
				if err := visit(e.digest, bytes.NewReader(e.body)); err != nil {
					if errors.Is(err, types.ErrStreamDone) {
						return nil
					}
					return err
				}
			}
			return nil
		}
	}
	return s
}

func resultsJSON(t *testing.T, rs []*types.LayerResult) string {
	t.Helper()
	b, err := json.Marshal(rs)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// TestStreamedLayersMatchOpenedLayers: the results of a streamed export
// (layers out of order, under names that are not diffIDs, one gzipped,
// among config and manifest JSON) are exactly those of reading each layer
// alone, and the stream stops once every layer is read.
func TestStreamedLayersMatchOpenedLayers(t *testing.T) {
	base := tarOf(t,
		imagebuild.File{Path: "etc/alpine-release", Body: "3.22.1\n"},
		imagebuild.File{Path: "lib/apk/db/installed", Body: "P:musl\nV:1.2.5-r10\nA:x86_64\no:musl\n\n"})
	app := tarOf(t,
		imagebuild.File{Path: "app/package-lock.json", Body: `{"name":"app","lockfileVersion":3,"packages":{"":{"name":"app"},"node_modules/left-pad":{"version":"1.3.0"}}}`},
		imagebuild.File{Path: "app/.env", Body: "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n"})
	empty := make([]byte, 1024)
	layers := [][]byte{base, app, empty}
	opts := DefaultOptions()
	opts.Scanners = []string{ScannerVuln, ScannerSecret}

	want, err := analyzeLayers(context.Background(), newStreamImage(layers, nil).img, opts)
	if err != nil {
		t.Fatal(err)
	}
	s := newStreamImage(layers, []streamEntry{
		{"sha256:" + strings.Repeat("1", 64), []byte(`{"architecture":"amd64","os":"linux"}`)},
		{"", gzipped(t, app)},
		{"", empty},
		{diffIDOf(base), base},
		{"", []byte(`[{"Config":"x.json"}]`)},
		{"", base}, // never read: every layer is there already
	})
	got, err := analyzeLayers(context.Background(), s.img, opts)
	if err != nil {
		t.Fatal(err)
	}
	if resultsJSON(t, got) != resultsJSON(t, want) {
		t.Errorf("streamed:\n%s\nopened:\n%s", resultsJSON(t, got), resultsJSON(t, want))
	}
	if s.opened != 0 || s.streams != 1 || s.visited != 5 {
		t.Errorf("opened %d layers, %d streams, %d entries visited", s.opened, s.streams, s.visited)
	}
}

// TestStreamSkipsCachedLayers: with the first layer cached, the stream
// skips the entry named by its diffID and reads only the other.
func TestStreamSkipsCachedLayers(t *testing.T) {
	base := tarOf(t, imagebuild.File{Path: "etc/alpine-release", Body: "3.22.1\n"})
	app := tarOf(t, imagebuild.File{Path: "app/requirements.txt", Body: "flask==2.0.0\n"})
	opts := DefaultOptions()
	opts.Cache = cache.NewMemory(analyze.ResultSchemaVersion, 0)
	if _, err := analyzeLayers(context.Background(), newStreamImage([][]byte{base}, nil).img, opts); err != nil {
		t.Fatal(err)
	}
	want, err := analyzeLayers(context.Background(), newStreamImage([][]byte{base, app}, nil).img, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	// A decoy under the cached layer's name: were it read, the diffID
	// would not match and analysis would fail or differ.
	s := newStreamImage([][]byte{base, app}, []streamEntry{{diffIDOf(base), []byte("not a tar at all")}, {diffIDOf(app), app}})
	got, err := analyzeLayers(context.Background(), s.img, opts)
	if err != nil {
		t.Fatal(err)
	}
	if resultsJSON(t, got) != resultsJSON(t, want) {
		t.Errorf("streamed:\n%s\nwant:\n%s", resultsJSON(t, got), resultsJSON(t, want))
	}
	if s.opened != 0 {
		t.Errorf("opened %d layers", s.opened)
	}
}

// TestStreamMissingLayer: an export that lacks a layer of the image, or
// holds different bytes under its name, fails the scan saying which.
func TestStreamMissingLayer(t *testing.T) {
	base := tarOf(t, imagebuild.File{Path: "etc/alpine-release", Body: "3.22.1\n"})
	other := tarOf(t, imagebuild.File{Path: "etc/alpine-release", Body: "3.22.2\n"})
	s := newStreamImage([][]byte{base}, []streamEntry{{diffIDOf(base), other}})
	_, err := analyzeLayers(context.Background(), s.img, DefaultOptions())
	if err == nil || !strings.Contains(err.Error(), "does not hold layer "+diffIDOf(base)) {
		t.Fatalf("err = %v", err)
	}
}

// TestStreamHardLinkReadAlone: a layer that analysis must read twice (a
// hard link an analyzer wants, to a file it did not) is read alone through
// its Open, with the same result.
func TestStreamHardLinkReadAlone(t *testing.T) {
	layer := tarOf(t,
		imagebuild.File{Path: "etc/alpine-release", Body: "3.22.1\n"},
		imagebuild.File{Path: "tmp/db", Body: "P:musl\nV:1.2.5-r10\nA:x86_64\no:musl\n\n"},
		imagebuild.File{Path: "lib/apk/db/installed", Type: tar.TypeLink, Linkname: "tmp/db"})
	want, err := analyzeLayers(context.Background(), newStreamImage([][]byte{layer}, nil).img, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	s := newStreamImage([][]byte{layer}, []streamEntry{{"", layer}})
	got, err := analyzeLayers(context.Background(), s.img, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(resultsJSON(t, got), resultsJSON(t, want)) || !strings.Contains(resultsJSON(t, got), "musl") {
		t.Errorf("streamed:\n%s\nopened:\n%s", resultsJSON(t, got), resultsJSON(t, want))
	}
	if s.opened == 0 {
		t.Error("the layer was not read alone")
	}
}
