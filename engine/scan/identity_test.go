package scan

import (
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
)

// The values Trivy v0.74.0 wrote for an image archive tagged alpine:shape
// (TestTrivyDifferential's alpine-shape image, scanned by
// `trivy image --input <path>`): ours must be the same.
func TestArtifactIDAndFingerprintAsTrivy(t *testing.T) {
	const (
		path    = "/tmp/TestTrivyDifferentialalpine-shape1854083385/001/image.tar"
		imageID = "sha256:aed5a2251312668e2d04b70fcc7f03b260967d325f56bef3c95270290a25e387"
	)
	ref := imageReference(path, []string{"alpine:shape"}, nil)
	if ref == nil || ref.String() != "alpine:shape" {
		t.Fatalf("reference %v, want alpine:shape", ref)
	}
	rep := &types.Report{ArtifactID: artifactID(imageID, ref), Results: []types.Result{{
		Target:          path + " (alpine 3.14.10)",
		Vulnerabilities: []types.DetectedVulnerability{{VulnerabilityID: "CVE-2018-25032", PkgID: "zlib@1.2.11-r3"}},
	}}}
	if want := "sha256:9a3a2e93c0223f3d900a2e98a81de1391db97e02a64ed2593560154eda9ba351"; rep.ArtifactID != want {
		t.Errorf("ArtifactID %s, want %s", rep.ArtifactID, want)
	}
	fillFingerprints(rep)
	if got, want := rep.Results[0].Vulnerabilities[0].Fingerprint, "sha256:d73df9e5b5a18e4734b74dd195628f1746912cab036928222e1eef6aee27cd80"; got != want {
		t.Errorf("Fingerprint %s, want %s", got, want)
	}
	// No tag or digest: the image ID itself.
	if got := artifactID(imageID, imageReference(path, nil, nil)); got != imageID {
		t.Errorf("untagged ArtifactID %s, want the image ID", got)
	}
}

// Scanned by name, the tag or digest of that repository is the reference;
// else the first tag.
func TestImageReferenceMatchesScannedName(t *testing.T) {
	tags := []string{"docker.io/library/alpine:3.20", "registry.example/app:1"}
	for scanned, want := range map[string]string{
		"registry.example/app:1": "registry.example/app:1",
		"alpine:3.20":            "docker.io/library/alpine:3.20",
		"other:1":                "docker.io/library/alpine:3.20",
		"out/image.tar.gz":       "docker.io/library/alpine:3.20",
	} {
		if got := imageReference(scanned, tags, nil); got == nil || got.String() != want {
			t.Errorf("%s: reference %v, want %s", scanned, got, want)
		}
	}
	if got := imageReference("alpine", nil, []string{"alpine@sha256:0000000000000000000000000000000000000000000000000000000000000000"}); got == nil {
		t.Error("a digest alone gives no reference")
	}
}
