package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"

	"github.com/docker-scan/docker-scan/engine/types"
)

// scannerLicense is the licence scanner's name in Options.Scanners.
const scannerLicense = "license"

// licenseBlock prints the licences of a result as Trivy does: packages'
// licences (Package, License, Classification, Severity) or, for licence
// files, Classification, Severity, License, File Location, most severe
// first.
func licenseBlock(w io.Writer, res types.Result, opts Options) error {
	heading(w, res.Target+" (license)", "=")
	var severities []string
	for _, l := range res.Licenses {
		severities = append(severities, l.Severity)
	}
	fmt.Fprintln(w, totalLine(severities))
	fmt.Fprintln(w)
	var t table
	unknown := 0
	if res.Class == types.ClassLicenseFile {
		t.header = []string{"Classification", "Severity", "License", "File Location"}
		ls := slices.Clone(res.Licenses)
		slices.SortStableFunc(ls, func(a, b types.DetectedLicense) int {
			sa, _ := types.ParseSeverity(a.Severity)
			sb, _ := types.ParseSeverity(b.Severity)
			return cmp.Or(cmp.Compare(sb, sa), cmp.Compare(b.Category, a.Category), cmp.Compare(a.Name, b.Name), cmp.Compare(a.FilePath, b.FilePath))
		})
		for _, l := range ls {
			t.rows = append(t.rows, []string{l.Category, l.Severity, l.Name, l.FilePath})
		}
	} else {
		t.header = []string{"Package", "License", "Classification", "Severity"}
		for _, l := range res.Licenses {
			if l.Reason != "" {
				unknown++
			}
			t.rows = append(t.rows, []string{l.PkgName, l.Name, l.Category, l.Severity})
		}
	}
	if opts.Color {
		sev := 3
		if res.Class == types.ClassLicenseFile {
			sev = 1
		}
		t.paint = func(col int, text string) string {
			if col == sev {
				return colorSeverity(text)
			}
			return text
		}
	}
	if err := t.write(w); err != nil {
		return err
	}
	if unknown > 0 {
		_, err := fmt.Fprintf(w, "%d of these packages declare no licence (UNKNOWN); the JSON report says where the licence was looked for (Reason).\n", unknown)
		return err
	}
	return nil
}
