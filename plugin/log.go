package plugin

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
)

// logHandler prints log records as one readable line each on stderr:
// "2026-01-02T15:04:05Z INFO analyzing image image=alpine:3.20 layers=1".
// The timestamp is shown in debug mode only.
type logHandler struct {
	mu    *sync.Mutex
	w     io.Writer
	level slog.Level
	attrs []slog.Attr
}

func newLogHandler(w io.Writer, level slog.Level) *logHandler {
	return &logHandler{mu: &sync.Mutex{}, w: w, level: level}
}

func (h *logHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *logHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	if h.level <= slog.LevelDebug {
		b.WriteString(r.Time.UTC().Format(time.RFC3339) + " ")
	}
	fmt.Fprintf(&b, "%-5s %s", r.Level.String(), r.Message)
	write := func(a slog.Attr) bool {
		v := a.Value.String()
		if strings.ContainsAny(v, " \t\"") {
			v = fmt.Sprintf("%q", v)
		}
		b.WriteString(" " + a.Key + "=" + v)
		return true
	}
	for _, a := range h.attrs {
		write(a)
	}
	r.Attrs(write)
	b.WriteString("\n")
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, b.String())
	return err
}

func (h *logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr{}, h.attrs...), attrs...)
	return &c
}

// WithGroup is not used by this program; groups are flattened.
func (h *logHandler) WithGroup(string) slog.Handler { return h }

// logrusToSlog sends the logs of libraries that use logrus (compose-go's
// warnings about unset variables) through the same handler, so they read
// like ours.
type logrusToSlog struct{}

func (logrusToSlog) Levels() []logrus.Level { return logrus.AllLevels }

func (logrusToSlog) Fire(e *logrus.Entry) error {
	level := slog.LevelInfo
	switch {
	case e.Level <= logrus.ErrorLevel:
		level = slog.LevelError
	case e.Level == logrus.WarnLevel:
		level = slog.LevelWarn
	case e.Level >= logrus.DebugLevel:
		level = slog.LevelDebug
	}
	slog.Log(context.Background(), level, e.Message)
	return nil
}

// routeLogrus makes logrus write nothing itself and hand every entry to
// slog.
func routeLogrus() {
	logrus.SetOutput(io.Discard)
	logrus.SetLevel(logrus.DebugLevel)
	logrus.StandardLogger().ReplaceHooks(logrus.LevelHooks{})
	logrus.AddHook(logrusToSlog{})
}
