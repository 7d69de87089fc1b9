package scan

import (
	"cmp"
	"slices"

	"github.com/docker-scan/docker-scan/engine/misconf"
	"github.com/docker-scan/docker-scan/engine/types"
)

// ScannerMisconfig checks config files for risky settings: the
// Dockerfiles in the image's layers, and the image config (its history
// rebuilt as a Dockerfile).
const ScannerMisconfig = "misconfig"

// Image-config scanners (Trivy's --image-config-scanners): what the image
// config alone is scanned for, whatever Scanners says of the layers.
const (
	ImageConfigMisconfig = "misconfig"
	ImageConfigSecret    = "secret"
)

// scansConfigFor says whether the image config is scanned for misconfigurations
// (what) or secrets: by the scanner of the whole image, or by
// ImageConfigScanners.
func (o Options) scansConfigFor(what string) bool {
	scanner := ScannerSecret
	if what == ImageConfigMisconfig {
		scanner = ScannerMisconfig
	}
	return slices.Contains(o.Scanners, scanner) || slices.Contains(o.ImageConfigScanners, what)
}

// checkImageConfig checks the image config's rebuilt Dockerfile with the
// scan's checks, into res (the analysis of the image config).
func checkImageConfig(img *types.Image, opts Options, res *types.LayerResult) {
	if img.Config == nil {
		return
	}
	checks := opts.MisconfChecks
	if checks == nil {
		checks = misconf.DockerfileChecks
	}
	res.Misconfigurations = append(res.Misconfigurations, misconf.CheckImageConfig(img.Name, img.Config, checks))
}

// misconfResults are the config results of the artifact, sorted by
// target as Trivy sorts them.
func misconfResults(art types.Artifact) []types.Result {
	out := slices.Clone(art.Misconfigurations)
	slices.SortStableFunc(out, func(a, b types.Result) int { return cmp.Compare(a.Target, b.Target) })
	return out
}
