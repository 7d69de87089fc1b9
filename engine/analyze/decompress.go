package analyze

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

var (
	gzipMagic  = []byte{0x1f, 0x8b}
	zstdMagic  = []byte{0x28, 0xb5, 0x2f, 0xfd}
	bzip2Magic = []byte("BZh")
	xzMagic    = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}
)

// maxZstdWindow bounds the memory a zstd layer can make the decoder hold.
const maxZstdWindow = 128 << 20

// errXZ explains why an xz layer is refused rather than read: an xz
// header chooses the decoder's dictionary size (up to 4 GiB), so a small
// hostile blob could make the scanner hold gigabytes. Docker and
// containerd write gzip or zstd layers; xz ones are rare and old.
var errXZ = errors.New("layer is xz-compressed, which docker scan does not read")

// decompressed returns the uncompressed tar stream of a layer blob,
// detecting gzip, zstd and bzip2 from the first bytes; anything else is
// taken as a plain tar. br must be the only
// reader of the blob, so that the caller can read what the decompressor
// leaves.
func decompressed(br *bufio.Reader) (io.ReadCloser, error) {
	head, err := br.Peek(len(xzMagic))
	if err != nil && err != io.EOF {
		return nil, err
	}
	switch {
	case bytes.HasPrefix(head, gzipMagic):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return zr, nil
	case bytes.HasPrefix(head, zstdMagic):
		// The frame header chooses the window the decoder holds; the
		// library allows 512 MiB. 128 MiB is the zstd tool's own default
		// limit (beyond it, it asks for --memory), so no layer a real
		// build wrote needs more.
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true), zstd.WithDecoderMaxWindow(maxZstdWindow))
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		return zr.IOReadCloser(), nil
	case bytes.HasPrefix(head, bzip2Magic) && len(head) > 3 && head[3] >= '1' && head[3] <= '9':
		// bzip2 blocks are at most 900 kB, so its memory stays small.
		return io.NopCloser(bzip2.NewReader(br)), nil
	case bytes.HasPrefix(head, xzMagic):
		return nil, errXZ
	default:
		return io.NopCloser(br), nil
	}
}
