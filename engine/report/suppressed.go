package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/docker-scan/docker-scan/engine/types"
)

// suppressedTable lists, under a result's tables, the findings VEX
// statements suppressed (--show-suppressed), as Trivy does: a
// "Suppressed Vulnerabilities (Total: N)" title and one row per finding
// with the statement's status, its justification ("N/A" when it gives
// none) and the document it came from.
func suppressedTable(w io.Writer, res types.Result, opts Options) error {
	t := table{header: []string{"Library", "Vulnerability", "Severity", "Status", "Statement", "Source"}}
	if opts.Color {
		t.paint = func(col int, text string) string {
			if col == 2 {
				return colorSeverity(text)
			}
			return text
		}
	}
	for _, m := range res.ModifiedFindings {
		if m.Type != "vulnerability" {
			continue
		}
		v := m.Finding
		stmt := m.Statement
		if stmt == "" {
			stmt = "N/A"
		}
		t.rows = append(t.rows, []string{v.PkgName, v.VulnerabilityID, v.Severity, m.Status, stmt, m.Source})
	}
	if len(t.rows) == 0 {
		return nil
	}
	title := fmt.Sprintf("Suppressed Vulnerabilities (Total: %d)", len(t.rows))
	fmt.Fprintf(w, "\n%s\n%s\n", title, strings.Repeat("=", len(title)))
	return t.write(w)
}
