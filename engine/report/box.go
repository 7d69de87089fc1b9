package report

import (
	"bufio"
	"io"
	"strings"
)

// table draws a box table with Unicode borders, as Trivy users are used to:
// cells may span several lines, and equal cells of consecutive rows in the
// same group are merged (drawn once, with no line between them). It is
// small enough to keep here rather than bend a general table library to
// that exact look.
type table struct {
	header []string
	rows   [][]string
	// groups[i] is row i's group; cells only merge within a group.
	groups []int
	// mergeable columns.
	mergeable map[int]bool
	// paint colours a cell's line of text (after padding is computed).
	paint func(col int, text string) string
	// center lists the columns whose cells are centred (headers always are).
	center map[int]bool
}

func (t table) merged(row, col int) bool {
	return row > 0 && t.mergeable[col] && t.groups != nil &&
		t.groups[row] == t.groups[row-1] && t.rows[row][col] == t.rows[row-1][col]
}

func (t table) write(w io.Writer) error {
	// Cells are made printable and bounded first, so that one hostile
	// value can neither reach the terminal raw nor widen every line.
	t.header = cells(t.header)
	rows := make([][]string, len(t.rows))
	for i, row := range t.rows {
		rows[i] = cells(row)
	}
	t.rows = rows
	widths := make([]int, len(t.header))
	for _, row := range append([][]string{t.header}, t.rows...) {
		for i, cell := range row {
			for _, line := range strings.Split(cell, "\n") {
				widths[i] = max(widths[i], width(line))
			}
		}
	}
	// Written as it is drawn: a table of many rows is not held whole.
	b := bufio.NewWriter(w)
	// rule draws a horizontal line; drawn[i] says whether column i gets a
	// segment (merged cells get none).
	rule := func(left, mid, right string, drawn []bool) {
		for i, wd := range widths {
			switch {
			case i == 0 && drawn[0]:
				b.WriteString(left)
			case i == 0:
				b.WriteString("│")
			default:
				b.WriteString(junction(mid, drawn[i-1], drawn[i]))
			}
			if drawn[i] {
				b.WriteString(strings.Repeat("─", wd+2))
			} else {
				b.WriteString(strings.Repeat(" ", wd+2))
			}
		}
		if drawn[len(drawn)-1] {
			b.WriteString(right + "\n")
		} else {
			b.WriteString("│\n")
		}
	}
	line := func(cells []string, center bool, row int) {
		lines := make([][]string, len(cells))
		height := 1
		for i, c := range cells {
			lines[i] = strings.Split(c, "\n")
			height = max(height, len(lines[i]))
		}
		for l := range height {
			b.WriteString("│")
			for i, wd := range widths {
				text := ""
				if l < len(lines[i]) && (row < 0 || !t.merged(row, i)) {
					text = lines[i][l]
				}
				pad := wd - width(text)
				left := 0
				if center || row >= 0 && t.center[i] {
					left = pad / 2
				}
				if t.paint != nil && row >= 0 && text != "" {
					text = t.paint(i, text)
				}
				b.WriteString(" " + strings.Repeat(" ", left) + text + strings.Repeat(" ", pad-left) + " │")
			}
			b.WriteString("\n")
		}
	}
	all := make([]bool, len(widths))
	for i := range all {
		all[i] = true
	}
	rule("┌", "┬", "┐", all)
	line(t.header, true, -1)
	rule("├", "┼", "┤", all)
	for r, row := range t.rows {
		// A failed write (a closed pipe, a cancelled scan) ends the table
		// rather than drawing the rest for nobody.
		if _, err := b.WriteString(""); err != nil {
			return err
		}
		if r > 0 {
			drawn := make([]bool, len(widths))
			for i := range drawn {
				drawn[i] = !t.merged(r, i)
			}
			rule("├", "┼", "┤", drawn)
		}
		line(row, false, r)
	}
	rule("└", "┴", "┘", all)
	return b.Flush()
}

func cells(row []string) []string {
	out := make([]string, len(row))
	for i, c := range row {
		out[i] = cell(c)
	}
	return out
}

// junction is the character between two columns of a horizontal rule,
// where the vertical border always continues above and below.
func junction(mid string, left, right bool) string {
	switch {
	case left && right:
		return mid
	case left:
		return "┤"
	case right:
		return "├"
	}
	return "│"
}
