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
	id string
	// name and source say what is exported from where, for progress; size
	// is the image size the engine reports (0 when unknown).
	name, source string
	size         int64
	tempDir      string
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

// meter puts the export's size cap and progress report in front of w;
// done reports the export's end, with its error, to the progress.
func (e *lazyExport) meter(ctx context.Context, w io.Writer) (_ io.Writer, done func(error)) {
	if e.maxSize > 0 {
		w = &iox.BudgetWriter{W: w, Max: e.maxSize, What: "the export"}
	}
	p := exportProgressOf(ctx)
	if p == nil {
		return w, func(error) {}
	}
	name := e.name
	if name == "" {
		name = e.id
	}
	p.ExportStarted(name, e.source, e.size)
	cw := &countingWriter{w: w, p: p}
	return cw, func(err error) { p.ExportDone(name, cw.n, err) }
}

func (e *lazyExport) export(ctx context.Context) (_ *types.Image, err error) {
	tmp, err := createTemp(e.tempDir, exportPattern)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.cleanup = tmp.Remove
	e.mu.Unlock()
	// Not every engine's export call takes ctx (Podman's does not): the
	// writer stops it instead.
	w, done := e.meter(ctx, iox.ContextWriter{Ctx: ctx, W: tmp})
	defer func() { done(err) }()
	if err := e.write(ctx, w); err != nil {
		if errors.Is(err, iox.ErrBudget) {
			return nil, fmt.Errorf("export image %s: the engine sent more than %s, %dx the image size it reports; the image or the engine is broken", e.id, iox.HumanSize(e.maxSize), exportExpansion)
		}
		return nil, fmt.Errorf("export image %s: %w", e.id, err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	archive, err := openArchive(ctx, tmp.File)
	if err != nil {
		return nil, fmt.Errorf("exported image: %w", err)
	}
	return openDockerArchive(ctx, archive, e.id, selector{})
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

// ExportProgress hears how an engine's export of an image advances, for a
// caller that shows it. ExportWrote is called once per write of the
// engine's stream and must return quickly.
type ExportProgress interface {
	// ExportStarted: image is being exported from source; size is what
	// the engine says the image holds (0 when it does not say).
	ExportStarted(image, source string, size int64)
	// ExportWrote: n more bytes of the export arrived.
	ExportWrote(n int64)
	// ExportDone: the export of image ended after written bytes, err says
	// why when it failed.
	ExportDone(image string, written int64, err error)
}

type exportProgressKey struct{}

// WithExportProgress makes the exports of the images opened under ctx
// (docker, podman: made when a layer is first read) report to p.
func WithExportProgress(ctx context.Context, p ExportProgress) context.Context {
	return context.WithValue(ctx, exportProgressKey{}, p)
}

func exportProgressOf(ctx context.Context) ExportProgress {
	p, _ := ctx.Value(exportProgressKey{}).(ExportProgress)
	return p
}

// countingWriter counts what passes through it for ExportProgress.
type countingWriter struct {
	w io.Writer
	p ExportProgress
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	c.p.ExportWrote(int64(n))
	return n, err
}
