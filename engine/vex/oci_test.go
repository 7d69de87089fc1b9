package vex

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// rawManifest is a manifest pushed as its bytes.
type rawManifest []byte

func (m rawManifest) RawManifest() ([]byte, error)        { return m, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }

// pushReferrer pushes an OCI 1.1 artifact whose subject is the image at
// subject: one layer of data, of mediaType, as oras attach and cosign
// attest push them. The artifact type is both the manifest's
// artifactType and its config's media type, so that registries that
// read either (ggcr's reads the config's) list it.
func pushReferrer(subject name.Digest, artifactType, mediaType string, annotations map[string]string, data []byte) (name.Digest, error) {
	repo := subject.Context()
	layer := static.NewLayer(data, types.MediaType(mediaType))
	cfg := static.NewLayer([]byte("{}"), types.MediaType(artifactType))
	for _, l := range []v1.Layer{layer, cfg} {
		if err := remote.WriteLayer(repo, l); err != nil {
			return name.Digest{}, err
		}
	}
	desc := func(l v1.Layer) v1.Descriptor {
		d, _ := l.Digest()
		s, _ := l.Size()
		mt, _ := l.MediaType()
		return v1.Descriptor{MediaType: mt, Digest: d, Size: s}
	}
	subjDesc, err := remote.Head(subject)
	if err != nil {
		return name.Digest{}, err
	}
	m := map[string]any{
		"schemaVersion": 2,
		"mediaType":     types.OCIManifestSchema1,
		"artifactType":  artifactType,
		"config":        desc(cfg),
		"layers":        []v1.Descriptor{desc(layer)},
		"subject":       v1.Descriptor{MediaType: subjDesc.MediaType, Digest: subjDesc.Digest, Size: subjDesc.Size},
		"annotations":   annotations,
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return name.Digest{}, err
	}
	h, _, err := v1.SHA256(strings.NewReader(string(raw)))
	if err != nil {
		return name.Digest{}, err
	}
	ref := repo.Digest(h.String())
	return ref, remote.Put(ref, rawManifest(raw))
}

// testRegistry is an in-process registry with the referrers API, and an
// image pushed to it.
func testRegistry(t *testing.T) name.Digest {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0)), registry.WithReferrersSupport(true)))
	t.Cleanup(srv.Close)
	img, err := mutate.AppendLayers(empty.Image, static.NewLayer([]byte("layer"), types.OCILayer))
	if err != nil {
		t.Fatal(err)
	}
	img = mutate.MediaType(img, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	tag, err := name.NewTag(strings.TrimPrefix(srv.URL, "http://") + "/team/demo:1.0")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return tag.Context().Digest(d.String())
}

func inToto(predicateType string, predicate []byte) []byte {
	b, _ := json.Marshal(map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []map[string]any{{"name": "demo", "digest": map[string]string{"sha256": strings.Repeat("a", 64)}}},
		"predicateType": predicateType,
		"predicate":     json.RawMessage(predicate),
	})
	return b
}

func dsse(statement []byte) []byte {
	b, _ := json.Marshal(map[string]any{
		"payloadType": "application/vnd.in-toto+json",
		"payload":     base64.StdEncoding.EncodeToString(statement),
		"signatures":  []map[string]string{{"keyid": "", "sig": "MEUCIQDx"}},
	})
	return b
}

// TestFromRegistry: OpenVEX referrers, plain (oras attach) and as an
// attestation in a DSSE envelope (cosign attest), are found; an SBOM
// attestation next to them is not taken for VEX.
func TestFromRegistry(t *testing.T) {
	digest := testRegistry(t)
	ctx := context.Background()
	docs, err := FromRegistry(ctx, digest)
	if err != nil || len(docs) != 0 {
		t.Fatalf("no referrers yet: %v %v", docs, err)
	}
	openVEX, err := os.ReadFile(filepath.Join("testdata", "openvex.json"))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := pushReferrer(digest, ArtifactTypeOpenVEX, ArtifactTypeOpenVEX, nil, openVEX)
	if err != nil {
		t.Fatal(err)
	}
	sbom := inToto("https://spdx.dev/Document", []byte(`{"spdxVersion":"SPDX-2.3"}`))
	if _, err := pushReferrer(digest, artifactTypeDSSE, artifactTypeDSSE, map[string]string{predicateTypeAnnotation: "https://spdx.dev/Document"}, dsse(sbom)); err != nil {
		t.Fatal(err)
	}
	if _, err := pushReferrer(digest, ArtifactTypeInToto, ArtifactTypeInToto, nil, sbom); err != nil { // unannotated: read, then skipped
		t.Fatal(err)
	}
	cdxVEX, err := os.ReadFile(filepath.Join("testdata", "csaf-vex.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pushReferrer(digest, "application/vnd.example.csaf+json", "application/json", nil, cdxVEX); err != nil { // not a VEX artifact type
		t.Fatal(err)
	}
	att, err := pushReferrer(digest, artifactTypeDSSE, artifactTypeDSSE, map[string]string{predicateTypeAnnotation: "https://openvex.dev/ns/v0.2.0"},
		dsse(inToto("https://openvex.dev/ns/v0.2.0", []byte(`{"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","author":"a","timestamp":"2024-05-02T00:00:00Z","version":1,
			"statements":[{"vulnerability":{"name":"CVE-2022-37434"},"products":[{"@id":"pkg:oci/demo","subcomponents":[{"@id":"pkg:apk/alpine/zlib"}]}],"status":"not_affected","justification":"vulnerable_code_not_present"}]}`))))
	if err != nil {
		t.Fatal(err)
	}
	docs, err = FromRegistry(ctx, digest)
	if err != nil {
		t.Fatal(err)
	}
	var sources []string
	for _, d := range docs {
		sources = append(sources, d.Source)
	}
	if len(docs) != 2 || !strings.Contains(strings.Join(sources, " "), plain.String()) || !strings.Contains(strings.Join(sources, " "), att.String()) {
		t.Fatalf("want the plain and the attested OpenVEX, got %q", sources)
	}
	rep := demoReport()
	rep.Metadata.RepoDigests = []string{digest.String()}
	got := judged(&Set{Docs: docs}, rep)
	// openvex.json's image digest is not this image's: only its statement
	// about a package applies.
	if len(got) != 2 || !strings.Contains(strings.Join(got, "\n"), "zlib CVE-2022-37434 not_affected vulnerable_code_not_present | OpenVEX attestation in OCI registry: "+att.String()) {
		t.Errorf("suppressed %q", got)
	}
}

// TestLegacyAttestation: with no referrers, cosign's sha256-HEX.att tag
// is read.
func TestLegacyAttestation(t *testing.T) {
	digest := testRegistry(t)
	env := dsse(inToto("https://openvex.dev/ns", []byte(`{"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","author":"a","timestamp":"2024-05-02T00:00:00Z","version":1,
		"statements":[{"vulnerability":{"name":"CVE-2018-25032"},"products":[{"@id":"pkg:apk/alpine/zlib"}],"status":"fixed"}]}`)))
	img, err := mutate.Append(empty.Image, mutate.Addendum{Layer: static.NewLayer(env, "application/vnd.dsse.envelope.v1+json"), MediaType: "application/vnd.dsse.envelope.v1+json"})
	if err != nil {
		t.Fatal(err)
	}
	tag := digest.Context().Tag(strings.ReplaceAll(digest.DigestStr(), ":", "-") + ".att")
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	docs, err := FromRegistry(context.Background(), digest)
	if err != nil || len(docs) != 1 {
		t.Fatalf("want the attestation, got %v %v", docs, err)
	}
	rep := demoReport()
	if got := judged(&Set{Docs: docs}, rep); len(got) != 1 || !strings.HasPrefix(got[0], "zlib CVE-2018-25032 fixed") {
		t.Errorf("suppressed %q", got)
	}
}

// TestOversizedReferrer: a registry cannot make a scan read a huge blob.
func TestOversizedReferrer(t *testing.T) {
	defer func(n int64) { maxAttestationLen = n }(maxAttestationLen)
	maxAttestationLen = 64 << 10
	digest := testRegistry(t)
	big := append([]byte(`{"@context":"https://openvex.dev/ns/v0.2.0","x":"`), make([]byte, maxAttestationLen)...)
	if _, err := pushReferrer(digest, ArtifactTypeOpenVEX, ArtifactTypeOpenVEX, nil, big); err != nil {
		t.Fatal(err)
	}
	if _, err := FromRegistry(context.Background(), digest); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Errorf("oversized referrer: %v", err)
	}
}
