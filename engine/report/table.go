package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/docker-scan/docker-scan/engine/types"
)

// writeTable prints, for each result, the target underlined and its
// packages in a box table.
func writeTable(w io.Writer, r *types.Report) error {
	if len(r.Results) == 0 {
		_, err := fmt.Fprintf(w, "%s: no OS or packages detected\n", r.ArtifactName)
		return err
	}
	for i, res := range r.Results {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "\n%s\n%s\n", res.Target, strings.Repeat("=", len([]rune(res.Target))))
		fmt.Fprintf(w, "Packages: %d\n\n", len(res.Packages))
		if len(res.Packages) == 0 {
			continue
		}
		t := table{header: []string{"Package", "Installed Version", "Source Package", "Licenses"}}
		for _, p := range res.Packages {
			src := ""
			if p.SrcName != p.Name {
				src = p.SrcName
			}
			t.rows = append(t.rows, []string{p.Name, installedVersion(p), src, strings.Join(p.Licenses, ", ")})
		}
		if err := t.write(w); err != nil {
			return err
		}
	}
	return nil
}

// installedVersion is the version as the package manager prints it, with
// the epoch when there is one.
func installedVersion(p types.Package) string {
	if p.Epoch > 0 {
		return fmt.Sprintf("%d:%s", p.Epoch, p.Version)
	}
	return p.Version
}
