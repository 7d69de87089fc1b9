package lang

import (
	"compress/zlib"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/rust-secure-code/go-rustaudit"

	"github.com/docker-scan/docker-scan/engine/types"
)

// maxRustTail bounds what is kept of an ELF file past its data segment,
// where cargo-auditable's .dep-v0 section and the section table sit.
const maxRustTail = 32 << 20

// maxRustDeps bounds the inflated dependency list: real ones are a few
// hundred KB; the zlib stream in the section can inflate a thousandfold.
const maxRustDeps = 16 << 20

// rustPackages reads the dependencies that cargo-auditable embeds in a
// Rust binary, going on from where the Go reader stopped: the rest of the
// file (non-loaded sections and the section table) is kept if it is small
// enough, and the section is found through a sparse view of the file made
// of the pieces kept (the headers, the start of the data segment, the
// tail). The text segment is never held in memory. The section is inflated
// here, capped, rather than by go-rustaudit, which inflates it whole. A
// list over the cap, or one that cannot be read, is an analysis issue.
func rustPackages(es *elfStream, size int64, filePath string, res *types.LayerResult) []types.Package {
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
	info, err := rustDependencyInfo(view)
	if errors.Is(err, errNoRustDeps) {
		return nil
	}
	if err != nil {
		res.Issues = append(res.Issues, types.AnalysisIssue{Analyzer: GoBinary{}.Name(), FilePath: filePath, Reason: "cargo-auditable dependency list: " + err.Error()})
		return nil
	}
	var pkgs []types.Package
	for _, p := range info.Packages {
		if p.Kind == rustaudit.Runtime && p.Name != "" && p.Version != "" {
			pkg := types.Package{Name: p.Name, Version: p.Version}
			if p.Root {
				// The crate the binary was built from; the others'
				// relationship cargo-auditable does not say.
				pkg.Relationship = types.RelationshipRoot
			}
			pkgs = append(pkgs, pkg)
		}
	}
	sortPackages(pkgs)
	return pkgs
}

var errNoRustDeps = errors.New("no cargo-auditable section")

// rustDependencyInfo reads the .dep-v0 (or, from rust-audit 0.1, the
// .rust-deps-v0) section of an ELF file as go-rustaudit would, but
// inflates at most maxRustDeps bytes of it.
func rustDependencyInfo(r io.ReaderAt) (rustaudit.VersionInfo, error) {
	f, err := elf.NewFile(r)
	if err != nil {
		return rustaudit.VersionInfo{}, errNoRustDeps
	}
	sec := f.Section(".dep-v0")
	if sec == nil {
		sec = f.Section(".rust-deps-v0")
	}
	if sec == nil || sec.Type == elf.SHT_NOBITS {
		return rustaudit.VersionInfo{}, errNoRustDeps
	}
	zr, err := zlib.NewReader(sec.Open())
	if err != nil {
		return rustaudit.VersionInfo{}, fmt.Errorf("not zlib-compressed: %w", err)
	}
	defer zr.Close()
	raw, err := io.ReadAll(io.LimitReader(zr, maxRustDeps+1))
	if err != nil {
		return rustaudit.VersionInfo{}, fmt.Errorf("inflate: %w", err)
	}
	if len(raw) > maxRustDeps {
		return rustaudit.VersionInfo{}, fmt.Errorf("it inflates to more than %d bytes: not read", maxRustDeps)
	}
	var info rustaudit.VersionInfo
	if err := json.Unmarshal(raw, &info); err != nil {
		return rustaudit.VersionInfo{}, fmt.Errorf("not JSON: %w", err)
	}
	return info, nil
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
