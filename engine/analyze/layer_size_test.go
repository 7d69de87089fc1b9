package analyze

import (
	"archive/tar"
	"context"
	"testing"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/types"
)

// A layer's size is its tar stream's, every byte to the end: the two zero
// blocks that end the archive and the zeros GNU tar and docker pad it with
// to a 10240-byte record too, as Trivy counts them (Layers[].Size). The
// walk stops at the end blocks; the size must not.
func TestLayerSizeIsTheTarStream(t *testing.T) {
	plain, err := imagebuild.TarBytes(apkLayer)
	if err != nil {
		t.Fatal(err)
	}
	const record = 10240
	padded := append(append([]byte{}, plain...), make([]byte, (record-len(plain)%record)%record)...)
	linked, err := imagebuild.TarBytes([]imagebuild.File{
		{Path: "etc/alpine-release", Body: "3.20.3\n"},
		{Path: "tmp/db", Body: "P:musl\nV:1.2.5-r0\nA:x86_64\n\n"},
		{Path: "lib/apk/db/installed", Type: tar.TypeLink, Linkname: "tmp/db"},
	})
	if err != nil {
		t.Fatal(err)
	}
	gz, gzPadded := gzipped(plain), gzipped(padded)
	for _, c := range []struct {
		name  string
		layer types.Layer
		size  int
	}{
		{"gzip, diffID checked", blobLayer(gz, sha(gz), sha(plain)), len(plain)},
		{"gzip, padded to a record", blobLayer(gzPadded, sha(gzPadded), sha(padded)), record},
		{"gzip, blob digest only", blobLayer(gzPadded, sha(gzPadded), ""), record},
		{"plain, no digest in a known form", blobLayer(padded, "md5:0123", "blake3:abcd"), record},
		// Read twice (the hard link's target again): counted once.
		{"hard link, two passes", blobLayer(linked, "", sha(linked)), len(linked)},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := Layer(context.Background(), c.layer, Config{Analyzers: OSAnalyzers()})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.PackageDBs) != 1 {
				t.Errorf("package DBs = %+v", res.PackageDBs)
			}
			if res.Size != int64(c.size) {
				t.Errorf("Size = %d, want %d (blob %d bytes)", res.Size, c.size, len(gz))
			}
		})
	}
	if len(padded) != record {
		t.Fatalf("the test layer is %d bytes, over a record", len(padded))
	}
}
