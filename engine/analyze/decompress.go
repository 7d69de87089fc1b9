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

// errXZ explains why an xz layer is refused rather than read: an xz
// header chooses the decoder's dictionary size (up to 4 GiB), so a small
// hostile blob could make the scanner hold gigabytes. Docker and
// containerd write gzip or zstd layers; xz ones are rare and old.
var errXZ = errors.New("layer is xz-compressed, which docker scan does not read")

// decompressed returns the uncompressed tar stream of a layer blob,
// detecting gzip, zstd and bzip2 from the first bytes; anything else is
// taken as a plain tar (compressed is then false). br must be the only
// reader of the blob, so that the caller can read what the decompressor
// leaves.
func decompressed(br *bufio.Reader) (stream io.ReadCloser, compressed bool, err error) {
	head, err := br.Peek(len(xzMagic))
	if err != nil && err != io.EOF {
		return nil, false, err
	}
	switch {
	case bytes.HasPrefix(head, gzipMagic):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, true, fmt.Errorf("gzip: %w", err)
		}
		return zr, true, nil
	case bytes.HasPrefix(head, zstdMagic):
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
		if err != nil {
			return nil, true, fmt.Errorf("zstd: %w", err)
		}
		return zr.IOReadCloser(), true, nil
	case bytes.HasPrefix(head, bzip2Magic) && len(head) > 3 && head[3] >= '1' && head[3] <= '9':
		// bzip2 blocks are at most 900 kB, so its memory stays small.
		return io.NopCloser(bzip2.NewReader(br)), true, nil
	case bytes.HasPrefix(head, xzMagic):
		return nil, true, errXZ
	default:
		return io.NopCloser(br), false, nil
	}
}
