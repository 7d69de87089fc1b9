package misconf

import (
	"cmp"
	"log/slog"
	"slices"
	"strings"

	"github.com/docker-scan/docker-scan/engine/types"
)

// Fixed parts of a Dockerfile finding in Trivy's JSON.
const (
	dockerfileFindingType = "Dockerfile Security Check"
	dockerfileProvider    = "Dockerfile"
	dockerfileService     = "general"
	avdURLPrefix          = "https://avd.aquasec.com/misconfig/"
	// maxCodeLines is how many lines a finding's code excerpt shows, as
	// Trivy: a longer instruction shows its first lines and a truncation
	// marker.
	maxCodeLines = 10
)

// Run applies the Dockerfile checks to df and returns its result in
// Trivy's shape: one Misconfiguration per failure (a check may fail in
// several places), the summary counting the checks that passed and the
// failures (findings, as Trivy counts them), findings sorted as Trivy
// sorts them. Checks of another
// Type are skipped.
func Run(df *Dockerfile, checks []Check) types.Result {
	res := types.Result{Target: df.Path, Class: types.ClassConfig, Type: TypeDockerfile}
	summary := types.MisconfSummary{}
	type failed struct {
		check    *Check
		failures []Failure
	}
	var all []failed
	total := 0
	for i := range checks {
		c := &checks[i]
		if c.Type != TypeDockerfile || c.Dockerfile == nil {
			continue
		}
		failures := evaluated(df, c, c.Dockerfile(df))
		if len(failures) == 0 {
			summary.Successes++
			continue
		}
		failures = dedupFailures(failures)
		// Trivy counts passes per check and failures per finding.
		summary.Failures += len(failures)
		all = append(all, failed{c, failures})
		total += len(failures)
	}
	// Trivy's order: by AVD ID, ID, severity, then message (the Type is
	// the same for all). Sorting the checks, then each check's failures,
	// keeps the large findings from being moved around.
	slices.SortStableFunc(all, func(a, b failed) int {
		return cmp.Or(
			cmp.Compare(a.check.AVDID, b.check.AVDID),
			cmp.Compare(a.check.ID, b.check.ID),
			cmp.Compare(a.check.Severity, b.check.Severity),
		)
	})
	res.Misconfigurations = make([]types.Misconfiguration, 0, total)
	for _, f := range all {
		slices.SortStableFunc(f.failures, func(a, b Failure) int { return cmp.Compare(a.Message, b.Message) })
		for _, failure := range f.failures {
			res.Misconfigurations = append(res.Misconfigurations, dockerfileFinding(df, f.check, failure))
		}
	}
	if total == 0 {
		res.Misconfigurations = nil
	}
	res.MisconfSummary = &summary
	return res
}

// dedupFailures drops repeats of the same message at the same place, as
// Trivy does.
func dedupFailures(fs []Failure) []Failure {
	seen := make(map[Failure]bool, len(fs))
	out := fs[:0:0]
	for _, f := range fs {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

// legacyID is the check's pre-2024 ID (DS002) that Trivy still uses in
// rule namespaces: the first alias, else the ID.
func legacyID(c *Check) string {
	if len(c.Aliases) > 0 {
		return c.Aliases[0]
	}
	return c.ID
}

// PrimaryURL is the page Trivy links for a built-in check.
func PrimaryURL(id string) string { return avdURLPrefix + strings.ToLower(id) }

// evaluated drops the failures that say the check could not be evaluated
// (a custom check's runtime error): the check neither passed nor failed
// there, and a log line says why.
func evaluated(df *Dockerfile, c *Check, fs []Failure) []Failure {
	kept := fs[:0:0]
	for _, f := range fs {
		if f.Error != "" {
			slog.Warn("check could not be evaluated", "check", c.ID, "file", df.Path, "error", f.Error)
			continue
		}
		kept = append(kept, f)
	}
	return kept
}

func dockerfileFinding(df *Dockerfile, c *Check, f Failure) types.Misconfiguration {
	// Trivy links a built-in check to its AVD page; a custom check (its
	// own namespace) and docker-scan's own DSX checks to their first
	// reference, if any.
	var url string
	refs := slices.Clip(c.References)
	ns, query := "builtin.dockerfile."+legacyID(c), ""
	switch {
	case c.Namespace != "":
		ns, query = c.Namespace, c.Query
	case strings.HasPrefix(c.ID, "DS-"):
		url = PrimaryURL(c.ID)
		refs = append(refs, url)
	}
	if url == "" && len(refs) > 0 {
		url = refs[0]
	}
	if query == "" {
		query = "data." + ns + ".deny"
	}
	m := types.Misconfiguration{
		Type:        dockerfileFindingType,
		ID:          c.ID,
		AVDID:       c.AVDID,
		Title:       c.Title,
		Description: c.Description,
		Message:     f.Message,
		Namespace:   ns,
		Query:       query,
		Resolution:  c.Resolution,
		Severity:    c.Severity,
		PrimaryURL:  url,
		References:  refs,
		Status:      "FAIL",
		CauseMetadata: types.CauseMetadata{
			Provider: dockerfileProvider,
			Service:  dockerfileService,
		},
	}
	if m.Message == "" {
		m.Message = "No issues found"
	}
	if f.StartLine > 0 {
		end := max(f.EndLine, f.StartLine)
		m.CauseMetadata.StartLine = f.StartLine
		m.CauseMetadata.EndLine = end
		m.CauseMetadata.Code = codeExcerpt(df.Lines, f.StartLine, end)
	}
	return m
}

// codeExcerpt is lines start..end of the file, every one a cause, in
// Trivy's form: at most maxCodeLines, the last of them a bare truncation
// marker when the instruction is longer; FirstCause on the first line,
// LastCause on the last line shown with content.
func codeExcerpt(lines []string, start, end int) types.Code {
	if start < 1 || start > len(lines) {
		return types.Code{}
	}
	end = min(end, len(lines))
	var code types.Code
	for n := start; n <= end; n++ {
		code.Lines = append(code.Lines, types.CodeLine{Number: n, Content: lines[n-1], IsCause: true})
	}
	if len(code.Lines) > maxCodeLines {
		code.Lines = code.Lines[:maxCodeLines]
		code.Lines[maxCodeLines-1] = types.CodeLine{Number: code.Lines[maxCodeLines-1].Number, Truncated: true}
	}
	code.Lines[0].FirstCause = true
	last := len(code.Lines) - 1
	if code.Lines[last].Truncated {
		last--
	}
	code.Lines[last].LastCause = true
	return code
}
