package report

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Every string a table prints comes from the image or the DB, so it may be
// hostile: escape sequences that rewrite the terminal, a carriage return
// that hides a line, a 900 KB version, a 10 MB title. Table text goes
// through these helpers, which keep it printable and its size bounded.
const (
	// maxCellWidth is the widest a table column gets, in terminal columns:
	// longer lines wrap.
	maxCellWidth = 80
	// maxCellRunes is the most of one cell's text a table shows; the rest
	// is cut with an ellipsis (the JSON report has it all).
	maxCellRunes = 400
	// maxLineRunes bounds a line of free text outside tables (a target, a
	// secret's code line).
	maxLineRunes = 1000
)

const ellipsis = "…"

// printable replaces what a terminal would interpret rather than show:
// control characters (ESC, CR, BEL...), bidi overrides and invalid UTF-8
// become visible escapes; newlines are kept when keepNewlines.
func printable(s string, keepNewlines bool) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || unsafeRune(r) && (r != '\n' || !keepNewlines) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == '\n' && keepNewlines:
			b.WriteRune(r)
		case r == '\t':
			b.WriteByte(' ')
		case r == utf8.RuneError:
			if _, n := utf8.DecodeRuneInString(s[i:]); n == 1 {
				fmt.Fprintf(&b, `\x%02x`, s[i])
			} else {
				b.WriteRune(r)
			}
		case r < 0x80 && unsafeRune(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == '\u2028' || r == '\u2029'
}

// truncate cuts s to at most n runes, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i, count := 0, 0
	for i = range s {
		if count == n {
			return s[:i] + ellipsis
		}
		count++
	}
	return s
}

// line is one line of free text: printable, on one line, bounded.
func line(s string) string {
	return printable(truncate(s, maxLineRunes), false)
}

// cell is a table cell's text: cut to maxCellRunes, printable, and every
// line wrapped at maxCellWidth columns.
func cell(s string) string {
	s = printable(truncate(s, maxCellRunes), true)
	if !strings.ContainsRune(s, '\n') && width(s) <= maxCellWidth {
		return s
	}
	var out []string
	for _, l := range strings.Split(s, "\n") {
		out = append(out, hardWrap(l, maxCellWidth)...)
	}
	return strings.Join(out, "\n")
}

// hardWrap splits a line into pieces of at most w columns, between runes.
func hardWrap(s string, w int) []string {
	var out []string
	start, cols := 0, 0
	for i, r := range s {
		rw := runeWidth(r)
		if cols+rw > w && i > start {
			out = append(out, s[start:i])
			start, cols = i, 0
		}
		cols += rw
	}
	return append(out, s[start:])
}

// width is how many terminal columns s takes.
func width(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

// runeWidth is 0 for combining marks, 2 for East Asian wide and emoji
// runes, 1 otherwise: close enough to keep tables straight without a
// dependency for the full Unicode width tables.
func runeWidth(r rune) int {
	switch {
	case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf):
		return 0
	case r >= 0x1100 && r <= 0x115F, r >= 0x2E80 && r <= 0xA4CF && r != 0x303F,
		r >= 0xAC00 && r <= 0xD7A3, r >= 0xF900 && r <= 0xFAFF, r >= 0xFE30 && r <= 0xFE4F,
		r >= 0xFF00 && r <= 0xFF60, r >= 0xFFE0 && r <= 0xFFE6,
		r >= 0x1F300 && r <= 0x1F64F, r >= 0x1F900 && r <= 0x1F9FF, r >= 0x20000 && r <= 0x3FFFD:
		return 2
	}
	return 1
}
