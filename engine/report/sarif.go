package report

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/owenrumney/go-sarif/v2/sarif"

	"github.com/docker-scan/docker-scan/engine/types"
)

// SARIF 2.1.0, as GitHub code scanning reads it: one run of docker scan,
// one rule per vulnerability ID, secret rule and misconfiguration check,
// one result per finding. Rules, levels, scores, messages and locations
// follow Trivy's SARIF so that dashboards built on it keep working.

const (
	sarifToolName = "docker-scan"
	sarifToolURI  = "https://github.com/docker-scan/docker-scan"
	// sarifRootBase is the base of paths inside an image: the image's
	// root filesystem.
	sarifRootBase = "ROOTPATH"
	// sarifFindingKey names the partial fingerprint: the finding without
	// the image ID, so that a rebuilt image keeps its alerts.
	sarifFindingKey = "dockerScanFinding/v1"
	// sarifReportKey names the fingerprint of a vulnerability in this
	// very image (the report's Fingerprint field).
	sarifReportKey = "dockerScanReport/v1"
	// sarifSecretRulesURI documents the built-in secret rules.
	sarifSecretRulesURI = sarifToolURI + "/blob/main/engine/analyze/secret/rules.go"
)

// sarifRuleNames are the rule names Trivy gives each class of result.
var sarifRuleNames = map[string]string{
	types.ClassOSPkg:   "OsPackageVulnerability",
	types.ClassLangPkg: "LanguageSpecificPackageVulnerability",
	types.ClassConfig:  "Misconfiguration",
	types.ClassSecret:  "Secret",
	// Licences of packages and of files, as Trivy names both.
	types.ClassLicense:     "License",
	types.ClassLicenseFile: "License",
}

func writeSARIF(w io.Writer, r *types.Report, opts Options) error {
	b := newSARIFBuilder(opts)
	if r.ArtifactType == types.ArtifactTypeContainerImage {
		b.run.Properties = sarif.Properties{
			"imageName":   r.ArtifactName,
			"repoTags":    nonNil(r.Metadata.RepoTags),
			"repoDigests": nonNil(r.Metadata.RepoDigests),
			"imageID":     r.Metadata.ImageID,
		}
	}
	if r.ArtifactType == types.ArtifactTypeFilesystem {
		// Paths are relative to the scanned directory, as in Trivy.
		b.run.OriginalUriBaseIDs = map[string]*sarif.ArtifactLocation{sarifRootBase: sarif.NewSimpleArtifactLocation(dirFileURI(r.ArtifactName))}
	}
	for _, res := range r.Results {
		b.addResult(res, r.ArtifactName)
	}
	return b.write(w)
}

// dirFileURI is the file:// URI of a directory, absolute and ending in a
// slash, as SARIF base URIs must.
func dirFileURI(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return (&url.URL{Scheme: "file", Path: strings.TrimSuffix(p, "/") + "/"}).String()
}

// writeStackSARIF puts every image's findings and the compose files'
// misconfigurations in one run: results of an image are located in it
// (its name, or a path under its root), misconfigurations at their line
// of the compose file.
func writeStackSARIF(w io.Writer, r *types.StackReport, opts Options) error {
	b := newSARIFBuilder(opts)
	b.stack = true
	refs := sortedImageRefs(r)
	b.run.Properties = sarif.Properties{
		"composeProject": r.ProjectName,
		"configFiles":    nonNil(r.ConfigFiles),
		"images":         nonNil(refs),
	}
	for _, res := range r.Misconfigurations {
		b.addResult(res, "")
	}
	for _, ref := range refs {
		rep := r.Images[ref]
		if rep == nil {
			continue
		}
		for _, res := range rep.Results {
			b.addResult(res, ref)
		}
	}
	return b.write(w)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// sortedImageRefs are the references of a stack's images, in order.
func sortedImageRefs(r *types.StackReport) []string {
	refs := make([]string, 0, len(r.Images))
	for ref := range r.Images {
		refs = append(refs, ref)
	}
	sort.Strings(refs)
	return refs
}

type sarifBuilder struct {
	run       *sarif.Run
	ruleIndex map[string]int
	// stack: the run holds the findings of several images, so each
	// finding names its image.
	stack bool
}

func newSARIFBuilder(opts Options) *sarifBuilder {
	run := sarif.NewRunWithInformationURI(sarifToolName, sarifToolURI)
	version := opts.ToolVersion
	if version == "" {
		version = "dev"
	}
	run.Tool.Driver.WithVersion(version)
	run.Tool.Driver.WithFullName("docker scan container image scanner")
	run.ColumnKind = "utf16CodeUnits"
	return &sarifBuilder{run: run, ruleIndex: map[string]int{}}
}

func (b *sarifBuilder) write(w io.Writer) error {
	doc, err := sarif.New(sarif.Version210)
	if err != nil {
		return err
	}
	doc.AddRun(b.run)
	if err := doc.PrettyWrite(w); err != nil {
		return err
	}
	_, err = io.WriteString(w, "\n")
	return err
}

// sarifFinding is what one result and its rule are made of.
type sarifFinding struct {
	ruleID, ruleName, kind, severity string
	score                            string
	cvss                             map[string]any
	helpURI                          string
	short, full                      string
	helpText, helpMarkdown           string
	message                          string
	// uri locates the finding; image says it is a path under the
	// image's root (uriBaseId ROOTPATH) rather than a file of the host.
	uri                string
	image              bool
	locationMessage    string
	startLine, endLine int
	fingerprint        string // of the finding in this image, if known
	findingHash        string // of the finding whatever the image ID
}

// addResult adds a result's findings; image names the image they were
// found in ("" for a compose file).
func (b *sarifBuilder) addResult(res types.Result, image string) {
	target := res.Target
	// place names the image of a finding in a compose project's run.
	place, key := func(where string) string { return where }, ""
	if b.stack {
		place, key = func(where string) string { return sarifPlace(image, where) }, image
	}
	for _, v := range res.Vulnerabilities {
		uri, inImage := sarifPackageURI(res, v, image)
		full := v.Description
		if full == "" {
			full = v.Title
		}
		score, cvss := sarifCVSS(v)
		b.add(sarifFinding{
			ruleID:   v.VulnerabilityID,
			ruleName: sarifRuleNames[res.Class],
			kind:     "vulnerability",
			severity: v.Severity,
			score:    score,
			cvss:     cvss,
			helpURI:  v.PrimaryURL,
			short:    v.Title,
			full:     full,
			helpText: fmt.Sprintf("Vulnerability %s\nSeverity: %s\nPackage: %s\nInstalled Version: %s\nFixed Version: %s\nLink: [%s](%s)\n%s",
				v.VulnerabilityID, v.Severity, v.PkgName, v.InstalledVersion, v.FixedVersion, v.VulnerabilityID, v.PrimaryURL, v.Description),
			helpMarkdown: fmt.Sprintf("**Vulnerability %s**\n| Severity | Package | Installed Version | Fixed Version | Link |\n| --- | --- | --- | --- | --- |\n|%s|%s|%s|%s|[%s](%s)|\n\n%s",
				v.VulnerabilityID, mdCell(v.Severity), mdCell(v.PkgName), mdCell(v.InstalledVersion), mdCell(v.FixedVersion), v.VulnerabilityID, v.PrimaryURL, v.Description),
			message: fmt.Sprintf("Package: %s\nInstalled Version: %s\nVulnerability %s\nSeverity: %s\nFixed Version: %s\nLink: [%s](%s)",
				v.PkgName, v.InstalledVersion, v.VulnerabilityID, v.Severity, v.FixedVersion, v.VulnerabilityID, v.PrimaryURL),
			uri:             uri,
			image:           inImage,
			locationMessage: fmt.Sprintf("%s: %s@%s", place(uri), v.PkgName, v.InstalledVersion),
			startLine:       1,
			fingerprint:     v.Fingerprint,
			findingHash:     sarifHash(key, target, v.PkgID, v.PkgName, v.InstalledVersion, v.PkgPath, v.VulnerabilityID),
		})
	}
	for _, s := range res.Secrets {
		uri := sarifImagePath(target)
		b.add(sarifFinding{
			ruleID:   s.RuleID,
			ruleName: sarifRuleNames[types.ClassSecret],
			kind:     "secret",
			severity: s.Severity,
			score:    severityScore(s.Severity),
			helpURI:  sarifSecretRulesURI,
			short:    s.Title,
			full:     s.Title,
			// The rule's help describes the rule, not one finding: the
			// masked match stays in each result's message.
			helpText: fmt.Sprintf("Secret %s\nSeverity: %s\nCategory: %s\nRule: %s",
				s.Title, s.Severity, s.Category, s.RuleID),
			helpMarkdown: fmt.Sprintf("**Secret %s**\n| Severity | Category | Rule |\n| --- | --- | --- |\n|%s|%s|%s|",
				s.Title, mdCell(s.Severity), mdCell(s.Category), mdCell(s.RuleID)),
			message: fmt.Sprintf("Artifact: %s\nType: %s\nSecret %s\nSeverity: %s\nMatch: %s",
				place(target), res.Type, s.Title, s.Severity, s.Match),
			uri:             uri,
			image:           true,
			locationMessage: place(target),
			startLine:       s.StartLine,
			endLine:         s.EndLine,
			findingHash:     sarifHash(key, target, s.RuleID, fmt.Sprint(s.StartLine), s.Match),
		})
	}
	for _, m := range res.Misconfigurations {
		where := target
		if m.Service != "" {
			where += " (service " + m.Service + ")"
		}
		// A Dockerfile's findings are located by their cause (the
		// instruction's lines); a compose file's by StartLine.
		start, end := m.CauseMetadata.StartLine, m.CauseMetadata.EndLine
		if start == 0 {
			start, end = m.StartLine, m.StartLine
		}
		full := strings.TrimSpace(endWithPeriod(m.Title) + " " + m.Resolution)
		if m.Description != "" {
			full = m.Description
		}
		b.add(sarifFinding{
			ruleID:   m.ID,
			ruleName: sarifRuleNames[types.ClassConfig],
			kind:     "misconfiguration",
			severity: m.Severity,
			score:    severityScore(m.Severity),
			helpURI:  m.PrimaryURL,
			short:    m.Title,
			full:     full,
			// The rule's help describes the check; each result's message
			// says what the service does.
			helpText: fmt.Sprintf("Misconfiguration %s\nType: %s\nSeverity: %s\nCheck: %s\nResolution: %s",
				m.ID, res.Type, m.Severity, m.Title, m.Resolution),
			helpMarkdown: fmt.Sprintf("**Misconfiguration %s**\n| Type | Severity | Check |\n| --- | --- | --- |\n|%s|%s|%s|\n\n%s",
				m.ID, mdCell(res.Type), mdCell(m.Severity), mdCell(m.Title), m.Resolution),
			message: fmt.Sprintf("Artifact: %s\nType: %s\nVulnerability %s\nSeverity: %s\nMessage: %s",
				where, res.Type, m.ID, m.Severity, m.Message),
			uri:             sarifURI(target),
			image:           image != "",
			locationMessage: where,
			startLine:       start,
			endLine:         end,
			findingHash:     sarifHash(key, target, m.ID, m.Service, m.Message),
		})
	}
	b.addLicenses(res, place, key)
}

// addLicenses adds a result's licences: one rule per package and licence
// (or file and licence), located at the file that declares it.
func (b *sarifBuilder) addLicenses(res types.Result, place func(string) string, key string) {
	for _, l := range res.Licenses {
		owner, where := l.PkgName, l.FilePath
		if owner == "" {
			owner = l.FilePath
		}
		if where == "" {
			where = res.Target
		}
		b.add(sarifFinding{
			ruleID:   owner + ":" + l.Name,
			ruleName: sarifRuleNames[res.Class],
			kind:     "license",
			severity: l.Severity,
			score:    severityScore(l.Severity),
			helpURI:  l.Link,
			short:    l.Name + " in " + owner,
			full:     l.Name + " in " + owner,
			helpText: fmt.Sprintf("License %s\nClassification: %s\nPkgName: %s\nPath: %s", l.Name, l.Category, l.PkgName, l.FilePath),
			helpMarkdown: fmt.Sprintf("**License %s**\n| PkgName | Classification | Path |\n| --- | --- | --- |\n|%s|%s|%s|",
				l.Name, mdCell(l.PkgName), mdCell(l.Category), mdCell(l.FilePath)),
			message: fmt.Sprintf("Artifact: %s\nLicense %s\nPkgName: %s\nClassification: %s\nPath: %s",
				place(res.Target), l.Name, l.PkgName, l.Category, l.FilePath),
			uri:             sarifImagePath(where),
			image:           true,
			locationMessage: place(where),
			startLine:       1,
			findingHash:     sarifHash(key, res.Target, l.PkgName, l.FilePath, l.Name),
		})
	}
}

func (b *sarifBuilder) add(f sarifFinding) {
	idx, ok := b.ruleIndex[f.ruleID]
	if !ok {
		idx = len(b.run.Tool.Driver.Rules)
		b.ruleIndex[f.ruleID] = idx
		b.run.Tool.Driver.Rules = append(b.run.Tool.Driver.Rules, sarifRule(f))
	}
	level := sarifLevel(f.severity)
	start, end := f.startLine, f.endLine
	if start <= 0 {
		start = 1
	}
	if end < start {
		end = start
	}
	loc := sarif.NewSimpleArtifactLocation(f.uri)
	if f.image {
		loc.WithUriBaseId(sarifRootBase)
	}
	region := sarif.NewRegion().WithStartLine(start).WithEndLine(end).WithStartColumn(1).WithEndColumn(1)
	phys := sarif.NewPhysicalLocation().WithArtifactLocation(loc).WithRegion(region)
	result := sarif.NewRuleResult(f.ruleID).
		WithRuleIndex(idx).
		WithLevel(level).
		WithMessage(sarif.NewTextMessage(f.message)).
		WithLocations([]*sarif.Location{
			sarif.NewLocation().WithMessage(sarif.NewTextMessage(f.locationMessage)).WithPhysicalLocation(phys),
		}).
		WithPartialFingerPrints(map[string]any{sarifFindingKey: f.findingHash})
	if f.fingerprint != "" {
		result.WithFingerPrints(map[string]any{sarifReportKey: f.fingerprint})
	}
	b.run.AddResult(result)
}

// sarifRule is the rule of a finding's ID, described by its first finding.
func sarifRule(f sarifFinding) *sarif.ReportingDescriptor {
	short := f.short
	if short == "" {
		short = f.ruleID
	}
	full := f.full
	if full == "" {
		full = short
	}
	props := sarif.Properties{
		"tags":              []string{f.kind, "security", f.severity},
		"precision":         "very-high",
		"security-severity": f.score,
	}
	for k, v := range f.cvss {
		props[k] = v
	}
	rule := sarif.NewRule(f.ruleID).
		WithName(f.ruleName).
		WithShortDescription(sarif.NewMultiformatMessageString(short)).
		WithFullDescription(sarif.NewMultiformatMessageString(full)).
		WithHelp(sarif.NewMultiformatMessageString(f.helpText).WithMarkdown(f.helpMarkdown)).
		WithDefaultConfiguration(&sarif.ReportingConfiguration{Level: sarifLevel(f.severity)}).
		WithProperties(props)
	if u, err := url.Parse(f.helpURI); err == nil && f.helpURI != "" && u.IsAbs() {
		rule.WithHelpURI(f.helpURI)
	}
	return rule
}

// sarifLevel maps a severity to a SARIF level as Trivy does.
func sarifLevel(severity string) string {
	switch severity {
	case "CRITICAL", "HIGH":
		return "error"
	case "MEDIUM":
		return "warning"
	case "LOW", "UNKNOWN":
		return "note"
	default:
		return "none"
	}
}

// severityScore is GitHub's security-severity for a finding without a
// CVSS score: Trivy's number for each severity.
func severityScore(severity string) string {
	switch severity {
	case "CRITICAL":
		return "9.5"
	case "HIGH":
		return "8.0"
	case "MEDIUM":
		return "5.5"
	case "LOW":
		return "2.0"
	default:
		return "0.0"
	}
}

// sarifCVSS is a vulnerability's security-severity (the CVSS v3 score of
// the source its severity comes from, else the severity's number) and
// the CVSS properties of its rule, under Trivy's property names.
func sarifCVSS(v types.DetectedVulnerability) (string, map[string]any) {
	score := severityScore(v.Severity)
	c, ok := v.CVSS[v.SeveritySource]
	if !ok {
		return score, nil
	}
	props := map[string]any{}
	for k, s := range map[string]string{"cvssv2_vector": c.V2Vector, "cvssv3_vector": c.V3Vector, "cvssv40_vector": c.V40Vector} {
		if s != "" {
			props[k] = s
		}
	}
	for k, f := range map[string]float64{"cvssv2_score": c.V2Score, "cvssv3_baseScore": c.V3Score, "cvssv40_baseScore": c.V40Score} {
		if f != 0 {
			props[k] = f
		}
	}
	if c.V3Score > 0 && c.V3Score <= 10 {
		score = fmt.Sprintf("%.1f", c.V3Score)
	}
	return score, props
}

// osTargetSuffix is the " (alpine 3.20.3)" that ends an OS result's
// target.
var osTargetSuffix = regexp.MustCompile(`\s*\([^()]*\)\s*$`)

// sarifPackageURI locates a vulnerable package: the file it was found in
// (under the image root) when known, else the image, by its repository
// as Trivy names it.
func sarifPackageURI(res types.Result, v types.DetectedVulnerability, image string) (string, bool) {
	if v.PkgPath != "" {
		return sarifImagePath(v.PkgPath), true
	}
	if res.Class != types.ClassOSPkg {
		return sarifImagePath(res.Target), true
	}
	ref := image
	if ref == "" {
		ref = osTargetSuffix.ReplaceAllString(res.Target, "")
	}
	if r, err := name.ParseReference(ref); err == nil {
		ref = r.Context().RepositoryStr()
	}
	return sarifURI(ref), true
}

// sarifImagePath is a path inside the image as a URI relative to its
// root.
func sarifImagePath(p string) string {
	return sarifURI(strings.TrimLeft(p, "/"))
}

// sarifURI turns a path into a URI reference: spaces and other bytes a
// URI cannot hold are escaped, backslashes become slashes.
func sarifURI(p string) string {
	p = strings.ReplaceAll(p, `\`, "/")
	if p == "" {
		return "."
	}
	return (&url.URL{Path: p}).String()
}

// sarifPlace names where a finding is, with its image in a compose
// project's report.
func sarifPlace(image, where string) string {
	if image == "" || strings.HasPrefix(where, image) {
		return where
	}
	return image + ": " + where
}

// sarifHash identifies a finding across runs and rebuilds of its image.
func sarifHash(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// mdCell keeps a value inside its Markdown table cell.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.Join(strings.Fields(s), " ")
}
