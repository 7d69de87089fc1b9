package lang

import (
	"io"

	"github.com/rust-secure-code/go-rustaudit"

	"github.com/docker-scan/docker-scan/engine/types"
)

// maxRustTail bounds what is kept of an ELF file past its data segment,
// where cargo-auditable's .dep-v0 section and the section table sit.
const maxRustTail = 32 << 20

// rustPackages reads the dependencies that cargo-auditable embeds in a
// Rust binary, going on from where the Go reader stopped: the rest of the
// file (non-loaded sections and the section table) is kept if it is small
// enough, and go-rustaudit reads it through a sparse view of the file made
// of the pieces kept (the headers, the start of the data segment, the
// tail). The text segment is never held in memory.
func rustPackages(es *elfStream, size int64) []types.Package {
	if es == nil {
		return nil
	}
	rest := size - es.cr.pos
	if rest <= 0 || rest > maxRustTail {
		return nil
	}
	tail := make([]byte, rest)
	start := es.cr.pos
	if _, err := io.ReadFull(es.cr, tail); err != nil {
		return nil
	}
	view := sparseFile{size: size, pieces: append(es.pieces, piece{start, tail})}
	info, err := rustaudit.GetDependencyInfo(view)
	if err != nil {
		return nil
	}
	var pkgs []types.Package
	for _, p := range info.Packages {
		if p.Kind == rustaudit.Runtime && p.Name != "" && p.Version != "" {
			pkgs = append(pkgs, types.Package{Name: p.Name, Version: p.Version})
		}
	}
	sortPackages(pkgs)
	return pkgs
}

// sparseFile serves reads of a file of which only some pieces are known;
// the rest reads as zeros.
type sparseFile struct {
	size   int64
	pieces []piece
}

func (s sparseFile) ReadAt(p []byte, off int64) (int, error) {
	if off >= s.size {
		return 0, io.EOF
	}
	n := len(p)
	if int64(n) > s.size-off {
		n = int(s.size - off)
	}
	clear(p[:n])
	for _, pc := range s.pieces {
		lo, hi := max(off, pc.off), min(off+int64(n), pc.off+int64(len(pc.data)))
		if lo < hi {
			copy(p[lo-off:hi-off], pc.data[lo-pc.off:hi-pc.off])
		}
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}
