package runtime

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/docker-scan/docker-scan/engine/types"
)

// lazyExport is an engine's export of one image, made on first use: the
// engine writes a docker-save archive into a temp file, which is then read
// in place. Sources that know an image's metadata without exporting it
// (docker, podman) hand out layers that call it, so that an image whose
// layers are all cached is never exported.
type lazyExport struct {
	id      string
	tempDir string
	// write streams the archive.
	write func(ctx context.Context, w io.Writer) error

	once    sync.Once
	img     *types.Image
	err     error
	mu      sync.Mutex
	cleanup func() error
}

func (e *lazyExport) image(ctx context.Context) (*types.Image, error) {
	e.once.Do(func() { e.img, e.err = e.export(ctx) })
	return e.img, e.err
}

func (e *lazyExport) export(ctx context.Context) (*types.Image, error) {
	if err := os.MkdirAll(e.tempDir, 0o700); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(e.tempDir, "export-*.tar")
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.cleanup = func() error { tmp.Close(); return os.Remove(tmp.Name()) }
	e.mu.Unlock()
	if err := e.write(ctx, tmp); err != nil {
		return nil, fmt.Errorf("export image %s: %w", e.id, err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	archive, err := openArchive(tmp)
	if err != nil {
		return nil, fmt.Errorf("exported image: %w", err)
	}
	return openDockerArchive(archive, e.id, selector{})
}

// Close removes the temp file, if the export was made.
func (e *lazyExport) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cleanup == nil {
		return nil
	}
	err := e.cleanup()
	e.cleanup = nil
	return err
}

// layers are the image's layers by diffID, read from the export.
func (e *lazyExport) layers(ctx context.Context, diffIDs []string) []types.Layer {
	var out []types.Layer
	for i, d := range diffIDs {
		out = append(out, types.Layer{
			DiffID: d,
			Open: func() (io.ReadCloser, error) {
				saved, err := e.image(ctx)
				if err != nil {
					return nil, err
				}
				if i >= len(saved.Layers) || saved.Layers[i].DiffID != d {
					return nil, fmt.Errorf("the exported image does not have layer %s where inspect said", d)
				}
				return saved.Layers[i].Open()
			},
		})
	}
	return out
}
