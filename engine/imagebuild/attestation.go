package imagebuild

import (
	"encoding/json"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// SPDXPredicateType is the in-toto predicate type of BuildKit's SBOMs.
const SPDXPredicateType = "https://spdx.dev/Document"

// SBOMAttestationIndex is an image index as `docker buildx build --sbom`
// writes it: the image for its platform, and beside it an attestation
// manifest (platform unknown/unknown) that refers to the image by digest
// and whose one layer is an in-toto statement about the image with the
// SBOM (an SPDX JSON document) as its predicate.
func SBOMAttestationIndex(img v1.Image, platform v1.Platform, subject string, sbom []byte) (v1.ImageIndex, error) {
	imgDigest, err := img.Digest()
	if err != nil {
		return nil, err
	}
	statement, err := json.Marshal(map[string]any{
		"_type":         "https://in-toto.io/Statement/v0.1",
		"predicateType": SPDXPredicateType,
		"subject": []map[string]any{{
			"name":   "pkg:docker/" + subject + "?platform=" + platform.OS + "%2F" + platform.Architecture,
			"digest": map[string]string{"sha256": imgDigest.Hex},
		}},
		"predicate": json.RawMessage(sbom),
	})
	if err != nil {
		return nil, err
	}
	att, err := mutate.Append(mutate.MediaType(empty.Image, types.OCIManifestSchema1), mutate.Addendum{
		Layer:       static.NewLayer(statement, "application/vnd.in-toto+json"),
		Annotations: map[string]string{"in-toto.io/predicate-type": SPDXPredicateType},
	})
	if err != nil {
		return nil, err
	}
	att = mutate.ConfigMediaType(att, types.OCIConfigJSON)
	if att, err = WithConfig(att, func(cf *v1.ConfigFile) { cf.OS, cf.Architecture = "unknown", "unknown" }); err != nil {
		return nil, err
	}
	img = mutate.MediaType(img, types.OCIManifestSchema1)
	if imgDigest, err = img.Digest(); err != nil {
		return nil, err
	}
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex),
		mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{MediaType: types.OCIManifestSchema1, Platform: &platform}},
		mutate.IndexAddendum{Add: att, Descriptor: v1.Descriptor{
			MediaType: types.OCIManifestSchema1,
			Platform:  &v1.Platform{OS: "unknown", Architecture: "unknown"},
			Annotations: map[string]string{
				"vnd.docker.reference.digest": imgDigest.String(),
				"vnd.docker.reference.type":   "attestation-manifest",
			},
		}})
	return idx, nil
}

// WriteOCILayoutIndex writes an index into an OCI layout directory,
// annotated with tag, as BuildKit's OCI exporter does.
func WriteOCILayoutIndex(dir, tag string, idx v1.ImageIndex) error {
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	return p.AppendIndex(idx, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": tag,
	}))
}

// PushIndex uploads an index to a registry reference (plain HTTP
// allowed, for the in-process test registry).
func PushIndex(ref string, idx v1.ImageIndex) error {
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		return err
	}
	return remote.WriteIndex(r, idx)
}
