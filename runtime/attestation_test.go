package runtime

import (
	"bytes"
	"context"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/sbom"
)

// buildKitIndex is an image and its BuildKit SBOM attestation; the SBOM
// is a Syft-shaped SPDX document, as BuildKit's scanner writes it.
func buildKitIndex(t *testing.T) (v1.Image, v1.ImageIndex) {
	t.Helper()
	spdx, err := os.ReadFile("../engine/sbom/testdata/syft-alpine.spdx.json")
	if err != nil {
		t.Fatal(err)
	}
	layer, err := imagebuild.Layer(imagebuild.File{Path: "etc/alpine-release", Body: "3.14.10\n"})
	if err != nil {
		t.Fatal(err)
	}
	img, err := imagebuild.Image("amd64", layer)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := imagebuild.SBOMAttestationIndex(img, v1.Platform{OS: "linux", Architecture: "amd64"}, "app@1.0", spdx)
	if err != nil {
		t.Fatal(err)
	}
	return img, idx
}

func checkAttestation(t *testing.T, att *Attestation) {
	t.Helper()
	if att == nil {
		t.Fatal("no attestation found")
	}
	if att.PredicateType != sbom.PredicateSPDX || !strings.HasPrefix(att.Digest, "sha256:") {
		t.Errorf("attestation = %s %s", att.Digest, att.PredicateType)
	}
	doc, err := sbom.Decode(bytes.NewReader(att.Statement))
	if err != nil {
		t.Fatal(err)
	}
	if doc.OS.Family != "alpine" || len(doc.PackageDBs) != 1 || len(doc.PackageDBs[0].Packages) != 3 {
		t.Errorf("SBOM = %+v", doc)
	}
}

func TestSBOMAttestationLayout(t *testing.T) {
	_, idx := buildKitIndex(t)
	dir := t.TempDir()
	if err := imagebuild.WriteOCILayoutIndex(dir, "1.0", idx); err != nil {
		t.Fatal(err)
	}
	amd64 := v1.Platform{OS: "linux", Architecture: "amd64"}
	ctx := context.Background()
	att, err := FindSBOMAttestation(ctx, "", Options{Input: dir, Platform: amd64})
	if err != nil {
		t.Fatal(err)
	}
	checkAttestation(t, att)
	// The same, packed in an OCI archive and selected by tag.
	archive := filepath.Join(t.TempDir(), "app.tar")
	if err := imagebuild.DirTar(dir, archive); err != nil {
		t.Fatal(err)
	}
	att, err = FindSBOMAttestation(ctx, "", Options{Input: archive + ":1.0", Platform: amd64, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	checkAttestation(t, att)
	// The image opens from the same layout as ever: the attestation
	// manifest is not mistaken for an image.
	img, err := Open(ctx, "", Options{Input: dir, Platform: amd64})
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	if len(img.Layers) != 1 {
		t.Errorf("image has %d layers", len(img.Layers))
	}
	// No attestation for another platform: it is not in the index.
	if _, err := FindSBOMAttestation(ctx, "", Options{Input: dir, Platform: v1.Platform{OS: "linux", Architecture: "arm64"}}); err == nil {
		t.Error("arm64: want an error, the index has no arm64 image")
	}
}

func TestSBOMAttestationNone(t *testing.T) {
	img, _ := buildKitIndex(t)
	dir := t.TempDir()
	if err := imagebuild.WriteOCILayout(dir, "1.0", img); err != nil {
		t.Fatal(err)
	}
	att, err := FindSBOMAttestation(context.Background(), "", Options{Input: dir, Platform: v1.Platform{OS: "linux", Architecture: "amd64"}})
	if err != nil || att != nil {
		t.Fatalf("plain layout: %+v, %v", att, err)
	}
}

func TestSBOMAttestationRegistry(t *testing.T) {
	reg := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer reg.Close()
	host := strings.TrimPrefix(reg.URL, "http://")
	img, idx := buildKitIndex(t)
	if err := imagebuild.PushIndex(host+"/app:1.0", idx); err != nil {
		t.Fatal(err)
	}
	opts := Options{Insecure: true, Platform: v1.Platform{OS: "linux", Architecture: "amd64"}}
	att, err := FindSBOMAttestation(context.Background(), host+"/app:1.0", opts)
	if err != nil {
		t.Fatal(err)
	}
	checkAttestation(t, att)
	// A single-manifest image has none; the lookup says so without error.
	if err := imagebuild.Push(host+"/plain:1.0", img); err != nil {
		t.Fatal(err)
	}
	if att, err := FindSBOMAttestation(context.Background(), host+"/plain:1.0", opts); att != nil || err != nil {
		t.Errorf("plain image: %+v, %v", att, err)
	}
	// Only local engines asked: the registry is not.
	if att, err := FindSBOMAttestation(context.Background(), host+"/app:1.0", Options{Sources: []string{SourceDocker}, Insecure: true, Platform: opts.Platform}); att != nil || err != nil {
		t.Errorf("--image-src docker: %+v, %v", att, err)
	}
}
