// Package runtime finds images where they live (archives, OCI layouts,
// registries; later the Docker, containerd and Podman engines) and hands
// them to the engine as types.Image. Every source returns the same shape;
// nothing source-specific leaks past this package.
package runtime

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/docker-scan/docker-scan/engine/types"
)

// blobLayer is a layer whose blob is a file of an fs.FS.
type blobLayer struct {
	path   string
	digest string
	size   int64
}

// imageFromFS assembles an image from its config bytes and layer blobs
// stored in fsys, checking that the config describes as many layers as
// there are blobs.
func imageFromFS(ctx context.Context, fsys fs.FS, name, source string, rawConfig []byte, layers []blobLayer) (*types.Image, error) {
	cfg, err := parseConfigContext(ctx, rawConfig)
	if err != nil {
		return nil, err
	}
	diffIDs := cfg.RootFS.DiffIDs
	if len(diffIDs) != len(layers) {
		return nil, fmt.Errorf("image config lists %d layers but the manifest has %d", len(diffIDs), len(layers))
	}
	img := &types.Image{
		Name:   name,
		ID:     digestOf(rawConfig),
		Config: cfg,
		Source: source,
	}
	for i, l := range layers {
		img.Layers = append(img.Layers, types.Layer{
			Digest: l.digest,
			DiffID: diffIDs[i].String(),
			Size:   l.size,
			Open:   func() (io.ReadCloser, error) { return fsys.Open(l.path) },
		})
	}
	return img, nil
}

// parseConfigContext is parseConfig that returns when ctx is done: the
// config of an image of many layers (up to 8 MiB of JSON) takes a second
// or more to parse on a busy machine, and a cancelled scan should not wait
// for it (the parse finishes in the background and is dropped).
func parseConfigContext(ctx context.Context, raw []byte) (*v1.ConfigFile, error) {
	if len(raw) < 64<<10 {
		return parseConfig(raw)
	}
	type parsed struct {
		cfg *v1.ConfigFile
		err error
	}
	ch := make(chan parsed, 1)
	go func() {
		cfg, err := parseConfig(raw)
		ch <- parsed{cfg, err}
	}()
	select {
	case p := <-ch:
		return p.cfg, p.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func parseConfig(raw []byte) (*v1.ConfigFile, error) {
	cfg, err := v1.ParseConfigFile(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("image config: %w", err)
	}
	if cfg.RootFS.Type != "layers" && len(cfg.RootFS.DiffIDs) == 0 {
		return nil, fmt.Errorf("not a container image: its config has no root filesystem layers")
	}
	return cfg, nil
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// readLimited reads a small metadata file (manifest, config, index) and
// refuses huge ones rather than holding them in memory.
func readLimited(fsys fs.FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	const maxMetadataSize = 8 << 20
	b, err := io.ReadAll(io.LimitReader(f, maxMetadataSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(b) > maxMetadataSize {
		return nil, fmt.Errorf("read %s: larger than %d bytes", name, maxMetadataSize)
	}
	return b, nil
}
