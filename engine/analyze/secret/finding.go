package secret

import (
	"sort"
	"strings"

	"github.com/docker-scan/docker-scan/engine/types"
)

// contextLines are shown around a finding.
const contextLines = 2

// maxLineLength cuts long lines (minified files) in reports.
const maxLineLength = 200

type lineIndex struct {
	starts []int // offset of each line's first byte
}

func newLineIndex(content []byte) lineIndex {
	starts := []int{0}
	for i, b := range content {
		if b == '\n' {
			starts = append(starts, i+1)
		}
	}
	return lineIndex{starts: starts}
}

// line returns the 1-based line number of offset.
func (l lineIndex) line(offset int) int {
	return sort.Search(len(l.starts), func(i int) bool { return l.starts[i] > offset })
}

// finding builds the report entry: lines and code context with the secret
// masked.
func finding(rule *Rule, content []byte, lines lineIndex, start, end, sStart, sEnd int) types.SecretFinding {
	startLine, endLine := lines.line(start), lines.line(max(start, end-1))
	f := types.SecretFinding{
		RuleID: rule.ID, Category: rule.Category, Title: rule.Title, Severity: rule.Severity,
		StartLine: startLine, EndLine: endLine,
	}
	// Mask the secret in a copy of the lines around it.
	first, last := max(1, startLine-contextLines), min(len(lines.starts), endLine+contextLines)
	regionStart := lines.starts[first-1]
	regionEnd := len(content)
	if last < len(lines.starts) {
		regionEnd = lines.starts[last] - 1
	}
	region := append([]byte(nil), content[regionStart:regionEnd]...)
	for i := sStart - regionStart; i < sEnd-regionStart && i < len(region); i++ {
		if region[i] != '\n' {
			region[i] = '*'
		}
	}
	for i, text := range strings.Split(string(region), "\n") {
		n := first + i
		text = strings.TrimSuffix(text, "\r")
		truncated := false
		if len(text) > maxLineLength {
			text, truncated = text[:maxLineLength], true
		}
		cause := n >= startLine && n <= endLine
		f.Code.Lines = append(f.Code.Lines, types.CodeLine{Number: n, Content: text, IsCause: cause, Truncated: truncated,
			FirstCause: n == startLine, LastCause: n == endLine})
		if n == startLine {
			f.Match = strings.TrimSpace(text)
		}
	}
	return f
}
