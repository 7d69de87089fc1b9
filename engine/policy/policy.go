// Package policy decides which findings count: severity and status
// filters, the ignore file, VEX statements, and the exit code that gates
// CI.
package policy

import (
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/docker-scan/docker-scan/engine/types"
)

// Options are the filters of a scan.
type Options struct {
	// Severities to keep; empty keeps all.
	Severities []types.Severity
	// IgnoreUnfixed drops findings that have no fixed version yet.
	IgnoreUnfixed bool
	// IgnoreStatuses drops findings with these statuses.
	IgnoreStatuses []types.Status
	// Ignore is the parsed ignore file, if any.
	Ignore *IgnoreFile
	// Now decides which ignore entries have expired.
	Now time.Time
	// VEX holds the vendor statements that suppress findings (--vex);
	// nil when there are none.
	VEX VEX
	// ShowSuppressed keeps the findings VEX suppressed in each result's
	// ModifiedFindings, for the report to list (--show-suppressed).
	ShowSuppressed bool
	// IgnoredLicenses are licence names whose findings do not count
	// (--ignored-licenses), matched case-insensitively.
	IgnoredLicenses []string
}

// VEX judges findings against VEX statements (engine/vex.Set).
type VEX interface {
	// Judge returns the judge of the vulnerabilities of result res in
	// the image md describes: whether a statement suppresses one, and
	// the finding as the report lists it then.
	Judge(md types.Metadata, res *types.Result) func(types.DetectedVulnerability) (types.ModifiedFinding, bool)
}

// Filter removes from rep the findings that do not count.
func Filter(rep *types.Report, opts Options) {
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	for i := range rep.Results {
		res := &rep.Results[i]
		res.Vulnerabilities = slices.DeleteFunc(res.Vulnerabilities, func(v types.DetectedVulnerability) bool {
			return !opts.keep(v, now)
		})
		res.Secrets = slices.DeleteFunc(res.Secrets, func(s types.SecretFinding) bool {
			return !opts.keepSecret(res.Target, s, now)
		})
		opts.filterMisconfs(res, now)
		res.Licenses = slices.DeleteFunc(res.Licenses, func(l types.DetectedLicense) bool {
			return !opts.keepLicense(res.Target, l, now)
		})
	}
	if opts.VEX != nil {
		ApplyVEX(rep, opts.VEX, opts.ShowSuppressed)
	}
}

// ApplyVEX takes out of rep the vulnerabilities VEX statements suppress,
// after the other filters (as Trivy does), and, when show is set, lists
// them in their result's ModifiedFindings. It returns how many it took
// out. A scan calls it through Filter; the CLI calls it again with the
// documents it finds in the image's registry (--vex oci).
func ApplyVEX(rep *types.Report, v VEX, show bool) int {
	suppressed := 0
	for i := range rep.Results {
		res := &rep.Results[i]
		if len(res.Vulnerabilities) == 0 {
			continue
		}
		judge := v.Judge(rep.Metadata, res)
		res.Vulnerabilities = slices.DeleteFunc(res.Vulnerabilities, func(d types.DetectedVulnerability) bool {
			m, ok := judge(d)
			if !ok {
				return false
			}
			suppressed++
			if show {
				res.ModifiedFindings = append(res.ModifiedFindings, m)
			}
			return true
		})
	}
	if suppressed > 0 && !show {
		slog.Info("VEX statements suppressed some vulnerabilities; --show-suppressed lists them", "count", suppressed)
	}
	return suppressed
}

// FilterMisconfigurations removes the misconfigurations that do not count
// (severity, ignore file) and the results left empty.
func FilterMisconfigurations(results []types.Result, opts Options) []types.Result {
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	out := results[:0]
	for _, res := range results {
		opts.filterMisconfs(&res, now)
		if len(res.Misconfigurations) > 0 {
			out = append(out, res)
		}
	}
	return out
}

// filterMisconfs removes the misconfigurations of res that do not count
// (severity, ignore file by ID, AVD ID or alias) and counts the failures
// left in its summary, as Trivy counts them: one per finding.
func (o Options) filterMisconfs(res *types.Result, now time.Time) {
	if len(res.Misconfigurations) == 0 {
		return
	}
	res.Misconfigurations = slices.DeleteFunc(res.Misconfigurations, func(m types.Misconfiguration) bool {
		if len(o.Severities) > 0 {
			if s, _ := types.ParseSeverity(m.Severity); !slices.Contains(o.Severities, s) {
				return true
			}
		}
		return o.Ignore != nil && o.Ignore.IgnoresMisconfiguration(res.Target, m, now)
	})
	if res.MisconfSummary != nil {
		sum := *res.MisconfSummary
		sum.Failures = 0
		for _, m := range res.Misconfigurations {
			if m.Status != "PASS" {
				sum.Failures++
			}
		}
		res.MisconfSummary = &sum
	}
}

func (o Options) keep(v types.DetectedVulnerability, now time.Time) bool {
	if len(o.Severities) > 0 {
		s, _ := types.ParseSeverity(v.Severity)
		if !slices.Contains(o.Severities, s) {
			return false
		}
	}
	if o.IgnoreUnfixed && v.FixedVersion == "" {
		return false
	}
	if slices.Contains(o.IgnoreStatuses, v.Status) {
		return false
	}
	if o.Ignore != nil && o.Ignore.IgnoresVulnerability(v, now) {
		return false
	}
	return true
}

func (o Options) keepSecret(target string, s types.SecretFinding, now time.Time) bool {
	if len(o.Severities) > 0 {
		sev, _ := types.ParseSeverity(s.Severity)
		if !slices.Contains(o.Severities, sev) {
			return false
		}
	}
	return o.Ignore == nil || !o.Ignore.IgnoresSecret(target, s, now)
}

// keepLicense: a licence finding counts unless the severity filter, an
// ignored licence name or the ignore file (licences by name, and by path
// for a licence file) drops it.
func (o Options) keepLicense(target string, l types.DetectedLicense, now time.Time) bool {
	if len(o.Severities) > 0 {
		sev, _ := types.ParseSeverity(l.Severity)
		if !slices.Contains(o.Severities, sev) {
			return false
		}
	}
	if slices.ContainsFunc(o.IgnoredLicenses, func(n string) bool { return strings.EqualFold(n, l.Name) }) {
		return false
	}
	path := l.FilePath
	if path == "" {
		path = target
	}
	return o.Ignore == nil || !o.Ignore.IgnoresLicense(path, l.Name, now)
}

// ExitOptions map a filtered report to the process exit code.
type ExitOptions struct {
	// ExitCode is used when any finding remains; 0 never fails.
	ExitCode int
	// ExitOnEOL is used when the OS is past its end of support.
	ExitOnEOL int
}

// ExitCode returns the exit code a filtered report calls for.
func ExitCode(rep *types.Report, opts ExitOptions) int {
	if opts.ExitCode != 0 {
		for _, res := range rep.Results {
			if len(res.Vulnerabilities) > 0 || len(res.Secrets) > 0 || failed(res.Misconfigurations) || len(res.Licenses) > 0 {
				return opts.ExitCode
			}
		}
	}
	if opts.ExitOnEOL != 0 && rep.Metadata.OS != nil && rep.Metadata.OS.EOSL {
		return opts.ExitOnEOL
	}
	return 0
}

// failed says whether any misconfiguration is a failure (not a check
// listed as passed).
func failed(ms []types.Misconfiguration) bool {
	return slices.ContainsFunc(ms, func(m types.Misconfiguration) bool { return m.Status != "PASS" })
}
