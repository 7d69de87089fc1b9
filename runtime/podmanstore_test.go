package runtime

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakePodmanStore lays out a containers/storage graph root as Podman
// keeps it with driver (overlay: each layer's own files; vfs: the whole
// tree up to each layer), with layers.json and each layer's tar-split
// metadata; it returns the root, the diffIDs and the layer tars.
func fakePodmanStore(t *testing.T, driver string, layers ...[]tarEntry) (root string, diffIDs []string, tars [][]byte) {
	t.Helper()
	if !anyUserInPlace {
		anyUserInPlace = true
		t.Cleanup(func() { anyUserInPlace = false })
	}
	root = t.TempDir()
	meta := filepath.Join(root, driver+"-layers")
	if err := os.MkdirAll(meta, 0o755); err != nil {
		t.Fatal(err)
	}
	type layerRecord struct {
		ID         string `json:"id"`
		Parent     string `json:"parent,omitempty"`
		DiffDigest string `json:"diff-digest"`
		DiffSize   int    `json:"diff-size"`
	}
	// An unrelated layer with the same diff as the base, another parent.
	records := []layerRecord{{ID: strings.Repeat("e", 64), Parent: strings.Repeat("d", 64)}}
	parent := ""
	for i, entries := range layers {
		raw := layerTar(t, entries)
		sum := sha256.Sum256(raw)
		diffID := "sha256:" + hex.EncodeToString(sum[:])
		id := fmt.Sprintf("%064x", 0xabc0+i)
		dir := podmanLayerDirs[driver](root, id)
		if driver == "vfs" {
			// The tree up to this layer: the layers below first.
			for _, below := range tars {
				unpackLayer(t, below, dir)
			}
		}
		js := unpackLayer(t, raw, dir)
		if err := os.WriteFile(filepath.Join(meta, id+".tar-split.gz"), js, 0o644); err != nil {
			t.Fatal(err)
		}
		records = append(records, layerRecord{ID: id, Parent: parent, DiffDigest: diffID, DiffSize: len(raw)})
		if i == 0 {
			records[0].DiffDigest = diffID
		}
		parent = id
		diffIDs, tars = append(diffIDs, diffID), append(tars, raw)
	}
	b, _ := json.Marshal(records)
	if err := os.WriteFile(filepath.Join(meta, "layers.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return root, diffIDs, tars
}

// TestPodmanInPlaceLayers: with either driver, each layer read from
// Podman's store is byte for byte the tar it was loaded from.
func TestPodmanInPlaceLayers(t *testing.T) {
	for _, driver := range []string{"overlay", "vfs"} {
		t.Run(driver, func(t *testing.T) {
			root, diffIDs, tars := fakePodmanStore(t, driver, baseLayer, appLayer)
			stored, err := podmanStoredLayers(root, driver, diffIDs)
			if err != nil {
				t.Fatal(err)
			}
			for i, l := range stored {
				got, err := readLayer(l)
				if err != nil {
					t.Fatalf("layer %d: %v", i, err)
				}
				if string(got) != string(tars[i]) {
					t.Errorf("layer %d: %d bytes, the tar has %d", i, len(got), len(tars[i]))
				}
			}
		})
	}
}

// TestPodmanStoreRefused: a store that does not hold the image's chain,
// or that this reader does not know, is turned down before any read.
func TestPodmanStoreRefused(t *testing.T) {
	for name, c := range map[string]struct {
		driver string
		spoil  func(root string, diffIDs []string) (string, []string)
	}{
		"btrfs driver":  {"btrfs", func(root string, d []string) (string, []string) { return root, d }},
		"relative root": {"overlay", func(root string, d []string) (string, []string) { return "storage", d }},
		"no layers.json": {"overlay", func(root string, d []string) (string, []string) {
			os.Remove(filepath.Join(root, "overlay-layers", "layers.json"))
			return root, d
		}},
		"broken layers.json": {"overlay", func(root string, d []string) (string, []string) {
			os.WriteFile(filepath.Join(root, "overlay-layers", "layers.json"), []byte(`[{"id":`), 0o644)
			return root, d
		}},
		"layers in another order": {"overlay", func(root string, d []string) (string, []string) { return root, []string{d[1], d[0]} }},
		"a layer not stored": {"overlay", func(root string, d []string) (string, []string) {
			return root, append(d, "sha256:"+strings.Repeat("0", 64))
		}},
		"no tar-split": {"overlay", func(root string, d []string) (string, []string) {
			matches, _ := filepath.Glob(filepath.Join(root, "overlay-layers", "*.tar-split.gz"))
			for _, m := range matches {
				os.Remove(m)
			}
			return root, d
		}},
		"no layer dir": {"overlay", func(root string, d []string) (string, []string) {
			os.RemoveAll(filepath.Join(root, "overlay"))
			return root, d
		}},
		"no layers": {"overlay", func(root string, d []string) (string, []string) { return root, nil }},
	} {
		t.Run(name, func(t *testing.T) {
			root, diffIDs, _ := fakePodmanStore(t, "overlay", baseLayer, appLayer)
			root, diffIDs = c.spoil(root, diffIDs)
			if _, err := podmanStoredLayers(root, c.driver, diffIDs); err == nil {
				t.Fatal("the store was accepted")
			} else {
				t.Log(err)
			}
		})
	}
}

// Two layers with the same parent and diff (a store should not hold
// them; if it does, neither is taken).
func TestPodmanStoreAmbiguous(t *testing.T) {
	root, diffIDs, _ := fakePodmanStore(t, "overlay", baseLayer)
	p := filepath.Join(root, "overlay-layers", "layers.json")
	b, _ := os.ReadFile(p)
	var recs []map[string]any
	json.Unmarshal(b, &recs)
	recs = append(recs, map[string]any{"id": strings.Repeat("f", 64), "diff-digest": diffIDs[0]})
	b, _ = json.Marshal(recs)
	os.WriteFile(p, b, 0o644)
	if _, err := podmanStoredLayers(root, "overlay", diffIDs); err == nil {
		t.Fatal("an ambiguous store was accepted")
	}
}
