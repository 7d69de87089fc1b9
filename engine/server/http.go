package server

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/gzhttp"

	"github.com/docker-scan/docker-scan/engine/db"
)

// Service is a Twirp server, served under its PathPrefix (e.g.
// /twirp/trivy.scanner.v1.Scanner/).
type Service = interface {
	http.Handler
	PathPrefix() string
}

// Defaults of HandlerOptions.
const (
	// DefaultTokenHeader is the header Trivy clients send the token in.
	DefaultTokenHeader = "Trivy-Token"
	// DefaultMaxBodyBytes bounds a request body: the layer results of
	// one layer (PutBlob) are kilobytes to a few megabytes; a scan
	// request names blobs by key.
	DefaultMaxBodyBytes = 64 << 20
	// DefaultRequestTimeout bounds the time to answer one request.
	DefaultRequestTimeout = 10 * time.Minute
)

// HandlerOptions configure NewHandler.
type HandlerOptions struct {
	// Services are mounted at their PathPrefix, behind the token check
	// and the size and time limits.
	Services []Service
	// Token, when set, must be sent in TokenHeader with every API
	// request; /healthz, /version and /metrics need none.
	Token string
	// TokenHeader defaults to DefaultTokenHeader.
	TokenHeader string
	// MaxBodyBytes defaults to DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// RequestTimeout defaults to DefaultRequestTimeout.
	RequestTimeout time.Duration
	// DB is what /healthz and /version report on.
	DB *DBHolder
	// Metrics are served at /metrics and count requests; nil serves no
	// /metrics.
	Metrics *Metrics
	// Version is this program's version, for /version.
	Version string
}

func (o *HandlerOptions) defaults() {
	if o.TokenHeader == "" {
		o.TokenHeader = DefaultTokenHeader
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.DB == nil {
		o.DB = &DBHolder{}
	}
}

// NewHandler serves the API services and the server's own endpoints:
//
//	/twirp/...  the services; 401 without the token, 413 for a body over
//	            MaxBodyBytes, deadline_exceeded after RequestTimeout
//	/healthz    200 "ok" when a DB is loaded, else 503
//	/version    this program's version and the DB's metadata, as Trivy's
//	            server returns them
//	/metrics    Prometheus metrics
func NewHandler(o HandlerOptions) http.Handler {
	o.defaults()
	mux := http.NewServeMux()
	for _, s := range o.Services {
		mux.Handle(s.PathPrefix(), o.api(s.PathPrefix(), s))
	}
	// Other Twirp paths get a Twirp error rather than a plain 404.
	mux.Handle("/twirp/", o.api("other", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeHTTPTwirpError(w, http.StatusNotFound, "bad_route", "no such service: "+boundedPath(r.URL.Path))
	})))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !o.DB.Loaded() {
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "no vulnerability DB loaded")
			return
		}
		io.WriteString(w, "ok")
	})
	mux.HandleFunc("/version", func(w http.ResponseWriter, _ *http.Request) {
		info := VersionInfo{Version: o.Version}
		if m, ok := o.DB.Metadata(); ok {
			m.NextUpdate, m.UpdatedAt, m.DownloadedAt = m.NextUpdate.UTC(), m.UpdatedAt.UTC(), m.DownloadedAt.UTC()
			info.VulnerabilityDB = &m
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(info)
	})
	if o.Metrics != nil {
		mux.Handle("/metrics", o.Metrics.Handler())
	}
	return mux
}

// VersionInfo is the JSON of /version, with the field names of Trivy's
// server, whose clients read it.
type VersionInfo struct {
	Version         string       `json:",omitempty"`
	VulnerabilityDB *db.Metadata `json:",omitempty"`
}

// boundedPath keeps a client's path short enough to echo in an error.
func boundedPath(p string) string {
	const max = 200
	if len(p) > max {
		return strconv.Quote(p[:max]) + "..."
	}
	return strconv.Quote(p)
}

// api wraps a service: metrics, token, size limit, compression, time
// limit, in that order from the outside.
func (o *HandlerOptions) api(service string, next http.Handler) http.Handler {
	timeoutBody := httpTwirpErrorBody("deadline_exceeded", fmt.Sprintf("the request took longer than the server allows (%s)", o.RequestTimeout))
	timed := http.TimeoutHandler(next, o.RequestTimeout, string(timeoutBody))
	limited := gzhttp.GzipHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := &countingBody{ReadCloser: http.MaxBytesReader(w, r.Body, o.MaxBodyBytes)}
		r.Body = body
		defer func() { o.Metrics.bodyRead(body.n.Load()) }()
		guard := &tooLargeWriter{ResponseWriter: w, body: body, max: o.MaxBodyBytes}
		// The time limit's own reply carries no Content-Type; a
		// service's replies set theirs over this one.
		w.Header().Set("Content-Type", "application/json")
		ctx, cancel := context.WithTimeout(r.Context(), o.RequestTimeout)
		defer cancel()
		timed.ServeHTTP(guard, r.WithContext(ctx))
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			o.Metrics.requestRejected("timeout")
		}
		if guard.rewritten {
			o.Metrics.requestRejected("too_large")
		}
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		o.Metrics.requestStarted()
		defer func() { o.Metrics.requestDone(service, rec.status()) }()
		if o.Token != "" {
			got := r.Header.Get(o.TokenHeader)
			if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(o.Token)) != 1 {
				msg := "invalid token"
				if got == "" {
					msg = "missing token: send it in the " + o.TokenHeader + " header (--token)"
				}
				slog.Debug("refused an API request", "path", boundedPath(r.URL.Path), "remote", r.RemoteAddr, "reason", msg)
				o.Metrics.requestRejected("unauthenticated")
				writeHTTPTwirpError(rec, http.StatusUnauthorized, "unauthenticated", msg)
				return
			}
		}
		// A body that says it is too large is refused before any of it
		// is read; one that does not say (chunked) is cut where it
		// passes the limit.
		if r.ContentLength > o.MaxBodyBytes {
			o.Metrics.requestRejected("too_large")
			writeHTTPTwirpError(rec, http.StatusRequestEntityTooLarge, "resource_exhausted", tooLargeMessage(r.ContentLength, o.MaxBodyBytes))
			return
		}
		limited.ServeHTTP(rec, r)
	})
}

func tooLargeMessage(size, limit int64) string {
	if size < 0 {
		return fmt.Sprintf("the request body is larger than the server allows (%d bytes; --max-request-size)", limit)
	}
	return fmt.Sprintf("the request body (%d bytes) is larger than the server allows (%d bytes; --max-request-size)", size, limit)
}

// httpTwirpErrorBody is a Twirp error as JSON: {"code":...,"msg":...}.
func httpTwirpErrorBody(code, msg string) []byte {
	b, _ := json.Marshal(struct {
		Code string `json:"code"`
		Msg  string `json:"msg"`
	}{code, msg})
	return b
}

// writeHTTPTwirpError answers with a Twirp error, which Twirp clients
// (Trivy's among them) decode into its code and message.
func writeHTTPTwirpError(w http.ResponseWriter, status int, code, msg string) {
	body := httpTwirpErrorBody(code, msg)
	h := w.Header()
	h.Del("Content-Encoding")
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// countingBody counts the bytes read from a request body and notes when
// it passed the size limit. Reads may come from the service's goroutine
// while the time limit answers from another.
type countingBody struct {
	io.ReadCloser
	n        atomic.Int64
	tooLarge atomic.Bool
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		b.tooLarge.Store(true)
	}
	return n, err
}

// tooLargeWriter replaces whatever a service answers to a body that
// passed the size limit (Twirp calls it malformed) with a 413.
type tooLargeWriter struct {
	http.ResponseWriter
	body        *countingBody
	max         int64
	wroteHeader bool
	rewritten   bool
}

func (w *tooLargeWriter) WriteHeader(code int) {
	if w.wroteHeader {
		return
	}
	w.wroteHeader = true
	if w.body.tooLarge.Load() {
		w.rewritten = true
		writeHTTPTwirpError(w.ResponseWriter, http.StatusRequestEntityTooLarge, "resource_exhausted", tooLargeMessage(-1, w.max))
		return
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *tooLargeWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.rewritten {
		return len(p), nil
	}
	return w.ResponseWriter.Write(p)
}

func (w *tooLargeWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// statusRecorder notes the status code of the reply, for the metrics.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusRecorder) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

// NewHTTPServer is the http.Server for h on addr, with limits that keep
// slow or stuck clients from holding connections: headers within 10 s,
// the whole request within requestTimeout (0: DefaultRequestTimeout).
func NewHTTPServer(addr string, h http.Handler, requestTimeout time.Duration) *http.Server {
	if requestTimeout <= 0 {
		requestTimeout = DefaultRequestTimeout
	}
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       requestTimeout,
		// Long enough to write the time limit's own reply.
		WriteTimeout:   requestTimeout + 30*time.Second,
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(slog.Default().Handler(), slog.LevelDebug),
	}
}
