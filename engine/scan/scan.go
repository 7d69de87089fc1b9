// Package scan is the scanner pipeline as one function: analyze the layers
// of an image, merge them, and build the report.
package scan

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/docker-scan/docker-scan/engine/analyze"
	"github.com/docker-scan/docker-scan/engine/cache"
	"github.com/docker-scan/docker-scan/engine/db"
	"github.com/docker-scan/docker-scan/engine/detect"
	"github.com/docker-scan/docker-scan/engine/merge"
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
	// Analysis is the positive set of analyzers to run on every layer, and
	// the files they must not see.
	Analysis analyze.Config
	// Scanners is the positive set of scanners; empty lists packages only.
	Scanners []string
	// Cache keeps layer results between scans; nil analyses every layer.
	Cache cache.Cache
	// DB is the vulnerability DB; needed by the vuln scanner.
	DB *db.DB
	// Policy filters the findings.
	Policy policy.Options
	// ListAllPackages puts every package in the report, not only the
	// vulnerable ones.
	ListAllPackages bool
	// Now stamps the report; zero means time.Now.
	Now time.Time
}

// DefaultOptions scan for the OS and its packages and list them all,
// without matching them against a DB.
func DefaultOptions() Options {
	return Options{Analysis: analyze.Config{Analyzers: analyze.OSAnalyzers()}, ListAllPackages: true}
}

// Image scans one image.
func Image(ctx context.Context, img *types.Image, opts Options) (*types.Report, error) {
	var total int64
	for _, l := range img.Layers {
		total += l.Size
	}
	slog.Info("analyzing image", "image", img.Name, "layers", len(img.Layers), "size", humanBytes(total))
	start := time.Now()
	layers, err := analyzeLayers(ctx, img, opts)
	if err != nil {
		return nil, err
	}
	slog.Debug("layers analyzed", "duration", time.Since(start).Round(time.Millisecond))
	for _, a := range opts.Analysis.Analyzers {
		if s, ok := a.(interface{ Skipped() string }); ok && s.Skipped() != "" {
			slog.Info(s.Skipped())
		}
	}
	art := merge.Layers(layers)
	if slices.Contains(opts.Scanners, ScannerSecret) {
		art.Secrets = append(art.Secrets, configSecrets(img, opts.Analysis)...)
	}
	if !art.OS.Detected() {
		slog.Warn("no OS detected in the image; OS packages are not reported")
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	opts.Now = now
	if art.OS.Detected() && detect.EndOfLife(art.OS.Family, art.OS.Name, now) {
		art.OS.EOSL = true
		slog.Warn("This OS version is no longer supported by the distribution; security updates are not provided", "family", art.OS.Family, "version", art.OS.Name)
	}
	var vulns []types.DetectedVulnerability
	if slices.Contains(opts.Scanners, ScannerVuln) && art.OS.Detected() {
		if opts.DB == nil {
			return nil, fmt.Errorf("the vuln scanner needs a vulnerability DB")
		}
		if vulns, err = detect.OSPackages(opts.DB, art); err != nil {
			return nil, fmt.Errorf("detect vulnerabilities: %w", err)
		}
	}
	rep := buildReport(img, art, vulns, opts)
	if opts.Policy.Now.IsZero() {
		opts.Policy.Now = now
	}
	policy.Filter(rep, opts.Policy)
	return rep, nil
}

func buildReport(img *types.Image, art types.Artifact, vulns []types.DetectedVulnerability, opts Options) *types.Report {
	r := &types.Report{
		SchemaVersion: types.SchemaVersion,
		CreatedAt:     opts.Now,
		ArtifactName:  img.Name,
		ArtifactType:  types.ArtifactTypeContainerImage,
		Metadata: types.Metadata{
			ImageID:     img.ID,
			RepoTags:    img.RepoTags,
			RepoDigests: img.RepoDigests,
		},
	}
	if img.Config != nil {
		r.Metadata.ImageConfig = *img.Config
	}
	for _, l := range img.Layers {
		r.Metadata.DiffIDs = append(r.Metadata.DiffIDs, l.DiffID)
		r.Metadata.Layers = append(r.Metadata.Layers, types.ReportLayer{Size: l.Size, Digest: l.Digest, DiffID: l.DiffID})
	}
	if art.OS.Detected() {
		os := art.OS
		r.Metadata.OS = &os
	}
	// Packages are reported by the vulnerability scan, or when no scanner
	// runs at all (a package listing); a secret-only scan reports secrets.
	if art.OS.Detected() && (slices.Contains(opts.Scanners, ScannerVuln) || len(opts.Scanners) == 0) {
		res := osResult(img.Name, art, opts)
		res.Vulnerabilities = vulns
		r.Results = append(r.Results, res)
	}
	for _, sf := range art.Secrets {
		target := "/" + sf.FilePath
		if sf.FilePath == ConfigPath {
			target = ConfigPath
		}
		r.Results = append(r.Results, types.Result{Target: target, Class: types.ClassSecret, Secrets: sf.Findings})
	}
	return r
}

// configSecrets offers the image config, as text, to the analyzers.
func configSecrets(img *types.Image, cfg analyze.Config) []types.SecretFile {
	if img.Config == nil {
		return nil
	}
	var b strings.Builder
	for _, e := range img.Config.Config.Env {
		fmt.Fprintf(&b, "ENV %s\n", e)
	}
	for k, v := range img.Config.Config.Labels {
		fmt.Fprintf(&b, "LABEL %s=%s\n", k, v)
	}
	for _, h := range img.Config.History {
		fmt.Fprintf(&b, "%s\n", h.CreatedBy)
	}
	res := &types.LayerResult{}
	content := []byte(b.String())
	for _, a := range cfg.Analyzers {
		if a.Wants(ConfigPath, int64(len(content))) {
			if err := a.Analyze(ConfigPath, content, res); err != nil {
				slog.Warn("could not analyse the image config", "analyzer", a.Name(), "error", err)
			}
		}
	}
	return res.Secrets
}

// osResult gathers the packages of every OS package database into one
// result, as one OS has one set of packages whatever files list them.
func osResult(name string, art types.Artifact, opts Options) types.Result {
	res := types.Result{
		Target: fmt.Sprintf("%s (%s %s)", name, art.OS.Family, art.OS.Name),
		Class:  types.ClassOSPkg,
		Type:   art.OS.Family,
	}
	if !opts.ListAllPackages {
		return res
	}
	for _, db := range art.PackageDBs {
		for _, p := range db.Packages {
			p.InstalledFiles = nil // kept for analysis, too bulky for reports
			res.Packages = append(res.Packages, p)
		}
	}
	slices.SortFunc(res.Packages, func(a, b types.Package) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Version, b.Version), cmp.Compare(a.Arch, b.Arch))
	})
	return res
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
