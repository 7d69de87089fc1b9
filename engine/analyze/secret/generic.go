package secret

import (
	"bytes"
	"path"
	"strings"
)

// The generic rules (a password, secret or API key by its name alone)
// match a name and an assignment operator; what follows is read here, as
// code or configuration, and reported only when it is a literal that
// could be a credential. In code, a name is assigned variables, calls,
// attributes, format strings and type annotations far more often than
// credentials: `password = password.encode("latin1")`, `var pwd =
// options.pwd`, `password: string`.

// literalSpec is what a generic rule asks of a value.
type literalSpec struct {
	// minLen is the fewest characters of a value.
	minLen int
}

// literalRules are the rules whose regex ends at an assignment operator
// and whose secret is the literal that follows it.
var literalRules = map[string]literalSpec{
	"generic-password": {minLen: 8},
	"generic-secret":   {minLen: 12},
	"generic-api-key":  {minLen: 16},
}

// literalAssign ends a generic rule's regex: the name's closing quote,
// if any, and the operator ("=>" before "=", so that a value is not read
// from the ">"); literalValue reads the value after it.
const literalAssign = `["']?[ \t]*(?:=>|:=|=|:)[ \t]*`

// maxLiteral is the longest value a generic rule reports; a longer quoted
// string is text or data, not a credential someone typed. It also bounds
// what is read past a regex match.
const maxLiteral = 128

// codeExtensions are source files: there a value is a literal only when
// it is quoted. Elsewhere (.env, INI, YAML, properties, shell, Dockerfile,
// files without a known extension) an unquoted value up to the end of the
// line is one too.
var codeExtensions = map[string]bool{
	".py": true, ".pyi": true, ".pyx": true, ".js": true, ".mjs": true, ".cjs": true, ".jsx": true,
	".ts": true, ".mts": true, ".cts": true, ".tsx": true, ".vue": true, ".svelte": true, ".coffee": true,
	".go": true, ".rb": true, ".pl": true, ".pm": true, ".t": true, ".php": true, ".java": true,
	".kt": true, ".kts": true, ".scala": true, ".groovy": true, ".gradle": true, ".cs": true,
	".c": true, ".h": true, ".cc": true, ".cpp": true, ".hpp": true, ".cxx": true, ".rs": true,
	".swift": true, ".m": true, ".lua": true, ".r": true, ".dart": true, ".ex": true, ".exs": true,
	".erl": true, ".clj": true, ".tcl": true, ".vb": true, ".fs": true, ".jl": true, ".nim": true,
	".zig": true, ".hs": true, ".ml": true, ".el": true, ".lisp": true, ".scm": true, ".awk": true,
	// Source maps carry the code they map, in JSON strings.
	".map": true,
}

// isCode reports whether the file at p is source code.
func isCode(p string) bool {
	return codeExtensions[strings.ToLower(path.Ext(p))]
}

// literalReader reads the values after one rule's matches in one file.
// The matches come in content order, so the ends it looks for (a blank, a
// closing quote) are found by byteFinders that read each byte at most
// once: however many matches share one long line, reading their values
// stays linear in the line.
type literalReader struct {
	content []byte
	code    bool
	spec    literalSpec
	blank   byteFinder
	quotes  [3]byteFinder // ", ', `
}

func newLiteralReader(content []byte, code bool, spec literalSpec) *literalReader {
	r := &literalReader{content: content, code: code, spec: spec, blank: newByteFinder(content, " \t\r\n")}
	for i, q := range []string{`"`, `'`, "`"} {
		r.quotes[i] = newByteFinder(content, q+"\r\n")
	}
	return r
}

// literalValue is a one-off literalReader.value.
func literalValue(content []byte, at int, code bool, spec literalSpec) (start, end int, ok bool) {
	return newLiteralReader(content, code, spec).value(at)
}

// value reads the value that starts at or after at (past blanks) on the
// line, and returns the bounds of its text, or ok false when it is not a
// literal that could be a credential: a name, call, attribute,
// comparison, format string, template, type or placeholder. It looks at
// most maxLiteral+4 bytes ahead.
func (r *literalReader) value(at int) (start, end int, ok bool) {
	content, code, spec := r.content, r.code, r.spec
	limit := min(len(content), at+maxLiteral+4)
	for at < limit && (content[at] == ' ' || content[at] == '\t') {
		at++
	}
	if at >= limit {
		return 0, 0, false
	}
	c := content[at]
	// "==", "===": a comparison, not an assignment.
	if c == '=' {
		return 0, 0, false
	}
	// String prefixes: b"", r"", u"", rb"" are literals; f"" formats.
	if p := at; isLetter(c) {
		for p < limit && p-at < 2 && isLetter(content[p]) {
			p++
		}
		if p < limit && isQuote(content[p]) {
			prefix := strings.ToLower(string(content[at:p]))
			if strings.ContainsAny(prefix, "f") || strings.Trim(prefix, "bru") != "" {
				return 0, 0, false
			}
			at, c = p, content[p]
		}
	}
	if isQuote(c) {
		start = at + 1
		end = r.closingQuote(start, limit, c)
		if end < 0 {
			return 0, 0, false
		}
		// "abc" + x: only part of the value is literal.
		next := end + 1
		for next < limit && content[next] == ' ' {
			next++
		}
		if next < limit && content[next] == '+' {
			return 0, 0, false
		}
	} else {
		// In code an unquoted value is a name, call, attribute, number or
		// expression, never a literal credential.
		if code {
			return 0, 0, false
		}
		start, end = at, r.blank.next(at, limit)
		if end < 0 {
			if limit < len(content) {
				return 0, 0, false // longer than any credential
			}
			end = limit
		}
		if end == start {
			return 0, 0, false
		}
		// The value must end the line (a comment may follow).
		next := end
		for next < limit && (content[next] == ' ' || content[next] == '\t') {
			next++
		}
		if next < limit && content[next] != '\n' && content[next] != '\r' && content[next] != '#' && content[next] != ';' && !(content[next] == '/' && next+1 < len(content) && content[next+1] == '/') {
			return 0, 0, false
		}
		v := string(content[start:end])
		if strings.ContainsAny(v, "()[]{};,") || strings.ContainsAny(v[:1], "$%&*!@|>`\\") {
			return 0, 0, false
		}
		if isDottedName(v) {
			return 0, 0, false
		}
	}
	if !plausibleLiteral(string(content[start:end]), spec) {
		return 0, 0, false
	}
	return start, end, true
}

// closingQuote is the offset of the quote q that closes a string whose
// text starts at from, on the same line and before limit, or -1.
func (r *literalReader) closingQuote(from, limit int, q byte) int {
	f := &r.quotes[strings.IndexByte("\"'`", q)]
	for i := from; ; {
		i = f.next(i, limit)
		if i < 0 || r.content[i] != q {
			return -1 // the line or the look-ahead ends first
		}
		// An escaped quote (\") is part of the text.
		n := 0
		for j := i - 1; j >= from && r.content[j] == '\\'; j-- {
			n++
		}
		if n%2 == 0 {
			return i
		}
		i++
	}
}

// byteFinder finds the first byte of a set at or after offsets that
// mostly grow, reading each byte at most once while they do.
type byteFinder struct {
	content []byte
	set     string
	// off is the last search's offset; found is the first byte of the
	// set at or after off, or -1 when there is none in [off, searched).
	off, found, searched int
}

func newByteFinder(content []byte, set string) byteFinder {
	return byteFinder{content: content, set: set, found: -1}
}

// next is the offset of the first byte of the set in [off, limit), or -1.
func (f *byteFinder) next(off, limit int) int {
	limit = min(limit, len(f.content))
	if off < f.off {
		// Behind the last search (rare): search without the memo.
		if i := bytes.IndexAny(f.content[off:max(off, limit)], f.set); i >= 0 {
			return off + i
		}
		return -1
	}
	f.off = off
	if f.found >= off {
		if f.found < limit {
			return f.found
		}
		return -1
	}
	from := off
	if f.found < 0 && f.searched > off {
		from = f.searched // none in [last off, searched)
	}
	if from >= limit {
		f.found = -1
		f.searched = max(f.searched, from)
		return -1
	}
	if i := bytes.IndexAny(f.content[from:limit], f.set); i >= 0 {
		f.found, f.searched = from+i, from+i+1
		return f.found
	}
	f.found, f.searched = -1, limit
	return -1
}

// plausibleLiteral reports whether a literal's text could be a credential.
func plausibleLiteral(v string, spec literalSpec) bool {
	if len(v) < spec.minLen || len(v) > maxLiteral {
		return false
	}
	if strings.ContainsAny(v, " \t") {
		return false // prose: "Enter your password:"
	}
	if isTemplate(v) || isPlaceholder(v) || isTypeName(v) || isWordLike(v) || isPathOrURL(v) {
		return false
	}
	return true
}

// isTemplate: a format string or template, filled in at run time.
func isTemplate(v string) bool {
	for _, t := range []string{"${", "{{", "}}", "#{", "%(", "%s", "%d", "%v", "%q", "%r", "$(", "<%", "@@"} {
		if strings.Contains(v, t) {
			return true
		}
	}
	if v[0] == '$' && len(v) > 1 && (isLetter(v[1]) || v[1] == '_' || v[1] == '{') {
		return true
	}
	if v[0] == '%' && v[len(v)-1] == '%' {
		return true // %VAR% (Windows)
	}
	// {name} or {0}: str.format and friends.
	if i := strings.IndexByte(v, '{'); i >= 0 {
		if j := strings.IndexByte(v[i:], '}'); j > 1 && isName(v[i+1:i+j]) {
			return true
		}
	}
	return false
}

// placeholderWords appear in values that stand for a credential rather
// than being one.
var placeholderWords = []string{
	"changeme", "change_me", "change-me", "changethis", "example", "placeholder", "dummy", "redacted",
	"sample", "fake", "_here", "-here", "your_", "your-", "yourpass", "yoursecret", "yourkey",
	"password", "passwd", "secret", "token", "apikey", "api_key", "api-key", "xxxx", "****", "....", "<", ">",
	"insert", "replace", "todo", "fixme", "notreal", "not-real", "not_real", "default", "undefined", "null",
}

// isPlaceholder: a stand-in (changeme, <password>, xxxxx, ********,
// your_password_here) or a value that names what it stands for.
func isPlaceholder(v string) bool {
	l := strings.ToLower(v)
	for _, w := range placeholderWords {
		if strings.Contains(l, w) {
			return true
		}
	}
	// One character repeated, or nearly: "aaaaaaaa", "--------".
	return len(strings.Trim(l, l[:1])) <= 1
}

// typeNames are the types a name is annotated with (TypeScript, Python,
// Go, ...), which share the "name: value" shape.
var typeNames = map[string]bool{
	"string": true, "str": true, "number": true, "int": true, "integer": true, "bool": true, "boolean": true,
	"any": true, "unknown": true, "object": true, "bytes": true, "bytearray": true, "char": true,
	"optional[str]": true, "string[]": true, "str|none": true, "string|null": true, "string|undefined": true,
	"securestring": true, "charsequence": true, "char[]": true, "[]byte": true, "*string": true,
}

func isTypeName(v string) bool {
	return typeNames[strings.ToLower(strings.ReplaceAll(v, " ", ""))]
}

// isWordLike: letters only, as words or a name in snake, kebab or camel
// case ("passwordConfirmation", "new-password"): a field or form name,
// not a credential, which mixes in digits or symbols or changes case
// often.
func isWordLike(v string) bool {
	caseChanges := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !isLetter(c) && c != '_' && c != '-' && c != '.' {
			return false
		}
		if i > 0 && isUpper(c) && isLetter(v[i-1]) && !isUpper(v[i-1]) {
			caseChanges++
		}
	}
	return caseChanges <= 3
}

// isDottedName: an attribute access (options.password, self.pwd).
func isDottedName(v string) bool {
	if !strings.Contains(v, ".") {
		return false
	}
	for _, part := range strings.Split(v, ".") {
		if !isName(part) || isDigit(part[0]) {
			return false
		}
	}
	return true
}

// isPathOrURL: a file path or a URL (credentials in URLs have rules of
// their own).
func isPathOrURL(v string) bool {
	if strings.Contains(v, "://") {
		return true
	}
	if strings.HasPrefix(v, "/") || strings.HasPrefix(v, "./") || strings.HasPrefix(v, "../") || strings.HasPrefix(v, "~/") {
		return strings.Count(v, "/") >= 2
	}
	return false
}

func isName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isLetter(s[i]) && !isDigit(s[i]) && s[i] != '_' {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isUpper(c byte) bool  { return 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isQuote(c byte) bool  { return c == '"' || c == '\'' || c == '`' }
