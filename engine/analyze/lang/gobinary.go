package lang

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"runtime/debug"
	"strings"

	"github.com/docker-scan/docker-scan/engine/types"
)

// Package types of executables.
const (
	TypeGoBinary   = "gobinary"
	TypeRustBinary = "rustbinary"
)

// maxBuildInfoRead bounds what is read from the start of a Go binary's
// data segment, where the linker puts the build info.
const maxBuildInfoRead = 4 << 20

// GoBinary reads the modules compiled into Go executables (ELF) from their
// build info, streaming: the ELF and program headers say where the data
// segment starts, and only up to its first few MiB are read; the rest of
// the binary is never held in memory.
type GoBinary struct{}

func (GoBinary) Name() string { return "gobinary" }
func (GoBinary) Version() int { return 1 }

func (GoBinary) WantsStream(_ string, size int64, mode fs.FileMode, head []byte) bool {
	return mode&0o111 != 0 && size > 64 && bytes.HasPrefix(head, []byte("\x7fELF"))
}

var buildInfoMagic = []byte("\xff Go buildinf:")

func (GoBinary) AnalyzeStream(filePath string, size int64, r io.Reader, res *types.LayerResult) error {
	es, bi, err := readGoBuildInfo(r)
	if err != nil {
		// Too odd to read this way: nothing to report, and no reason to fail.
		return nil
	}
	if bi == nil {
		// Not Go (or before Go 1.18): perhaps a Rust binary built with
		// cargo-auditable.
		singleDB(res, filePath, TypeRustBinary, rustPackages(es, size))
		return nil
	}
	var pkgs []types.Package
	if bi.Main.Path != "" {
		v := bi.Main.Version
		if v == "(devel)" || v == "" {
			v = "" // built from a work tree: no version to match
		}
		pkgs = append(pkgs, types.Package{Name: bi.Main.Path, Version: strings.TrimPrefix(v, "v")})
	}
	for _, d := range bi.Deps {
		m := d
		if d.Replace != nil {
			m = d.Replace
		}
		pkgs = append(pkgs, types.Package{Name: m.Path, Version: strings.TrimPrefix(m.Version, "v")})
	}
	if v := strings.TrimPrefix(bi.GoVersion, "go"); v != "" {
		v, _, _ = strings.Cut(v, " ") // "go1.22.1 X:boringcrypto"
		pkgs = append(pkgs, types.Package{Name: "stdlib", Version: v})
	}
	kept := pkgs[:0]
	for _, p := range pkgs {
		if p.Version != "" {
			kept = append(kept, p)
		}
	}
	singleDB(res, filePath, TypeGoBinary, kept)
	return nil
}

// elfStream is what has been read of an ELF file from a stream: the
// pieces kept, at their offsets, and the stream positioned after them.
type elfStream struct {
	cr     *countingReader
	pieces []piece
}

type piece struct {
	off  int64
	data []byte
}

// readGoBuildInfo finds and parses the build info of an ELF Go binary from
// a stream. It returns what it read, for the Rust reader to go on from.
func readGoBuildInfo(r io.Reader) (*elfStream, *debug.BuildInfo, error) {
	bi, es, err := readGoBuildInfoPieces(r)
	return es, bi, err
}

func readGoBuildInfoPieces(r io.Reader) (*debug.BuildInfo, *elfStream, error) {
	cr := &countingReader{r: r}
	es := &elfStream{cr: cr}
	ident := make([]byte, 64)
	if _, err := io.ReadFull(cr, ident); err != nil {
		return nil, nil, err
	}
	es.pieces = append(es.pieces, piece{0, ident})
	var order binary.ByteOrder = binary.LittleEndian
	if ident[5] == 2 {
		order = binary.BigEndian
	}
	is64 := ident[4] == 2
	var phoff uint64
	var phentsize, phnum uint16
	if is64 {
		phoff, phentsize, phnum = order.Uint64(ident[32:]), order.Uint16(ident[54:]), order.Uint16(ident[56:])
	} else {
		phoff, phentsize, phnum = uint64(order.Uint32(ident[28:])), order.Uint16(ident[42:]), order.Uint16(ident[44:])
	}
	if phnum == 0 || phnum > 64 || phentsize < 32 || phoff < 64 {
		return nil, es, errors.New("no program headers")
	}
	if err := cr.skipTo(int64(phoff)); err != nil {
		return nil, es, err
	}
	ph := make([]byte, int(phentsize)*int(phnum))
	if _, err := io.ReadFull(cr, ph); err != nil {
		return nil, es, err
	}
	es.pieces = append(es.pieces, piece{int64(phoff), ph})
	// The first writable loadable segment starts with .go.buildinfo.
	const ptLoad, pfW = 1, 2
	var dataOff, dataSize uint64
	for i := 0; i < int(phnum); i++ {
		e := ph[i*int(phentsize):]
		var typ, flags uint32
		var off, filesz uint64
		if is64 {
			typ, flags, off, filesz = order.Uint32(e), order.Uint32(e[4:]), order.Uint64(e[8:]), order.Uint64(e[32:])
		} else {
			typ, off, filesz, flags = order.Uint32(e), uint64(order.Uint32(e[4:])), uint64(order.Uint32(e[16:])), order.Uint32(e[24:])
		}
		if typ == ptLoad && flags&pfW != 0 {
			dataOff, dataSize = off, filesz
			break
		}
	}
	if dataSize == 0 {
		return nil, es, nil
	}
	if err := cr.skipTo(int64(dataOff)); err != nil {
		return nil, es, err
	}
	data := make([]byte, min(dataSize, maxBuildInfoRead))
	n, _ := io.ReadFull(cr, data)
	data = data[:n]
	es.pieces = append(es.pieces, piece{int64(dataOff), data})
	for i := 0; i+32 <= len(data); i += 16 {
		if !bytes.Equal(data[i:i+len(buildInfoMagic)], buildInfoMagic) {
			continue
		}
		if data[i+15]&2 == 0 {
			return nil, es, nil // pre-1.18 build info (pointers, not inline strings)
		}
		rest := data[i+32:]
		if goVersion, rest, err := varintString(rest); err == nil {
			mod, _, err := varintString(rest)
			if err != nil {
				return nil, es, err
			}
			if len(mod) >= 33 && mod[len(mod)-17] == '\n' {
				mod = mod[16 : len(mod)-16]
			}
			bi, err := debug.ParseBuildInfo(mod)
			if err != nil {
				return nil, es, err
			}
			bi.GoVersion = goVersion
			return bi, es, nil
		}
	}
	return nil, es, nil
}

func varintString(b []byte) (string, []byte, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return "", nil, fmt.Errorf("bad build info string")
	}
	return string(b[k : k+int(n)]), b[k+int(n):], nil
}

type countingReader struct {
	r   io.Reader
	pos int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.pos += int64(n)
	return n, err
}

// skipTo discards up to offset; going back is impossible in a stream.
func (c *countingReader) skipTo(offset int64) error {
	if offset < c.pos {
		return errors.New("offset behind the stream")
	}
	_, err := io.CopyN(io.Discard, c, offset-c.pos)
	return err
}
