package runtime

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
)

// TestReadSaveStream: of a docker save stream, the layer entries of both
// formats (legacy <id>/layer.tar, OCI blobs/sha256/<hex>) are visited in
// the stream's order, named by digest where the name is one; metadata
// and links are not; ErrStreamDone ends the reading without an error.
func TestReadSaveStream(t *testing.T) {
	hex := strings.Repeat("ab", 32)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range []struct {
		name string
		typ  byte
		body string
	}{
		{"repositories", tar.TypeReg, "{}"},
		{"1111/", tar.TypeDir, ""},
		{"1111/VERSION", tar.TypeReg, "1.0"},
		{"1111/json", tar.TypeReg, "{}"},
		{"1111/layer.tar", tar.TypeReg, "legacy"},
		{"2222/layer.tar", tar.TypeSymlink, ""},
		{"blobs/sha256/" + hex, tar.TypeReg, "oci"},
		{"index.json", tar.TypeReg, "{}"},
		{"manifest.json", tar.TypeReg, "[]"},
		{"3333/layer.tar", tar.TypeReg, "after done"},
	} {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Size: int64(len(e.body)), Mode: 0o644}
		if e.typ == tar.TypeSymlink {
			h.Linkname = "../blobs/sha256/" + hex
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		io.WriteString(tw, e.body)
	}
	tw.Close()
	var got []string
	err := readSaveStream(context.Background(), &buf, func(digest string, blob io.Reader) error {
		b, _ := io.ReadAll(blob)
		got = append(got, digest+"="+string(b))
		if len(got) == 2 {
			return types.ErrStreamDone
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"=legacy", "sha256:" + hex + "=oci"}; !reflect.DeepEqual(got, want) {
		t.Errorf("visited %q, want %q", got, want)
	}
}
