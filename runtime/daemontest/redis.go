package daemontest

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/docker-scan/docker-scan/engine/testenv"
)

// Redis is a running redis-server on loopback, with no persistence, its
// files in a temp dir of its own.
type Redis struct {
	// Addr is HOST:PORT.
	Addr string
	// URL is redis://Addr, or rediss://Addr for a TLS server.
	URL string
	// TLS is set for a TLS server: its CA, and a client certificate it
	// accepts (it requires one).
	TLS *testenv.TLSFiles

	dir      string
	cmd      *exec.Cmd
	stopOnce sync.Once
}

// StartRedis starts Debian's redis-server on a free loopback port.
func StartRedis(t testing.TB) *Redis {
	t.Helper()
	return startRedis(t, false)
}

// StartRedisTLS starts a redis-server that speaks TLS only and requires a
// client certificate; it skips (fails in CI) when redis-server was built
// without TLS.
func StartRedisTLS(t testing.TB) *Redis {
	t.Helper()
	return startRedis(t, true)
}

func startRedis(t testing.TB, withTLS bool) *Redis {
	t.Helper()
	testenv.E2E(t, "starts redis-server")
	_, err := exec.LookPath("redis-server")
	need(t, err == nil, "redis-server (apt-get install redis-server)")
	dir := shortTempDir(t, "rds-")
	r := &Redis{dir: dir}
	// The port is free when asked; another process could take it before
	// redis-server binds it, which the wait below reports.
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	r.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	args := []string{"--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir,
		"--pidfile", filepath.Join(dir, "redis.pid"), "--logfile", filepath.Join(dir, "redis.log"), "--daemonize", "no",
		// Loopback only, no password: the tests need no protected mode.
		"--protected-mode", "no"}
	if withTLS {
		f := testenv.WriteTLSFiles(t, dir)
		r.TLS = &f
		need(t, redisHasTLS(), "a redis-server built with TLS")
		args = append(args, "--port", "0", "--tls-port", strconv.Itoa(port),
			"--tls-cert-file", f.ServerCert, "--tls-key-file", f.ServerKey, "--tls-ca-cert-file", f.CA, "--tls-auth-clients", "yes")
		r.URL = "rediss://" + r.Addr
	} else {
		args = append(args, "--port", strconv.Itoa(port))
		r.URL = "redis://" + r.Addr
	}
	r.cmd = exec.Command("redis-server", args...)
	out, err := os.Create(filepath.Join(dir, "redis.out"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	r.cmd.Stdout, r.cmd.Stderr = out, out
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	t.Cleanup(r.Stop)
	if err := r.waitPing(10 * time.Second); err != nil {
		r.Stop()
		t.Fatalf("redis-server did not come up: %v\n%s", err, r.log())
	}
	return r
}

// Stop stops the server (SIGTERM, then SIGKILL); the test's cleanup does
// it too, so calling it is for a test that needs Redis gone.
func (r *Redis) Stop() {
	r.stopOnce.Do(func() { stop(r.cmd) })
}

// Do sends one command and returns the reply line (a test's look inside:
// "DBSIZE" -> ":3"). Bulk replies are returned as their first line after
// the length.
func (r *Redis) Do(t testing.TB, args ...string) string {
	t.Helper()
	conn, err := r.dial()
	if err != nil {
		t.Fatalf("redis %s: %v", r.Addr, err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := conn.Write([]byte(b.String())); err != nil {
		t.Fatalf("redis %s: %v", r.Addr, err)
	}
	rd := bufio.NewReader(conn)
	line, err := rd.ReadString('\n')
	if err != nil {
		t.Fatalf("redis %s: %v", r.Addr, err)
	}
	line = strings.TrimRight(line, "\r\n")
	if strings.HasPrefix(line, "$") && line != "$-1" {
		body, err := rd.ReadString('\n')
		if err != nil {
			t.Fatalf("redis %s: %v", r.Addr, err)
		}
		return strings.TrimRight(body, "\r\n")
	}
	return line
}

// Keys returns the number of keys matching pattern (KEYS: for tests only).
func (r *Redis) Keys(t testing.TB, pattern string) int {
	t.Helper()
	conn, err := r.dial()
	if err != nil {
		t.Fatalf("redis %s: %v", r.Addr, err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "*2\r\n$4\r\nKEYS\r\n$%d\r\n%s\r\n", len(pattern), pattern)
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "*") {
		t.Fatalf("redis %s: KEYS: %q %v", r.Addr, line, err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(line[1:]))
	if err != nil {
		t.Fatalf("redis %s: KEYS: %q", r.Addr, line)
	}
	return n
}

func (r *Redis) dial() (net.Conn, error) {
	d := &net.Dialer{Timeout: 2 * time.Second}
	if r.TLS == nil {
		return d.Dial("tcp", r.Addr)
	}
	pemCA, err := os.ReadFile(r.TLS.CA)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemCA)
	cert, err := tls.LoadX509KeyPair(r.TLS.ClientCert, r.TLS.ClientKey)
	if err != nil {
		return nil, err
	}
	return tls.DialWithDialer(d, "tcp", r.Addr, &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
}

func (r *Redis) waitPing(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	var last error
	for time.Now().Before(deadline) {
		if r.cmd.ProcessState != nil {
			return fmt.Errorf("exited: %v", r.cmd.ProcessState)
		}
		conn, err := r.dial()
		if err == nil {
			conn.SetDeadline(time.Now().Add(2 * time.Second))
			_, err = conn.Write([]byte("*1\r\n$4\r\nPING\r\n"))
			var line string
			if err == nil {
				line, err = bufio.NewReader(conn).ReadString('\n')
			}
			conn.Close()
			if err == nil && strings.HasPrefix(line, "+PONG") {
				return nil
			}
			if err == nil {
				err = fmt.Errorf("PING answered %q", strings.TrimSpace(line))
			}
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	return last
}

func (r *Redis) log() []byte {
	a, _ := os.ReadFile(filepath.Join(r.dir, "redis.out"))
	b, _ := os.ReadFile(filepath.Join(r.dir, "redis.log"))
	return tail(append(a, b...), 3000)
}

// redisHasTLS reports whether redis-server was built with TLS (Debian's
// is): given certificate files that do not exist, such a build fails in
// its TLS set-up, saying so, where one without TLS gets no further than
// the option.
func redisHasTLS() bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, "redis-server", "--port", "0", "--tls-port", "1", "--save", "", "--logfile", "",
		"--tls-cert-file", "/nonexistent/cert.pem", "--tls-key-file", "/nonexistent/key.pem", "--tls-ca-cert-file", "/nonexistent/ca.pem").CombinedOutput()
	return strings.Contains(string(out), "Failed to configure TLS")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
