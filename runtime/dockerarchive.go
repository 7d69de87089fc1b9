package runtime

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"

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
func openDockerArchive(fsys fs.FS, name string, sel selector) (*types.Image, error) {
	raw, err := readLimited(fsys, "manifest.json")
	if err != nil {
		return nil, err
	}
	var entries []dockerManifestEntry
	if err := json.Unmarshal(raw, &entries); err != nil {
		return nil, fmt.Errorf("manifest.json: %w", err)
	}
	entry, err := pickDockerEntry(entries, sel)
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
	img, err := imageFromFS(fsys, name, "tar", rawConfig, layers)
	if err != nil {
		return nil, err
	}
	img.RepoTags = entry.RepoTags
	if err := checkPlatform(img.Config, sel); err != nil {
		return nil, err
	}
	return img, nil
}

func pickDockerEntry(entries []dockerManifestEntry, sel selector) (dockerManifestEntry, error) {
	if sel.Digest != "" {
		return dockerManifestEntry{}, fmt.Errorf("a docker save archive is selected by tag, not digest")
	}
	if sel.Tag != "" {
		for _, e := range entries {
			if slices.ContainsFunc(e.RepoTags, func(t string) bool { return t == sel.Tag || strings.HasSuffix(t, ":"+sel.Tag) }) {
				return e, nil
			}
		}
		return dockerManifestEntry{}, fmt.Errorf("no image tagged %q in the archive (have: %s)", sel.Tag, dockerTags(entries))
	}
	switch len(entries) {
	case 0:
		return dockerManifestEntry{}, fmt.Errorf("manifest.json lists no images")
	case 1:
		return entries[0], nil
	}
	return dockerManifestEntry{}, fmt.Errorf("the archive holds %d images; choose one with FILE:TAG (have: %s)", len(entries), dockerTags(entries))
}

func dockerTags(entries []dockerManifestEntry) string {
	var tags []string
	for _, e := range entries {
		tags = append(tags, e.RepoTags...)
	}
	if len(tags) == 0 {
		return "no tags"
	}
	return strings.Join(tags, ", ")
}

func cleanArchivePath(p string) string {
	return strings.TrimPrefix(path.Clean("/"+p), "/")
}
