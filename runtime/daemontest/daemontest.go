// Package daemontest starts real container engines for end-to-end tests,
// each with its own state, sockets and pidfile under a temp dir of its own
// (so that two test runs on one machine never share or stop each other's
// daemons) and stopped when the test ends. Under -short (`make unit`) a
// test that starts one is skipped; otherwise, outside CI a missing engine
// skips the test with a message; in CI (CI set) it fails it.
package daemontest

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/docker-scan/docker-scan/engine/testenv"
)

// need skips, or in CI fails, a test that lacks something.
func need(t testing.TB, ok bool, what string) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("CI must provide %s", what)
	}
	t.Skipf("skipped: needs %s", what)
}

// shortTempDir makes a temp dir with a short path: unix socket paths are
// limited to about 100 bytes.
func shortTempDir(t testing.TB, prefix string) string {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// Dockerd is a running Docker engine.
type Dockerd struct {
	// Host is its unix:// address.
	Host string
	dir  string
}

// StartDockerd starts Debian's dockerd (20.10, API 1.41) without iptables
// or a bridge, with its own data root, and waits until it answers.
func StartDockerd(t testing.TB) *Dockerd {
	t.Helper()
	testenv.E2E(t, "starts dockerd")
	_, err := exec.LookPath("dockerd")
	need(t, err == nil, "dockerd (apt-get install docker.io)")
	need(t, os.Geteuid() == 0, "root to run dockerd")
	dir := shortTempDir(t, "dkd-")
	sock := filepath.Join(dir, "docker.sock")
	// Networks come from a pool of its own (256 /24s) rather than the
	// 172.17-31 and 192.168 defaults, which bridges of other engines on the
	// machine may already cover.
	log := startDaemon(t, dir, "dockerd", "--iptables=false", "--ip6tables=false", "--bridge=none",
		"--default-address-pool", "base=10.213.0.0/16,size=24",
		"--data-root", filepath.Join(dir, "data"), "--exec-root", filepath.Join(dir, "exec"),
		"--pidfile", filepath.Join(dir, "docker.pid"), "-H", "unix://"+sock)
	if err := waitHTTP(sock, "/_ping", 60*time.Second); err != nil {
		t.Fatalf("dockerd did not come up: %v\n%s", err, log())
	}
	// Runs before the daemon is stopped (cleanups run last-in first-out):
	// dockerd leaves the bridge device of every network that still exists
	// when it stops, and those devices outlive its data root, so a test that
	// failed before its `compose down` would leak one per run.
	t.Cleanup(func() { removeNetworks(t, sock) })
	return &Dockerd{Host: "unix://" + sock, dir: dir}
}

// removeNetworks removes every container and user-defined network of the
// engine at sock.
func removeNetworks(t testing.TB, sock string) {
	c := unixClient(sock)
	c.Timeout = 30 * time.Second
	var containers []struct{ ID string }
	if err := getJSON(c, "/containers/json?all=1", &containers); err != nil {
		t.Logf("listing containers to remove: %v", err)
	}
	for _, ctr := range containers {
		if err := deleteHTTP(c, "/containers/"+ctr.ID+"?force=1&v=1"); err != nil {
			t.Logf("removing container %s: %v", ctr.ID, err)
		}
	}
	var networks []struct{ ID, Name string }
	if err := getJSON(c, "/networks", &networks); err != nil {
		t.Logf("listing networks to remove: %v", err)
	}
	for _, n := range networks {
		switch n.Name {
		case "bridge", "host", "none":
			continue
		}
		if err := deleteHTTP(c, "/networks/"+n.ID); err != nil {
			t.Logf("removing network %s: %v", n.Name, err)
		}
	}
}

func getJSON(c *http.Client, path string, v any) error {
	resp, err := c.Get("http://daemon" + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return errStatus(resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

func deleteHTTP(c *http.Client, path string) error {
	req, err := http.NewRequest(http.MethodDelete, "http://daemon"+path, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 && resp.StatusCode != http.StatusNotFound {
		return errStatus(resp.Status)
	}
	return nil
}

// waitHTTP polls a unix-socket HTTP endpoint until it answers 200.
func waitHTTP(sock, path string, limit time.Duration) error {
	c := unixClient(sock)
	deadline := time.Now().Add(limit)
	var last error
	for time.Now().Before(deadline) {
		resp, err := c.Get("http://daemon" + path)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = errStatus(resp.Status)
		} else {
			last = err
		}
		time.Sleep(200 * time.Millisecond)
	}
	return last
}

type errStatus string

func (e errStatus) Error() string { return "status " + string(e) }

func unixClient(sock string) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		},
	}, Timeout: 5 * time.Second}
}

// CountingProxy forwards a unix-socket HTTP API and counts the requests
// whose path contains a marker (such as "/images/get", the Docker API's
// export).
type CountingProxy struct {
	// Host is the proxy's unix:// address.
	Host   string
	marker string
	count  atomic.Int64
	// stall holds the body of marked responses back this long (in
	// nanoseconds) after their headers, to catch a client mid-download.
	stall atomic.Int64
}

// Stall makes marked responses wait d between headers and body.
func (p *CountingProxy) Stall(d time.Duration) { p.stall.Store(int64(d)) }

type stalledBody struct {
	io.ReadCloser
	wait  time.Duration
	first bool
}

func (s *stalledBody) Read(b []byte) (int, error) {
	if !s.first {
		s.first = true
		time.Sleep(s.wait)
	}
	return s.ReadCloser.Read(b)
}

// Count returns the marked requests so far.
func (p *CountingProxy) Count() int64 { return p.count.Load() }

// NewCountingProxy serves a proxy of the daemon at host (unix://...).
func NewCountingProxy(t testing.TB, host, marker string) *CountingProxy {
	t.Helper()
	target := strings.TrimPrefix(host, "unix://")
	dir := shortTempDir(t, "prx-")
	sock := filepath.Join(dir, "proxy.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	p := &CountingProxy{Host: "unix://" + sock, marker: marker}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.Out.URL.Scheme, r.Out.URL.Host = "http", "daemon"
		},
		Transport:     unixClient(target).Transport,
		FlushInterval: -1,
		ModifyResponse: func(resp *http.Response) error {
			if d := time.Duration(p.stall.Load()); d > 0 && strings.Contains(resp.Request.URL.Path, p.marker) {
				resp.Body = &stalledBody{ReadCloser: resp.Body, wait: d}
			}
			return nil
		},
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, p.marker) {
			p.count.Add(1)
		}
		rp.ServeHTTP(w, r)
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return p
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// Containerd is a running containerd.
type Containerd struct {
	// Address is its gRPC socket.
	Address string
}

// StartContainerd starts Debian's containerd (1.6) with its own root,
// state and socket, and the CRI plugin disabled.
func StartContainerd(t testing.TB) *Containerd {
	t.Helper()
	testenv.E2E(t, "starts containerd")
	_, err := exec.LookPath("containerd")
	need(t, err == nil, "containerd (apt-get install containerd)")
	need(t, os.Geteuid() == 0, "root to run containerd")
	dir := shortTempDir(t, "ctd-")
	sock := filepath.Join(dir, "containerd.sock")
	config := "version = 2\n" +
		"root = \"" + filepath.Join(dir, "root") + "\"\n" +
		"state = \"" + filepath.Join(dir, "state") + "\"\n" +
		"disabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n" +
		"[grpc]\n  address = \"" + sock + "\"\n" +
		"[ttrpc]\n  address = \"" + sock + ".ttrpc\"\n"
	if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	log := startDaemon(t, dir, "containerd", "--config", filepath.Join(dir, "config.toml"))
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := exec.Command("ctr", "-a", sock, "version").CombinedOutput()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("containerd did not come up: %v %s\n%s", err, out, log())
		}
		time.Sleep(200 * time.Millisecond)
	}
	return &Containerd{Address: sock}
}

// Import loads a docker save or OCI archive into a namespace with ctr.
func (c *Containerd) Import(t testing.TB, namespace, archive string) {
	t.Helper()
	out, err := exec.Command("ctr", "-a", c.Address, "-n", namespace, "images", "import", "--snapshotter", "native", archive).CombinedOutput()
	if err != nil {
		t.Fatalf("ctr images import: %v\n%s", err, out)
	}
}

// startDaemon starts a daemon in its own process group, logging to a file
// in dir, and stops it when the test ends. It returns a function that
// reads the end of the log, for failure messages.
func startDaemon(t testing.TB, dir, name string, args ...string) func() []byte {
	t.Helper()
	logPath := filepath.Join(dir, name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() { stop(cmd); logf.Close() })
	return func() []byte {
		b, _ := os.ReadFile(logPath)
		return tail(b, 3000)
	}
}

// stop ends a daemon: SIGTERM, then SIGKILL to its process group.
func stop(cmd *exec.Cmd) {
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// Podman is a running `podman system service`.
type Podman struct {
	// Host is its unix:// address.
	Host string
	dir  string
}

// StartPodman runs Podman's API service on its own socket with its own vfs
// storage.
func StartPodman(t testing.TB) *Podman {
	t.Helper()
	testenv.E2E(t, "starts podman")
	_, err := exec.LookPath("podman")
	need(t, err == nil, "podman (apt-get install podman)")
	need(t, os.Geteuid() == 0, "root to run podman with its own storage")
	dir := shortTempDir(t, "pdm-")
	sock := filepath.Join(dir, "podman.sock")
	p := &Podman{Host: "unix://" + sock, dir: dir}
	log := startDaemon(t, dir, "podman", append(p.storageArgs(), "system", "service", "--time=0", p.Host)...)
	if err := waitHTTP(sock, "/_ping", 60*time.Second); err != nil {
		t.Fatalf("podman did not come up: %v\n%s", err, log())
	}
	return p
}

func (p *Podman) storageArgs() []string {
	// --tmpdir too: by default every Podman on the machine keeps its
	// libpod state (locks, events) in /run/libpod.
	return []string{"--root", filepath.Join(p.dir, "root"), "--runroot", filepath.Join(p.dir, "run"), "--tmpdir", filepath.Join(p.dir, "tmp"), "--storage-driver", "vfs"}
}

// Load loads a docker save or OCI archive through the service.
func (p *Podman) Load(t testing.TB, archive string) {
	t.Helper()
	out, err := exec.Command("podman", "--url", p.Host, "load", "-i", archive).CombinedOutput()
	if err != nil {
		t.Fatalf("podman load: %v\n%s", err, out)
	}
}
