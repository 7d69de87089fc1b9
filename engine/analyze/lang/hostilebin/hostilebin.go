// Package hostilebin writes the crafted executables and archives that
// once crashed or stalled the language analyzers, for the tests that make
// sure they no longer do. Each is written from scratch, byte by byte: no
// toolchain is needed.
package hostilebin

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/adler32"
	"io"
)

var le = binary.LittleEndian

// elfHeader is a 64-bit little-endian x86-64 executable header with one
// program header right after it, and shnum section headers at shoff.
func elfHeader(shoff uint64, shnum, shstrndx uint16) []byte {
	h := make([]byte, 64)
	copy(h, "\x7fELF\x02\x01\x01")
	le.PutUint16(h[16:], 2)    // ET_EXEC
	le.PutUint16(h[18:], 0x3e) // x86-64
	le.PutUint32(h[20:], 1)
	le.PutUint64(h[32:], 64) // phoff
	le.PutUint64(h[40:], shoff)
	le.PutUint16(h[52:], 64) // ehsize
	le.PutUint16(h[54:], 56) // phentsize
	le.PutUint16(h[56:], 1)  // phnum
	le.PutUint16(h[58:], 64) // shentsize
	le.PutUint16(h[60:], shnum)
	le.PutUint16(h[62:], shstrndx)
	return h
}

func programHeader(flags uint32, off, vaddr, size uint64) []byte {
	p := make([]byte, 56)
	le.PutUint32(p, 1) // PT_LOAD
	le.PutUint32(p[4:], flags)
	le.PutUint64(p[8:], off)
	le.PutUint64(p[16:], vaddr)
	le.PutUint64(p[24:], vaddr)
	le.PutUint64(p[32:], size)
	le.PutUint64(p[40:], size)
	le.PutUint64(p[48:], 0x1000)
	return p
}

// GoPointerOverflowELF is a Go executable as far as the build-info reader
// can tell: its writable segment, mapped at address 0, starts with a
// pre-1.18 build info header whose version pointer is 0xFFFFFFFFFFFFFFF8,
// so that pointer + 16 wraps around to 8.
func GoPointerOverflowELF() []byte {
	const dataOff = 0x1000
	var b bytes.Buffer
	b.Write(elfHeader(0, 0, 0))
	b.Write(programHeader(6, dataOff, 0, 0x100)) // RW
	b.Write(make([]byte, dataOff-b.Len()))
	hdr := make([]byte, 0x100)
	copy(hdr, "\xff Go buildinf:")
	hdr[14] = 8 // pointer size
	hdr[15] = 0 // little endian, pointers (not inline strings)
	le.PutUint64(hdr[16:], 0xFFFFFFFFFFFFFFF8)
	le.PutUint64(hdr[24:], 0xFFFFFFFFFFFFFFF0)
	b.Write(hdr)
	// Something that looks like a version string, for the reader to note.
	b.WriteString("go1.16.15\x00")
	return b.Bytes()
}

// RustDepBomb is an ELF executable whose cargo-auditable .dep-v0 section
// is a valid zlib stream of a dependency list that inflates to about
// inflatedMiB MiB (a thousand times its size): one real package followed
// by whitespace. The stream repeats one compressed block of 1 MiB of
// spaces, so that writing it costs little more than its own size.
func RustDepBomb(inflatedMiB int) ([]byte, error) {
	const chunk = 1 << 20
	head := []byte(`{"packages":[{"name":"smallvec","version":"1.6.0","source":"crates.io"}]`)
	block := bytes.Repeat([]byte(" "), chunk)
	var z bytes.Buffer
	zw, err := zlib.NewWriterLevel(&z, zlib.BestCompression)
	if err != nil {
		return nil, err
	}
	sum := adler32.New()
	write := func(p []byte) error {
		sum.Write(p)
		if _, err := zw.Write(p); err != nil {
			return err
		}
		return zw.Flush()
	}
	if err := write(head); err != nil {
		return nil, err
	}
	if err := write(block); err != nil {
		return nil, err
	}
	// Once the window holds only spaces, the encoding of the next 1 MiB
	// of spaces decodes the same wherever it is repeated.
	from := z.Len()
	if err := write(block); err != nil {
		return nil, err
	}
	repeat := bytes.Clone(z.Bytes()[from:])
	for i := 2; i < inflatedMiB; i++ {
		z.Write(repeat)
		sum.Write(block)
	}
	sum.Write([]byte("}"))
	if _, err := zw.Write([]byte("}")); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	// Close ended the stream with the checksum of what the writer saw:
	// put in that of the whole.
	stream := z.Bytes()
	binary.BigEndian.PutUint32(stream[len(stream)-4:], sum.Sum32())
	return rustELF(stream), nil
}

// RustDepELF is an ELF executable whose .dep-v0 section holds depsJSON,
// zlib-compressed as cargo-auditable stores it.
func RustDepELF(depsJSON string) []byte {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	io.WriteString(zw, depsJSON)
	zw.Close()
	return rustELF(z.Bytes())
}

// rustELF lays out: ELF header, one read-execute PT_LOAD (no writable
// segment: not Go), the section's bytes, the section names, and three
// section headers (null, .dep-v0, .shstrtab).
func rustELF(section []byte) []byte {
	names := []byte("\x00.dep-v0\x00.shstrtab\x00")
	secOff := uint64(64 + 56)
	namesOff := secOff + uint64(len(section))
	shoff := (namesOff + uint64(len(names)) + 7) &^ 7
	var b bytes.Buffer
	b.Write(elfHeader(shoff, 3, 2))
	b.Write(programHeader(5, 0, 0x400000, 64+56))
	b.Write(section)
	b.Write(names)
	b.Write(make([]byte, int(shoff)-b.Len()))
	b.Write(make([]byte, 64)) // SHT_NULL
	b.Write(sectionHeader(1, 1, secOff, uint64(len(section))))
	b.Write(sectionHeader(9, 3, namesOff, uint64(len(names))))
	return b.Bytes()
}

func sectionHeader(name, typ uint32, off, size uint64) []byte {
	s := make([]byte, 64)
	le.PutUint32(s, name)
	le.PutUint32(s[4:], typ)
	le.PutUint64(s[24:], off)
	le.PutUint64(s[32:], size)
	le.PutUint64(s[48:], 1) // alignment
	return s
}

// RepeatedEntryJar is a jar with one real entry, a nested jar that
// inflates to entrySize bytes, which its central directory lists copies
// times: every listing points at the same bytes.
func RepeatedEntryJar(copies int, entrySize int64) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "lib/inner.jar", Method: zip.Deflate})
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(w, io.LimitReader(zeros{}, entrySize)); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	raw := buf.Bytes()
	// The archive ends with the central directory (one entry) and the
	// end record: repeat the entry and fix the counts and size.
	eocd := bytes.LastIndex(raw, []byte("PK\x05\x06"))
	cdOff := le.Uint32(raw[eocd+16:])
	entry := bytes.Clone(raw[cdOff:eocd])
	var out bytes.Buffer
	out.Write(raw[:cdOff])
	for range copies {
		out.Write(entry)
	}
	end := bytes.Clone(raw[eocd:])
	le.PutUint16(end[8:], uint16(min(copies, 0xffff)))
	le.PutUint16(end[10:], uint16(min(copies, 0xffff)))
	le.PutUint32(end[12:], uint32(len(entry)*copies))
	out.Write(end)
	return out.Bytes(), nil
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
