package licensing

import (
	"strings"
	"sync"
)

// maxNameLen bounds the work on one name: a longer "name" is a text, and
// is returned as it is.
const maxNameLen = 512

// Normalize is the SPDX identifier (or expression) of one licence name as
// metadata gives it ("GPL-2+" -> "GPL-2.0-or-later", "Apache 2.0" ->
// "Apache-2.0", "Expat" -> "MIT"); GNU licences get -only / -or-later,
// others a "+" for "or later" ("MPL-1.1+"). An SPDX expression keeps its
// shape with each licence normalised ("(MIT OR apache-2.0)" -> "(MIT OR
// Apache-2.0)"). A name it does not know is returned trimmed, as it is,
// and so is a TextPrefix text. Normalize(Normalize(x)) == Normalize(x).
func Normalize(name string) string {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > maxNameLen || strings.HasPrefix(name, TextPrefix) {
		return name
	}
	if out, ok := normalized.get(name); ok {
		return out
	}
	out := normalize(name)
	normalized.put(name, out)
	return out
}

func normalize(name string) string {
	// An SPDX expression: upper-case operators, parentheses.
	if strings.Contains(name, " OR ") || strings.Contains(name, " AND ") ||
		strings.Contains(name, " WITH ") || strings.HasPrefix(name, "(") {
		if e, err := parseExpr(name, true); err == nil && e.op != opLeaf {
			normalizeLeaves(e)
			out := e.String()
			if wrapped(name) {
				out = "(" + out + ")" // as npm writes it, and as Trivy reports it
			}
			return out
		}
	}
	if out, ok := normalizeName(name, 0); ok {
		return out
	}
	// Debian's "GPL-1+ or Artistic": lower-case operators, read as an
	// expression only when every part is a licence we know, so that "GNU
	// Library or Lesser General Public License" stays one name.
	if e, err := parseExpr(name, false); err == nil && e.op != opLeaf {
		if knownLicences(e) {
			normalizeLeaves(e)
			return e.String()
		}
	}
	return name
}

// knownLicences reports whether every licence of e is a known one (the
// exceptions after WITH may be anything).
func knownLicences(e *expr) bool {
	switch e.op {
	case opLeaf:
		_, ok := normalizeName(e.name, 0)
		return ok
	case opWith:
		return knownLicences(e.left)
	}
	return knownLicences(e.left) && knownLicences(e.right)
}

// looksLikeException: an SPDX exception, or a name that says it is one
// ("OpenSSL exception", "Linux-syscall-note").
func looksLikeException(exc string) bool {
	upper := strings.ToUpper(strings.TrimSpace(exc))
	if _, ok := spdxException(upper); ok {
		return true
	}
	for _, s := range []string{"EXCEPTION", "EXCEPTIONS", "NOTE"} {
		if strings.HasSuffix(upper, s) {
			return true
		}
	}
	return false
}

func hasOperatorWord(upper string) bool {
	for w := range strings.FieldsSeq(upper) {
		if w == "AND" || w == "OR" || w == "WITH" {
			return true
		}
	}
	return false
}

// normalizeLeaves normalises every licence of e in place, and the
// exception after each WITH.
func normalizeLeaves(e *expr) {
	switch e.op {
	case opLeaf:
		if out, ok := normalizeName(e.name, 0); ok {
			e.name = out
		}
	case opWith:
		normalizeLeaves(e.left)
		e.right.name = exceptionName(e.right.name, e.left.name)
	default:
		normalizeLeaves(e.left)
		normalizeLeaves(e.right)
	}
}

// normalizeName is the SPDX form of one licence name, if it is known.
// depth bounds the recursion through "(...)" and "with".
func normalizeName(name string, depth int) (string, bool) {
	if depth > 3 {
		return "", false
	}
	collapsed := strings.Join(strings.Fields(name), " ")
	// A PyPI trove classifier given whole: its last part is the name.
	if i := strings.LastIndex(collapsed, " :: "); i >= 0 {
		collapsed = collapsed[i+4:]
	}
	key, plus, only := nameKey(collapsed)
	if key == "" {
		return "", false
	}
	if ref, ok := lookup(key); ok {
		ref.plus = (ref.plus || plus) && !only
		return ref.String(), true
	}
	upper := strings.ToUpper(collapsed)
	if len(upper) != len(collapsed) { // offsets below need one byte per byte
		return "", false
	}
	// "GPL-2+ with OpenSSL exception", "GPL-3+-WITH-BISON-EXCEPTION".
	for _, with := range []string{" WITH ", "-WITH-"} {
		i := strings.Index(upper, with)
		if i <= 0 {
			continue
		}
		exc := collapsed[i+len(with):]
		if strings.Contains(exc, " ") && hasOperatorWord(strings.ToUpper(exc)) {
			break // "A with X and B with Y": an expression, not one name
		}
		if !looksLikeException(exc) {
			continue // "BSD-like-with-advertising-clause"
		}
		lic, ok := normalizeName(strings.TrimRight(collapsed[:i], " ,"), depth+1)
		if ok && !strings.Contains(lic, " ") {
			return lic + " WITH " + exceptionName(exc, lic), true
		}
	}
	// "GNU Lesser General Public License v3 (LGPLv3)", "MIT License (MIT)":
	// the abbreviation in parentheses first when it carries a version,
	// else the name before it.
	if strings.HasSuffix(collapsed, ")") {
		if i := strings.LastIndexByte(collapsed, '('); i > 0 {
			inner := collapsed[i+1 : len(collapsed)-1]
			outer := strings.TrimSpace(collapsed[:i])
			tries := []string{outer, inner}
			if strings.ContainsAny(inner, "0123456789") {
				tries = []string{inner, outer}
			}
			for _, t := range tries {
				if out, ok := normalizeName(t, depth+1); ok {
					return out, true
				}
			}
		}
	}
	return "", false
}

// exceptionName is the SPDX identifier of the exception after WITH,
// where one is known; lic, the licence before it, picks the version of
// the GPL-2 / GPL-3 exceptions that have both. Unknown exceptions are
// kept as written.
func exceptionName(exc, lic string) string {
	exc = strings.Join(strings.Fields(exc), " ")
	key := strings.ToUpper(exc)
	if id, ok := spdxException(key); ok {
		return id
	}
	if id, ok := spdxException(strings.ReplaceAll(key, " ", "-")); ok {
		return id
	}
	for _, s := range []string{" EXCEPTIONS", " EXCEPTION", "-EXCEPTIONS", "-EXCEPTION"} {
		key = strings.TrimSuffix(key, s)
	}
	key = strings.TrimPrefix(key, "THE ")
	v3 := strings.Contains(lic, "-3")
	switch key {
	case "CLASSPATH", "GNU CLASSPATH", "CPE":
		return "Classpath-exception-2.0"
	case "AUTOCONF":
		if v3 {
			return "Autoconf-exception-3.0"
		}
		return "Autoconf-exception-2.0"
	case "GCC", "GCC RUNTIME LIBRARY":
		if v3 {
			return "GCC-exception-3.1"
		}
		return "GCC-exception-2.0"
	case "BISON":
		return "Bison-exception-2.2"
	case "FONT":
		return "Font-exception-2.0"
	case "LINUX-SYSCALL-NOTE", "LINUX SYSCALL NOTE", "LINUX SYSCALL":
		return "Linux-syscall-note"
	case "LLVM":
		return "LLVM-exception"
	}
	return exc
}

// NormalizeAll normalises each name, dropping empty ones and repeats,
// in order; nil when none is left.
func NormalizeAll(names []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, n := range names {
		n = Normalize(n)
		if n == "" || seen[n] {
			continue
		}
		seen[n] = true
		out = append(out, n)
	}
	return out
}

// memo remembers results for the names a scan meets again and again (a
// Debian image says "GPL-2+" hundreds of times); it forgets everything
// when full, which bounds its memory.
type memo struct {
	mu sync.Mutex
	m  map[string]string
}

const memoMax = 4096

var normalized memo

func (c *memo) get(k string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	return v, ok
}

func (c *memo) put(k, v string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= memoMax {
		c.m = make(map[string]string, 64)
	}
	c.m[k] = v
}
