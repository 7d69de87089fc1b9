package scan

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/docker-scan/docker-scan/engine/detect"
	"github.com/docker-scan/docker-scan/engine/families"
	"github.com/docker-scan/docker-scan/engine/policy"
	"github.com/docker-scan/docker-scan/engine/sbom"
	"github.com/docker-scan/docker-scan/engine/types"
)

// SBOM scans the packages an SBOM lists, as Image scans those it finds in
// layers: the same matching, results, fingerprints and policy. img names
// what was scanned: for an SBOM file, only its Name (the report's
// ArtifactType is then the SBOM's format, as Trivy's is); for an image
// whose SBOM attestation stands in for its layers, the image (its
// metadata goes in the report; its layers are not read). The image facts
// the SBOM records (ID, diffIDs, tags) fill what img leaves empty.
func SBOM(ctx context.Context, img *types.Image, doc *sbom.Document, opts Options) (*types.Report, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if doc.Skipped > 0 {
		slog.Info("SBOM components without a package URL of a known type were skipped", "components", doc.Skipped)
	}
	fromFile := img.ID == "" && len(img.Layers) == 0
	shown := *img
	if shown.ID == "" {
		shown.ID = doc.Metadata.ImageID
	}
	if len(shown.RepoTags) == 0 {
		shown.RepoTags = doc.Metadata.RepoTags
	}
	if len(shown.RepoDigests) == 0 {
		shown.RepoDigests = doc.Metadata.RepoDigests
	}
	art := types.Artifact{OS: doc.OS, PackageDBs: doc.PackageDBs}
	useDistro(&art, opts.Distro)
	if !art.OS.Detected() && slices.ContainsFunc(art.PackageDBs, func(db types.PackageDB) bool {
		return db.FilePath == "" && len(db.Packages) > 0 && families.IsOSPackageType(db.Type)
	}) {
		slog.Warn("the SBOM names no OS (no operating-system component, no distro qualifier): its OS packages are not reported")
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
	var (
		vulns, langVulns []types.DetectedVulnerability
		err              error
	)
	osMatched := true
	if slices.Contains(opts.Scanners, ScannerVuln) {
		if opts.DB == nil {
			return nil, fmt.Errorf("the vuln scanner needs a vulnerability DB")
		}
		if art.OS.Detected() && opts.wants(PkgTypeOS) {
			vulns, err = detect.OSPackages(opts.DB, osOnly(art))
			if errors.Is(err, detect.ErrNotMatched) {
				osMatched, err = false, nil
			}
			if err != nil {
				return nil, fmt.Errorf("detect vulnerabilities: %w", err)
			}
		}
		if opts.wants(PkgTypeLibrary) {
			if langVulns, err = detect.LanguagePackages(opts.DB, art.PackageDBs); err != nil {
				return nil, fmt.Errorf("detect vulnerabilities: %w", err)
			}
		}
	}
	rep := buildReport(&shown, nil, art, vulns, opts)
	if !osMatched && len(rep.Results) > 0 && rep.Results[0].Class == types.ClassOSPkg {
		rep.Results[0].NotMatched = true
	}
	if fromFile {
		rep.ArtifactType = doc.Format
		rep.Metadata.DiffIDs = doc.Metadata.DiffIDs
		if rep.Metadata.Reference == "" {
			rep.Metadata.Reference = doc.Metadata.Reference
		}
		rep.Metadata.Size = doc.Metadata.Size
	}
	if (slices.Contains(opts.Scanners, ScannerVuln) || len(opts.Scanners) == 0) && opts.wants(PkgTypeLibrary) {
		rep.Results = append(rep.Results, langResults(art, langVulns, opts)...)
	}
	fillFingerprints(rep)
	if opts.Policy.Now.IsZero() {
		opts.Policy.Now = now
	}
	policy.Filter(rep, opts.Policy)
	dropListPaths(rep)
	return rep, nil
}
