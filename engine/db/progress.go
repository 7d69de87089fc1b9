package db

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"golang.org/x/term"
)

// progress reports how much of a download has arrived: a bar redrawn in
// place when w is a terminal, a log line every quarter otherwise.
type progress struct {
	r        io.Reader
	w        io.Writer
	tty      bool
	total    int64
	done     int64
	last     time.Time
	quarters int64
	finished bool
}

func newProgress(r io.Reader, total int64, w io.Writer) io.Reader {
	p := &progress{r: r, w: w, total: total}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = true
	}
	return p
}

func (p *progress) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.done += int64(n)
	switch {
	case p.tty && !p.finished && (time.Since(p.last) > 100*time.Millisecond || err != nil):
		p.last, p.finished = time.Now(), err != nil
		p.draw(err != nil)
	case !p.tty && p.total > 0:
		if q := p.done * 4 / p.total; q > p.quarters && q < 4 {
			p.quarters = q
			slog.Info("downloading the vulnerability DB", "done", fmt.Sprintf("%d%%", q*25), "of", mib(p.total))
		}
	}
	return n, err
}

func (p *progress) draw(final bool) {
	const width = 30
	frac := 0.0
	if p.total > 0 {
		frac = min(float64(p.done)/float64(p.total), 1)
	}
	filled := int(frac * width)
	fmt.Fprintf(p.w, "\rVulnerability DB [%s%s] %s / %s", strings.Repeat("=", filled), strings.Repeat(" ", width-filled), mib(p.done), mib(p.total))
	if final {
		fmt.Fprintln(p.w)
	}
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
