package report

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
	"sync"

	"github.com/spdx/tools-golang/spdx/v2/v2_3"
)

// SPDX licence expressions. A package's licences, as its metadata names
// them, become one SPDX 2.3 expression (Annex D): identifiers of the SPDX
// License List in their listed spelling, GNU short names (Debian's
// "GPL-2+", "LGPL-2.1") made -only or -or-later, a few common names
// ("Apache License 2.0", "MIT License") mapped to their identifiers, and
// anything else a LicenseRef-<name> that the document declares in
// hasExtractedLicensingInfos, as the spec requires of every LicenseRef.

// spdxListed maps the current SPDX License List's identifiers (spdx_ids.go),
// lower-cased, to their listed spelling: licences, and exceptions apart.
var spdxListed = sync.OnceValues(func() (licenses, exceptions map[string]string) {
	index := func(list string) map[string]string {
		m := map[string]string{}
		for _, id := range strings.Fields(list) {
			m[strings.ToLower(id)] = id
		}
		return m
	}
	return index(spdxLicenseIDList), index(spdxExceptionIDList)
})

// spdxListedLicense is the listed spelling of a licence identifier of the
// SPDX License List (matched case-insensitively, as the spec says).
func spdxListedLicense(id string) (string, bool) {
	l, _ := spdxListed()
	c, ok := l[strings.ToLower(id)]
	return c, ok
}

// spdxListedException is the listed spelling of an SPDX licence exception.
func spdxListedException(id string) (string, bool) {
	_, e := spdxListed()
	c, ok := e[strings.ToLower(id)]
	return c, ok
}

// spdxLicenseRefPrefix starts an identifier the document defines itself.
const spdxLicenseRefPrefix = "LicenseRef-"

// maxSPDXRefIDLen bounds the name part of a LicenseRef made from a licence
// name; a longer name keeps its start and a hash of the whole.
const maxSPDXRefIDLen = 64

// spdxLicenses turns licences into expressions for one document and
// collects the LicenseRefs they use, each declared once.
type spdxLicenses struct {
	refs   []*v2_3.OtherLicense
	byID   map[string]*v2_3.OtherLicense
	byName map[string]string // licence name -> its LicenseRef
}

func newSPDXLicenses() *spdxLicenses {
	return &spdxLicenses{byID: map[string]*v2_3.OtherLicense{}, byName: map[string]string{}}
}

// expression is the licenseDeclared of a package with these licences: their
// AND, or NOASSERTION when there is none.
func (s *spdxLicenses) expression(licenses []string) string {
	type part struct {
		expr     string
		compound bool
	}
	var parts []part
	seen := map[string]bool{}
	for _, l := range licenses {
		if !strings.HasPrefix(l, licenseTextPrefix) {
			l = spdxText(l)
		}
		if strings.TrimSpace(strings.TrimPrefix(l, licenseTextPrefix)) == "" {
			continue
		}
		expr, compound := s.one(l)
		if !seen[expr] {
			seen[expr] = true
			parts = append(parts, part{expr, compound})
		}
	}
	switch len(parts) {
	case 0:
		return spdxNoAssertion
	case 1:
		return parts[0].expr
	}
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = p.expr
		if p.compound {
			out[i] = "(" + p.expr + ")"
		}
	}
	return strings.Join(out, " AND ")
}

// one is the expression of one licence string, and whether it has an
// operator at its top.
func (s *spdxLicenses) one(l string) (string, bool) {
	l = strings.TrimSpace(l)
	if text, ok := strings.CutPrefix(l, licenseTextPrefix); ok {
		return s.textRef(text), false
	}
	if len(l) > maxLicenseLen {
		return s.textRef(l), false
	}
	if id, ok := spdxListedLicense(l); ok && !gnuLicenses[id] {
		// Listed as it is, the deprecated "GPL-2.0-with-GCC-exception"
		// ids included.
		return id, false
	}
	// "GPL-2.0-only-with-Classpath-exception-2.0" spells WITH inside the
	// id.
	norm := strings.ReplaceAll(strings.ReplaceAll(l, "-with-", " WITH "), "-WITH-", " WITH ")
	p := &licenseParser{toks: licenseTokens(norm)}
	if node, ok := p.or(); ok && p.pos == len(p.toks) {
		if id, simple := node.(licenseID); simple {
			if expr, ok := s.known(id.id, id.plus); ok {
				return expr, false
			}
		} else {
			// WITH binds tighter than AND: only AND and OR need
			// parentheses when joined with other licences.
			op, isOp := node.(licenseOp)
			return s.render(node), isOp && op.op != "WITH"
		}
	}
	// A licence named in words ("MIT License", "GPL v2 or later").
	if id, ok := spdxLicenseAlias(l, false); ok {
		return id, false
	}
	return s.ref(l), false
}

// render writes a parsed expression with listed ids in their spelling and
// every other id a LicenseRef.
func (s *spdxLicenses) render(n licenseNode) string {
	switch n := n.(type) {
	case licenseID:
		if expr, ok := s.known(n.id, n.plus); ok {
			return expr
		}
		return s.ref(n.id + plusSign(n.plus))
	case licenseOp:
		if n.op == "WITH" {
			// licence WITH exception: both must be listed, else the
			// whole is one licence the document names itself.
			left, lok := n.left.(licenseID)
			exc, eok := spdxListedException(n.right.(licenseID).id)
			if lok && eok {
				if expr, ok := s.known(left.id, left.plus); ok && !strings.HasPrefix(expr, spdxLicenseRefPrefix) {
					return expr + " WITH " + exc
				}
			}
			return s.ref(rawLicense(n))
		}
		l, r := s.render(n.left), s.render(n.right)
		if n.left.prec() < n.prec() {
			l = "(" + l + ")"
		}
		if n.right.prec() < n.prec() {
			r = "(" + r + ")"
		}
		return l + " " + n.op + " " + r
	}
	return spdxNoAssertion
}

// rawLicense is a parsed expression as written, for the name of the
// LicenseRef that stands for it.
func rawLicense(n licenseNode) string {
	switch n := n.(type) {
	case licenseID:
		return n.id + plusSign(n.plus)
	case licenseOp:
		l, r := rawLicense(n.left), rawLicense(n.right)
		if n.left.prec() < n.prec() {
			l = "(" + l + ")"
		}
		if n.right.prec() < n.prec() {
			r = "(" + r + ")"
		}
		return l + " " + n.op + " " + r
	}
	return ""
}

// known is the expression of one id (with "+" for "or later") when it is a
// listed licence, a GNU short name, a known alias or a well-formed
// LicenseRef.
func (s *spdxLicenses) known(id string, plus bool) (string, bool) {
	if rest, ok := strings.CutPrefix(id, spdxLicenseRefPrefix); ok && rest != "" && !plus && isSPDXIDString(rest) {
		if _, declared := s.byID[id]; !declared {
			s.declare(id, rest, "The package metadata refers to this licence by its LicenseRef; its text was not available.")
		}
		return id, true
	}
	if canon, ok := spdxListedLicense(id); ok {
		if gnuLicenses[canon] {
			// Bare GNU ids are deprecated: "GPL-2.0" is -only, "GPL-2.0+"
			// -or-later.
			if plus {
				return canon + "-or-later", true
			}
			return canon + "-only", true
		}
		if plus {
			return canon + "+", true
		}
		return canon, true
	}
	return spdxLicenseAlias(id, plus)
}

// gnuShortName matches GNU licence names as distributions write them, on
// the alias key (lower case, no separators): gpl2, gplv2+, lgpl2.1,
// gnugplv3orlater, agpl3only.
var gnuShortName = regexp.MustCompile(`^(?:gnu)?(a|l|)gpl(?:v)?([123])(?:\.([01]))?(\+|orlater|only)?$`)

// spdxLicenseAliases are common names of listed licences, by alias key.
var spdxLicenseAliases = map[string]string{
	"apache2": "Apache-2.0", "apache2.0": "Apache-2.0", "asl2": "Apache-2.0", "asl2.0": "Apache-2.0",
	"apachesoftware2.0": "Apache-2.0",
	"mit":               "MIT", "expat": "MIT",
	"bsd3clause": "BSD-3-Clause", "bsd3": "BSD-3-Clause", "newbsd": "BSD-3-Clause", "modifiedbsd": "BSD-3-Clause", "revisedbsd": "BSD-3-Clause",
	"bsd2clause": "BSD-2-Clause", "bsd2": "BSD-2-Clause", "simplifiedbsd": "BSD-2-Clause", "freebsd": "BSD-2-Clause",
	"mpl2": "MPL-2.0", "mpl2.0": "MPL-2.0", "mozillapublic2.0": "MPL-2.0",
	"isc": "ISC", "zlib": "Zlib", "unlicense": "Unlicense", "cc0": "CC0-1.0", "cc01.0": "CC0-1.0",
	"pythonsoftwarefoundation": "PSF-2.0", "psf": "PSF-2.0", "psf2": "PSF-2.0",
	"eclipsepublic2.0": "EPL-2.0", "epl2": "EPL-2.0", "epl2.0": "EPL-2.0",
	"bsl1.0": "BSL-1.0", "boostsoftware1.0": "BSL-1.0",
}

// spdxLicenseAlias maps a licence's common name to its SPDX id.
func spdxLicenseAlias(name string, plus bool) (string, bool) {
	key := aliasKey(name)
	if plus {
		key += "+"
	}
	if m := gnuShortName.FindStringSubmatch(key); m != nil {
		minor := m[3]
		if minor == "" {
			minor = "0"
		}
		id := strings.ToUpper(m[1]) + "GPL-" + m[2] + "." + minor
		suffix := "-only"
		if m[4] == "+" || m[4] == "orlater" {
			suffix = "-or-later"
		}
		if canon, ok := spdxListedLicense(id + suffix); ok {
			return canon, true
		}
		return "", false
	}
	if id, ok := spdxLicenseAliases[key]; ok {
		return id, true
	}
	return "", false
}

// aliasKey is a licence name lower-cased without the words and separators
// its spellings differ in: "The MIT License" -> "mit", "Apache License,
// Version 2.0" -> "apache2.0", "GPL-2+" -> "gpl2+".
func aliasKey(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '+' {
			b.WriteRune(r)
		}
	}
	k := b.String()
	for _, w := range []string{"licenses", "license", "licence", "version", "the"} {
		k = strings.ReplaceAll(k, w, "")
	}
	return strings.TrimSuffix(k, ".")
}

// ref is the LicenseRef standing for a licence the SPDX list does not have,
// declared in the document on first use.
func (s *spdxLicenses) ref(name string) string {
	name = spdxText(name)
	if id, ok := s.byName[name]; ok {
		return id
	}
	id := spdxLicenseRefPrefix + spdxRefIDString(name)
	if _, taken := s.byID[id]; taken {
		// Two names that differ only in characters an id cannot hold.
		id += "-" + shortHash(name)
	}
	s.byName[name] = id
	s.declare(id, name, "The package metadata names this licence; its text was not available.")
	return id
}

// textRef is the LicenseRef of a licence given by its text.
func (s *spdxLicenses) textRef(text string) string {
	text = spdxMultilineText(text)
	key := "text:" + text
	if id, ok := s.byName[key]; ok {
		return id
	}
	id := spdxLicenseRefPrefix + "text-" + shortHash(text)
	s.byName[key] = id
	s.byID[id] = &v2_3.OtherLicense{
		LicenseIdentifier: id,
		ExtractedText:     text,
		LicenseName:       spdxNoAssertion,
		LicenseComment:    "The text as the package metadata gives it, which may not be the licence's whole text.",
	}
	s.refs = append(s.refs, s.byID[id])
	return id
}

func (s *spdxLicenses) declare(id, name, comment string) {
	if name == "" {
		name = strings.TrimPrefix(id, spdxLicenseRefPrefix)
	}
	ol := &v2_3.OtherLicense{
		LicenseIdentifier: id,
		LicenseName:       name,
		ExtractedText:     "Licence named in the package metadata: " + name,
		LicenseComment:    comment,
	}
	s.byID[id] = ol
	s.refs = append(s.refs, ol)
}

// spdxRefIDString is name as the idstring of a LicenseRef (letters,
// digits, "." and "-"): runs of other characters become one "-".
func spdxRefIDString(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range name {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			b.WriteRune(r)
			dash = r == '-'
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	id := strings.Trim(b.String(), "-")
	if id == "" {
		return "unnamed-" + shortHash(name)
	}
	if len(id) > maxSPDXRefIDLen {
		return strings.TrimRight(id[:maxSPDXRefIDLen], "-.") + "-" + shortHash(name)
	}
	return id
}

// isSPDXIDString reports whether s is a valid idstring.
func isSPDXIDString(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-') {
			return false
		}
	}
	return s != ""
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:4])
}
