package plugin

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/docker-scan/docker-scan/engine/policy"
	"github.com/docker-scan/docker-scan/engine/types"
	"github.com/docker-scan/docker-scan/engine/vex"
	"github.com/docker-scan/docker-scan/runtime"
)

// vexOCI is the --vex value that looks for the image's VEX attestations
// in its registry, rather than a file.
const vexOCI = "oci"

// loadVEX reads the --vex files into the scan's policy, before any
// scan starts, so that a bad document fails at once.
func (o *imageOptions) loadVEX(settings *imageSettings) error {
	settings.scan.Policy.ShowSuppressed = o.showSuppressed
	files := slices.DeleteFunc(slices.Clone(o.vex), func(s string) bool { return s == vexOCI })
	if len(files) == 0 {
		return nil
	}
	for _, f := range files {
		// Trivy's other sources; a file of that name is still read.
		if _, err := os.Stat(f); err != nil && (f == "repo" || f == "repository" || f == "sbom-ref") {
			return fmt.Errorf("--vex %s: VEX repositories and SBOM references are not supported: give VEX files, or oci for the image's VEX attestations", f)
		}
	}
	set, err := vex.LoadFiles(files)
	if err != nil {
		return err
	}
	settings.scan.Policy.VEX = set
	return nil
}

// applyOCIVEX, with --vex oci, reads the OpenVEX documents attached to
// the scanned image in its registry (OCI referrers) and takes out of rep
// the findings they suppress. An image with no registry digest has no
// referrers: an error when required (docker scan image), a warning in a
// compose scan, where images the project builds have none.
func (o *imageOptions) applyOCIVEX(ctx context.Context, rep *types.Report, required bool) error {
	if !slices.Contains(o.vex, vexOCI) {
		return nil
	}
	if len(rep.Metadata.RepoDigests) == 0 {
		msg := fmt.Sprintf("--vex oci: %s has no registry digest, so no VEX attestations are looked up (scan the image by its registry reference)", rep.ArtifactName)
		if required {
			return fmt.Errorf("%s", msg)
		}
		slog.Warn(msg)
		return nil
	}
	nameOpts, remoteOpts := runtime.RegistryOptions(ctx, o.db.insecure)
	digest, err := name.NewDigest(rep.Metadata.RepoDigests[0], nameOpts...)
	if err != nil {
		return fmt.Errorf("--vex oci: %w", err)
	}
	docs, err := vex.FromRegistry(ctx, digest, remoteOpts...)
	if err != nil {
		return fmt.Errorf("--vex oci: %w", err)
	}
	if len(docs) == 0 {
		slog.Info("--vex oci: no VEX attestations found", "image", digest.String())
		return nil
	}
	policy.ApplyVEX(rep, &vex.Set{Docs: docs}, o.showSuppressed)
	return nil
}
