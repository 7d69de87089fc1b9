package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Podman's layer store, read in place as the Docker engine's is
// (dockerstore.go). containers/storage keeps each layer's files under
// <graph root>/overlay/<layer ID>/diff (overlay) or <graph root>/vfs/dir/
// <layer ID> (vfs: the whole tree up to that layer, in which the layer's
// own files are at their tar names), its tar-split metadata in
// <graph root>/<driver>-layers/<layer ID>.tar-split.gz, and the layers'
// parents and diffIDs in <graph root>/<driver>-layers/layers.json. Podman's
// export writes the image to a temp file before the first byte arrives:
// about 9 s for an 800 MB image here.

// podmanLayerDirs are where the storage drivers this reader knows keep a
// layer's files.
var podmanLayerDirs = map[string]func(root, id string) string{
	"overlay": func(root, id string) string { return filepath.Join(root, "overlay", id, "diff") },
	"vfs":     func(root, id string) string { return filepath.Join(root, "vfs", "dir", id) },
}

// maxLayersJSON bounds layers.json: a store of 100,000 layers holds about
// 50 MB of it.
const maxLayersJSON = 128 << 20

// podmanStoredLayers finds the layers of diffIDs, base first, in the store
// at graphRoot: the chain of layers whose parents and diff digests are
// the image's.
func podmanStoredLayers(graphRoot, driver string, diffIDs []string) ([]storedLayer, error) {
	if err := inPlaceUser(); err != nil {
		return nil, err
	}
	dirOf, ok := podmanLayerDirs[driver]
	if !ok {
		return nil, fmt.Errorf("the storage driver %q is not overlay or vfs", driver)
	}
	if !filepath.IsAbs(graphRoot) {
		return nil, fmt.Errorf("the graph root %q is not an absolute path", graphRoot)
	}
	meta := filepath.Join(graphRoot, driver+"-layers")
	f, err := os.Open(filepath.Join(meta, "layers.json"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var all []struct {
		ID         string `json:"id"`
		Parent     string `json:"parent"`
		DiffDigest string `json:"diff-digest"`
	}
	if err := json.NewDecoder(io.LimitReader(f, maxLayersJSON)).Decode(&all); err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name(), err)
	}
	type key struct{ parent, diff string }
	byParent := map[key]string{}
	for _, l := range all {
		k := key{l.Parent, l.DiffDigest}
		if _, dup := byParent[k]; dup {
			byParent[k] = "" // two candidates: neither is taken
			continue
		}
		byParent[k] = l.ID
	}
	var out []storedLayer
	parent := ""
	for _, d := range diffIDs {
		id, ok := byParent[key{parent, d}]
		if !ok || !plainName(id) {
			return nil, fmt.Errorf("layer %s is not in the store at %s", d, graphRoot)
		}
		l := storedLayer{diffID: d, tarSplit: filepath.Join(meta, id+".tar-split.gz"), dir: dirOf(graphRoot, id)}
		for _, p := range []string{l.tarSplit, l.dir} {
			if _, err := os.Stat(p); err != nil {
				return nil, err
			}
		}
		out = append(out, l)
		parent = id
	}
	if len(out) == 0 {
		return nil, errors.New("the image has no layers")
	}
	return out, nil
}
