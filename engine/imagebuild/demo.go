package imagebuild

import (
	"os"
	"path/filepath"
	"sort"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// DemoTag is the tag of the demo image in its docker save archive.
const DemoTag = "docker-scan-demo:latest"

// DirsImage writes a docker save archive tagged tag to out, with one layer
// per directory of layersDir in name order (the demo image: `make
// demo-image`, and the tests that scan it). The archive appears whole or
// not at all.
func DirsImage(layersDir, out, tag string) error {
	entries, err := os.ReadDir(layersDir)
	if err != nil {
		return err
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	tmp, err := os.MkdirTemp(filepath.Dir(out), ".layers-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	var layers []v1.Layer
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		tarPath := filepath.Join(tmp, e.Name()+".tar")
		if err := DirTar(filepath.Join(layersDir, e.Name()), tarPath); err != nil {
			return err
		}
		l, err := LayerFromFile(tarPath)
		if err != nil {
			return err
		}
		layers = append(layers, l)
	}
	img, err := Image("amd64", layers...)
	if err != nil {
		return err
	}
	partial := filepath.Join(tmp, "image.tar")
	if err := WriteDockerArchive(partial, tag, img); err != nil {
		return err
	}
	return os.Rename(partial, out)
}
