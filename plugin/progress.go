package plugin

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/docker-scan/docker-scan/engine/iox"
)

// Progress of long work (an engine's export, the analysis of layers): on a
// terminal, one line redrawn in place every redrawEvery (10 times a
// second, whatever the number of reads), erased when the work is done; elsewhere (a CI log, a pipe), a log line when a step
// starts, every logEvery while it runs, and when it ends. --no-progress
// turns the line off and keeps the logs, as in Trivy; --quiet turns off
// both.
const redrawEvery = 100 * time.Millisecond

// logEvery is a variable for the tests.
var logEvery = 10 * time.Second

// scanProgress implements scan.Progress and runtime.ExportProgress. The
// counters are atomics: the readers of layers add to them on every read.
type scanProgress struct {
	w    io.Writer
	live bool

	exporting    atomic.Int64 // exports running
	exported     atomic.Int64 // bytes written by them
	exportSize   atomic.Int64 // what the engines said the images hold
	layers       atomic.Int64 // layers announced
	layersDone   atomic.Int64
	layerBytes   atomic.Int64
	layersSize   atomic.Int64
	analysing    atomic.Int64 // analyses running
	exportName   atomic.Pointer[string]
	exportSource atomic.Pointer[string]

	mu      sync.Mutex
	started map[string]step // by "export IMAGE", "analysis IMAGE"
	drawn   bool            // a line is on the terminal
	running bool
	stopped bool
	done    chan struct{}
	wg      sync.WaitGroup
	restore slog.Handler
}

// newScanProgress shows progress on cmd's stderr; allowLive false (a
// Compose provider) keeps to log lines.
func newScanProgress(cmd *cobra.Command, g *globalOptions, allowLive bool) *scanProgress {
	w := cmd.ErrOrStderr()
	p := &scanProgress{w: w, started: map[string]step{}, done: make(chan struct{})}
	p.live = allowLive && !g.quiet && !noProgress(cmd) && isTerminal(w) && os.Getenv("TERM") != "dumb"
	return p
}

// noProgress is --no-progress.
func noProgress(cmd *cobra.Command) bool {
	f := cmd.Flags().Lookup("no-progress")
	if f == nil {
		f = cmd.InheritedFlags().Lookup("no-progress")
	}
	return f != nil && f.Value.String() == "true"
}

// begin starts the redraws (or, off a terminal, the periodic logs) at the
// first step that may take long; a scan whose layers are all cached shows
// nothing.
func (p *scanProgress) begin() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.running || p.stopped {
		return
	}
	p.running = true
	if p.live {
		// Log lines erase the progress line first; it comes back on the
		// next redraw.
		p.restore = slog.Default().Handler()
		slog.SetDefault(slog.New(&progressLogHandler{inner: p.restore, p: p}))
	}
	p.wg.Add(1)
	go p.loop()
}

func (p *scanProgress) loop() {
	defer p.wg.Done()
	every := logEvery
	if p.live {
		every = redrawEvery
		p.draw()
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-p.done:
			return
		case <-t.C:
			if p.live {
				p.draw()
			} else {
				p.logStill()
			}
		}
	}
}

// stop erases the line and ends the redraws; safe to call more than once.
// The report is written after it.
func (p *scanProgress) stop() {
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return
	}
	p.stopped = true
	running := p.running
	p.mu.Unlock()
	if !running {
		return
	}
	close(p.done)
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.erase()
	if p.restore != nil {
		slog.SetDefault(slog.New(p.restore))
	}
}

// line is the text of the progress line.
func (p *scanProgress) line() string {
	if p.exporting.Load() > 0 {
		name, source := "", ""
		if s := p.exportName.Load(); s != nil {
			name = *s
		}
		if s := p.exportSource.Load(); s != nil && *s != "" {
			source = " from " + *s
		}
		if n := p.exporting.Load(); n > 1 {
			name = fmt.Sprintf("%d images", n)
		}
		return fmt.Sprintf("exporting %s%s: %s", name, source, ofSize(p.exported.Load(), p.exportSize.Load()))
	}
	if p.analysing.Load() > 0 {
		return fmt.Sprintf("analysing layers: %d/%d, %s", p.layersDone.Load(), p.layers.Load(), ofSize(p.layerBytes.Load(), p.layersSize.Load()))
	}
	return ""
}

func (p *scanProgress) draw() {
	text := p.line()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return
	}
	if text == "" {
		p.erase()
		return
	}
	if width, _, err := terminalSize(p.w); err == nil && width > 1 && len(text) >= width {
		text = text[:width-1]
	}
	fmt.Fprint(p.w, "\r\x1b[K"+text)
	p.drawn = true
}

// erase clears the line; p.mu is held.
func (p *scanProgress) erase() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
}

// terminalSize is the size of the terminal w writes to: a file, or the
// Docker CLI's stream.
func terminalSize(w io.Writer) (int, int, error) {
	switch f := w.(type) {
	case interface{ FD() uintptr }:
		return term.GetSize(int(f.FD()))
	case interface{ Fd() uintptr }:
		return term.GetSize(int(f.Fd()))
	}
	return 0, 0, fmt.Errorf("not a terminal")
}

// logStill says, off a terminal, that a long step is still going.
func (p *scanProgress) logStill() {
	switch {
	case p.exporting.Load() > 0:
		slog.Info("still exporting", "written", ofSize(p.exported.Load(), p.exportSize.Load()))
	case p.analysing.Load() > 0:
		slog.Info("still analysing layers", "done", fmt.Sprintf("%d/%d", p.layersDone.Load(), p.layers.Load()), "read", ofSize(p.layerBytes.Load(), p.layersSize.Load()))
	}
}

// step is one export or analysis, for its closing log line.
type step struct {
	start  time.Time
	layers int
}

func (p *scanProgress) mark(name string, layers int) {
	p.mu.Lock()
	p.started[name] = step{time.Now(), layers}
	p.mu.Unlock()
}

func (p *scanProgress) finish(name string) step {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.started[name]
	delete(p.started, name)
	return s
}

func (s step) took() time.Duration { return time.Since(s.start).Round(10 * time.Millisecond) }

func (p *scanProgress) ExportStarted(image, source string, size int64) {
	p.exportName.Store(&image)
	p.exportSource.Store(&source)
	if p.exporting.Load() == 0 {
		// The line counts the exports running now, not those done.
		p.exported.Store(0)
		p.exportSize.Store(0)
	}
	p.exportSize.Add(size)
	p.exporting.Add(1)
	p.mark("export "+image, 0)
	attrs := []any{"image", image}
	if source != "" {
		attrs = append(attrs, "from", source)
	}
	if size > 0 {
		attrs = append(attrs, "size", iox.HumanSize(size))
	}
	slog.Info("exporting image", attrs...)
	p.begin()
	if p.live {
		p.draw() // a new step shows at once, however short
	}
}

func (p *scanProgress) ExportWrote(n int64) { p.exported.Add(n) }

func (p *scanProgress) ExportDone(image string, written int64, err error) {
	p.exporting.Add(-1)
	s := p.finish("export " + image)
	if err == nil {
		slog.Info("image exported", "image", image, "size", iox.HumanSize(written), "took", s.took())
	}
}

func (p *scanProgress) AnalysisStarted(image string, layers int, size int64) {
	p.layers.Add(int64(layers))
	p.layersSize.Add(size)
	p.analysing.Add(1)
	p.mark("analysis "+image, layers)
	p.begin()
}

func (p *scanProgress) LayerRead(n int64) { p.layerBytes.Add(n) }

func (p *scanProgress) LayerDone() { p.layersDone.Add(1) }

func (p *scanProgress) AnalysisDone(image string, err error) {
	p.analysing.Add(-1)
	s := p.finish("analysis " + image)
	if err == nil {
		// read counts the layers of every image analysed so far (one, but
		// for compose).
		slog.Info("layers analysed", "image", image, "layers", s.layers, "read", iox.HumanSize(p.layerBytes.Load()), "took", s.took())
	}
}

// ofSize is "312.0 MiB / 830.0 MiB", or "312.0 MiB" when the total is unknown.
func ofSize(n, total int64) string {
	if total <= 0 {
		return iox.HumanSize(n)
	}
	return iox.HumanSize(n) + " / " + iox.HumanSize(total)
}

// progressLogHandler erases the progress line before a log line is
// written, so that the two never share a line.
type progressLogHandler struct {
	inner slog.Handler
	p     *scanProgress
}

func (h *progressLogHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h *progressLogHandler) Handle(ctx context.Context, r slog.Record) error {
	h.p.mu.Lock()
	defer h.p.mu.Unlock()
	h.p.erase()
	return h.inner.Handle(ctx, r)
}

func (h *progressLogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &progressLogHandler{inner: h.inner.WithAttrs(attrs), p: h.p}
}

func (h *progressLogHandler) WithGroup(name string) slog.Handler {
	return &progressLogHandler{inner: h.inner.WithGroup(name), p: h.p}
}
