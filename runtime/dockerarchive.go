package runtime

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/docker-scan/docker-scan/engine/types"
)

// dockerManifestEntry is one image of the manifest.json that `docker save`
// writes.
type dockerManifestEntry struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// blobFileDigest recognises layer files named after their digest:
// blobs/sha256/<hex> (docker save since 25.0, where the blob is the
// uncompressed tar) and <hex>.tar[.gz|.zst] (archives written by
// go-containerregistry). Older `docker save` names layers <id>/layer.tar,
// where the id is not a digest; those layers get no digest.
var blobFileDigest = regexp.MustCompile(`^(?:blobs/sha256/([a-f0-9]{64})|(?:sha256:)?([a-f0-9]{64})\.tar(?:\.gz|\.zst)?)$`)

// openDockerArchive reads a `docker save` archive (or such an archive
// extracted into a directory) through its manifest.json.
func openDockerArchive(ctx context.Context, fsys fs.FS, name string, sel selector) (*types.Image, error) {
	raw, err := readLimited(fsys, "manifest.json")
	if err != nil {
		return nil, err
	}
	var entries []dockerManifestEntry
	if err := json.Unmarshal(raw, &entries); err != nil {
		return nil, fmt.Errorf("manifest.json: %w", err)
	}
	entry, err := pickDockerEntry(fsys, name, entries, sel)
	if err != nil {
		return nil, err
	}
	rawConfig, err := readLimited(fsys, cleanArchivePath(entry.Config))
	if err != nil {
		return nil, fmt.Errorf("image config: %w", err)
	}
	var layers []blobLayer
	for _, l := range entry.Layers {
		p := cleanArchivePath(l)
		info, err := fs.Stat(fsys, p)
		if err != nil {
			return nil, fmt.Errorf("layer %s: %w", l, err)
		}
		bl := blobLayer{path: p, size: info.Size()}
		if m := blobFileDigest.FindStringSubmatch(p); m != nil {
			bl.digest = "sha256:" + m[1] + m[2]
		}
		layers = append(layers, bl)
	}
	img, err := imageFromFS(ctx, fsys, name, "tar", rawConfig, layers)
	if err != nil {
		return nil, err
	}
	img.RepoTags = entry.RepoTags
	if err := checkPlatform(img.Config, sel); err != nil {
		return nil, err
	}
	return img, nil
}

// pickDockerEntry chooses the image of a docker save archive that sel
// names: by a tag (3.18), a full reference (alpine:3.18,
// docker.io/library/alpine:3.18), or a digest (the image ID, or the
// manifest digest that docker save 25+ records in index.json). name is
// the archive as the user gave it, for the examples in errors.
func pickDockerEntry(fsys fs.FS, name string, entries []dockerManifestEntry, sel selector) (dockerManifestEntry, error) {
	if sel.Tag != "" || sel.Digest != "" {
		name, _, _ = splitInput(name) // the path, without the selection
	}
	switch {
	case sel.Digest != "":
		manifests := indexManifestConfigs(fsys)
		for _, e := range entries {
			id := configDigest(e)
			if id != "" && (id == sel.Digest || manifests[sel.Digest] == id) {
				return e, nil
			}
		}
		return dockerManifestEntry{}, fmt.Errorf("no image with digest %s in the archive (have: %s)", sel.Digest, dockerChoices(name, entries))
	case sel.Tag != "":
		var found []dockerManifestEntry
		for _, e := range entries {
			if slices.ContainsFunc(e.RepoTags, func(t string) bool { return repoTagMatches(t, sel.Tag) }) {
				found = append(found, e)
			}
		}
		switch len(found) {
		case 0:
			return dockerManifestEntry{}, fmt.Errorf("no image tagged %q in the archive (have: %s)", sel.Tag, dockerChoices(name, entries))
		case 1:
			return found[0], nil
		}
		return dockerManifestEntry{}, fmt.Errorf("%d images of the archive are tagged %q: name one in full (%s)", len(found), sel.Tag, dockerChoices(name, found))
	}
	switch len(entries) {
	case 0:
		return dockerManifestEntry{}, fmt.Errorf("manifest.json lists no images")
	case 1:
		return entries[0], nil
	}
	return dockerManifestEntry{}, fmt.Errorf("the archive holds %d images; choose one: %s", len(entries), dockerChoices(name, entries))
}

// repoTagMatches tells whether a RepoTags entry of an archive (alpine:3.18,
// as docker save writes it) is what the user named: the tag alone, or the
// reference in any spelling (docker.io/library/alpine:3.18; alpine is
// alpine:latest).
func repoTagMatches(have, want string) bool {
	if have == want {
		return true
	}
	if !strings.ContainsAny(want, ":/") && strings.HasSuffix(have, ":"+want) {
		return true
	}
	h, err := name.NewTag(have, name.WeakValidation)
	if err != nil {
		return false
	}
	w, err := name.NewTag(want, name.WeakValidation)
	return err == nil && h.Name() == w.Name()
}

// configHex finds the image ID in the name of a config file: <hex>.json
// (docker save before 25), blobs/sha256/<hex>, or sha256:<hex>
// (go-containerregistry).
var configHex = regexp.MustCompile(`(?:^|/|sha256:)([a-f0-9]{64})(?:\.json)?$`)

// configDigest is the image ID of an entry, from its config's file name.
func configDigest(e dockerManifestEntry) string {
	if m := configHex.FindStringSubmatch(cleanArchivePath(e.Config)); m != nil {
		return "sha256:" + m[1]
	}
	return ""
}

// indexManifestConfigs maps the manifest digests of the index.json that
// docker save 25+ writes beside manifest.json to their config digests
// (image IDs); an archive without one gives none.
func indexManifestConfigs(fsys fs.FS) map[string]string {
	out := map[string]string{}
	raw, err := readLimited(fsys, "index.json")
	if err != nil {
		return out
	}
	var index v1.IndexManifest
	if json.Unmarshal(raw, &index) != nil {
		return out
	}
	for _, d := range index.Manifests {
		if d.Digest.Algorithm != "sha256" {
			continue
		}
		raw, err := readLimited(fsys, "blobs/sha256/"+d.Digest.Hex)
		if err != nil {
			continue
		}
		var m v1.Manifest
		if json.Unmarshal(raw, &m) == nil && m.Config.Digest.Hex != "" {
			out[d.Digest.String()] = m.Config.Digest.String()
		}
	}
	return out
}

// dockerChoices lists the images of an archive as the user can select
// them: name:REF for each tag, name@ID for an image without one.
func dockerChoices(name string, entries []dockerManifestEntry) string {
	var choices []string
	for _, e := range entries {
		for _, t := range e.RepoTags {
			choices = append(choices, name+":"+t)
		}
		if id := configDigest(e); len(e.RepoTags) == 0 && id != "" {
			choices = append(choices, name+"@"+id)
		}
	}
	if len(choices) == 0 {
		return "no tags"
	}
	return strings.Join(choices, ", ")
}

func cleanArchivePath(p string) string {
	return strings.TrimPrefix(path.Clean("/"+p), "/")
}
