package scan

import (
	"context"
	"io"
	"sync"

	"github.com/docker-scan/docker-scan/engine/analyze"
	"github.com/docker-scan/docker-scan/engine/types"
)

// Progress hears how the analysis of an image advances, for a caller that
// shows it (a progress line, log lines). Its methods are called from the
// goroutines reading layers, several at once, and must return quickly:
// LayerRead is called once per read of a layer stream.
type Progress interface {
	// AnalysisStarted says that layers of image are about to be read, and
	// their total size in bytes (0 when the source does not know it). Layers
	// found in the cache are not read and not counted.
	AnalysisStarted(image string, layers int, size int64)
	// LayerRead: n more bytes of a layer were read.
	LayerRead(n int64)
	// LayerDone: one more layer was read to its end (or given up on).
	LayerDone()
	// AnalysisDone: the layers of image that AnalysisStarted announced are
	// analysed, or err says why not.
	AnalysisDone(image string, err error)
}

// analyzeImage analyses the layers of part (the layers of whole that
// need reading), telling opts.Progress how it goes.
func analyzeImage(ctx context.Context, whole, part *types.Image, opts Options) ([]*types.LayerResult, error) {
	p := opts.Progress
	if p == nil {
		return analyze.Image(ctx, part, opts.Analysis)
	}
	var size int64
	for _, l := range part.Layers {
		size += l.Size
	}
	if size == 0 && len(part.Layers) == len(whole.Layers) {
		size = whole.Size
	}
	p.AnalysisStarted(whole.Name, len(part.Layers), size)
	counted := *part
	counted.Layers = make([]types.Layer, len(part.Layers))
	for i, l := range part.Layers {
		open := l.Open
		l.Open = func() (io.ReadCloser, error) {
			rc, err := open()
			if err != nil {
				return nil, err
			}
			return &countingLayer{rc: rc, p: p}, nil
		}
		counted.Layers[i] = l
	}
	res, err := analyze.Image(ctx, &counted, opts.Analysis)
	p.AnalysisDone(whole.Name, err)
	return res, err
}

// countingLayer counts the bytes read from a layer stream: one interface
// call per read, no allocation.
type countingLayer struct {
	rc    io.ReadCloser
	p     Progress
	close sync.Once
}

func (c *countingLayer) Read(b []byte) (int, error) {
	n, err := c.rc.Read(b)
	if n > 0 {
		c.p.LayerRead(int64(n))
	}
	return n, err
}

func (c *countingLayer) Close() error {
	c.close.Do(c.p.LayerDone)
	return c.rc.Close()
}
