package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/docker-scan/docker-scan/engine/server"
)

// httpFakeService stands in for a Twirp service: it reads the whole body
// as Twirp does (a read error is "malformed", 400), records a scan in the
// metrics and answers with the body's size.
type httpFakeService struct {
	prefix  string
	metrics *server.Metrics
	// block waits for the request's context to end before answering.
	block bool
}

func (s *httpFakeService) PathPrefix() string { return s.prefix }

func (s *httpFakeService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"code":"malformed","msg":"failed to read request body: %s"}`, err)
		return
	}
	if s.block {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
		s.metrics.ScanDone(time.Since(start), r.Context().Err())
		return
	}
	s.metrics.ScanDone(time.Since(start), nil)
	s.metrics.BlobsLookedUp(3, 2)
	s.metrics.BlobsStored(2)
	w.Header().Set("Content-Type", "application/json")
	// A reply large enough to be worth compressing.
	fmt.Fprintf(w, `{"size":%d,"padding":%q}`, len(body), strings.Repeat("CVE-2026-0001 ", 200))
}

const httpScanPath = "/twirp/trivy.scanner.v1.Scanner/Scan"

func httpNewServer(t *testing.T, o server.HandlerOptions) (*httptest.Server, *server.Metrics) {
	t.Helper()
	if o.DB == nil {
		o.DB = server.NewDBHolder(nil)
	}
	if o.Metrics == nil {
		o.Metrics = server.NewMetrics(o.DB)
	}
	if o.Services == nil {
		o.Services = []server.Service{&httpFakeService{prefix: "/twirp/trivy.scanner.v1.Scanner/", metrics: o.Metrics}}
	}
	srv := httptest.NewServer(server.NewHandler(o))
	t.Cleanup(srv.Close)
	return srv, o.Metrics
}

func httpPost(t *testing.T, url string, header http.Header, body io.Reader) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// httpTwirpError decodes a Twirp error body the way Twirp clients do:
// unknown fields are an error.
func httpTwirpError(t *testing.T, body []byte) (code, msg string) {
	t.Helper()
	var e struct {
		Code string            `json:"code"`
		Msg  string            `json:"msg"`
		Meta map[string]string `json:"meta"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("not a Twirp error body: %q: %v", body, err)
	}
	return e.Code, e.Msg
}

func TestHandlerToken(t *testing.T) {
	srv, _ := httpNewServer(t, server.HandlerOptions{Token: "s3cret"})
	for _, tc := range []struct {
		name   string
		header http.Header
		status int
		code   string
		msg    string
	}{
		{"right token", http.Header{"Trivy-Token": {"s3cret"}}, 200, "", ""},
		{"no token", nil, 401, "unauthenticated", "missing token"},
		{"wrong token", http.Header{"Trivy-Token": {"s3cre"}}, 401, "unauthenticated", "invalid token"},
		{"token in another header", http.Header{"Authorization": {"s3cret"}}, 401, "unauthenticated", "missing token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := httpPost(t, srv.URL+httpScanPath, tc.header, strings.NewReader(`{}`))
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if tc.code == "" {
				if !bytes.Contains(body, []byte(`"size":2`)) {
					t.Fatalf("the service did not answer: %s", body)
				}
				return
			}
			code, msg := httpTwirpError(t, body)
			if code != tc.code || !strings.Contains(msg, tc.msg) {
				t.Fatalf("error %s %q, want %s containing %q", code, msg, tc.code, tc.msg)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}

	t.Run("custom header", func(t *testing.T) {
		srv, _ := httpNewServer(t, server.HandlerOptions{Token: "s3cret", TokenHeader: "X-Scan-Token"})
		if resp, body := httpPost(t, srv.URL+httpScanPath, http.Header{"X-Scan-Token": {"s3cret"}}, strings.NewReader(`{}`)); resp.StatusCode != 200 {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		if resp, _ := httpPost(t, srv.URL+httpScanPath, http.Header{"Trivy-Token": {"s3cret"}}, strings.NewReader(`{}`)); resp.StatusCode != 401 {
			t.Fatalf("the default header was accepted when another was configured: %d", resp.StatusCode)
		}
	})

	t.Run("no token configured", func(t *testing.T) {
		srv, _ := httpNewServer(t, server.HandlerOptions{})
		if resp, body := httpPost(t, srv.URL+httpScanPath, nil, strings.NewReader(`{}`)); resp.StatusCode != 200 {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
	})
}

func TestHandlerRefusesAGigabyteBodyBeforeReadingIt(t *testing.T) {
	srv, _ := httpNewServer(t, server.HandlerOptions{})
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	// Headers only: the server must answer without waiting for the 1 GB
	// it was promised.
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/protobuf\r\nContent-Length: %d\r\n\r\n", httpScanPath, 1<<30)
	start := time.Now()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413: %s", resp.StatusCode, body)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("the refusal took %s", took)
	}
	code, msg := httpTwirpError(t, body)
	if code != "resource_exhausted" || !strings.Contains(msg, "1073741824") {
		t.Fatalf("error %s %q", code, msg)
	}
	if got := httpMetric(t, srv.URL, `docker_scan_server_requests_rejected_total{reason="too_large"}`); got != "1" {
		t.Errorf("too_large rejections: %s", got)
	}
}

// httpUnsized hides a reader's length, so that the client sends it
// chunked.
type httpUnsized struct{ r io.Reader }

func (u httpUnsized) Read(p []byte) (int, error) { return u.r.Read(p) }

func TestHandlerRefusesAChunkedBodyThatGrowsPastTheLimit(t *testing.T) {
	srv, _ := httpNewServer(t, server.HandlerOptions{MaxBodyBytes: 1 << 20})
	resp, body := httpPost(t, srv.URL+httpScanPath, nil, httpUnsized{bytes.NewReader(make([]byte, 3<<20))})
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413: %s", resp.StatusCode, body)
	}
	if code, msg := httpTwirpError(t, body); code != "resource_exhausted" || !strings.Contains(msg, "1048576 bytes") {
		t.Fatalf("error %s %q", code, msg)
	}
	// Just under the limit is fine.
	resp, body = httpPost(t, srv.URL+httpScanPath, nil, httpUnsized{bytes.NewReader(make([]byte, 1<<20))})
	if resp.StatusCode != 200 || !bytes.Contains(body, []byte(`"size":1048576`)) {
		t.Fatalf("a body at the limit: %d %s", resp.StatusCode, body)
	}
}

func TestHandlerRequestTimeout(t *testing.T) {
	o := server.HandlerOptions{RequestTimeout: 200 * time.Millisecond, DB: server.NewDBHolder(nil)}
	o.Metrics = server.NewMetrics(o.DB)
	o.Services = []server.Service{&httpFakeService{prefix: "/twirp/trivy.scanner.v1.Scanner/", metrics: o.Metrics, block: true}}
	srv, _ := httpNewServer(t, o)
	start := time.Now()
	resp, body := httpPost(t, srv.URL+httpScanPath, nil, strings.NewReader(`{}`))
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("the time limit answered after %s", took)
	}
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	if code, _ := httpTwirpError(t, body); code != "deadline_exceeded" {
		t.Fatalf("code %s", code)
	}
	if got := httpMetric(t, srv.URL, `docker_scan_server_requests_rejected_total{reason="timeout"}`); got != "1" {
		t.Errorf("timeouts counted: %s", got)
	}
	// The service saw its context end, and counted the scan as timed out.
	deadline := time.Now().Add(5 * time.Second)
	for httpMetric(t, srv.URL, `docker_scan_server_scans_total{result="timeout"}`) != "1" {
		if time.Now().After(deadline) {
			t.Fatal("the service's context did not end with the time limit")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestHandlerHealthzAndVersion(t *testing.T) {
	h := server.NewDBHolder(nil)
	srv, _ := httpNewServer(t, server.HandlerOptions{DB: h, Token: "s3cret", Version: "1.2.3"})

	get := func(path string) (*http.Response, []byte) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	if resp, body := get("/healthz"); resp.StatusCode != 503 {
		t.Fatalf("/healthz without a DB: %d %s", resp.StatusCode, body)
	}
	_, body := get("/version")
	var noDB map[string]any
	if err := json.Unmarshal(body, &noDB); err != nil {
		t.Fatal(err)
	}
	if _, ok := noDB["VulnerabilityDB"]; ok || noDB["Version"] != "1.2.3" {
		t.Fatalf("/version without a DB: %s", body)
	}

	updated := time.Date(2026, 11, 30, 0, 17, 0, 0, time.UTC)
	h.Swap(holderOpen(t, holderFixtureDir(t, "CVE-2026-0001", updated)))
	t.Cleanup(h.Close)
	if resp, body := get("/healthz"); resp.StatusCode != 200 || string(body) != "ok" {
		t.Fatalf("/healthz with a DB: %d %q", resp.StatusCode, body)
	}
	resp, body := get("/version")
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("/version Content-Type %q", ct)
	}
	// The shape of Trivy's server's /version, which its clients decode.
	var v struct {
		Version         string
		VulnerabilityDB *struct {
			Version      int
			NextUpdate   time.Time
			UpdatedAt    time.Time
			DownloadedAt time.Time
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("/version %s: %v", body, err)
	}
	if v.Version != "1.2.3" || v.VulnerabilityDB == nil || v.VulnerabilityDB.Version != 2 ||
		!v.VulnerabilityDB.UpdatedAt.Equal(updated) || !v.VulnerabilityDB.NextUpdate.Equal(updated.Add(24*time.Hour)) {
		t.Fatalf("/version %s", body)
	}
	if !strings.Contains(string(body), `"UpdatedAt":"2026-11-30T00:17:00Z"`) {
		t.Errorf("times are not UTC RFC 3339: %s", body)
	}
}

// httpMetric is the value of one sample in /metrics, or "" when absent.
func httpMetric(t *testing.T, base, sample string) string {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, sample+" "); ok {
			return v
		}
	}
	return ""
}

func TestHandlerMetrics(t *testing.T) {
	h := server.NewDBHolder(nil)
	srv, _ := httpNewServer(t, server.HandlerOptions{DB: h, Token: "s3cret"})
	h.Swap(holderOpen(t, holderFixtureDir(t, "CVE-2026-0001", time.Now().Add(-time.Hour))))
	t.Cleanup(h.Close)

	if resp, body := httpPost(t, srv.URL+httpScanPath, http.Header{"Trivy-Token": {"s3cret"}}, strings.NewReader(`{"artifact_id":"sha256:1"}`)); resp.StatusCode != 200 {
		t.Fatalf("scan: %d %s", resp.StatusCode, body)
	}
	httpPost(t, srv.URL+httpScanPath, nil, strings.NewReader(`{}`))

	for sample, want := range map[string]string{
		`docker_scan_server_scans_total{result="ok"}`:                                              "1",
		`docker_scan_server_scans_total{result="error"}`:                                           "0",
		`docker_scan_server_cache_blob_lookups_total{result="hit"}`:                                "3",
		`docker_scan_server_cache_blob_lookups_total{result="miss"}`:                               "2",
		`docker_scan_server_cache_blobs_stored_total`:                                              "2",
		`docker_scan_server_scan_duration_seconds_count`:                                           "1",
		`docker_scan_server_request_body_bytes_count`:                                              "1",
		`docker_scan_server_request_body_bytes_sum`:                                                "26",
		`docker_scan_server_requests_total{code="200",service="/twirp/trivy.scanner.v1.Scanner/"}`: "1",
		`docker_scan_server_requests_total{code="401",service="/twirp/trivy.scanner.v1.Scanner/"}`: "1",
		`docker_scan_server_requests_rejected_total{reason="unauthenticated"}`:                     "1",
		`docker_scan_server_requests_in_flight`:                                                    "0",
		`docker_scan_server_db_loaded`:                                                             "1",
	} {
		if got := httpMetric(t, srv.URL, sample); got != want {
			t.Errorf("%s = %q, want %s", sample, got, want)
		}
	}
	var age float64
	if _, err := fmt.Sscan(httpMetric(t, srv.URL, "docker_scan_server_db_age_seconds"), &age); err != nil || age < 3500 || age > 3700 {
		t.Errorf("DB age %v (%v), want about an hour", age, err)
	}
	if httpMetric(t, srv.URL, "process_resident_memory_bytes") == "" || httpMetric(t, srv.URL, "go_goroutines") == "" {
		t.Error("no process or Go runtime metrics")
	}
}

func TestHandlerOtherPaths(t *testing.T) {
	srv, _ := httpNewServer(t, server.HandlerOptions{})
	resp, body := httpPost(t, srv.URL+"/twirp/trivy.nothing.v1.Nothing/Do", nil, strings.NewReader(`{}`))
	if resp.StatusCode != 404 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if code, _ := httpTwirpError(t, body); code != "bad_route" {
		t.Fatalf("code %s", code)
	}
	if resp, _ := httpPost(t, srv.URL+"/elsewhere", nil, strings.NewReader(`{}`)); resp.StatusCode != 404 {
		t.Fatalf("/elsewhere: %d", resp.StatusCode)
	}
}

func TestHandlerCompressesReplies(t *testing.T) {
	srv, _ := httpNewServer(t, server.HandlerOptions{})
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL+httpScanPath, strings.NewReader(`{}`))
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("status %d, Content-Encoding %q", resp.StatusCode, resp.Header.Get("Content-Encoding"))
	}
}

// FuzzHandler sends whatever a client may: any path, token and body must
// get an answer (never a panic), and only the statuses the handler means
// to give.
func FuzzHandler(f *testing.F) {
	f.Add(httpScanPath, "s3cret", []byte(`{}`), false)
	f.Add("/twirp/trivy.cache.v1.Cache/PutBlob", "", []byte(`{"diff_id":"sha256:1"}`), true)
	f.Add("/twirp/", "s3cret\x00", bytes.Repeat([]byte{0xff}, 5000), true)
	f.Add("/version", "x", []byte(nil), false)
	h := server.NewDBHolder(nil)
	m := server.NewMetrics(h)
	handler := server.NewHandler(server.HandlerOptions{
		Services:     []server.Service{&httpFakeService{prefix: "/twirp/trivy.scanner.v1.Scanner/", metrics: m}},
		Token:        "s3cret",
		MaxBodyBytes: 4096,
		DB:           h,
		Metrics:      m,
	})
	f.Fuzz(func(t *testing.T, path, token string, body []byte, chunked bool) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " ?#\r\n\t") {
			return
		}
		if _, err := url.ParseRequestURI(path); err != nil {
			return
		}
		var r io.Reader = bytes.NewReader(body)
		if chunked {
			r = httpUnsized{r}
		}
		req := httptest.NewRequest(http.MethodPost, "http://x"+path, r)
		if chunked {
			req.ContentLength = -1
		}
		req.Header.Set("Trivy-Token", token)
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		switch rec.Code {
		case 200, 301, 307, 308, 401, 404, 405, 413, 503:
		default:
			t.Fatalf("%s: status %d: %s", path, rec.Code, rec.Body)
		}
		if rec.Code == 413 && len(body) <= 4096 {
			t.Fatalf("%s: a body of %d bytes was refused", path, len(body))
		}
	})
}

// httpDBService answers a scan from the DB it holds, after the test lets
// it go on.
type httpDBService struct {
	holder  *server.DBHolder
	started chan struct{}
	proceed chan struct{}
}

func (s *httpDBService) PathPrefix() string { return "/twirp/trivy.scanner.v1.Scanner/" }

func (s *httpDBService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d, release := s.holder.Acquire()
	defer release()
	close(s.started)
	<-s.proceed
	m, err := holderMarker(d)
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	io.WriteString(w, m)
}

func TestShutdownLetsScansUnderWayFinish(t *testing.T) {
	h := server.NewDBHolder(holderOpen(t, holderFixtureDir(t, "CVE-2026-0042", holderT0)))
	svc := &httpDBService{holder: h, started: make(chan struct{}), proceed: make(chan struct{})}
	srv := server.NewHTTPServer("127.0.0.1:0", server.NewHandler(server.HandlerOptions{Services: []server.Service{svc}, DB: h}), time.Minute)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	type result struct {
		code int
		body string
		err  error
	}
	scan := make(chan result, 1)
	go func() {
		resp, err := http.Post("http://"+ln.Addr().String()+httpScanPath, "application/json", strings.NewReader(`{}`))
		if err != nil {
			scan <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		scan <- result{code: resp.StatusCode, body: string(b)}
	}()
	<-svc.started

	shutdown := make(chan error, 1)
	go func() { shutdown <- srv.Shutdown(context.Background()) }()
	// New connections are refused at once...
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the server still accepts connections while shutting down")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// ...and the DB is replaced and closed meanwhile: the scan keeps its
	// DB all the same.
	h.Close()
	select {
	case err := <-shutdown:
		t.Fatalf("Shutdown returned (%v) with a scan under way", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(svc.proceed)
	r := <-scan
	if r.err != nil || r.code != 200 || r.body != "CVE-2026-0042" {
		t.Fatalf("the scan under way got %d %q, %v", r.code, r.body, r.err)
	}
	if err := <-shutdown; err != nil {
		t.Fatal(err)
	}
	if err := <-served; err != http.ErrServerClosed {
		t.Fatal(err)
	}
}
