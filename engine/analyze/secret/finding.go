package secret

import (
	"bytes"
	"cmp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/docker-scan/docker-scan/engine/types"
)

// contextLines are shown around a finding.
const contextLines = 2

// maxLineLength cuts long lines (minified files) in reports: a finding
// keeps this much of each line around it, never the whole line.
const maxLineLength = 200

// snippetLead is how much of a long line is shown before the secret.
const snippetLead = 40

// maxCauseLines bounds the lines of a multi-line secret that are shown.
const maxCauseLines = 64

// span is a byte range [0, 1).
type span [2]int

// maskSpans are the secrets of all matches, sorted and merged: every
// secret of the file is masked on every line shown, whichever finding
// shows it.
func maskSpans(all []match) []span {
	out := make([]span, 0, len(all))
	for _, m := range all {
		out = append(out, span{m.sStart, m.sEnd})
	}
	slices.SortFunc(out, func(a, b span) int { return cmp.Compare(a[0], b[0]) })
	merged := out[:0]
	for _, sp := range out {
		if n := len(merged); n > 0 && sp[0] <= merged[n-1][1] {
			merged[n-1][1] = max(merged[n-1][1], sp[1])
			continue
		}
		merged = append(merged, sp)
	}
	return merged
}

// lineAround is what the report shows of the lines around one offset.
type lineAround struct {
	number int
	// starts[k] is the start of line number-k (-1: no such line).
	starts [contextLines + 1]int
	// ends[k] is the end (its newline, or the content's end) of line
	// number+k (-1: no such line).
	ends [contextLines + 1]int
}

// locate finds the lines around each offset in one pass over content.
func locate(content []byte, offsets []int) map[int]*lineAround {
	sorted := slices.Compact(slices.Sorted(slices.Values(offsets)))
	out := make(map[int]*lineAround, len(sorted))
	line := 1
	var prev [contextLines + 1]int // newlines before pos, newest first
	for i := range prev {
		prev[i] = -1
	}
	// pending offsets still need the ends of lines below theirs.
	type waiting struct {
		l    *lineAround
		next int
	}
	var pending []waiting
	j := 0
	for pos := 0; ; {
		nl := len(content)
		if i := bytes.IndexByte(content[pos:], '\n'); i >= 0 {
			nl = pos + i
		}
		for ; j < len(sorted) && sorted[j] <= nl; j++ {
			l := &lineAround{number: line}
			for k := range l.starts {
				l.starts[k] = -1
				if k == 0 || line-k >= 1 {
					l.starts[k] = prev[k] + 1
				}
			}
			for k := range l.ends {
				l.ends[k] = -1
			}
			out[sorted[j]] = l
			pending = append(pending, waiting{l, 0})
		}
		// nl ends the current line: for each pending offset, the next
		// line of its own or below.
		kept := pending[:0]
		for _, p := range pending {
			p.l.ends[p.next] = nl
			if p.next++; p.next < len(p.l.ends) && nl < len(content) {
				kept = append(kept, p)
			}
		}
		pending = kept
		if nl == len(content) || (j == len(sorted) && len(pending) == 0) {
			return out
		}
		copy(prev[1:], prev[:len(prev)-1])
		prev[0] = nl
		line++
		pos = nl + 1
	}
}

// findings builds the report entries, in the order of ms: lines and code
// context, each line cut to a snippet, with every secret masked.
func findings(rules []Rule, content []byte, ms []match, masks []span) []types.SecretFinding {
	offsets := make([]int, 0, 2*len(ms))
	for _, m := range ms {
		offsets = append(offsets, m.start, max(m.start, m.end-1))
	}
	at := locate(content, offsets)
	out := make([]types.SecretFinding, 0, len(ms))
	for _, m := range ms {
		rule := &rules[m.rule]
		first, last := at[m.start], at[max(m.start, m.end-1)]
		f := types.SecretFinding{
			RuleID: rule.ID, Category: rule.Category, Title: rule.Title, Severity: rule.Severity,
			StartLine: first.number, EndLine: last.number,
		}
		add := func(n, start, end, focus int) {
			text, truncated := snippet(content, start, end, focus, masks)
			cause := n >= f.StartLine && n <= f.EndLine
			f.Code.Lines = append(f.Code.Lines, types.CodeLine{Number: n, Content: text, IsCause: cause, Truncated: truncated,
				FirstCause: n == f.StartLine, LastCause: n == f.EndLine})
			if n == f.StartLine {
				f.Match = strings.TrimSpace(text)
			}
		}
		// Lines above, from the start line's record.
		for k := contextLines; k >= 1; k-- {
			if s := first.starts[k]; s >= 0 {
				add(first.number-k, s, first.starts[k-1]-1, s)
			}
		}
		// The lines of the match, walked forward (a multi-line secret is
		// shown in its first maxCauseLines lines and its last).
		ls := first.starts[0]
		for n := first.number; n < last.number && n < first.number+maxCauseLines; n++ {
			le := ls + bytes.IndexByte(content[ls:], '\n')
			focus := ls
			if n == first.number {
				focus = m.sStart
			}
			add(n, ls, le, focus)
			ls = le + 1
		}
		focus := last.starts[0]
		if last.number == first.number {
			focus = m.sStart
		}
		add(last.number, last.starts[0], last.ends[0], focus)
		// Lines below, from the end line's record.
		for k := 1; k <= contextLines && last.ends[k] >= 0; k++ {
			add(last.number+k, last.ends[k-1]+1, last.ends[k], last.ends[k-1]+1)
		}
		out = append(out, f)
	}
	return out
}

// snippet is line [start, end) of content without its "\r", cut to
// maxLineLength bytes around focus when longer, with the masked spans as
// "*": a copy, so that a finding never pins the file or the whole line.
func snippet(content []byte, start, end, focus int, masks []span) (string, bool) {
	if end > start && content[end-1] == '\r' {
		end--
	}
	truncated := false
	if end-start > maxLineLength {
		truncated = true
		if focus-start > maxLineLength-snippetLead {
			start = min(focus-snippetLead, end-maxLineLength)
		}
		end = start + maxLineLength
		// Cut on UTF-8 character boundaries.
		for start < end && !utf8.RuneStart(content[start]) {
			start++
		}
		for end > start && end < len(content) && !utf8.RuneStart(content[end]) {
			end--
		}
	}
	text := []byte(string(content[start:end]))
	i := sort.Search(len(masks), func(i int) bool { return masks[i][1] > start })
	for ; i < len(masks) && masks[i][0] < end; i++ {
		for j := max(masks[i][0], start); j < min(masks[i][1], end); j++ {
			text[j-start] = '*'
		}
	}
	return string(text), truncated
}
