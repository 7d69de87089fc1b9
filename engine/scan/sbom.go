package scan

import (
	"context"
	"log/slog"
	"slices"

	"github.com/docker-scan/docker-scan/engine/families"
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
	vulns, langVulns, osMatched, err := matchArtifact(&art, &opts)
	if err != nil {
		return nil, err
	}
	rep := buildReport(&shown, nil, art, vulns, opts)
	if fromFile {
		rep.ArtifactType = doc.Format
		rep.Metadata.DiffIDs = doc.Metadata.DiffIDs
		if rep.Metadata.Reference == "" {
			rep.Metadata.Reference = doc.Metadata.Reference
		}
		rep.Metadata.Size = doc.Metadata.Size
	}
	addResults(rep, art, langVulns, osMatched, opts)
	return Finish(rep, opts), nil
}
