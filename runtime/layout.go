package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	enginetypes "github.com/docker-scan/docker-scan/engine/types"
)

// Annotations that name an image in an OCI index.
const (
	annotationRefName       = "org.opencontainers.image.ref.name"
	annotationContainerName = "io.containerd.image.name"
)

// selector picks one image of an archive or layout: by tag, by digest, or
// (with neither) the only one; Platform picks within a multi-platform index.
type selector struct {
	Tag      string
	Digest   string
	Platform v1.Platform
	// PlatformSet is true when the user chose the platform; a
	// single-platform image is then checked against it.
	PlatformSet bool
}

func (s selector) String() string {
	switch {
	case s.Digest != "":
		return "@" + s.Digest
	case s.Tag != "":
		return ":" + s.Tag
	}
	return ""
}

// resolveLayout finds the manifest sel names in the layout: the
// top-level entry, then through nested indexes the one for sel's
// platform. It returns the manifest's descriptor, the index entries it was
// chosen from (where BuildKit puts attestations beside the image), and
// the names the top-level entry carries.
func resolveLayout(fsys fs.FS, sel selector) (desc v1.Descriptor, siblings []v1.Descriptor, tags []string, err error) {
	raw, err := readLimited(fsys, "index.json")
	if err != nil {
		return desc, nil, nil, err
	}
	index, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil {
		return desc, nil, nil, fmt.Errorf("index.json: %w", err)
	}
	siblings = index.Manifests
	if desc, err = pickTopLevel(siblings, sel); err != nil {
		return desc, nil, nil, err
	}
	tags = refNames(desc)
	for depth := 0; desc.MediaType.IsIndex(); depth++ {
		if depth > 4 {
			return desc, nil, nil, errors.New("image indexes nested too deep")
		}
		raw, err := readBlob(fsys, desc.Digest)
		if err != nil {
			return desc, nil, nil, err
		}
		child, err := v1.ParseIndexManifest(bytes.NewReader(raw))
		if err != nil {
			return desc, nil, nil, fmt.Errorf("index %s: %w", desc.Digest, err)
		}
		siblings = child.Manifests
		if desc, err = pickPlatform(siblings, sel.Platform); err != nil {
			return desc, nil, nil, err
		}
	}
	return desc, siblings, tags, nil
}

// openLayout reads an OCI image layout (index.json and blobs/) from fsys.
func openLayout(ctx context.Context, fsys fs.FS, name, source string, sel selector) (*enginetypes.Image, error) {
	desc, _, tags, err := resolveLayout(fsys, sel)
	if err != nil {
		return nil, err
	}
	if !desc.MediaType.IsImage() {
		return nil, fmt.Errorf("not a container image: %s has media type %q", desc.Digest, desc.MediaType)
	}
	rawManifest, err := readBlob(fsys, desc.Digest)
	if err != nil {
		return nil, err
	}
	m, err := v1.ParseManifest(bytes.NewReader(rawManifest))
	if err != nil {
		return nil, fmt.Errorf("manifest %s: %w", desc.Digest, err)
	}
	if err := checkImageManifest(m); err != nil {
		return nil, err
	}
	rawConfig, err := readBlob(fsys, m.Config.Digest)
	if err != nil {
		return nil, err
	}
	var layers []blobLayer
	for _, l := range m.Layers {
		layers = append(layers, blobLayer{path: blobPath(l.Digest), digest: l.Digest.String(), size: l.Size})
	}
	img, err := imageFromFS(ctx, fsys, name, source, rawConfig, layers)
	if err != nil {
		return nil, err
	}
	img.RepoTags = tags
	if err := checkPlatform(img.Config, sel); err != nil {
		return nil, err
	}
	return img, nil
}

// checkImageManifest refuses artifacts that are not container images (a
// Helm chart, a vulnerability DB, a signature) with a clear reason.
func checkImageManifest(m *v1.Manifest) error {
	if !m.Config.MediaType.IsConfig() && m.Config.MediaType != "" {
		return fmt.Errorf("not a container image: config media type %q", m.Config.MediaType)
	}
	for _, l := range m.Layers {
		if !l.MediaType.IsLayer() {
			return fmt.Errorf("not a container image: layer %s has media type %q", l.Digest, l.MediaType)
		}
	}
	return nil
}

func blobPath(h v1.Hash) string { return path.Join("blobs", h.Algorithm, h.Hex) }

func readBlob(fsys fs.FS, h v1.Hash) ([]byte, error) {
	if h.Algorithm == "" || strings.ContainsAny(h.Algorithm+h.Hex, "/.") {
		return nil, fmt.Errorf("bad blob digest %q", h)
	}
	b, err := readLimited(fsys, blobPath(h))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("blob %s is missing from the layout", h)
	}
	if err == nil && digestOf(b) != h.String() && h.Algorithm == "sha256" {
		return nil, fmt.Errorf("blob %s does not match its digest", h)
	}
	return b, err
}

// pickTopLevel chooses the entry of index.json the user asked for.
func pickTopLevel(descs []v1.Descriptor, sel selector) (v1.Descriptor, error) {
	switch {
	case sel.Digest != "":
		for _, d := range descs {
			if d.Digest.String() == sel.Digest {
				return d, nil
			}
		}
		return v1.Descriptor{}, fmt.Errorf("no image with digest %s (have: %s)", sel.Digest, describe(descs))
	case sel.Tag != "":
		for _, d := range descs {
			for _, n := range refNames(d) {
				// ref.name is often the tag alone (3.18) and containerd's
				// image name a full reference: either spelling selects.
				if repoTagMatches(n, sel.Tag) {
					return d, nil
				}
			}
		}
		return v1.Descriptor{}, fmt.Errorf("no image tagged %q (have: %s)", sel.Tag, describe(descs))
	case len(descs) == 1:
		return descs[0], nil
	case len(descs) == 0:
		return v1.Descriptor{}, errors.New("the index lists no images")
	}
	// Several entries and no selection: they may be one image per platform.
	d, err := pickPlatform(descs, sel.Platform)
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("%d images in the index; choose one with PATH:TAG or PATH@DIGEST (have: %s)", len(descs), describe(descs))
	}
	return d, nil
}

// pickPlatform chooses the image for a platform among an index's entries.
func pickPlatform(descs []v1.Descriptor, want v1.Platform) (v1.Descriptor, error) {
	var have []string
	for _, d := range descs {
		if d.Platform == nil || d.Platform.OS == "unknown" {
			continue // attestations and the like
		}
		if d.Platform.Satisfies(want) {
			return d, nil
		}
		have = append(have, d.Platform.String())
	}
	if len(have) == 0 {
		return v1.Descriptor{}, errors.New("the index has no image with a platform")
	}
	return v1.Descriptor{}, fmt.Errorf("no image for platform %s (have: %s); choose one with --platform", want, strings.Join(have, ", "))
}

// checkPlatform refuses a single-platform image whose config names another
// platform than the one asked for.
func checkPlatform(cfg *v1.ConfigFile, sel selector) error {
	have, want := cfg.Platform(), sel.Platform
	if !sel.PlatformSet || have == nil || have.OS == "" {
		return nil
	}
	if !have.Satisfies(v1.Platform{OS: want.OS, Architecture: want.Architecture, Variant: want.Variant}) {
		return fmt.Errorf("the image is for platform %s, not %s; choose with --platform", have, want)
	}
	return nil
}

func refNames(d v1.Descriptor) []string {
	var names []string
	for _, k := range []string{annotationContainerName, annotationRefName} {
		if n := d.Annotations[k]; n != "" && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return names
}

func describe(descs []v1.Descriptor) string {
	var out []string
	for _, d := range descs {
		s := d.Digest.String()
		if names := refNames(d); len(names) > 0 {
			s = names[0]
		}
		if d.Platform != nil {
			s += " (" + d.Platform.String() + ")"
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}
