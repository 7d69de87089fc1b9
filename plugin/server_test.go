package plugin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/docker-scan/docker-scan/engine/db"
)

// serverTestCacheDir is a cache dir with a fixture DB installed.
func serverTestCacheDir(t *testing.T, updatedAt time.Time) string {
	t.Helper()
	dir := t.TempDir()
	fixture := filepath.Join(dir, "f.yaml")
	os.WriteFile(fixture, []byte(`
advisories:
  alpine 3.20:
    musl:
      CVE-2026-0001: {FixedVersion: 1.2.5-r1}
vulnerabilities:
  CVE-2026-0001: {Title: marker}
`), 0o644)
	dbDir := filepath.Join(dir, "cache", "db")
	os.MkdirAll(dbDir, 0o755)
	meta := db.Metadata{Version: db.SchemaVersion, UpdatedAt: updatedAt, NextUpdate: updatedAt.Add(24 * time.Hour)}
	if err := db.BuildFixtureDB(dbDir, meta, fixture); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "cache")
}

func serverTestFreeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// serverTestLockedBuffer collects the command's stderr while it runs.
type serverTestLockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *serverTestLockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *serverTestLockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// serverTestStart runs `server` in-process until ctx ends; the returned
// channel gets its result.
func serverTestStart(t *testing.T, ctx context.Context, args ...string) (<-chan error, *serverTestLockedBuffer) {
	t.Helper()
	root := NewRootCommand("docker-scan", Hooks{Exit: func(code int) { t.Errorf("unexpected exit %d", code) }})
	stderr := &serverTestLockedBuffer{}
	root.SetOut(io.Discard)
	root.SetErr(stderr)
	root.SetArgs(append([]string{"server"}, args...))
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	return done, stderr
}

func serverTestGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func serverTestWaitReady(t *testing.T, base string, done <-chan error, stderr *serverTestLockedBuffer) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if code, _ := serverTestGet(t, base+"/healthz"); code == 200 {
			return
		}
		select {
		case err := <-done:
			t.Fatalf("the server ended before it was ready: %v\n%s", err, stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server was not ready within 20 s\n%s", stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestServerCommandServesAndStopsOnCancel(t *testing.T) {
	updated := time.Date(2026, 11, 30, 0, 17, 0, 0, time.UTC)
	cacheDir := serverTestCacheDir(t, updated)
	addr := serverTestFreeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done, stderr := serverTestStart(t, ctx, "--listen", addr, "--skip-db-update", "--cache-dir", cacheDir, "--cache-backend", "memory", "--token", "s3cret")
	base := "http://" + addr
	serverTestWaitReady(t, base, done, stderr)

	if log := stderr.String(); !strings.Contains(log, "scan server listening") || !strings.Contains(log, addr) || !strings.Contains(log, filepath.Join(cacheDir, "db", db.DBFile)) {
		t.Errorf("the startup line does not say where it listens and which DB it serves:\n%s", log)
	}
	_, body := serverTestGet(t, base+"/version")
	var v struct {
		Version         string
		VulnerabilityDB *db.Metadata
	}
	if err := json.Unmarshal([]byte(body), &v); err != nil || v.Version != Version || v.VulnerabilityDB == nil || !v.VulnerabilityDB.UpdatedAt.Equal(updated) {
		t.Fatalf("/version %s (%v)", body, err)
	}
	if _, metrics := serverTestGet(t, base+"/metrics"); !strings.Contains(metrics, "docker_scan_server_db_loaded 1") {
		t.Fatalf("/metrics lacks the DB:\n%.2000s", metrics)
	}
	resp, err := http.Post(base+"/twirp/trivy.scanner.v1.Scanner/Scan", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a scan without the token: %d", resp.StatusCode)
	}

	if out, _, err := run(t, "server", "healthcheck", base); err != nil || strings.TrimSpace(out) != "ok" {
		t.Fatalf("healthcheck of a ready server: %q, %v", out, err)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the server ended with %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the server did not stop within 20 s of its context ending")
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Fatal("the server still accepts connections after it stopped")
	}
	if _, _, err := run(t, "server", "healthcheck", base+"/healthz"); err == nil || !strings.Contains(err.Error(), "not reachable") {
		t.Fatalf("healthcheck of a stopped server: %v", err)
	}
}

func TestServerCommandStopsOnSIGTERM(t *testing.T) {
	cacheDir := serverTestCacheDir(t, time.Now().Add(-time.Hour))
	addr := serverTestFreeAddr(t)
	done, stderr := serverTestStart(t, context.Background(), "--listen", addr, "--skip-db-update", "--cache-dir", cacheDir)
	serverTestWaitReady(t, "http://"+addr, done, stderr)
	// The server's signal handler is installed before it listens.
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("SIGTERM: the server ended with %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the server did not stop within 20 s of SIGTERM")
	}
	if log := stderr.String(); !strings.Contains(log, "shutting down") || !strings.Contains(log, "scan server stopped") {
		t.Errorf("no shutdown lines:\n%s", log)
	}
}

func TestServerCommandRefusesBadSettings(t *testing.T) {
	cacheDir := serverTestCacheDir(t, time.Now())
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--max-request-size", "lots"}, "--max-request-size"},
		{[]string{"--listen", "4954"}, "--listen"},
		{[]string{"--db-refresh-interval", "0s"}, "--db-refresh-interval"},
		{[]string{"--request-timeout", "-1s"}, "--request-timeout"},
		{[]string{"--token-header", ""}, "--token-header"},
		{[]string{"--cache-backend", "s3://bucket"}, "cache-backend"},
	} {
		_, _, err := run(t, append([]string{"server", "--skip-db-update", "--cache-dir", cacheDir}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err %v, want one naming %s", tc.args, err, tc.want)
		}
		var u *UsageError
		if err != nil && !errors.As(err, &u) {
			t.Errorf("%v: %v is not a usage error", tc.args, err)
		}
	}
	// No DB and downloads off: a clear error, no server.
	_, _, err := run(t, "server", "--skip-db-update", "--cache-dir", t.TempDir(), "--listen", serverTestFreeAddr(t))
	if err == nil || !strings.Contains(err.Error(), "no vulnerability DB") {
		t.Fatalf("no DB: %v", err)
	}
}
