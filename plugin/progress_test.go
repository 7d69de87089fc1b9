package plugin

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a buffer the progress goroutine and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Off a terminal, a long step is a log line every logEvery, however many
// layers and reads it has, and one closing line.
func TestProgressLogsLongStepsPeriodically(t *testing.T) {
	defer func(d time.Duration) { logEvery = d }(logEvery)
	logEvery = 50 * time.Millisecond
	var logs syncBuffer
	defer func(h slog.Handler) { slog.SetDefault(slog.New(h)) }(slog.Default().Handler())
	slog.SetDefault(slog.New(newLogHandler(&logs, slog.LevelInfo)))

	p := &scanProgress{w: &logs, started: map[string]step{}, done: make(chan struct{})}
	p.AnalysisStarted("app:1", 100, 100<<20)
	for range 100 {
		for range 1000 {
			p.LayerRead(1 << 10)
		}
		p.LayerDone()
	}
	const still = "INFO  still analysing layers done=100/100 read=\"97.7 MiB / 100.0 MiB\""
	start := time.Now()
	for strings.Count(logs.String(), still) < 2 && time.Since(start) < 10*time.Second {
		time.Sleep(10 * time.Millisecond)
	}
	p.AnalysisDone("app:1", nil)
	p.stop()
	elapsed := time.Since(start)
	out := logs.String()
	if n := strings.Count(out, still); n < 2 || n > int(elapsed/logEvery)+1 {
		t.Errorf("%d periodic lines in %s at one per %s:\n%s", n, elapsed, logEvery, out)
	}
	if !strings.Contains(out, "INFO  layers analysed image=app:1 layers=100 read=\"97.7 MiB\"") {
		t.Errorf("no closing line:\n%s", out)
	}
	if strings.ContainsAny(out, "\r\x1b") {
		t.Errorf("terminal codes off a terminal: %q", out)
	}
	// Nothing after stop.
	time.Sleep(120 * time.Millisecond)
	if logs.String() != out {
		t.Error("logs after stop")
	}
}

// On a terminal, a log line erases the progress line first, and stop
// erases it for good.
func TestProgressLineErasedForLogs(t *testing.T) {
	var term syncBuffer
	defer func(h slog.Handler) { slog.SetDefault(slog.New(h)) }(slog.Default().Handler())
	slog.SetDefault(slog.New(newLogHandler(&term, slog.LevelInfo)))
	p := &scanProgress{w: &term, live: true, started: map[string]step{}, done: make(chan struct{})}
	p.ExportStarted("app:1", "docker", 830<<20)
	p.ExportWrote(312 << 20)
	p.draw()
	slog.Warn("something")
	p.stop()
	out := term.String()
	for _, want := range []string{
		"\r\x1b[Kexporting app:1 from docker: 0 B / 830.0 MiB",
		"\r\x1b[Kexporting app:1 from docker: 312.0 MiB / 830.0 MiB\r\x1b[KWARN  something\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("lacks %q:\n%q", want, out)
		}
	}
	if !strings.HasSuffix(out, "\n") && !strings.HasSuffix(out, "\r\x1b[K") {
		t.Errorf("the line is left on the terminal: %q", out)
	}
	if _, ok := slog.Default().Handler().(*progressLogHandler); ok {
		t.Error("the log handler is not restored")
	}
}
