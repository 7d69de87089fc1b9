// Command demo-image writes the bundled demo image: each directory under
// testdata/demo/layers becomes one layer, in name order, and the result is
// saved as a docker save archive. It needs no network.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: demo-image LAYERS_DIR OUTPUT.tar")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "demo-image: "+err.Error())
		os.Exit(1)
	}
}

func run(layersDir, out string) error {
	entries, err := os.ReadDir(layersDir)
	if err != nil {
		return err
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	tmp, err := os.MkdirTemp("", "demo-image-*")
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
		if err := imagebuild.DirTar(filepath.Join(layersDir, e.Name()), tarPath); err != nil {
			return err
		}
		l, err := imagebuild.LayerFromFile(tarPath)
		if err != nil {
			return err
		}
		layers = append(layers, l)
	}
	img, err := imagebuild.Image("amd64", layers...)
	if err != nil {
		return err
	}
	partial := out + ".partial"
	if err := imagebuild.WriteDockerArchive(partial, "docker-scan-demo:latest", img); err != nil {
		os.Remove(partial)
		return err
	}
	return os.Rename(partial, out)
}
