package lang

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"runtime/debug"
	"slices"
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

// GoBinary reads the modules compiled into Go executables from their
// build info, streaming. For ELF, the ELF and program headers say where the
// data segment starts and only up to its first few MiB are kept; the
// strings that a pre-1.18 build info points to are picked out as the
// stream passes. Mach-O and PE executables are searched for the build info
// as they stream by (Go >= 1.18). No binary is ever held in memory whole.
type GoBinary struct{}

func (GoBinary) Name() string { return "gobinary" }
func (GoBinary) Version() int { return 5 }

func (GoBinary) WantsStream(name string, size int64, mode fs.FileMode, head []byte) bool {
	if size <= 64 {
		return false
	}
	exec := mode&0o111 != 0
	switch {
	case bytes.HasPrefix(head, []byte("\x7fELF")):
		return exec
	case isMachO(head):
		return exec
	case bytes.HasPrefix(head, []byte("MZ")):
		// Windows keeps no executable bit: its executables are named so.
		return exec || strings.EqualFold(path.Ext(name), ".exe")
	}
	return false
}

// isMachO tells a thin Mach-O file (32 or 64 bit, either byte order).
func isMachO(head []byte) bool {
	return bytes.HasPrefix(head, []byte("\xfe\xed\xfa")) || len(head) > 3 && bytes.HasPrefix(head[1:], []byte("\xfa\xed\xfe"))
}

var buildInfoMagic = []byte("\xff Go buildinf:")

func (g GoBinary) AnalyzeStream(filePath string, size int64, r io.Reader, res *types.LayerResult) error {
	defer recoverIssue(g.Name(), filePath, res)
	cr := &countingReader{r: r}
	ident := make([]byte, 64)
	if _, err := io.ReadFull(cr, ident); err != nil {
		return nil
	}
	var bi *debug.BuildInfo
	var err error
	if bytes.HasPrefix(ident, []byte("\x7fELF")) {
		var es *elfStream
		bi, es, err = readELFBuildInfo(cr, ident)
		if err == nil && bi == nil {
			// Not Go: perhaps a Rust binary built with cargo-auditable.
			singleDB(res, filePath, TypeRustBinary, rustPackages(es, size, filePath, res))
			return nil
		}
	} else {
		bi, err = searchBuildInfo(cr, ident)
	}
	if err != nil || bi == nil {
		// Not Go, or too odd to read this way: nothing to report, and no
		// reason to fail the scan.
		return nil
	}
	singleDB(res, filePath, TypeGoBinary, goPackages(bi))
	return nil
}

// recoverIssue, deferred, turns a panic of a parser on a crafted file into
// an analysis issue of that file: the parsers check every offset they
// read, and this is the net under them, so that one file never ends a
// scan.
func recoverIssue(analyzer, filePath string, res *types.LayerResult) {
	if r := recover(); r != nil {
		res.Issues = append(res.Issues, types.AnalysisIssue{Analyzer: analyzer, FilePath: filePath, Reason: fmt.Sprintf("could not be parsed: %v", r)})
	}
}

// goPackages lists the main module, the dependencies (as replaced) and
// the standard library as Trivy does: versions keep their "v" (stdlib's
// too: v1.22.1), "(devel)" is no version, and the main module is listed
// even without one (its ID is then its path alone), depending on all the
// others. The main module is the root, stdlib a direct dependency, the
// other modules of unknown relationship.
func goPackages(bi *debug.BuildInfo) []types.Package {
	var pkgs []types.Package
	for _, d := range bi.Deps {
		m := d
		if d.Replace != nil {
			m = d.Replace
		}
		if m.Path == "" {
			continue // old toolchains list the main module here, unnamed
		}
		pkgs = append(pkgs, goModule(m.Path, m.Version))
	}
	if v := strings.TrimPrefix(bi.GoVersion, "go"); v != "" {
		v, _, _ = strings.Cut(v, " ") // "go1.22.1 X:boringcrypto"
		std := goModule("stdlib", "v"+v)
		// The main module depends on the standard library directly;
		// how the other modules relate to it the build info does not
		// say (Trivy leaves them unknown).
		std.Relationship = types.RelationshipDirect
		pkgs = append(pkgs, std)
	}
	if bi.Main.Path != "" {
		version := bi.Main.Version
		if version == "(devel)" || version == "" || strings.HasPrefix(version, "v0.0.0") {
			// Built from a work tree: the version the build stamped
			// with -ldflags "-X main.version=1.2.3", if one, as Trivy.
			if v := ldflagsVersion(bi.Main.Path, bi.Settings); v != "" {
				version = v
			}
		}
		main := goModule(bi.Main.Path, version)
		main.Relationship = types.RelationshipRoot
		for _, p := range pkgs {
			main.DependsOn = append(main.DependsOn, p.ID)
		}
		slices.Sort(main.DependsOn)
		pkgs = append([]types.Package{main}, pkgs...)
	}
	return pkgs
}

// ldflagsVersion is the version a build of module stamped into its main
// package with -ldflags -X, as Trivy reads it: the value of a variable
// named *.version or *.ver that is a semantic version, preferring one in
// the module's own cmd/ tree, then one in a package named main, common,
// version or cmd, then any other; two candidates of the same rank make
// the version unknown.
func ldflagsVersion(module string, settings []debug.BuildSetting) string {
	var flags string
	for _, s := range settings {
		if s.Key == "-ldflags" {
			flags = s.Value
		}
	}
	var ranked [3][]string
	args := shellWords(flags)
	for i := 0; i < len(args); i++ {
		var pair string
		switch a := args[i]; {
		case a == "-X" || a == "--X":
			if i+1 < len(args) {
				i++
				pair = args[i]
			}
		case strings.HasPrefix(a, "--X="):
			pair = a[len("--X="):]
		case strings.HasPrefix(a, "-X"):
			pair = strings.TrimPrefix(a[len("-X"):], "=")
		}
		key, value, ok := strings.Cut(pair, "=")
		key, value = strings.TrimLeft(key, "'"), strings.TrimRight(value, "'")
		lower := strings.ToLower(key)
		if !ok || !(strings.HasSuffix(lower, ".version") || strings.HasSuffix(lower, ".ver")) ||
			!(semverPattern.MatchString(value) || semverPattern.MatchString("v"+value)) {
			continue
		}
		pkg := key[strings.LastIndex(key, "/")+1:]
		pkg, _, _ = strings.Cut(pkg, ".")
		switch {
		case strings.HasPrefix(key, module+"/cmd/"):
			ranked[0] = append(ranked[0], value)
		case slices.Contains([]string{"main", "common", "version", "cmd"}, strings.ToLower(pkg)):
			ranked[1] = append(ranked[1], value)
		default:
			ranked[2] = append(ranked[2], value)
		}
	}
	for _, vs := range ranked {
		if len(vs) == 1 {
			return vs[0]
		}
		if len(vs) > 1 {
			return ""
		}
	}
	return ""
}

// semverPattern is what golang.org/x/mod/semver accepts: v1, v1.2,
// v1.2.3, and v1.2.3 with a pre-release and build metadata.
var semverPattern = regexp.MustCompile(`^v(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?)?)?$`)

// shellWords splits a command line as a POSIX shell would, without
// expansions: blanks separate words, quotes group them, a backslash
// escapes the next character outside single quotes.
func shellWords(s string) []string {
	var (
		words   []string
		cur     strings.Builder
		inWord  bool
		quote   rune
		escaped bool
	)
	for _, r := range s {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case r == '\\' && quote != '\'':
			escaped, inWord = true, true
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// goModule is one module as Trivy names it: ID path@version, or the path
// alone when the version is unknown ("(devel)": built from a work tree).
func goModule(path, version string) types.Package {
	if version == "(devel)" {
		version = ""
	}
	p := types.Package{ID: path, Name: path, Version: version}
	if version != "" {
		p.ID = path + "@" + version
	}
	return p
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

// segment is a loadable ELF segment: where it is in the file and in memory.
type segment struct {
	off, vaddr, filesz uint64
	writable           bool
}

// readELFBuildInfo finds and parses the build info of an ELF Go binary
// from a stream whose first 64 bytes (ident) have been read. It returns
// what it kept, for the Rust reader to go on from; a nil BuildInfo and nil
// error mean "not Go".
func readELFBuildInfo(cr *countingReader, ident []byte) (*debug.BuildInfo, *elfStream, error) {
	es := &elfStream{cr: cr, pieces: []piece{{0, ident}}}
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
	if phnum == 0 || phnum > 64 || phentsize < 32 || phoff < 52 {
		return nil, es, errors.New("no program headers")
	}
	ph := make([]byte, int(phentsize)*int(phnum))
	// A 32-bit ELF header is 52 bytes: its program headers may start
	// within the 64 bytes read already.
	have := 0
	if phoff < uint64(len(ident)) {
		have = copy(ph, ident[phoff:])
	} else if err := cr.skipTo(int64(phoff)); err != nil {
		return nil, es, err
	}
	if _, err := io.ReadFull(cr, ph[have:]); err != nil {
		return nil, es, err
	}
	es.pieces = append(es.pieces, piece{int64(phoff), ph})
	const ptLoad, pfW = 1, 2
	var segs []segment
	var data *segment // the first writable loadable segment: it starts with .go.buildinfo
	for i := 0; i < int(phnum); i++ {
		e := ph[i*int(phentsize):]
		var typ, flags uint32
		var sg segment
		if is64 {
			typ, flags, sg.off, sg.vaddr, sg.filesz = order.Uint32(e), order.Uint32(e[4:]), order.Uint64(e[8:]), order.Uint64(e[16:]), order.Uint64(e[32:])
		} else {
			typ, sg.off, sg.vaddr, sg.filesz, flags = order.Uint32(e), uint64(order.Uint32(e[4:])), uint64(order.Uint32(e[8:])), uint64(order.Uint32(e[16:])), order.Uint32(e[24:])
		}
		if typ != ptLoad {
			continue
		}
		sg.writable = flags&pfW != 0
		segs = append(segs, sg)
		if sg.writable && data == nil && sg.filesz > 0 {
			data = &segs[len(segs)-1]
		}
	}
	if data == nil {
		return nil, es, nil
	}
	dataSeg := *data
	// On the way to the data segment, note the strings a pre-1.18 build
	// info may point to: we cannot come back for them.
	old := &oldStrings{versions: map[int64]string{}, modinfo: map[int64][]byte{}}
	if err := old.scan(cr, int64(dataSeg.off)); err != nil {
		return nil, es, err
	}
	// Keep the start of the data segment: the string headers a pre-1.18
	// build info points to are there when Go linked the binary itself.
	buf := make([]byte, min(dataSeg.filesz, maxBuildInfoRead))
	n, _ := io.ReadFull(cr, buf)
	buf = buf[:n]
	es.pieces = append(es.pieces, piece{int64(dataSeg.off), buf})
	// Go's own linker puts the build info first in the segment; an
	// external linker (cgo) may put it anywhere in it, so the whole
	// segment is searched as it streams by.
	blob, err := findMagic(cr, buf, int64(dataSeg.off), int64(dataSeg.off+dataSeg.filesz))
	if err != nil || blob == nil {
		return nil, es, err
	}
	if blob[15]&2 != 0 {
		bi, err := parseInlineBuildInfo(blob)
		return bi, es, err
	}
	bi, err := old.resolve(blob, buf, dataSeg, segs)
	return bi, es, err
}

// parseInlineBuildInfo reads the Go >= 1.18 build info: a 32-byte header
// followed by the Go version and the module info as varint-prefixed
// strings.
func parseInlineBuildInfo(b []byte) (*debug.BuildInfo, error) {
	goVersion, rest, err := varintString(b[32:])
	if err != nil {
		return nil, err
	}
	mod, _, err := varintString(rest)
	if err != nil {
		return nil, err
	}
	return parseModInfo(goVersion, mod)
}

func parseModInfo(goVersion, mod string) (*debug.BuildInfo, error) {
	if len(mod) >= 33 && mod[len(mod)-17] == '\n' {
		mod = mod[16 : len(mod)-16] // the sentinels around it
	}
	bi, err := debug.ParseBuildInfo(mod)
	if err != nil {
		return nil, err
	}
	bi.GoVersion = goVersion
	return bi, nil
}

// maxSearch bounds how far into a Mach-O or PE file the build info is
// looked for.
const maxSearch = 1 << 30

// searchBuildInfo looks for the Go >= 1.18 build info of a Mach-O or PE
// executable as the file streams by, its strings inline. (Pre-1.18 build
// info holds virtual addresses that would need these formats' section
// tables: not read.)
func searchBuildInfo(cr *countingReader, head []byte) (*debug.BuildInfo, error) {
	blob, err := findMagic(cr, head, 0, maxSearch)
	if err != nil || blob == nil || blob[15]&2 == 0 {
		return nil, err
	}
	return parseInlineBuildInfo(blob)
}

// findMagic looks for the build info header, 16-byte aligned in the file,
// in pre (the bytes at file offset base, left untouched) and then in the
// stream up to offset until. It returns the bytes from the header on (at
// most maxBuildInfoRead), or nil if there is none.
func findMagic(cr *countingReader, pre []byte, base, until int64) ([]byte, error) {
	const chunk = 256 << 10
	var own []byte
	buf := pre
	for {
		i := int((16 - base%16) % 16)
		for ; i+32 <= len(buf); i += 16 {
			if buf[i] == buildInfoMagic[0] && bytes.Equal(buf[i:i+len(buildInfoMagic)], buildInfoMagic) {
				return io.ReadAll(io.LimitReader(io.MultiReader(bytes.NewReader(buf[i:]), cr), maxBuildInfoRead))
			}
		}
		if cr.pos >= until {
			return nil, nil
		}
		// Carry the unsearched tail (less than a header) into the next round.
		from := min(i, len(buf))
		if own == nil {
			own = make([]byte, 0, chunk+32)
		}
		own = append(own[:0], buf[from:]...)
		base += int64(from)
		n, err := io.ReadFull(cr, own[len(own):len(own)+int(min(chunk, until-cr.pos))])
		own = own[:len(own)+n]
		buf = own
		if n == 0 || err == io.EOF || err == io.ErrUnexpectedEOF {
			until = cr.pos // the last round
		} else if err != nil {
			return nil, err
		}
	}
}

// Pre-1.18 build info: the header holds the addresses of two Go string
// headers (runtime.buildVersion and runtime.modinfo) in the data segment,
// which point at the strings' bytes in the read-only data, earlier in the
// file. oldStrings notes, while the stream passes, every place that could
// be one of those strings: "go1." followed by a version, and the module
// info between its two 16-byte sentinels.
type oldStrings struct {
	versions map[int64]string
	modinfo  map[int64][]byte
	capture  *capture
}

type capture struct {
	off  int64
	data []byte
}

var (
	modinfoStart = []byte("0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6")
	modinfoEnd   = []byte("\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2")
	goVersionPre = []byte("go1.")
)

const (
	maxVersionSpots = 1 << 15
	versionSpan     = 64 // bytes kept from each "go1.": string lengths come later
	maxModInfo      = 1 << 20
)

// scan reads the stream up to offset until, noting candidate strings.
func (o *oldStrings) scan(cr *countingReader, until int64) error {
	if until < cr.pos {
		return errors.New("offset behind the stream")
	}
	const chunk, keep = 256 << 10, versionSpan
	buf := make([]byte, 0, chunk+keep)
	base := cr.pos
	for cr.pos < until {
		n, err := io.ReadFull(cr, buf[len(buf):len(buf)+int(min(chunk, until-cr.pos))])
		buf = buf[:len(buf)+n]
		if err != nil {
			return err
		}
		final := cr.pos == until
		limit := len(buf) - keep
		if final || limit < 0 {
			limit = len(buf)
		}
		if c := o.capture; c != nil {
			o.extend(c, buf, base)
		}
		o.find(buf, base, limit)
		buf = append(buf[:0], buf[limit:]...)
		base += int64(limit)
	}
	return nil
}

// find notes the candidates that start in buf[:limit].
func (o *oldStrings) find(buf []byte, base int64, limit int) {
	for p := 0; p < limit; {
		j := bytes.Index(buf[p:], goVersionPre)
		if j < 0 || p+j >= limit {
			break
		}
		at := p + j
		end := min(at+versionSpan, len(buf))
		if len(o.versions) < maxVersionSpots {
			o.versions[base+int64(at)] = string(buf[at:end])
		}
		p = at + 1
	}
	for p := 0; p < limit && o.capture == nil; {
		j := bytes.Index(buf[p:], modinfoStart)
		if j < 0 || p+j >= limit {
			break
		}
		c := &capture{off: base + int64(p+j)}
		o.capture = c
		o.extend(c, buf, base)
		p += j + 1
	}
}

// extend adds to a module info capture the bytes of buf it lacks, and
// ends it at the closing sentinel or the size bound.
func (o *oldStrings) extend(c *capture, buf []byte, base int64) {
	next := c.off + int64(len(c.data))
	if next < base || next >= base+int64(len(buf)) {
		return
	}
	from := len(c.data)
	c.data = append(c.data, buf[next-base:]...)
	if i := bytes.Index(c.data[max(from-len(modinfoEnd), len(modinfoStart)):], modinfoEnd); i >= 0 {
		end := max(from-len(modinfoEnd), len(modinfoStart)) + i + len(modinfoEnd)
		o.modinfo[c.off] = c.data[:end:end]
		o.capture = nil
	} else if len(c.data) > maxModInfo {
		o.capture = nil
	}
}

// resolve follows the pointers of the pre-1.18 header hdr, through the
// start of the data segment (data), to the strings noted on the way.
func (o *oldStrings) resolve(hdr, data []byte, dataSeg segment, segs []segment) (*debug.BuildInfo, error) {
	ptrSize := int(hdr[14])
	if ptrSize != 4 && ptrSize != 8 || len(hdr) < 16+2*ptrSize {
		return nil, errors.New("bad build info header")
	}
	var order binary.ByteOrder = binary.LittleEndian
	if hdr[15]&1 != 0 {
		order = binary.BigEndian
	}
	readPtr := func(b []byte) (uint64, bool) {
		switch {
		case ptrSize == 8 && len(b) >= 8:
			return order.Uint64(b), true
		case ptrSize == 4 && len(b) >= 4:
			return uint64(order.Uint32(b)), true
		}
		return 0, false
	}
	// readString follows a string header at vaddr to its bytes' file offset
	// and length.
	readString := func(vaddr uint64) (int64, uint64, bool) {
		// The pointers are the file's: vaddr - base + 16 may wrap around
		// (0xFFFFFFFFFFFFFFF8 does), so the room is compared instead.
		if vaddr < dataSeg.vaddr || uint64(len(data)) < uint64(2*ptrSize) || vaddr-dataSeg.vaddr > uint64(len(data)-2*ptrSize) {
			return 0, 0, false
		}
		h := data[vaddr-dataSeg.vaddr:]
		p, ok1 := readPtr(h)
		n, ok2 := readPtr(h[ptrSize:])
		if !ok1 || !ok2 {
			return 0, 0, false
		}
		for _, sg := range segs {
			if p >= sg.vaddr && p-sg.vaddr < sg.filesz {
				return int64(p - sg.vaddr + sg.off), n, true
			}
		}
		return 0, 0, false
	}
	versPtr, ok1 := readPtr(hdr[16:])
	modPtr, ok2 := readPtr(hdr[16+ptrSize:])
	if !ok1 || !ok2 {
		return nil, errors.New("bad build info header")
	}
	var goVersion, mod string
	if off, n, ok := readString(versPtr); ok {
		if v := o.versions[off]; uint64(len(v)) >= n {
			goVersion = v[:n]
		}
	}
	if off, n, ok := readString(modPtr); ok {
		if m := o.modinfo[off]; uint64(len(m)) == n {
			mod = string(m)
		}
	}
	if goVersion == "" {
		return nil, nil
	}
	return parseModInfo(goVersion, mod)
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
