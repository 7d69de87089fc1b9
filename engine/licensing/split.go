package licensing

import (
	"strings"
)

// Limits on one metadata field.
const (
	maxFieldLen    = 64 << 10 // a field this long is a text anyway
	maxFieldPieces = 64
	maxTextLen     = 256 // a "name" longer than this is a text
)

// textMarks are what licence texts say and licence names never do.
var textMarks = []string{
	"http://", "https://", "(c)", "©", "as-is", "as is", ";", "hereby",
	"permission to use", "permission is", "use in source", "use, copy, modify",
	"using", "\n",
}

// sentenceMarks are words of licence texts that a licence name may hold
// inside a word (Debian's "permissive-nowarranty"): they mark a text only
// as words of their own, in a field of several words.
var sentenceMarks = []string{"copyright", "redistribution", "warranty"}

// isText reports whether a field reads as a licence text (a sentence, a
// URL) rather than as licence names.
func isText(field string) bool {
	if len(field) > maxTextLen {
		return true
	}
	lower := strings.ToLower(field)
	for _, m := range textMarks {
		if strings.Contains(lower, m) {
			return true
		}
	}
	words := strings.Fields(lower)
	if len(words) < 2 {
		return false
	}
	for _, w := range words {
		w = strings.TrimLeft(w, "\"'([")
		for _, m := range sentenceMarks {
			if strings.HasPrefix(w, m) {
				return true
			}
		}
	}
	return false
}

// Split is the licences of one metadata field that lists several: "GPL-1+
// or Artistic", "MIT, BSD-3-Clause", "LGPLv3+_or_GPLv2+". Lower-case "or"
// / "and" and commas separate; upper-case OR / AND are an SPDX
// expression and stay whole. "Apache License, Version 2.0" and "GNU
// Lesser General Public License v2 or later (LGPLv2+)" stay whole too. A
// field that reads as a licence text is one entry, TextPrefix + field.
//
// The pieces are raw: callers normalise them (NormalizeAll).
func Split(field string) []string {
	field = strings.TrimSpace(field)
	if field == "" {
		return nil
	}
	if isText(field) {
		return []string{TextPrefix + cut(field, maxFieldLen)}
	}
	var out []string
	for _, piece := range splitSeparators(field) {
		lower := strings.ToLower(piece.text)
		first, _, _ := strings.Cut(lower, " ")
		if n := len(out); n > 0 {
			switch {
			case first == "version" || first == "ver" || first == "ver." || first == "v" || strings.HasPrefix(first, "v") && len(first) > 1 && isDigit(first[1]):
				out[n-1] += piece.sep + piece.text // "Apache License, Version 2.0"
				continue
			case first == "later" || first == "later)" || first == "newer" || first == "any":
				out[n-1] += piece.sep + piece.text // "v2 or later (LGPLv2+)"
				continue
			}
		}
		if piece.text != "" && len(out) < maxFieldPieces {
			out = append(out, piece.text)
		}
	}
	return out
}

type fieldPiece struct {
	sep  string // the separator before the piece, as written
	text string
}

// keptWhole are licence names that contain a separator word.
var keptWhole = []string{
	"gnu library or lesser general public license",
	"common development and distribution license",
	"historical permission notice and disclaimer",
	"\"new\" or \"revised\"",
	"open source initiative and",
}

// splitSeparators cuts field at ",", " or ", " and ", "_or_", "_and_" and
// their comma forms, except inside a name of keptWhole.
func splitSeparators(field string) []fieldPiece {
	lower := strings.ToLower(field)
	var protected [][2]int
	for _, w := range keptWhole {
		for off := 0; ; {
			i := strings.Index(lower[off:], w)
			if i < 0 {
				break
			}
			protected = append(protected, [2]int{off + i, off + i + len(w)})
			off += i + len(w)
		}
	}
	inside := func(i int) bool {
		for _, p := range protected {
			if i > p[0] && i < p[1] {
				return true
			}
		}
		return false
	}
	var pieces []fieldPiece
	sep, start := "", 0
	for i := 0; i < len(field); {
		n := separatorAt(field, i)
		if n == 0 || inside(i) {
			i++
			continue
		}
		pieces = append(pieces, fieldPiece{sep: sep, text: strings.TrimSpace(field[start:i])})
		sep, start = field[i:i+n], i+n
		i += n
		if len(pieces) > maxFieldPieces {
			break
		}
	}
	pieces = append(pieces, fieldPiece{sep: sep, text: strings.TrimSpace(field[start:])})
	return pieces
}

// separatorAt is the length of the separator starting at field[i], or 0.
// The words are lower-case only: "OR" and "AND" make SPDX expressions.
func separatorAt(field string, i int) int {
	rest := field[i:]
	switch rest[0] {
	case ',':
		n := 1
		for n < len(rest) && rest[n] == ' ' {
			n++
		}
		for _, w := range []string{"or ", "and "} {
			if strings.HasPrefix(rest[n:], w) {
				return n + len(w)
			}
		}
		return n
	case ' ', '_':
		for _, w := range []string{"or", "and"} {
			if len(rest) > len(w)+1 && rest[1:1+len(w)] == w && (rest[1+len(w)] == ' ' || rest[1+len(w)] == '_') {
				return len(w) + 2
			}
		}
	}
	return 0
}

// SplitLax is Split for fields that separate licences by spaces too, as
// Alpine's "L:" does: "MIT BSD GPL2+" is three. AND, OR and parentheses
// separate; "X WITH exception" stays one; a version word joins the name
// before it ("MPL 2.0", "GPL v2"). Like Split, the pieces are raw.
func SplitLax(field string) []string {
	field = strings.TrimSpace(cut(field, maxFieldLen))
	if field == "" {
		return nil
	}
	var out []string
	joinNext := false // after WITH
	for w := range strings.FieldsFuncSeq(field, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '(' || r == ')' || r == ','
	}) {
		upper := strings.ToUpper(w)
		n := len(out)
		switch {
		case upper == "AND" || upper == "OR" || upper == "&" || upper == "/":
			joinNext = false
		case upper == "WITH":
			joinNext = n > 0
		case joinNext:
			out[n-1] += " WITH " + w
			joinNext = false
		case n > 0 && (isVersionWord(upper) || upper == "EXCEPTION" && strings.Contains(out[n-1], " WITH ")):
			out[n-1] += " " + w
		case n > 0 && (upper == "VERSION" || upper == "V"):
			out[n-1] += " " + w
		default:
			if n >= maxFieldPieces {
				return out
			}
			out = append(out, w)
		}
	}
	return out
}

// isVersionWord: "2", "2.0", "V2", "V2.1", "2+", "V3+".
func isVersionWord(upper string) bool {
	s := strings.TrimSuffix(strings.TrimPrefix(upper, "V"), "+")
	if s == "" || !isDigit(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) && s[i] != '.' {
			return false
		}
	}
	return true
}

// CustomName is how a licence given as text is reported: CustomPrefix,
// then its first three words: "CUSTOM License: Permission is hereby...".
func CustomName(text string) string {
	text = strings.TrimPrefix(text, TextPrefix)
	// Words are what single spaces separate, as Trivy cuts them (a double
	// space is an empty word), so that both name a text alike; line
	// breaks and tabs count as spaces.
	text = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		return r
	}, cut(text, 4096))
	words := strings.SplitN(text, " ", 4)
	if len(words) > 3 {
		words = words[:3]
	}
	return CustomPrefix + ": " + strings.Join(words, " ") + "..."
}

// cut is s shortened to at most n bytes, on a UTF-8 boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
