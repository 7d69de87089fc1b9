package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/docker-scan/docker-scan/engine/types"
)

// writeTable prints, as Trivy does, a summary of every target first, and
// then each target that has findings: its name underlined, and its
// vulnerabilities (or, when no vulnerability scan ran, its packages) in a
// box table. A clean language target is a row of the summary, not a
// "Total: 0" section.
func writeTable(w io.Writer, r *types.Report, opts Options) error {
	if len(r.Results) == 0 {
		_, err := fmt.Fprintf(w, "%s: no OS or packages detected\n", line(r.ArtifactName))
		return err
	}
	if !opts.PackagesOnly && opts.wantsTable(tableSummary) {
		if err := summaryTable(w, r, opts); err != nil {
			return err
		}
	}
	if opts.PackagesOnly || opts.wantsTable(tableDetailed) {
		if err := detailedTables(w, r, opts); err != nil {
			return err
		}
	}
	if len(r.Runtimes) > 0 {
		return runtimeSummary(w, r)
	}
	return nil
}

// detailedTables prints each target with findings; a package listing
// (PackagesOnly) prints every target.
func detailedTables(w io.Writer, r *types.Report, opts Options) error {
	for _, res := range r.Results {
		eosl := r.Metadata.OS != nil && r.Metadata.OS.EOSL && res.Class == types.ClassOSPkg
		suppressed := opts.ShowSuppressed && len(res.ModifiedFindings) > 0
		if !opts.PackagesOnly && !hasFindings(res) && !eosl && !suppressed {
			continue
		}
		if res.Class == types.ClassSecret {
			if err := secretBlock(w, res); err != nil {
				return err
			}
			continue
		}
		if res.Class == types.ClassConfig {
			if err := misconfigBlock(w, res, opts); err != nil {
				return err
			}
			continue
		}
		if res.Class == types.ClassLicense || res.Class == types.ClassLicenseFile {
			if len(res.Licenses) > 0 {
				if err := licenseBlock(w, res, opts); err != nil {
					return err
				}
			}
			continue
		}
		heading(w, res.Target, "=")
		if eosl {
			fmt.Fprintf(w, "WARNING: %s %s is no longer supported by the distribution; its vulnerabilities may go unfixed and unlisted\n", line(r.Metadata.OS.Family), line(r.Metadata.OS.Name))
		}
		var err error
		if opts.PackagesOnly {
			err = packageTable(w, res)
		} else {
			err = vulnerabilityTable(w, res, opts)
		}
		if err != nil {
			return err
		}
		if opts.DependencyTree && len(res.Vulnerabilities) > 0 {
			if err := dependencyTree(w, res, opts); err != nil {
				return err
			}
		}
		if opts.ShowSuppressed && len(res.ModifiedFindings) > 0 {
			if err := suppressedTable(w, res, opts); err != nil {
				return err
			}
		}
	}
	return nil
}

func hasFindings(res types.Result) bool {
	return len(res.Vulnerabilities) > 0 || len(res.Secrets) > 0 || len(res.Misconfigurations) > 0 || len(res.Licenses) > 0
}

// runtimeSummary says what each runtime holds under the reference and,
// when they differ, what each image has that another lacks.
func runtimeSummary(w io.Writer, r *types.Report) error {
	heading(w, "Runtimes holding "+r.ArtifactName, "=")
	ids := map[string]bool{}
	t := table{header: []string{"Runtime", "Image ID", "Tags"}}
	for _, ri := range r.Runtimes {
		if ri.Error != "" {
			t.rows = append(t.rows, []string{ri.Runtime, "-", ri.Error})
			continue
		}
		ids[ri.ImageID] = true
		t.rows = append(t.rows, []string{ri.Runtime, shortID(ri.ImageID), strings.Join(ri.RepoTags, ", ")})
	}
	if err := t.write(w); err != nil {
		return err
	}
	if len(ids) <= 1 {
		_, err := fmt.Fprintln(w, "Every runtime that has it holds the same image.")
		return err
	}
	fmt.Fprintf(w, "The runtimes hold DIFFERENT images under %s:\n", line(r.ArtifactName))
	for _, ri := range r.Runtimes {
		for _, p := range ri.PackagesOnlyHere {
			fmt.Fprintf(w, "  only in %s: package %s\n", ri.Runtime, line(p))
		}
		for _, v := range ri.VulnerabilitiesOnlyHere {
			fmt.Fprintf(w, "  only in %s: %s\n", ri.Runtime, line(v))
		}
	}
	return nil
}

// heading prints text on a line of its own, underlined with mark.
func heading(w io.Writer, text, mark string) {
	text = line(text)
	fmt.Fprintf(w, "\n%s\n%s\n", text, strings.Repeat(mark, width(text)))
}

func shortID(id string) string {
	if len(id) > len("sha256:")+12 {
		return id[:len("sha256:")+12]
	}
	return id
}

func packageTable(w io.Writer, res types.Result) error {
	fmt.Fprintf(w, "Packages: %d\n\n", len(res.Packages))
	if len(res.Packages) == 0 {
		return nil
	}
	t := table{header: []string{"Package", "Installed Version", "Source Package", "Licenses"}}
	for _, p := range res.Packages {
		src := ""
		if p.SrcName != p.Name {
			src = p.SrcName
		}
		t.rows = append(t.rows, []string{p.Name, installedVersion(p), src, strings.Join(p.Licenses, ", ")})
	}
	return t.write(w)
}

func vulnerabilityTable(w io.Writer, res types.Result, opts Options) error {
	var severities []string
	for _, v := range res.Vulnerabilities {
		severities = append(severities, v.Severity)
	}
	fmt.Fprintf(w, "%s\n\n", totalLine(severities))
	if len(res.Vulnerabilities) == 0 {
		return nil
	}
	t := table{
		header:    []string{"Library", "Vulnerability", "Severity", "Status", "Installed Version", "Fixed Version", "Title"},
		mergeable: map[int]bool{0: true, 2: true, 3: true, 4: true, 5: true},
	}
	if opts.Color {
		t.paint = func(col int, text string) string {
			if col == 2 {
				return colorSeverity(text)
			}
			return text
		}
	}
	// Rows of one package installation form a group; the group is a
	// number, not the concatenated strings, which a hostile version could
	// make megabytes long per row.
	type install struct{ name, version, path string }
	groups := map[install]int{}
	for _, v := range res.Vulnerabilities {
		t.rows = append(t.rows, []string{v.PkgName, v.VulnerabilityID, v.Severity, v.Status.String(), v.InstalledVersion, v.FixedVersion, title(v)})
		k := install{v.PkgName, v.InstalledVersion, v.PkgPath}
		g, ok := groups[k]
		if !ok {
			g = len(groups)
			groups[k] = g
		}
		t.groups = append(t.groups, g)
	}
	return t.write(w)
}

// title is the vulnerability's title cut to its first twelve words,
// wrapped, with the primary URL on a line of its own.
func title(v types.DetectedVulnerability) string {
	text := v.Title
	if text == "" {
		text = v.Description
	}
	// Twelve words are all that is shown: a 10 MB title is not split whole.
	text = truncate(text, 12*maxCellWidth)
	words := strings.Fields(text)
	if len(words) >= 12 { // as Trivy: twelve words or more are cut to twelve and "..."
		words = append(words[:12:12], "...")
	}
	lines := wrap(words, 60)
	if v.PrimaryURL != "" {
		lines = append(lines, truncate(v.PrimaryURL, maxCellRunes))
	}
	return strings.Join(lines, "\n")
}

func wrap(words []string, width int) []string {
	var lines []string
	cur := ""
	for _, w := range words {
		switch {
		case cur == "":
			cur = w
		case len(cur)+1+len(w) > width:
			lines = append(lines, cur)
			cur = w
		case w == "...":
			cur += w
		default:
			cur += " " + w
		}
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}

var severityColors = map[string]string{
	"CRITICAL": "\x1b[31m", // red
	"HIGH":     "\x1b[91m", // bright red
	"MEDIUM":   "\x1b[33m", // yellow
	"LOW":      "\x1b[34m", // blue
}

func colorSeverity(s string) string {
	if c, ok := severityColors[s]; ok {
		return c + s + "\x1b[0m"
	}
	return s
}

// installedVersion is the version as the package manager prints it, with
// the epoch and release when there are.
func installedVersion(p types.Package) string { return p.FullVersion() }

// secretBlock prints a file's secrets, each with its rule, where it is,
// which layer holds it, and the masked lines around it.
func secretBlock(w io.Writer, res types.Result) error {
	heading(w, res.Target+" (secrets)", "=")
	var severities []string
	for _, s := range res.Secrets {
		severities = append(severities, s.Severity)
	}
	fmt.Fprintln(w, totalLine(severities))
	heavy, light := strings.Repeat("═", 60), strings.Repeat("─", 60)
	for _, s := range res.Secrets {
		fmt.Fprintf(w, "\n%s: %s (%s)\n%s\n%s\n%s\n", line(s.Severity), line(s.Category), line(s.RuleID), heavy, line(s.Title), light)
		where := fmt.Sprintf(" %s:%d", line(res.Target), s.StartLine)
		if s.Layer.DiffID != "" {
			where += " (layer " + shortID(s.Layer.DiffID)
			if s.Removed {
				where += "; deleted by a later layer, but still in the image"
			}
			where += ")"
		}
		fmt.Fprintf(w, "%s\n%s\n", where, light)
		for _, l := range s.Code.Lines {
			mark := " "
			if l.IsCause {
				mark = "["
			}
			fmt.Fprintf(w, "%4d %s %s\n", l.Number, mark, line(l.Content))
		}
		fmt.Fprintln(w, light)
	}
	return nil
}

// totalLine is "Total: N (UNKNOWN: a, LOW: b, MEDIUM: c, HIGH: d, CRITICAL: e)".
func totalLine(severities []string) string {
	counts := make([]int, len(types.SeverityNames))
	for _, name := range severities {
		s := types.SeverityUnknown
		// A name from a hostile DB may be megabytes: only a short one can
		// be a severity, and parsing a long one would quote it whole.
		if len(name) <= len("CRITICAL")+2 {
			s, _ = types.ParseSeverity(name)
		}
		counts[s]++
	}
	var parts []string
	for i, n := range types.SeverityNames {
		parts = append(parts, fmt.Sprintf("%s: %d", n, counts[i]))
	}
	return fmt.Sprintf("Total: %d (%s)", len(severities), strings.Join(parts, ", "))
}
