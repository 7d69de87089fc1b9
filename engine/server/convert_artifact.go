package server

import (
	"github.com/docker-scan/docker-scan/engine/server/rpc/cache"
	"github.com/docker-scan/docker-scan/engine/server/rpc/common"
	"github.com/docker-scan/docker-scan/engine/types"
)

// ArtifactFromImage is the ArtifactInfo a Trivy client sends for an
// image: what its config says of the platform and build, and the secrets
// found in the config (config is the analysis of the image config, nil
// when the secret scanner did not run). ArtifactInfo holds one secret
// file; every finding of config goes there, under its first file's path.
// The config's analysis issues have no field and do not travel.
func ArtifactFromImage(img *types.Image, config *types.LayerResult) *cache.ArtifactInfo {
	a := &cache.ArtifactInfo{SchemaVersion: TrivyArtifactSchemaVersion}
	if img != nil && img.Config != nil {
		c := img.Config
		a.Architecture, a.Os = c.Architecture, c.OS
		//lint:ignore SA1019 the wire has the field and Trivy fills it from the config, as here.
		a.DockerVersion = c.DockerVersion
		if !c.Created.IsZero() {
			a.Created = timeToWire(&c.Created.Time)
		}
	}
	if config == nil {
		return a
	}
	for _, sf := range config.Secrets {
		w := secretFileToWire(sf)
		if a.Secret == nil {
			a.Secret = w
			continue
		}
		a.Secret.Findings = append(a.Secret.Findings, w.Findings...)
	}
	validUTF8(a.ProtoReflect())
	return a
}

// ImageConfigFromArtifact is the analysis of the image config an
// ArtifactInfo carries: its secrets. A secret entry past the message
// bounds is left out and named as an analysis issue.
func ImageConfigFromArtifact(a *cache.ArtifactInfo) *types.LayerResult {
	res := &types.LayerResult{}
	s := a.GetSecret()
	if s == nil || (s.Filepath == "" && len(s.Findings) == 0) {
		return res
	}
	sf, err := secretFileFromWire(s, &wireBudget{})
	if err != nil {
		res.Issues = append(res.Issues, types.AnalysisIssue{Analyzer: "server", FilePath: truncatePath(s.Filepath),
			Reason: "the client's secrets of the image config were left out: " + err.Error()})
		return res
	}
	res.Secrets = []types.SecretFile{sf}
	return res
}

func truncatePath(p string) string {
	if len(p) > maxWirePath {
		return p[:maxWirePath]
	}
	return p
}

// commonOSToWire and commonOSFromWire map a scan's OS.
func commonOSToWire(os *types.OS) *common.OS {
	if os == nil {
		return nil
	}
	return &common.OS{Family: os.Family, Name: os.Name, Eosl: os.EOSL}
}

func commonOSFromWire(os *common.OS) *types.OS {
	if os == nil {
		return nil
	}
	return &types.OS{Family: os.Family, Name: os.Name, EOSL: os.Eosl}
}
