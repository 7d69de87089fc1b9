// Package scan is the scanner pipeline as one function: analyze the layers
// of an image, merge them, and build the report.
package scan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/docker-scan/docker-scan/engine/analyze"
	"github.com/docker-scan/docker-scan/engine/analyze/license"
	"github.com/docker-scan/docker-scan/engine/analyze/secret"
	"github.com/docker-scan/docker-scan/engine/cache"
	"github.com/docker-scan/docker-scan/engine/db"
	"github.com/docker-scan/docker-scan/engine/detect"
	"github.com/docker-scan/docker-scan/engine/families"
	"github.com/docker-scan/docker-scan/engine/iox"
	"github.com/docker-scan/docker-scan/engine/merge"
	"github.com/docker-scan/docker-scan/engine/misconf"
	"github.com/docker-scan/docker-scan/engine/policy"
	"github.com/docker-scan/docker-scan/engine/types"
)

// Scanners a scan can run.
const (
	ScannerVuln   = "vuln"
	ScannerSecret = "secret"
)

// ConfigPath is the name under which the image config (its environment,
// labels and build history, as text) is offered to analyzers, like one
// more file: build arguments and ENV values leak secrets too.
const ConfigPath = "(image config)"

// Options choose what a scan does.
type Options struct {
	// Analysis holds the files analysis must not see (SkipFiles,
	// SkipDirs). The analyzers are built by the engine from Scanners,
	// PkgTypes and SecretConfig (see analysisConfig); a caller sets
	// Analysis.Analyzers or Streamers only to run analyzers of its own
	// instead (a test of one analyzer).
	Analysis analyze.Config
	// Scanners is the positive set of scanners; empty lists packages only.
	Scanners []string
	// SecretConfig configures the secret scanner (its rules, allow rules
	// and disabled rules); nil is the built-in rule set.
	SecretConfig *secret.Config
	// ImageConfigScanners scan the image config alone (Trivy's
	// --image-config-scanners): ImageConfigMisconfig, ImageConfigSecret.
	// The misconfig and secret scanners scan it anyway.
	ImageConfigScanners []string
	// MisconfChecks are the checks of the misconfig scanner; nil is the
	// built-in ones. The layer cache key covers them.
	MisconfChecks []misconf.Check
	// TempDir is where analyzers that need a file of their own (the rpm
	// database) write it; empty is the system's temp dir.
	TempDir string
	// Cache keeps layer results between scans; nil analyses every layer.
	Cache cache.Cache
	// Shared, when set, shares layer analysis with the scans running
	// beside this one (see SharedLayers).
	Shared *SharedLayers
	// DB is the vulnerability DB; needed by the vuln scanner.
	DB *db.DB
	// Policy filters the findings.
	Policy policy.Options
	// PkgTypes chooses the packages reported and matched: "os",
	// "library" (language packages); empty means both.
	PkgTypes []string
	// LicenseCategories classify licences (category -> licence IDs); a
	// category left out keeps its built-in list.
	LicenseCategories map[string][]string
	// LicenseFull looks for licence texts in files (LICENSE, COPYING,
	// headers of source files) and classifies them, for the licence
	// scanner; LicenseConfidence is the least confidence of a match.
	LicenseFull       bool
	LicenseConfidence float64
	// ListAllPackages puts every package in the report, not only the
	// vulnerable ones.
	ListAllPackages bool
	// Distro, when set, replaces the OS found in the image (Trivy's
	// --distro): its advisories are matched and the report names it.
	Distro types.OS
	// DetectionPriority is PriorityPrecise (also when empty) or
	// PriorityComprehensive.
	DetectionPriority string
	// Now stamps the report; zero means time.Now.
	Now time.Time
	// Progress, when set, hears how the analysis of the layers advances.
	Progress Progress
}

// DefaultOptions list the OS and its packages and the packages of
// language ecosystems, without matching them against a DB.
func DefaultOptions() Options {
	return Options{ListAllPackages: true}
}

// analysisConfig is the analysis the options ask for: the OS analyzers
// always (the report names the OS whatever is scanned), the language
// ones unless PkgTypes leaves language packages out, and the secret
// analyzer when the secret scanner runs. The layer cache key covers
// exactly this set, so scans with different options never share a
// result that one of them would have computed differently.
func (o Options) analysisConfig() (analyze.Config, error) {
	cfg := o.Analysis
	if len(cfg.Analyzers) > 0 || len(cfg.Streamers) > 0 {
		return cfg, nil
	}
	tempDir := o.TempDir
	if tempDir == "" {
		tempDir = os.TempDir()
	}
	cfg.Analyzers = analyze.OSAnalyzers()
	cfg.Streamers = analyze.OSStreamers(tempDir)
	if o.wants(PkgTypeLibrary) {
		cfg.Analyzers = append(cfg.Analyzers, analyze.LanguageAnalyzers()...)
		cfg.Streamers = append(cfg.Streamers, analyze.LanguageStreamers()...)
	}
	if slices.Contains(o.Scanners, ScannerSecret) {
		secrets, err := analyze.SecretAnalyzers(o.SecretConfig)
		if err != nil {
			return cfg, err
		}
		cfg.Analyzers = append(cfg.Analyzers, secrets...)
	}
	if slices.Contains(o.Scanners, ScannerMisconfig) {
		cfg.Analyzers = append(cfg.Analyzers, analyze.MisconfAnalyzers(o.MisconfChecks)...)
	}
	if o.LicenseFull && slices.Contains(o.Scanners, ScannerLicense) {
		licences, err := analyze.LicenseAnalyzers(license.Options{Threshold: o.LicenseConfidence})
		if err != nil {
			return cfg, err
		}
		// The classifier takes seconds to load: while the layers are read.
		go license.Load()
		cfg.Analyzers = append(cfg.Analyzers, licences...)
	}
	return cfg, nil
}

// Analysis is what Analyze found in an image, as plain data that a
// client can send to a scan server: the image's metadata and a result
// per layer. Assemble turns it into a report.
type Analysis struct {
	// Image is the image's metadata: name, ID, tags, config (with any
	// secret found in it masked) and each layer's digests. Its layers
	// cannot be opened.
	Image *types.Image
	// Layers[i] is the result of Image.Layers[i].
	Layers []*types.LayerResult
	// Keys[i] is the layer cache key of Layers[i]: its diffID and what
	// the analysis ran; "" for a layer whose diffID analysis could not
	// check, which is never stored under it.
	Keys []string
	// Config is what the secret scanner found in the image config
	// (environment, labels, history), and the misconfig scanner in its
	// history rebuilt as a Dockerfile; nil when neither ran.
	Config *types.LayerResult
}

// Image scans one image: Analyze, then Assemble.
func Image(ctx context.Context, img *types.Image, opts Options) (*types.Report, error) {
	a, err := Analyze(ctx, img, opts)
	if err != nil {
		return nil, err
	}
	return Assemble(ctx, a, opts)
}

// Analyze reads what the layer cache does not have of img's layers, with
// the analyzers the options ask for, and the image config when the secret
// scanner runs.
func Analyze(ctx context.Context, img *types.Image, opts Options) (*Analysis, error) {
	cfg, err := opts.analysisConfig()
	if err != nil {
		return nil, err
	}
	opts.Analysis = cfg
	total := imageSize(img)
	slog.Info("analyzing image", "image", img.Name, "layers", len(img.Layers), "size", iox.HumanSize(total))
	start := time.Now()
	layers, err := analyzeLayers(ctx, img, opts)
	if err != nil {
		return nil, err
	}
	slog.Debug("layers analyzed", "duration", time.Since(start).Round(time.Millisecond))
	for _, a := range cfg.Analyzers {
		if s, ok := a.(interface{ Skipped() string }); ok && s.Skipped() != "" {
			slog.Info(s.Skipped())
		}
	}
	meta := *img
	meta.Close, meta.Stream = nil, nil
	meta.Layers = make([]types.Layer, len(img.Layers))
	for i, l := range img.Layers {
		l.Open = nil
		meta.Layers[i] = l
	}
	a := &Analysis{Image: &meta, Layers: layers, Keys: make([]string, len(layers))}
	cacheKey := cfg.CacheKeyer()
	for i, l := range img.Layers {
		if analyze.Verifiable(l.DiffID) {
			a.Keys[i] = cacheKey(l.DiffID)
		}
	}
	if opts.scansConfigFor(ImageConfigSecret) {
		secretCfg := cfg
		if !slices.Contains(opts.Scanners, ScannerSecret) {
			// --image-config-scanners secret without the secret scanner.
			if secretCfg.Analyzers, err = analyze.SecretAnalyzers(opts.SecretConfig); err != nil {
				return nil, err
			}
		}
		found, masked := configSecrets(img, secretCfg)
		a.Config = found
		if masked != nil {
			meta.Config = masked
		}
	}
	if opts.scansConfigFor(ImageConfigMisconfig) {
		if a.Config == nil {
			a.Config = &types.LayerResult{}
		}
		// The config as the report shows it: a secret the secret scanner
		// masked there is masked in the findings' code too.
		checkImageConfig(&meta, opts, a.Config)
	}
	return a, nil
}

// Assemble merges the layers of an analysis, matches the packages against
// the DB and applies the policy: Detect, then Finish.
func Assemble(ctx context.Context, a *Analysis, opts Options) (*types.Report, error) {
	rep, err := Detect(ctx, a, opts)
	if err != nil {
		return nil, err
	}
	return Finish(rep, opts), nil
}

// Detect merges the layers of an analysis and matches the packages
// against the DB: the report with every finding, before the policy. A
// scan server runs it and its client runs Finish on what it sends back.
func Detect(ctx context.Context, a *Analysis, opts Options) (*types.Report, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	art := merge.LayersWith(a.Layers, opts.mergeOptions())
	useDistro(&art, opts.Distro)
	if a.Config != nil {
		art.Secrets = append(art.Secrets, a.Config.Secrets...)
		art.Misconfigurations = append(art.Misconfigurations, a.Config.Misconfigurations...)
		art.Issues = append(art.Issues, a.Config.Issues...)
	}
	attachClassifiedLicenses(&art)
	if !art.OS.Detected() {
		slog.Warn("no OS detected in the image; OS packages are not reported")
	}
	vulns, langVulns, osMatched, err := matchArtifact(&art, &opts)
	if err != nil {
		return nil, err
	}
	rep := buildReport(a.Image, a.Layers, art, vulns, opts)
	rep.AnalysisIssues = art.Issues
	warnIssues(art.Issues)
	addResults(rep, art, langVulns, osMatched, opts)
	return rep, nil
}

// matchArtifact fixes the scan's time (opts.Now), marks an OS past its
// end of life, and matches the artifact's packages against the DB when
// the vuln scanner runs: OS packages (osMatched is false when the DB has
// no advisories for the OS's release) and language packages. Image and
// SBOM share it, so that an SBOM is matched as its image is.
func matchArtifact(art *types.Artifact, opts *Options) (vulns, langVulns []types.DetectedVulnerability, osMatched bool, err error) {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	if opts.Policy.Now.IsZero() {
		opts.Policy.Now = opts.Now
	}
	if art.OS.Detected() && detect.EndOfLife(art.OS.Family, art.OS.Name, opts.Now) {
		art.OS.EOSL = true
		slog.Warn("This OS version is no longer supported by the distribution; security updates are not provided", "family", art.OS.Family, "version", art.OS.Name)
	}
	osMatched = true
	if !slices.Contains(opts.Scanners, ScannerVuln) {
		return nil, nil, true, nil
	}
	if opts.DB == nil {
		return nil, nil, false, fmt.Errorf("the vuln scanner needs a vulnerability DB")
	}
	if art.OS.Detected() && opts.wants(PkgTypeOS) {
		vulns, err = detect.OSPackages(opts.DB, osOnly(*art))
		if errors.Is(err, detect.ErrNotMatched) {
			osMatched, err = false, nil
		}
		if err != nil {
			return nil, nil, false, fmt.Errorf("detect vulnerabilities: %w", err)
		}
	}
	if opts.wants(PkgTypeLibrary) {
		if langVulns, err = detect.LanguagePackages(opts.DB, art.PackageDBs); err != nil {
			return nil, nil, false, fmt.Errorf("detect vulnerabilities: %w", err)
		}
	}
	return vulns, langVulns, osMatched, nil
}

// addResults adds to a report begun by buildReport the language and
// secret results, in Trivy's order (OS packages, language packages,
// secrets).
func addResults(rep *types.Report, art types.Artifact, langVulns []types.DetectedVulnerability, osMatched bool, opts Options) {
	if !osMatched && len(rep.Results) > 0 && rep.Results[0].Class == types.ClassOSPkg {
		rep.Results[0].NotMatched = true
	}
	if opts.packageResults() && opts.wants(PkgTypeLibrary) {
		rep.Results = append(rep.Results, langResults(art, langVulns, opts)...)
	}
	rep.Results = append(rep.Results, misconfResults(art)...)
	rep.Results = append(rep.Results, secretResults(art)...)
	if slices.Contains(opts.Scanners, ScannerLicense) {
		rep.Results = append(rep.Results, licenseResults(art, opts)...)
	}
}

// Finish makes a report of every finding the one the user asked for: the
// fingerprints, the policy's filters (severity, status, ignore rules,
// VEX), and the package lists dropped unless asked for.
func Finish(rep *types.Report, opts Options) *types.Report {
	if opts.Policy.Now.IsZero() {
		opts.Policy.Now = rep.CreatedAt
	}
	fillFingerprints(rep)
	policy.Filter(rep, opts.Policy)
	if !opts.ListAllPackages {
		for i := range rep.Results {
			rep.Results[i].Packages = nil
		}
	}
	dropListPaths(rep)
	return rep
}

// packageResults: the report has results of packages (OS, language):
// for the vulnerability scan, a package listing (no scanner), and, as in
// Trivy, the licence scan.
func (o Options) packageResults() bool {
	return len(o.Scanners) == 0 || slices.Contains(o.Scanners, ScannerVuln) || slices.Contains(o.Scanners, ScannerLicense)
}

// packagesNeeded: the results list their packages until the policy has
// run, for the report (ListAllPackages) or for VEX, whose statements may
// name a package that pulls the vulnerable one in (its DependsOn).
func (o Options) packagesNeeded() bool { return o.ListAllPackages || o.Policy.VEX != nil }

// dropListPaths leaves out, as Trivy's JSON does, the file of each package
// and finding of a result that one file lists whole (a Go or Rust binary,
// a Cargo.lock): the result's target names it. Trivy gives a package its
// file only where each package has one of its own (a jar, a package.json).
// The paths serve until the report is final: results are grouped and
// ignore rules matched by them.
func dropListPaths(rep *types.Report) {
	for i := range rep.Results {
		res := &rep.Results[i]
		if eco, ok := families.EcosystemByType(res.Type); res.Class != types.ClassLangPkg || !ok || !eco.PerFile {
			continue
		}
		for j := range res.Packages {
			res.Packages[j].FilePath = ""
		}
		for j := range res.Vulnerabilities {
			res.Vulnerabilities[j].PkgPath = ""
		}
		for j := range res.ModifiedFindings {
			res.ModifiedFindings[j].Finding.PkgPath = ""
		}
	}
}

// buildReport starts the report: the image's metadata, with each layer's
// uncompressed size as analysis read it (layers[i] is img.Layers[i]'s
// result) and their sum, as Trivy reports them; and the OS packages.
func buildReport(img *types.Image, layers []*types.LayerResult, art types.Artifact, vulns []types.DetectedVulnerability, opts Options) *types.Report {
	r := newReport(img, layers, art.OS, opts.Now)
	// Packages are reported by the vulnerability scan, or when no scanner
	// runs at all (a package listing); a secret-only scan reports secrets.
	if art.OS.Detected() && opts.packageResults() && opts.wants(PkgTypeOS) {
		res := osResult(img.Name, art, opts)
		res.Vulnerabilities = vulns
		r.Results = append(r.Results, res)
	}
	return r
}

// RemoteReport is the report of an analysis whose results a scan server
// detected: the image's metadata from the analysis, the OS and results
// from the server, and the analysis issues of every layer. Finish it as
// a report of Detect.
func RemoteReport(a *Analysis, os types.OS, results []types.Result, opts Options) *types.Report {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	if os.EOSL {
		slog.Warn("This OS version is no longer supported by the distribution; security updates are not provided", "family", os.Family, "version", os.Name)
	}
	rep := newReport(a.Image, a.Layers, os, opts.Now)
	rep.Results = withConfigResults(results, a.Config)
	if slices.Contains(opts.Scanners, ScannerLicense) {
		// Licences need no DB: the client classifies them from its own
		// analysis, whatever the server (ours, or Trivy's) sends.
		rep.Results = slices.DeleteFunc(rep.Results, func(r types.Result) bool {
			return r.Class == types.ClassLicense || r.Class == types.ClassLicenseFile
		})
		art := merge.LayersWith(a.Layers, opts.mergeOptions())
		art.OS = os
		attachClassifiedLicenses(&art)
		rep.Results = append(rep.Results, licenseResults(art, opts)...)
	}
	for _, l := range a.Layers {
		rep.AnalysisIssues = append(rep.AnalysisIssues, l.Issues...)
	}
	if a.Config != nil {
		rep.AnalysisIssues = append(rep.AnalysisIssues, a.Config.Issues...)
	}
	warnIssues(rep.AnalysisIssues)
	return rep
}

// withConfigResults adds to a server's results the misconfigurations of
// the image config, which the client checks (they need no DB, and Trivy's
// wire format has no place for them), where Detect puts them: among the
// config results, by target, before the secrets.
func withConfigResults(results []types.Result, config *types.LayerResult) []types.Result {
	if config == nil || len(config.Misconfigurations) == 0 {
		return results
	}
	var before, configs, secrets []types.Result
	for _, r := range results {
		switch r.Class {
		case types.ClassConfig:
			configs = append(configs, r)
		case types.ClassSecret:
			secrets = append(secrets, r)
		default:
			before = append(before, r)
		}
	}
	configs = misconfResults(types.Artifact{Misconfigurations: append(configs, config.Misconfigurations...)})
	return slices.Concat(before, configs, secrets)
}

// newReport is a report's metadata: the image's, with each layer's size
// as analysis read it.
func newReport(img *types.Image, layers []*types.LayerResult, os types.OS, now time.Time) *types.Report {
	r := &types.Report{
		SchemaVersion: types.SchemaVersion,
		CreatedAt:     now,
		ArtifactName:  img.Name,
		ArtifactType:  types.ArtifactTypeContainerImage,
		Metadata: types.Metadata{
			Size:        img.Size,
			ImageID:     img.ID,
			RepoTags:    img.RepoTags,
			RepoDigests: img.RepoDigests,
		},
	}
	if ref := imageReference(img.Name, img.RepoTags, img.RepoDigests); ref != nil {
		r.Metadata.Reference = ref.String()
		r.ArtifactID = artifactID(img.ID, ref)
	} else {
		r.ArtifactID = artifactID(img.ID, nil)
	}
	if img.Config != nil {
		r.Metadata.ImageConfig = *img.Config
	}
	var total int64
	for i, l := range img.Layers {
		var size int64
		if i < len(layers) && layers[i] != nil {
			size = layers[i].Size
		}
		total += size
		r.Metadata.DiffIDs = append(r.Metadata.DiffIDs, l.DiffID)
		r.Metadata.Layers = append(r.Metadata.Layers, types.ReportLayer{Size: size, Digest: l.Digest, DiffID: l.DiffID})
	}
	if total > 0 {
		r.Metadata.Size = total
	}
	if os.Detected() {
		r.Metadata.OS = &os
	}
	return r
}

// secretResults gives one result per file with secrets.
func secretResults(art types.Artifact) []types.Result {
	var out []types.Result
	for _, sf := range art.Secrets {
		target := "/" + sf.FilePath
		if sf.FilePath == ConfigPath {
			target = ConfigPath
		}
		out = append(out, types.Result{Target: target, Class: types.ClassSecret, Secrets: sf.Findings})
	}
	return out
}

// Package types for PkgTypes.
const (
	PkgTypeOS      = "os"
	PkgTypeLibrary = "library"
)

func (o Options) wants(pkgType string) bool {
	return len(o.PkgTypes) == 0 || slices.Contains(o.PkgTypes, pkgType)
}

// osOnly is the artifact with its OS package databases only.
func osOnly(art types.Artifact) types.Artifact {
	art.PackageDBs = slices.DeleteFunc(slices.Clone(art.PackageDBs), func(db types.PackageDB) bool { return !families.IsOSPackageType(db.Type) })
	return art
}

// configSecrets offers the image config, as text, to the analyzers: a
// line per ENV entry, label (sorted, so that reports do not change from
// run to run) and history step. The text is capped at the size of the
// largest file the secret scan searches; lines past the cap are left out
// and reported as an analysis issue rather than skipping the whole config.
func configSecrets(img *types.Image, cfg analyze.Config) (*types.LayerResult, *v1.ConfigFile) {
	const maxText = 10 << 20
	res := &types.LayerResult{}
	if img.Config == nil {
		return res, nil
	}
	// Each string of the config, where it sits in the text, and how to put
	// a masked copy of it back.
	type field struct {
		start, end int
		set        func(c *v1.ConfigFile, v string)
	}
	var fields []field
	var b strings.Builder
	left := 0
	line := func(prefix, value string, set func(c *v1.ConfigFile, v string)) {
		if b.Len()+len(prefix)+len(value)+1 > maxText {
			left++
			return
		}
		b.WriteString(prefix)
		fields = append(fields, field{b.Len(), b.Len() + len(value), set})
		b.WriteString(value)
		b.WriteByte('\n')
	}
	for i, e := range img.Config.Config.Env {
		line("ENV ", e, func(c *v1.ConfigFile, v string) { c.Config.Env[i] = v })
	}
	labels := make([]string, 0, len(img.Config.Config.Labels))
	for k := range img.Config.Config.Labels {
		labels = append(labels, k)
	}
	slices.Sort(labels)
	for _, k := range labels {
		line("LABEL "+k+"=", img.Config.Config.Labels[k], func(c *v1.ConfigFile, v string) { c.Config.Labels[k] = v })
	}
	for i, h := range img.Config.History {
		line("", h.CreatedBy, func(c *v1.ConfigFile, v string) { c.History[i].CreatedBy = v })
	}
	content := []byte(b.String())
	var masked *v1.ConfigFile
	for _, a := range cfg.Analyzers {
		if !a.Wants(ConfigPath, int64(len(content))) {
			continue
		}
		if left > 0 {
			res.Issues = append(res.Issues, types.AnalysisIssue{Analyzer: a.Name(), FilePath: ConfigPath,
				Reason: fmt.Sprintf("the image config is over %d MiB as text; %d of its entries are not searched", maxText>>20, left)})
		}
		found := len(res.Secrets)
		if err := a.Analyze(ConfigPath, content, res); err != nil {
			res.Issues = append(res.Issues, types.AnalysisIssue{Analyzer: a.Name(), FilePath: ConfigPath, Reason: err.Error()})
		}
		m, ok := a.(masker)
		if !ok || len(res.Secrets) == found {
			continue
		}
		// The report carries the config too (Metadata.ImageConfig): a
		// secret found in it is masked there as in the finding.
		content = m.Mask(ConfigPath, content)
		if masked == nil {
			masked = copyConfig(img.Config)
		}
		for _, f := range fields {
			f.set(masked, string(content[f.start:f.end]))
		}
	}
	return res, masked
}

// masker is an analyzer that can blank what it finds in a text.
type masker interface {
	Mask(filePath string, content []byte) []byte
}

// copyConfig copies what configSecrets may change of c.
func copyConfig(c *v1.ConfigFile) *v1.ConfigFile {
	out := *c
	out.Config.Env = slices.Clone(c.Config.Env)
	out.Config.Labels = maps.Clone(c.Config.Labels)
	out.History = slices.Clone(c.History)
	return &out
}

// osResult gathers the packages of every OS package database into one
// result, as one OS has one set of packages whatever files list them.
func osResult(name string, art types.Artifact, opts Options) types.Result {
	res := types.Result{
		Target: fmt.Sprintf("%s (%s %s)", name, art.OS.Family, art.OS.Name),
		Class:  types.ClassOSPkg,
		Type:   art.OS.Family,
	}
	if !opts.packagesNeeded() {
		return res
	}
	res.Packages = reportPackages(art.PackageDBs, families.IsOSPackageType)
	return res
}

// reportPackages lists the packages of the databases whose type keep
// accepts, sorted; OS packages list the files they own as Trivy's JSON
// does.
func reportPackages(dbs []types.PackageDB, keep func(string) bool) []types.Package {
	var out []types.Package
	for _, db := range dbs {
		if !keep(db.Type) {
			continue
		}
		m, isOS := families.PackageManagerByType(db.Type)
		for _, p := range db.Packages {
			files := p.InstalledFiles
			p.InstalledFiles = nil // language packages list none in Trivy's JSON
			if isOS {
				p.InstalledFiles = m.ReportedFiles(files)
			}
			p.AnalyzedBy = analyzedBy(db.Type)
			out = append(out, p)
		}
	}
	// As Trivy orders them: by relationship (root, workspace, direct,
	// indirect, unknown last), then name, version, ID and file.
	slices.SortFunc(out, func(a, b types.Package) int {
		return cmp.Or(cmp.Compare(relationshipRank(a.Relationship), relationshipRank(b.Relationship)), cmp.Compare(a.Name, b.Name),
			cmp.Compare(a.Version, b.Version), cmp.Compare(a.ID, b.ID), cmp.Compare(a.FilePath, b.FilePath))
	})
	return out
}

// trivyAnalyzers names Trivy's analyzer for the package database types
// whose name differs from it; the others (apk, dpkg, rpm, gobinary, jar,
// node-pkg, ...) are the same.
var trivyAnalyzers = map[string]string{
	"bottlerocket": "bottlerocket-inventory",
	// PHP packages are read from vendor/composer/installed.json.
	"composer": "composer-vendor",
}

// analyzedBy is Package.AnalyzedBy: the Trivy analyzer that reads
// package databases of this type.
func analyzedBy(dbType string) string {
	if a, ok := trivyAnalyzers[dbType]; ok {
		return a
	}
	return dbType
}

func relationshipRank(r types.Relationship) int {
	if r == types.RelationshipUnknown {
		return int(types.RelationshipIndirect) + 1
	}
	return int(r)
}

// langResults gives the results of language packages, with their
// vulnerabilities.
func langResults(art types.Artifact, vulns []types.DetectedVulnerability, opts Options) []types.Result {
	var out []types.Result
	for _, g := range langGroups(art) {
		res := types.Result{Target: g.target, Class: types.ClassLangPkg, Type: g.typ}
		if opts.packagesNeeded() {
			res.Packages = g.packages
		}
		for _, v := range vulns {
			if g.files[v.PkgPath] {
				res.Vulnerabilities = append(res.Vulnerabilities, v)
			}
		}
		out = append(out, res)
	}
	return out
}

// warnIssues logs the files analysis could not read in full, a few by
// name: the report lists them all.
func warnIssues(issues []types.AnalysisIssue) {
	const named = 10
	for i, is := range issues {
		if i == named {
			slog.Warn(fmt.Sprintf("%d more files were not fully analysed; the JSON report lists them (AnalysisIssues)", len(issues)-named))
			break
		}
		if is.FilePath == "" {
			slog.Warn("layer not fully analysed", "layer", is.Layer, "analyzer", is.Analyzer, "reason", is.Reason)
			continue
		}
		slog.Warn("file not fully analysed", "file", is.FilePath, "analyzer", is.Analyzer, "reason", is.Reason)
	}
}

// imageSize is the sum of the layer sizes, or the size the source
// reports when its layers have none yet (an engine's export is made only
// when a layer is read).
func imageSize(img *types.Image) int64 {
	var total int64
	for _, l := range img.Layers {
		total += l.Size
	}
	if total == 0 {
		return img.Size
	}
	return total
}
