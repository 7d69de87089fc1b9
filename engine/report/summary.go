package report

import (
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/docker-scan/docker-scan/engine/types"
)

// Table modes (--table-mode), as Trivy names them.
const (
	tableSummary  = "summary"
	tableDetailed = "detailed"
)

// TableModes are the valid values of Options.TableModes.
var TableModes = []string{tableSummary, tableDetailed}

func (o Options) wantsTable(mode string) bool {
	return len(o.TableModes) == 0 || slices.Contains(o.TableModes, mode)
}

// Scanner names of Options.Scanners.
const (
	scannerVuln   = "vuln"
	scannerSecret = "secret"
)

// summaryTable prints one row per target with its count of findings for
// each scanner that ran, "-" where a scanner does not look at that kind of
// target, as Trivy's "Report Summary" does.
func summaryTable(w io.Writer, r *types.Report, opts Options) error {
	scanners := opts.Scanners
	if scanners == nil {
		scanners = inferScanners(r)
	}
	misconf := slices.ContainsFunc(r.Results, func(res types.Result) bool {
		return res.Class == types.ClassConfig || len(res.Misconfigurations) > 0
	})
	t := table{header: []string{"Target", "Type"}, center: map[int]bool{1: true}}
	type column struct {
		count func(res types.Result) (int, bool)
	}
	var cols []column
	if slices.Contains(scanners, scannerVuln) {
		t.header = append(t.header, "Vulnerabilities")
		cols = append(cols, column{func(res types.Result) (int, bool) {
			return len(res.Vulnerabilities), !res.NotMatched && (res.Class == types.ClassOSPkg || res.Class == types.ClassLangPkg)
		}})
	}
	if slices.Contains(scanners, scannerSecret) {
		t.header = append(t.header, "Secrets")
		cols = append(cols, column{func(res types.Result) (int, bool) {
			return len(res.Secrets), res.Class == types.ClassSecret
		}})
	}
	if misconf {
		t.header = append(t.header, "Misconfigurations")
		cols = append(cols, column{func(res types.Result) (int, bool) {
			return len(res.Misconfigurations), res.Class == types.ClassConfig
		}})
	}
	if slices.Contains(scanners, scannerLicense) {
		t.header = append(t.header, "Licenses")
		cols = append(cols, column{func(res types.Result) (int, bool) {
			return len(res.Licenses), res.Class == types.ClassLicense || res.Class == types.ClassLicenseFile
		}})
	}
	for i := range cols {
		t.center[2+i] = true
	}
	for _, res := range r.Results {
		typ := res.Type
		switch {
		case typ == "" && res.Class == types.ClassSecret:
			typ = "text"
		case res.Class == types.ClassLicense || res.Class == types.ClassLicenseFile:
			typ = "-"
		}
		row := []string{res.Target, typ}
		for _, c := range cols {
			n, scanned := c.count(res)
			if !scanned {
				row = append(row, "-")
				continue
			}
			row = append(row, strconv.Itoa(n))
		}
		t.rows = append(t.rows, row)
	}
	heading(w, "Report Summary", "=")
	fmt.Fprintln(w)
	if err := t.write(w); err != nil {
		return err
	}
	_, err := fmt.Fprint(w, "Legend:\n- '-': Not scanned\n- '0': Clean (no security findings detected)\n")
	return err
}

// inferScanners guesses the scanners that ran from what the report holds,
// for callers that do not say.
func inferScanners(r *types.Report) []string {
	var out []string
	if slices.ContainsFunc(r.Results, func(res types.Result) bool {
		return res.Class == types.ClassOSPkg || res.Class == types.ClassLangPkg
	}) {
		out = append(out, scannerVuln)
	}
	if slices.ContainsFunc(r.Results, func(res types.Result) bool { return res.Class == types.ClassSecret }) {
		out = append(out, scannerSecret)
	}
	if slices.ContainsFunc(r.Results, func(res types.Result) bool {
		return res.Class == types.ClassLicense || res.Class == types.ClassLicenseFile
	}) {
		out = append(out, scannerLicense)
	}
	return out
}
