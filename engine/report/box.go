package report

import (
	"io"
	"strings"
	"unicode/utf8"
)

// table draws a box table with Unicode borders, as Trivy users are used to.
// It is small enough to keep here rather than adapt a general table
// library's layout rules to that exact look.
type table struct {
	header []string
	rows   [][]string
}

func (t table) write(w io.Writer) error {
	widths := make([]int, len(t.header))
	for _, row := range append([][]string{t.header}, t.rows...) {
		for i, cell := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(cell))
		}
	}
	var b strings.Builder
	line := func(left, mid, right string) {
		b.WriteString(left)
		for i, wd := range widths {
			if i > 0 {
				b.WriteString(mid)
			}
			b.WriteString(strings.Repeat("─", wd+2))
		}
		b.WriteString(right + "\n")
	}
	row := func(cells []string) {
		b.WriteString("│")
		for i, wd := range widths {
			cell := cells[i]
			b.WriteString(" " + cell + strings.Repeat(" ", wd-utf8.RuneCountInString(cell)) + " │")
		}
		b.WriteString("\n")
	}
	line("┌", "┬", "┐")
	row(t.header)
	line("├", "┼", "┤")
	for _, r := range t.rows {
		row(r)
	}
	line("└", "┴", "┘")
	_, err := io.WriteString(w, b.String())
	return err
}
