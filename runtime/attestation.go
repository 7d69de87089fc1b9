package runtime

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"slices"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/docker-scan/docker-scan/engine/sbom"
)

// BuildKit's annotations on the attestation manifest it adds to an
// image index (docker buildx build --sbom / --provenance), and on the
// in-toto statements that are its layers.
const (
	annotationReferenceType   = "vnd.docker.reference.type"
	annotationReferenceDigest = "vnd.docker.reference.digest"
	referenceTypeAttestation  = "attestation-manifest"
	annotationPredicateType   = "in-toto.io/predicate-type"
	mediaTypeInToto           = "application/vnd.in-toto+json"
)

// Attestation is an SBOM attestation found for an image.
type Attestation struct {
	// Digest is the attestation manifest's.
	Digest string
	// PredicateType is the statement's (https://spdx.dev/Document).
	PredicateType string
	// Statement is the in-toto statement whose predicate is the SBOM.
	Statement []byte
}

// FindSBOMAttestation finds the SBOM attestation BuildKit attached to the
// image that ref (or opts.Input, an OCI layout or archive) names: an
// attestation manifest beside the image's manifest in its index,
// referring to it, with an in-toto layer whose predicate is an SPDX or
// CycloneDX document. It returns nil when the image has none (or is not
// in an index, or not in a registry the scan may ask).
func FindSBOMAttestation(ctx context.Context, ref string, opts Options) (*Attestation, error) {
	if opts.Input != "" {
		return inputAttestation(ctx, opts)
	}
	if ref == "" || (len(opts.Sources) > 0 && !slices.Contains(opts.Sources, SourceRemote)) {
		return nil, nil
	}
	att, err := remoteAttestation(ctx, ref, opts)
	if err != nil {
		// The image may be one only a local engine holds.
		slog.Info("SBOM attestation not looked up in the registry", "image", ref, "reason", err)
		return nil, nil
	}
	return att, nil
}

func inputAttestation(ctx context.Context, opts Options) (*Attestation, error) {
	p, sel, err := splitInput(opts.Input)
	if err != nil {
		return nil, err
	}
	sel.Platform, sel.PlatformSet = opts.Platform, opts.PlatformSet
	info, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("input: %w", err)
	}
	var fsys fs.FS
	if info.IsDir() {
		dir, err := openDirFS(p)
		if err != nil {
			return nil, fmt.Errorf("input: %w", err)
		}
		defer dir.Close()
		fsys = dir
	} else {
		f, cleanup, err := openTarFile(ctx, p, info, opts)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		defer cleanup()
		archive, err := openArchive(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		fsys = archive
	}
	if _, err := fs.Stat(fsys, "index.json"); err != nil {
		return nil, nil // a docker save archive keeps no attestations
	}
	att, err := layoutAttestation(fsys, sel)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return att, nil
}

// layoutAttestation walks an OCI layout's index down to the image, as
// openLayout does, and looks beside it.
func layoutAttestation(fsys fs.FS, sel selector) (*Attestation, error) {
	desc, siblings, _, err := resolveLayout(fsys, sel)
	if err != nil {
		return nil, err
	}
	return findAttestation(siblings, desc.Digest,
		func(h v1.Hash) ([]byte, error) { return readBlob(fsys, h) },
		func(h v1.Hash) ([]byte, error) {
			if h.Algorithm != "sha256" {
				return nil, fmt.Errorf("bad blob digest %q", h)
			}
			f, err := fsys.Open(blobPath(h))
			if err != nil {
				return nil, err
			}
			defer f.Close()
			return readVerified(f, h)
		})
}

// remoteAttestation asks the registry for the image's index.
func remoteAttestation(ctx context.Context, ref string, opts Options) (*Attestation, error) {
	r, remoteOpts, err := registryRef(ctx, ref, opts)
	if err != nil {
		return nil, err
	}
	desc, err := remote.Get(r, remoteOpts...)
	if err != nil {
		return nil, err
	}
	if !desc.MediaType.IsIndex() {
		return nil, nil // a single manifest has no attestations beside it
	}
	idx, err := desc.ImageIndex()
	if err != nil {
		return nil, err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	image, err := pickPlatform(im.Manifests, opts.Platform)
	if err != nil {
		return nil, err
	}
	repo := r.Context()
	return findAttestation(im.Manifests, image.Digest,
		func(h v1.Hash) ([]byte, error) {
			d, err := remote.Get(repo.Digest(h.String()), remoteOpts...)
			if err != nil {
				return nil, err
			}
			return d.Manifest, nil
		},
		func(h v1.Hash) ([]byte, error) {
			l, err := remote.Layer(repo.Digest(h.String()), remoteOpts...)
			if err != nil {
				return nil, err
			}
			rc, err := l.Compressed()
			if err != nil {
				return nil, err
			}
			defer rc.Close()
			return readVerified(rc, h)
		})
}

// findAttestation looks among an index's entries for the attestation
// manifest of the image, and in it for an SBOM statement.
func findAttestation(entries []v1.Descriptor, image v1.Hash, readManifest, readLayer func(v1.Hash) ([]byte, error)) (*Attestation, error) {
	for _, d := range entries {
		if d.Annotations[annotationReferenceType] != referenceTypeAttestation || d.Annotations[annotationReferenceDigest] != image.String() {
			continue
		}
		raw, err := readManifest(d.Digest)
		if err != nil {
			return nil, fmt.Errorf("attestation manifest %s: %w", d.Digest, err)
		}
		m, err := v1.ParseManifest(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("attestation manifest %s: %w", d.Digest, err)
		}
		for _, l := range m.Layers {
			pt := l.Annotations[annotationPredicateType]
			if string(l.MediaType) != mediaTypeInToto || !sbom.IsSBOMPredicate(pt) {
				continue
			}
			statement, err := readLayer(l.Digest)
			if err != nil {
				return nil, fmt.Errorf("attestation %s: statement %s: %w", d.Digest, l.Digest, err)
			}
			return &Attestation{Digest: d.Digest.String(), PredicateType: pt, Statement: statement}, nil
		}
	}
	return nil, nil
}

// readVerified reads a blob of at most sbom.MaxSize bytes and checks it
// against its sha256 digest.
func readVerified(r io.Reader, h v1.Hash) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, sbom.MaxSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > sbom.MaxSize {
		return nil, fmt.Errorf("over %d MiB", sbom.MaxSize>>20)
	}
	if h.Algorithm == "sha256" {
		sum := sha256.Sum256(b)
		if hex.EncodeToString(sum[:]) != h.Hex {
			return nil, errors.New("does not match its digest")
		}
	}
	return b, nil
}
