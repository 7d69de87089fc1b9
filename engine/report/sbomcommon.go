package report

// Helpers shared by the SBOM writers (CycloneDX, SPDX): identifiers that
// are unique within a document and stable across runs, and SPDX licence
// expressions. Add functions here; keep each one small and documented.

import (
	"crypto/rand"
	"crypto/sha1"
	_ "embed"
	"fmt"
	"strings"
	"sync"

	"github.com/package-url/packageurl-go"
)

// sbomNamespace is the namespace of the name-based UUIDs below (a v4 UUID
// chosen once for docker scan), so that our identifiers never collide with
// another tool's name-based ones.
var sbomNamespace = [16]byte{0x4b, 0x1e, 0x7c, 0x52, 0x0d, 0x9a, 0x4f, 0x3e, 0x9c, 0x61, 0x2a, 0x58, 0xe4, 0x07, 0xb3, 0x9d}

// nameUUID is a version-5 (SHA-1, name-based) UUID of the parts: the same
// parts give the same UUID in every run, so an SBOM of the same image keeps
// its identifiers.
func nameUUID(parts ...string) string {
	h := sha1.New()
	h.Write(sbomNamespace[:])
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return formatUUID(u)
}

// randomUUID is a version-4 UUID: a document serial number or namespace
// that must differ from run to run.
func randomUUID() string {
	var u [16]byte
	if _, err := rand.Read(u[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // never fails on supported platforms
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return formatUUID(u)
}

func formatUUID(u [16]byte) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// spdxLicenseList is the list of SPDX licence and exception identifiers a
// CycloneDX license.id may hold (the enum of CycloneDX's spdx.schema.json).
//
//go:embed spdx-license-ids.txt
var spdxLicenseList string

// spdxIDs maps each identifier, lower-cased, to its canonical spelling
// (SPDX ids match case-insensitively).
var spdxIDs = sync.OnceValue(func() map[string]string {
	ids := map[string]string{}
	for _, line := range strings.Split(spdxLicenseList, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			ids[strings.ToLower(line)] = line
		}
	}
	return ids
})

// spdxLicenseID is the canonical spelling of id when it is a listed SPDX
// licence or exception identifier.
func spdxLicenseID(id string) (string, bool) {
	c, ok := spdxIDs()[strings.ToLower(id)]
	return c, ok
}

// gnuLicenses are the GNU licences whose bare ids SPDX deprecated: a bare
// "GPL-2.0" means -only, "GPL-2.0+" -or-later (Trivy's reading too).
var gnuLicenses = map[string]bool{
	"GPL-1.0": true, "GPL-2.0": true, "GPL-3.0": true,
	"LGPL-2.0": true, "LGPL-2.1": true, "LGPL-3.0": true,
	"AGPL-1.0": true, "AGPL-3.0": true,
	"GFDL-1.1": true, "GFDL-1.2": true, "GFDL-1.3": true,
}

// maxLicenseLen caps what is parsed as an expression: a longer "licence"
// (a whole licence text) is kept as a name.
const maxLicenseLen = 1024

// licenseTextPrefix marks a licence given by its text rather than a name
// (Trivy's "text://"): it is never an SPDX expression.
const licenseTextPrefix = "text://"

// licenseExpr is one licence as an SPDX expression.
type licenseExpr struct {
	// String is the expression in canonical spelling (listed ids spelled
	// as SPDX lists them, operators upper-case, GNU ids made -only or
	// -or-later), or the licence as given when it does not parse.
	String string
	// Valid: it parses and every id is a listed SPDX identifier (or a
	// LicenseRef-/DocumentRef-), every exception a listed one.
	Valid bool
	// Compound: it has an operator (AND, OR, WITH), so it is not one id.
	Compound bool
}

// parseLicense reads a licence string as an SPDX expression (ids, "+",
// AND, OR, WITH, parentheses). Anything that does not parse comes back as
// given with Valid false; it never fails.
func parseLicense(s string) licenseExpr {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, licenseTextPrefix) || len(s) > maxLicenseLen {
		return licenseExpr{String: strings.TrimPrefix(s, licenseTextPrefix)}
	}
	// A listed id as a whole ("GPL-2.0-with-classpath-exception" is one,
	// deprecated) stays one; the GNU ids and "+" forms are rewritten below.
	if id, ok := spdxLicenseID(s); ok && !gnuLicenses[id] && !strings.HasSuffix(id, "+") {
		return licenseExpr{String: id, Valid: true}
	}
	// "GPL-3.0-with-autoconf-exception" style names mean WITH.
	norm := strings.ReplaceAll(strings.ReplaceAll(s, "-with-", " WITH "), "-WITH-", " WITH ")
	p := &licenseParser{toks: licenseTokens(norm)}
	node, ok := p.or()
	if !ok || p.pos != len(p.toks) {
		return licenseExpr{String: s}
	}
	if _, simple := node.(licenseID); simple {
		// A one-word licence that is not a listed id keeps its own
		// spelling, as a name.
		str, valid := node.render()
		if !valid && !strings.ContainsAny(s, " ()") {
			str = s
		}
		return licenseExpr{String: str, Valid: valid}
	}
	str, valid := node.render()
	return licenseExpr{String: str, Valid: valid, Compound: true}
}

func licenseTokens(s string) []string {
	var toks []string
	cur := strings.Builder{}
	flush := func() {
		if cur.Len() > 0 {
			toks = append(toks, cur.String())
			cur.Reset()
		}
	}
	for _, r := range s {
		switch {
		case r == '(' || r == ')':
			flush()
			toks = append(toks, string(r))
		case r == ' ' || r == '\t' || r == '\n' || r == '\r':
			flush()
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	return toks
}

// licenseNode is a parsed expression; render gives its canonical text and
// whether every id in it is a valid SPDX one.
type licenseNode interface {
	render() (string, bool)
	prec() int
}

type licenseID struct {
	id   string
	plus bool
}

func (l licenseID) prec() int { return 3 }

func (l licenseID) render() (string, bool) {
	id := l.id
	if strings.HasPrefix(id, "LicenseRef-") || strings.HasPrefix(id, "DocumentRef-") {
		return id + plusSign(l.plus), validIDString(id)
	}
	canon, ok := spdxLicenseID(id)
	if !ok {
		return sanitizeLicenseID(id) + plusSign(l.plus), false
	}
	if gnuLicenses[canon] {
		if l.plus {
			canon += "-or-later"
		} else {
			canon += "-only"
		}
		_, ok = spdxLicenseID(canon)
		return canon, ok
	}
	if l.plus {
		// "X+" is an expression (X or any later version), not an id.
		return canon + "+", true
	}
	return canon, true
}

func plusSign(plus bool) string {
	if plus {
		return "+"
	}
	return ""
}

// validIDString: SPDX idstring = 1*(ALPHA / DIGIT / "-" / "." ) after the
// ref prefix's colon.
func validIDString(id string) bool {
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == ':') {
			return false
		}
	}
	return true
}

// sanitizeLicenseID replaces characters an SPDX id cannot hold by '-'.
func sanitizeLicenseID(id string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			return r
		}
		return '-'
	}, id)
}

type licenseOp struct {
	op          string // AND, OR, WITH
	left, right licenseNode
}

func (o licenseOp) prec() int {
	switch o.op {
	case "OR":
		return 0
	case "AND":
		return 1
	}
	return 2
}

func (o licenseOp) render() (string, bool) {
	l, lok := o.left.render()
	if o.left.prec() < o.prec() {
		l = "(" + l + ")"
	}
	if o.op == "WITH" {
		r, ok := spdxLicenseID(o.right.(licenseID).id)
		if !ok {
			r = sanitizeLicenseID(o.right.(licenseID).id)
		}
		return l + " WITH " + r, lok && ok
	}
	r, rok := o.right.render()
	if o.right.prec() < o.prec() {
		r = "(" + r + ")"
	}
	return l + " " + o.op + " " + r, lok && rok
}

// licenseParser is a recursive-descent parser of SPDX expressions:
// or := and {OR and}; and := with {AND with}; with := atom [WITH id];
// atom := id[+] | "(" or ")". Depth is capped by maxLicenseLen.
type licenseParser struct {
	toks  []string
	pos   int
	depth int
}

func (p *licenseParser) peekOp(op string) bool {
	return p.pos < len(p.toks) && strings.EqualFold(p.toks[p.pos], op)
}

func (p *licenseParser) or() (licenseNode, bool) {
	left, ok := p.and()
	for ok && p.peekOp("OR") {
		p.pos++
		var right licenseNode
		if right, ok = p.and(); ok {
			left = licenseOp{op: "OR", left: left, right: right}
		}
	}
	return left, ok
}

func (p *licenseParser) and() (licenseNode, bool) {
	left, ok := p.with()
	for ok && p.peekOp("AND") {
		p.pos++
		var right licenseNode
		if right, ok = p.with(); ok {
			left = licenseOp{op: "AND", left: left, right: right}
		}
	}
	return left, ok
}

func (p *licenseParser) with() (licenseNode, bool) {
	left, ok := p.atom()
	if ok && p.peekOp("WITH") {
		p.pos++
		exc, eok := p.id()
		if !eok || exc.plus {
			return nil, false
		}
		return licenseOp{op: "WITH", left: left, right: exc}, true
	}
	return left, ok
}

func (p *licenseParser) atom() (licenseNode, bool) {
	if p.pos < len(p.toks) && p.toks[p.pos] == "(" {
		p.depth++
		if p.depth > 64 {
			return nil, false
		}
		p.pos++
		n, ok := p.or()
		if !ok || p.pos >= len(p.toks) || p.toks[p.pos] != ")" {
			return nil, false
		}
		p.pos++
		p.depth--
		return n, true
	}
	id, ok := p.id()
	return id, ok
}

func (p *licenseParser) id() (licenseID, bool) {
	if p.pos >= len(p.toks) {
		return licenseID{}, false
	}
	t := p.toks[p.pos]
	if t == "(" || t == ")" || strings.EqualFold(t, "AND") || strings.EqualFold(t, "OR") || strings.EqualFold(t, "WITH") {
		return licenseID{}, false
	}
	p.pos++
	plus := strings.HasSuffix(t, "+")
	t = strings.TrimSuffix(t, "+")
	if t == "" {
		return licenseID{}, false
	}
	return licenseID{id: t, plus: plus}, true
}

// packageURL parses a package URL (types.Package's Identifier.PURL).
func packageURL(s string) (packageurl.PackageURL, error) {
	if s == "" {
		return packageurl.PackageURL{}, fmt.Errorf("no package URL")
	}
	return packageurl.FromString(s)
}

// digestHexLen is the hex length of each algorithm's digest.
var digestHexLen = map[string]int{"md5": 32, "sha1": 40, "sha256": 64, "sha512": 128}

// splitDigest reads a package's Digest ("<algorithm>:<hex>", from the
// image's package databases, so untrusted): the algorithm and the value
// lower-cased, or ok false unless the algorithm is md5, sha1, sha256 or
// sha512 and the value hex of its length (an SBOM must not carry what
// its schema refuses).
func splitDigest(d string) (alg, value string, ok bool) {
	alg, value, ok = strings.Cut(d, ":")
	alg = strings.ToLower(alg)
	if !ok || len(value) != digestHexLen[alg] || strings.ContainsFunc(value, func(r rune) bool {
		return !('0' <= r && r <= '9' || 'a' <= r && r <= 'f' || 'A' <= r && r <= 'F')
	}) {
		return "", "", false
	}
	return alg, strings.ToLower(value), true
}
