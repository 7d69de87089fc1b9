package dbtest

import (
	"archive/tar"
	"bytes"
	"encoding/binary"
	"hash/crc32"

	"github.com/klauspost/compress/flate"

	"github.com/docker-scan/docker-scan/engine/db"
)

// BombArchive is a valid db.tar.gz whose trivy.db is unpackedMiB MiB of
// zeros: a thousand times smaller packed than unpacked. The deflate
// stream repeats one compressed block of 1 MiB of zeros, so that writing
// it costs little more than its own size.
func BombArchive(unpackedMiB int) ([]byte, error) {
	const chunk = 1 << 20
	var head bytes.Buffer
	tw := tar.NewWriter(&head)
	meta := []byte(`{"Version":2,"NextUpdate":"2099-01-01T00:00:00Z","UpdatedAt":"2026-01-01T00:00:00Z"}`)
	tw.WriteHeader(&tar.Header{Name: db.MetadataFile, Mode: 0o644, Size: int64(len(meta)), Typeflag: tar.TypeReg})
	tw.Write(meta)
	size := int64(unpackedMiB) << 20
	tw.WriteHeader(&tar.Header{Name: db.DBFile, Mode: 0o644, Size: size, Typeflag: tar.TypeReg})
	tw.Flush()
	// The rest of the tar is zeros: the file, then the two end blocks.
	zeros := size + 1024
	block := make([]byte, chunk)

	var out bytes.Buffer
	// gzip header: magic, deflate, no flags, no mtime, unknown OS.
	out.Write([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff})
	fw, err := flate.NewWriter(&out, flate.BestCompression)
	if err != nil {
		return nil, err
	}
	crc := crc32.NewIEEE()
	total := int64(0)
	write := func(p []byte) error {
		crc.Write(p)
		total += int64(len(p))
		if _, err := fw.Write(p); err != nil {
			return err
		}
		return fw.Flush()
	}
	if err := write(head.Bytes()); err != nil {
		return nil, err
	}
	if err := write(block); err != nil {
		return nil, err
	}
	zeros -= chunk
	// Once the window holds only zeros, the encoding of the next 1 MiB
	// of zeros decodes the same wherever it is repeated.
	from := out.Len()
	if err := write(block); err != nil {
		return nil, err
	}
	zeros -= chunk
	repeat := bytes.Clone(out.Bytes()[from:])
	for ; zeros >= chunk; zeros -= chunk {
		out.Write(repeat)
		crc.Write(block)
		total += chunk
	}
	if err := write(block[:zeros]); err != nil {
		return nil, err
	}
	if err := fw.Close(); err != nil {
		return nil, err
	}
	var trailer [8]byte
	binary.LittleEndian.PutUint32(trailer[:], crc.Sum32())
	binary.LittleEndian.PutUint32(trailer[4:], uint32(total))
	out.Write(trailer[:])
	return out.Bytes(), nil
}
