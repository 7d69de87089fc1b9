package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/docker-scan/docker-scan/engine/iox"
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
	// maxSize caps the export on disk (exportBudget); 0 when the engine
	// did not say how large the image is.
	maxSize int64
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
	tmp, err := createTemp(e.tempDir, exportPattern)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.cleanup = tmp.Remove
	e.mu.Unlock()
	// Not every engine's export call takes ctx (Podman's does not): the
	// writer stops it instead.
	var w io.Writer = iox.ContextWriter{Ctx: ctx, W: tmp}
	if e.maxSize > 0 {
		w = &iox.BudgetWriter{W: w, Max: e.maxSize, What: "the export"}
	}
	if err := e.write(ctx, w); err != nil {
		if errors.Is(err, iox.ErrBudget) {
			return nil, fmt.Errorf("export image %s: the engine sent more than %s, %dx the image size it reports; the image or the engine is broken", e.id, humanSize(e.maxSize), exportExpansion)
		}
		return nil, fmt.Errorf("export image %s: %w", e.id, err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	archive, err := openArchive(tmp.File)
	if err != nil {
		return nil, fmt.Errorf("exported image: %w", err)
	}
	return openDockerArchive(archive, e.id, selector{})
}

// exportExpansion bounds an export by the image size the engine reports
// (its layers, uncompressed): the archive is those layers plus small
// metadata, so 4x (plus a margin for tiny images) is never reached by an
// honest engine.
const exportExpansion = 4

// exportBudget is the cap of an export of an image the engine says holds
// size bytes; 0 (no cap) when it does not say.
func exportBudget(size int64) int64 {
	if size <= 0 {
		return 0
	}
	return exportExpansion*size + 64<<20
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
