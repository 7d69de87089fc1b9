package vex

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Artifact types a VEX referrer of an image has: a plain OpenVEX
// document, or an attestation (in-toto statement, DSSE envelope, Sigstore
// bundle) whose predicate is one.
const (
	ArtifactTypeOpenVEX = "application/vnd.openvex+json"
	ArtifactTypeInToto  = "application/vnd.in-toto+json"
	artifactTypeDSSE    = "application/vnd.dsse.envelope.v1+json"
	artifactTypeBundle  = "application/vnd.dev.sigstore.bundle.v0.3+json"
	// predicateTypeAnnotation announces an attestation's predicate type
	// on its referrer descriptor.
	predicateTypeAnnotation = "in-toto.io/predicate-type"
)

// Caps on what a registry can make a scan fetch.
const (
	maxReferrers    = 100
	maxLayersPerVEX = 10
)

// maxAttestationLen caps one attestation blob. (A variable for the tests.)
var maxAttestationLen int64 = 20 << 20

// FromRegistry returns the OpenVEX documents attached to the image at
// digest as OCI referrers (the referrers API, or its tag fallback), else
// in cosign's legacy attestation tag (sha256-HEX.att). A referrer that
// cannot be read is skipped with a warning; one larger than the cap fails.
func FromRegistry(ctx context.Context, digest name.Digest, opts ...remote.Option) ([]*Document, error) {
	opts = append(opts, remote.WithContext(ctx))
	idx, err := remote.Referrers(digest, opts...)
	if err != nil {
		return nil, fmt.Errorf("VEX referrers of %s: %w", digest, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("VEX referrers of %s: %w", digest, err)
	}
	var docs []*Document
	seen := 0
	for _, desc := range vexCandidates(im.Manifests) {
		if seen++; seen > maxReferrers {
			break
		}
		ref := digest.Context().Digest(desc.Digest.String())
		found, err := fromArtifact(ref, desc.ArtifactType, opts)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if errors.Is(err, errTooLarge) {
				return nil, err
			}
			slog.Warn("VEX referrer skipped", "referrer", ref.String(), "err", err)
			continue
		}
		docs = append(docs, found...)
	}
	if len(docs) > 0 {
		return docs, nil
	}
	return legacyAttestations(ctx, digest, opts)
}

// vexCandidates keeps the referrers that can carry OpenVEX: those of a
// VEX artifact type whose announced predicate type, if any, is OpenVEX.
func vexCandidates(descs []v1.Descriptor) []v1.Descriptor {
	var out []v1.Descriptor
	for _, d := range descs {
		switch d.ArtifactType {
		case ArtifactTypeOpenVEX, ArtifactTypeInToto, artifactTypeDSSE, artifactTypeBundle:
		default:
			continue
		}
		if pt, ok := d.Annotations[predicateTypeAnnotation]; ok && !isOpenVEXContext(pt) {
			continue
		}
		out = append(out, d)
	}
	return out
}

var errTooLarge = errors.New("VEX attestation too large")

// fromArtifact reads the OpenVEX documents in the layers of the artifact
// manifest at ref.
func fromArtifact(ref name.Digest, artifactType string, opts []remote.Option) ([]*Document, error) {
	desc, err := remote.Get(ref, opts...)
	if err != nil {
		return nil, err
	}
	m, err := v1.ParseManifest(strings.NewReader(string(desc.Manifest)))
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	var docs []*Document
	for i, l := range m.Layers {
		if i >= maxLayersPerVEX {
			break
		}
		if l.Size > maxAttestationLen {
			return nil, fmt.Errorf("%w: %s layer %s is %d bytes (limit %d)", errTooLarge, ref, l.Digest, l.Size, maxAttestationLen)
		}
		data, err := fetchBlob(ref.Context().Digest(l.Digest.String()), opts)
		if err != nil {
			return nil, err
		}
		source := "OpenVEX attestation in OCI registry: " + ref.String()
		var doc *Document
		if artifactType == ArtifactTypeOpenVEX || l.MediaType == ArtifactTypeOpenVEX {
			doc, err = parseOpenVEX(data, source)
		} else {
			doc, err = openVEXAttestation(data, source)
		}
		if err != nil {
			return nil, err
		}
		if doc != nil {
			docs = append(docs, doc)
		}
	}
	return docs, nil
}

func fetchBlob(ref name.Digest, opts []remote.Option) ([]byte, error) {
	l, err := remote.Layer(ref, opts...)
	if err != nil {
		return nil, err
	}
	rc, err := l.Compressed() // an artifact's blob, as stored
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxAttestationLen+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > maxAttestationLen {
		return nil, fmt.Errorf("%w: blob %s exceeds %d bytes", errTooLarge, ref, maxAttestationLen)
	}
	return data, nil
}

// legacyAttestations reads cosign's attestation image (tag
// sha256-HEX.att), one DSSE envelope per layer.
func legacyAttestations(ctx context.Context, digest name.Digest, opts []remote.Option) ([]*Document, error) {
	tag := digest.Context().Tag(strings.ReplaceAll(digest.DigestStr(), ":", "-") + ".att")
	desc, err := remote.Get(tag, opts...)
	if err != nil {
		var terr *transport.Error
		if errors.As(err, &terr) && (terr.StatusCode == http.StatusNotFound || terr.StatusCode == http.StatusUnauthorized || terr.StatusCode == http.StatusForbidden) {
			return nil, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("VEX attestations of %s: %w", digest, err)
	}
	docs, err := fromArtifact(tag.Context().Digest(desc.Digest.String()), artifactTypeDSSE, opts)
	if err != nil && errors.Is(err, errTooLarge) {
		return nil, err
	}
	if err != nil {
		slog.Warn("VEX attestation skipped", "tag", tag.String(), "err", err)
		return nil, nil
	}
	return docs, nil
}

// openVEXAttestation reads the OpenVEX predicate of an attestation: an
// in-toto statement, a DSSE envelope of one, or a Sigstore bundle of
// one. It returns nil, nil for an attestation of another predicate (an
// SBOM, provenance).
func openVEXAttestation(data []byte, source string) (*Document, error) {
	var probe struct {
		Type          string          `json:"_type"`
		PredicateType string          `json:"predicateType"`
		Predicate     json.RawMessage `json:"predicate"`
		PayloadType   string          `json:"payloadType"`
		Payload       string          `json:"payload"`
		DSSE          *struct {
			PayloadType string `json:"payloadType"`
			Payload     string `json:"payload"`
		} `json:"dsseEnvelope"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("bad attestation: %s", jsonError(data, err))
	}
	payload := probe.Payload
	if probe.DSSE != nil {
		payload = probe.DSSE.Payload
	}
	switch {
	case probe.Type != "":
		if !isOpenVEXContext(probe.PredicateType) {
			return nil, nil
		}
		if len(probe.Predicate) == 0 {
			return nil, errors.New("bad attestation: an OpenVEX statement with no predicate")
		}
		return parseOpenVEX(probe.Predicate, source)
	case payload != "":
		stmt, err := base64.StdEncoding.DecodeString(payload)
		if err != nil {
			return nil, fmt.Errorf("bad DSSE envelope: payload: %w", err)
		}
		var inner struct {
			Type string `json:"_type"`
		}
		if err := json.Unmarshal(stmt, &inner); err != nil || inner.Type == "" {
			return nil, errors.New("bad DSSE envelope: the payload is not an in-toto statement")
		}
		return openVEXAttestation(stmt, source)
	}
	return nil, errors.New("bad attestation: neither an in-toto statement nor a DSSE envelope")
}
