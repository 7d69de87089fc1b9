package main

// Helpers of the client/server tests (server_test.go, load_test.go): scan
// servers (ours and Trivy's) run as real processes on loopback, the test
// images with their standalone reports, a round-robin reverse proxy that
// stands in for a load balancer, and readers of /metrics, /version and
// /proc.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/docker-scan/docker-scan/engine/db"
	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/scan"
	"github.com/docker-scan/docker-scan/engine/server"
	"github.com/docker-scan/docker-scan/engine/testenv"
	"github.com/docker-scan/docker-scan/engine/types"
	"github.com/docker-scan/docker-scan/runtime"
)

// serverFixtures is the DB every server and standalone scan of these
// tests reads: the advisories the Alpine and Debian images match.
func serverFixtures(t *testing.T) []string {
	t.Helper()
	fixtures, err := filepath.Glob("../../testdata/db/*.yaml")
	if err != nil || len(fixtures) == 0 {
		t.Fatalf("no DB fixtures in testdata/db: %v", err)
	}
	return fixtures
}

// fixtureDBDir builds a cache dir holding the fixture DB, its metadata
// stamped updated at updated.
func fixtureDBDir(t *testing.T, updated time.Time) string {
	t.Helper()
	dir := t.TempDir()
	updated = updated.UTC().Truncate(time.Second)
	meta := db.Metadata{Version: db.SchemaVersion, UpdatedAt: updated, NextUpdate: updated.Add(24 * time.Hour), DownloadedAt: updated}
	if err := os.MkdirAll(filepath.Join(dir, "db"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := db.BuildFixtureDB(filepath.Join(dir, "db"), meta, serverFixtures(t)...); err != nil {
		t.Fatal(err)
	}
	return dir
}

// copyDBDir is a new cache dir holding a copy of the DB in src (db/):
// each server gets its own, as replicas do.
func copyDBDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dst, "db"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"trivy.db", "metadata.json"} {
		b, err := os.ReadFile(filepath.Join(src, "db", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, "db", name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// testImage is an image of the server tests, as a docker save archive,
// with what a standalone scan of it reports.
type testImage struct {
	name    string
	archive string
	// want is the standalone JSON report (default scanners), without
	// CreatedAt.
	want string
}

var (
	testImagesMu sync.Mutex
	testImages   = map[string]string{} // name -> archive, for the whole run
)

// serverTestImage builds (once per test process) the archive of the image
// named name: "alpine" (a real Alpine 3.14 root with a layer of old
// package versions: findings), "debian" (debootstrap's bookworm minbase)
// or "demo" (the demo image). The archives live in the run's temp dir,
// which TestMain removes.
func serverTestImage(t *testing.T, name string) string {
	t.Helper()
	testImagesMu.Lock()
	defer testImagesMu.Unlock()
	if p, ok := testImages[name]; ok {
		return p
	}
	var built string
	switch name {
	case "alpine":
		built = oldAlpineImage(t)
	case "debian":
		need(t, haveCommand("debootstrap"), "debootstrap (apt-get install debootstrap)")
		need(t, os.Geteuid() == 0, "root for debootstrap")
		layerTar := filepath.Join(t.TempDir(), "rootfs.tar")
		if err := imagebuild.DirTar(debianRoot(t), layerTar); err != nil {
			t.Fatal(err)
		}
		built = imageArchive(t, layerTar, "debian:bookworm")
	case "demo":
		built = demoImage(t)
	default:
		t.Fatalf("no test image %q", name)
	}
	dir := filepath.Join(dockerConfig, "server-test-images")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name+".tar")
	if err := os.Rename(built, p); err != nil {
		t.Fatal(err)
	}
	testImages[name] = p
	return p
}

// standaloneImages are the images named, each with its standalone report
// against the DB in dbDir.
func standaloneImages(t *testing.T, dbDir string, names ...string) []testImage {
	t.Helper()
	var out []testImage
	for _, n := range names {
		archive := serverTestImage(t, n)
		r := cliRun{}.run(t, "image", "--input", archive, "--cache-dir", copyDBDir(t, dbDir), "--skip-db-update",
			"--format", "json", "--cache-backend", "memory", "--quiet")
		if r.exit != 0 {
			t.Fatalf("standalone scan of %s: exit %d\n%s", n, r.exit, r.stderr)
		}
		out = append(out, testImage{name: n, archive: archive, want: withoutCreatedAt(t, r.stdout)})
	}
	return out
}

// withoutCreatedAt is a JSON report, indented, without its CreatedAt.
func withoutCreatedAt(t *testing.T, report string) string {
	t.Helper()
	s, err := normalizedReport(report)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// normalizedReport is a JSON report, indented, without its CreatedAt (the
// one field two scans of an image differ in).
func normalizedReport(report string) (string, error) {
	var m map[string]any
	if err := json.Unmarshal([]byte(report), &m); err != nil {
		return "", fmt.Errorf("report is not JSON: %w\n%s", err, tail([]byte(report), 2000))
	}
	if _, ok := m["CreatedAt"]; !ok {
		return "", fmt.Errorf("report without CreatedAt:\n%s", tail([]byte(report), 2000))
	}
	delete(m, "CreatedAt")
	b, err := json.MarshalIndent(m, "", "  ")
	return string(b), err
}

// runCLI runs docker-scan ARGS (as cliRun does, without the Docker CLI)
// from any goroutine: a command that cannot start is an error, not a
// failed test.
func runCLI(ctx context.Context, args ...string) (scanResult, error) {
	cmd := exec.CommandContext(ctx, pluginBin, args...)
	cmd.Env = append(cleanEnv(), "DOCKER_CONFIG="+dockerConfig, "DOCKER_HOST=unix:///nonexistent/docker.sock", "NO_COLOR=1")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := scanResult{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		r.exit = exit.ExitCode()
		err = nil
	}
	return r, err
}

// clientScan scans img through the scan server at url with our CLI, with
// a memory cache so that the client's own cache hides nothing, and
// returns the report without CreatedAt.
func clientScan(t *testing.T, img testImage, url string, extra ...string) string {
	t.Helper()
	args := append([]string{"image", "--input", img.archive, "--server", url, "--format", "json",
		"--cache-backend", "memory", "--cache-dir", t.TempDir(), "--quiet"}, extra...)
	r := cliRun{}.run(t, args...)
	if r.exit != 0 {
		t.Fatalf("scan of %s through %s: exit %d\n%s", img.name, url, r.exit, r.stderr)
	}
	return withoutCreatedAt(t, r.stdout)
}

// checkSameReport fails when a report through a server differs from the
// standalone one.
func checkSameReport(t *testing.T, img testImage, via, got string) {
	t.Helper()
	if got != img.want {
		t.Errorf("%s through %s: the report differs from the standalone scan's:\n%s", img.name, via, diffLines(img.want, got))
	}
}

// scanServer is a `docker-scan server` or `trivy server` process on
// loopback.
type scanServer struct {
	name     string
	url      string
	cacheDir string
	cmd      *exec.Cmd
	logPath  string
	done     chan struct{}
	stopOnce sync.Once
}

// freeLoopbackAddr is a loopback address with a port free when asked.
func freeLoopbackAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startOurServer runs `docker-scan server` on a free loopback port with
// the DB in cacheDir (never updated) and waits until /healthz says ready.
func startOurServer(t testing.TB, name, cacheDir string, extra ...string) *scanServer {
	t.Helper()
	addr := freeLoopbackAddr(t)
	args := append([]string{"server", "--listen", addr, "--cache-dir", cacheDir, "--skip-db-update"}, extra...)
	cmd := exec.Command(pluginBin, args...)
	cmd.Env = append(cleanEnv(), "NO_COLOR=1")
	return startServerProcess(t, name, addr, cacheDir, cmd)
}

// startTrivyServer runs `trivy server` with the DB in cacheDir.
func startTrivyServer(t testing.TB, trivy, cacheDir string) *scanServer {
	t.Helper()
	addr := freeLoopbackAddr(t)
	cmd := exec.Command(trivy, "server", "--listen", addr, "--cache-dir", cacheDir, "--skip-db-update", "--quiet")
	cmd.Env = append(os.Environ(), "HOME="+cacheDir, "TRIVY_NO_PROGRESS=true")
	return startServerProcess(t, "trivy server", addr, cacheDir, cmd)
}

func startServerProcess(t testing.TB, name, addr, cacheDir string, cmd *exec.Cmd) *scanServer {
	t.Helper()
	logFile, err := os.CreateTemp(cacheDir, "server-*.log")
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	s := &scanServer{name: name, url: "http://" + addr, cacheDir: cacheDir, cmd: cmd, logPath: logFile.Name(), done: make(chan struct{})}
	go func() { cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("%s log:\n%s", name, tail([]byte(s.log()), 4000))
		}
	})
	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, err := http.Get(s.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		select {
		case <-s.done:
			t.Fatalf("%s exited: %v\n%s", name, cmd.ProcessState, tail([]byte(s.log()), 3000))
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not become ready on %s:\n%s", name, addr, tail([]byte(s.log()), 3000))
		}
	}
}

// pid is the server's process ID.
func (s *scanServer) pid() int { return s.cmd.Process.Pid }

// log is what the server wrote so far.
func (s *scanServer) log() string {
	b, _ := os.ReadFile(s.logPath)
	return string(b)
}

// stop ends the server: SIGTERM, and SIGKILL if it is still there after
// 15 seconds.
func (s *scanServer) stop() {
	s.stopOnce.Do(func() {
		s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(15 * time.Second):
			s.cmd.Process.Kill()
			<-s.done
		}
	})
}

// kill ends the server at once (SIGKILL), as a crash would, and waits for
// it to be gone.
func (s *scanServer) kill() {
	s.stopOnce.Do(func() {
		s.cmd.Process.Kill()
		<-s.done
	})
}

// metrics reads the server's /metrics: each sample (name with its
// labels, as printed) and its value.
func (s *scanServer) metrics(t testing.TB) map[string]float64 {
	t.Helper()
	resp, err := http.Get(s.url + "/metrics")
	if err != nil {
		t.Fatalf("%s /metrics: %v", s.name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("%s /metrics: %s %v", s.name, resp.Status, err)
	}
	out := map[string]float64{}
	for _, line := range strings.Split(string(body), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("%s /metrics: bad line %q", s.name, line)
		}
		out[line[:i]] = v
	}
	return out
}

// metric is one sample of /metrics; a sample the server does not export
// fails the test.
func (s *scanServer) metric(t testing.TB, sample string) float64 {
	t.Helper()
	m := s.metrics(t)
	v, ok := m[sample]
	if !ok {
		t.Fatalf("%s exports no %s", s.name, sample)
	}
	return v
}

// Samples of our server's /metrics that the tests read.
const (
	metricBlobsStored = "docker_scan_server_cache_blobs_stored_total"
	metricBlobHits    = `docker_scan_server_cache_blob_lookups_total{result="hit"}`
	metricBlobMisses  = `docker_scan_server_cache_blob_lookups_total{result="miss"}`
	metricScansOK     = `docker_scan_server_scans_total{result="ok"}`
	metricScansError  = `docker_scan_server_scans_total{result="error"}`
)

// dbUpdatedAt is the UpdatedAt of the DB the server's /version reports.
func (s *scanServer) dbUpdatedAt(t testing.TB) time.Time {
	t.Helper()
	resp, err := http.Get(s.url + "/version")
	if err != nil {
		t.Fatalf("%s /version: %v", s.name, err)
	}
	defer resp.Body.Close()
	var v server.VersionInfo
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&v); err != nil {
		t.Fatalf("%s /version: %v", s.name, err)
	}
	if v.VulnerabilityDB == nil {
		t.Fatalf("%s /version names no DB", s.name)
	}
	return v.VulnerabilityDB.UpdatedAt
}

// peakRSS is the high-water mark of the server's resident memory
// (VmHWM), in bytes; 0 once the process is gone.
func (s *scanServer) peakRSS() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.pid()))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if kb, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(kb), "kB")), 10, 64)
			if err == nil {
				return n << 10
			}
		}
	}
	return 0
}

// roundRobin is the least of a load balancer: each request goes to the
// next backend in turn, and to the one after when a backend refuses the
// connection or drops it (a replica that died), so that a replica going
// down costs no request. Every request of the scan API can be repeated.
type roundRobin struct {
	url      string
	backends []*url.URL
	next     atomic.Uint64
	// scans counts the Scan requests answered with 200.
	scans atomic.Int64
	// failovers counts the requests that a backend failed and another
	// answered.
	failovers atomic.Int64
}

// maxProxiedBody bounds the request bodies the proxy holds to retry.
const maxProxiedBody = 64 << 20

// startRoundRobin serves the proxy on a loopback port until the test ends.
func startRoundRobin(t testing.TB, backends ...*scanServer) *roundRobin {
	t.Helper()
	rr := &roundRobin{}
	for _, b := range backends {
		u, err := url.Parse(b.url)
		if err != nil {
			t.Fatal(err)
		}
		rr.backends = append(rr.backends, u)
	}
	transport := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     30 * time.Second,
	}
	proxy := &httputil.ReverseProxy{
		Rewrite:   func(r *httputil.ProxyRequest) { r.Out.URL.Scheme, r.Out.URL.Host = "http", "backend" },
		Transport: &failoverTransport{rr: rr, next: transport},
		ModifyResponse: func(resp *http.Response) error {
			if resp.StatusCode == http.StatusOK && strings.HasSuffix(resp.Request.URL.Path, "/Scan") {
				rr.scans.Add(1)
			}
			return nil
		},
		ErrorLog: nil,
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The body is held so that it can be sent again to the next
		// backend.
		body, err := io.ReadAll(io.LimitReader(r.Body, maxProxiedBody+1))
		if err != nil || len(body) > maxProxiedBody {
			http.Error(w, "request body too large or unreadable for the test proxy", http.StatusRequestEntityTooLarge)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		r.ContentLength = int64(len(body))
		proxy.ServeHTTP(w, r)
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(l)
	t.Cleanup(func() {
		srv.Close()
		transport.CloseIdleConnections()
	})
	rr.url = "http://" + l.Addr().String()
	return rr
}

// failoverTransport sends a request to the backends in turn from the next
// one, until one answers.
type failoverTransport struct {
	rr   *roundRobin
	next http.RoundTripper
}

func (f *failoverTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	n := len(f.rr.backends)
	start := f.rr.next.Add(1)
	var errs []error
	for i := range n {
		b := f.rr.backends[(start+uint64(i))%uint64(n)]
		out := req.Clone(req.Context())
		out.URL.Scheme, out.URL.Host, out.Host = b.Scheme, b.Host, b.Host
		if req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			out.Body = body
		}
		resp, err := f.next.RoundTrip(out)
		if err == nil {
			if i > 0 {
				f.rr.failovers.Add(1)
			}
			return resp, nil
		}
		if req.Context().Err() != nil {
			return nil, err
		}
		errs = append(errs, fmt.Errorf("%s: %w", b.Host, err))
	}
	return nil, errors.Join(errs...)
}

// preparedImage is an image analysed once, in this process, for clients
// that only talk to a server (the load test's): each scan is MissingBlobs,
// maybe PutBlob, and Scan, then Finish here.
type preparedImage struct {
	testImage
	analysis *scan.Analysis
	// findings are those of the standalone report (findings()).
	findings []string
}

// clientOptions are the options our CLI scans with by default: the vuln
// and secret scanners, every severity.
func clientOptions() scan.Options {
	return scan.Options{Scanners: []string{scan.ScannerVuln, scan.ScannerSecret}}
}

// prepareImages analyses each image once, for in-process clients.
func prepareImages(t testing.TB, images []testImage) []preparedImage {
	t.Helper()
	ctx := context.Background()
	var out []preparedImage
	for _, img := range images {
		tmp := t.TempDir()
		opened, err := runtime.Open(ctx, "", runtime.Options{Input: img.archive, TempDir: tmp})
		if err != nil {
			t.Fatalf("open %s: %v", img.name, err)
		}
		opts := clientOptions()
		opts.TempDir = tmp
		a, err := scan.Analyze(ctx, opened, opts)
		opened.Close()
		if err != nil {
			t.Fatalf("analyse %s: %v", img.name, err)
		}
		var rep types.Report
		if err := json.Unmarshal([]byte(img.want), &rep); err != nil {
			t.Fatal(err)
		}
		out = append(out, preparedImage{testImage: img, analysis: a, findings: findings(rep)})
	}
	return out
}

// quietLogs keeps the warnings of in-process scans (one per scan of an
// image past its end of life) out of the test's output until the test
// ends: errors still show.
func quietLogs(t testing.TB) {
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
	t.Cleanup(func() { slog.SetDefault(old) })
}

// remoteScan scans a prepared image through the server at url with an
// in-process client (one per goroutine) and checks the findings against
// the standalone scan's.
func remoteScan(ctx context.Context, c *server.Client, img preparedImage) error {
	opts := clientOptions()
	rep, err := c.Scan(ctx, img.analysis, opts)
	if err != nil {
		return fmt.Errorf("%s: %w", img.name, err)
	}
	rep = scan.Finish(rep, opts)
	if got := findings(*rep); !slices.Equal(got, img.findings) {
		return fmt.Errorf("%s: findings differ from the standalone scan's:\nwant %q\ngot  %q", img.name, img.findings, got)
	}
	return nil
}

// vulnSets are the vulnerabilities of a report, "ID pkg installed", per
// result class, sorted.
func vulnSets(t *testing.T, report string) map[string][]string {
	t.Helper()
	sets, err := reportVulnSets(report)
	if err != nil {
		t.Fatal(err)
	}
	return sets
}

// reportVulnSets is vulnSets for goroutines.
func reportVulnSets(report string) (map[string][]string, error) {
	var rep types.Report
	if err := json.Unmarshal([]byte(report), &rep); err != nil {
		return nil, fmt.Errorf("report is not JSON: %w\n%s", err, tail([]byte(report), 2000))
	}
	out := map[string][]string{}
	for _, res := range rep.Results {
		for _, v := range res.Vulnerabilities {
			out[res.Class] = append(out[res.Class], v.VulnerabilityID+" "+v.PkgName+" "+v.InstalledVersion)
		}
	}
	for _, s := range out {
		sort.Strings(s)
	}
	return out, nil
}

// diffSets lists what is only in want (-) and only in got (+), per class.
func diffSets(want, got map[string][]string) string {
	var lines []string
	classes := map[string]bool{}
	for c := range want {
		classes[c] = true
	}
	for c := range got {
		classes[c] = true
	}
	for c := range classes {
		for _, v := range want[c] {
			if !slices.Contains(got[c], v) {
				lines = append(lines, "- "+c+": "+v)
			}
		}
		for _, v := range got[c] {
			if !slices.Contains(want[c], v) {
				lines = append(lines, "+ "+c+": "+v)
			}
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// trivyEnv is the environment of a Trivy client run: its own HOME, no
// progress bar.
func trivyEnv(home string) []string {
	return append(os.Environ(), "HOME="+home, "TRIVY_NO_PROGRESS=true")
}

// trivyBin is the reference Trivy, or a skip (a failure in CI).
func trivyBin(t *testing.T) string {
	t.Helper()
	return testenv.Trivy(t)
}
