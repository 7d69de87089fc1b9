package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/docker-scan/docker-scan/engine/db/dbtest"
	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/runtime/daemontest"
)

// TestCLIHooks: with `docker scan hooks enable`, the Docker CLI prints a
// "What's next" line after docker pull: how to scan the image, then, once
// it is scanned, the last scan's findings (read from the cache dir, not
// scanned again); `hooks disable` stops it. Pulled by dockerd from a
// registry on 127.0.0.1.
func TestCLIHooks(t *testing.T) {
	need(t, haveCommand("docker"), "the docker CLI")
	d := daemontest.StartDockerd(t)
	reg := dbtest.NewRegistry()
	defer reg.Close()
	img, err := tarball.ImageFromPath(appArchive(t, "e2e/app:vuln", "1.2.11-r3"), nil)
	if err != nil {
		t.Fatal(err)
	}
	ref := reg.Host + "/e2e/app:vuln"
	if err := imagebuild.Push(ref, v1.Image(img)); err != nil {
		t.Fatal(err)
	}
	// A DOCKER_CONFIG of its own: hooks here must not reach other tests.
	cfgDir := t.TempDir()
	os.MkdirAll(filepath.Join(cfgDir, "cli-plugins"), 0o755)
	if err := os.Symlink(pluginBin, filepath.Join(cfgDir, "cli-plugins", "docker-scan")); err != nil {
		t.Fatal(err)
	}
	cache := fixtureCache(t, "../../testdata/db/alpine-3.14.yaml")
	run := func(prog string, args ...string) (string, string) {
		t.Helper()
		cmd := exec.Command(prog, args...)
		cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+cfgDir, "DOCKER_HOST="+d.Host, "DOCKER_SCAN_CACHE_DIR="+cache, "DOCKER_SCAN_SKIP_DB_UPDATE=true", "DOCKER_SCAN_INSECURE=true", "NO_COLOR=1")
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s %v: %v\n%s", prog, args, err, stderr.String())
		}
		return stdout.String(), stderr.String()
	}
	out, _ := run("docker", "scan", "hooks", "enable")
	if !strings.Contains(out, "enabled for pull,build,compose up") {
		t.Fatalf("hooks enable: %s", out)
	}
	cfg, _ := os.ReadFile(filepath.Join(cfgDir, "config.json"))
	if !strings.Contains(string(cfg), `"hooks": "true"`) || !strings.Contains(string(cfg), `"hooks": "pull,build,compose up"`) {
		t.Fatalf("config.json: %s", cfg)
	}
	// The Docker CLI runs hooks only when its output is a terminal: pull
	// under script(1), which gives it one.
	need(t, haveCommand("script"), "script (util-linux) for a pseudo-terminal")
	pull := func() string {
		t.Helper()
		out, _ := run("script", "-qec", "docker pull "+ref, "/dev/null")
		return strings.ReplaceAll(out, "\r", "")
	}
	stderr := pull()
	if !strings.Contains(stderr, "What's next") || !strings.Contains(stderr, "Scan "+ref+" for vulnerabilities and secrets: docker scan image "+ref) {
		t.Errorf("pull before any scan, stderr:\n%s", stderr)
	}
	run("docker", "scan", "image", "--image-src", "remote", ref)
	stderr = pull()
	t.Logf("docker pull after a scan:\n%s", stderr)
	if !strings.Contains(stderr, "Last scan of "+ref+" (just now): 1 CRITICAL, 1 HIGH. Details: docker scan image "+ref) {
		t.Errorf("pull after a scan, stderr:\n%s", stderr)
	}
	// A pull that fails leaves nothing to scan: no hint under its error.
	failed := exec.Command("script", "-qec", "docker pull "+reg.Host+"/e2e/app:absent", "/dev/null")
	failed.Env = append(os.Environ(), "DOCKER_CONFIG="+cfgDir, "DOCKER_HOST="+d.Host, "DOCKER_SCAN_CACHE_DIR="+cache, "NO_COLOR=1")
	out2, err := failed.CombinedOutput()
	if err == nil || strings.Contains(string(out2), "What's next") || strings.Contains(string(out2), "docker scan image") {
		t.Errorf("failed pull (%v):\n%s", err, out2)
	}
	run("docker", "scan", "hooks", "disable")
	if stderr = pull(); strings.Contains(stderr, "What's next") || !strings.Contains(stderr, "Status: Image is up to date") {
		t.Errorf("hooks still run after disable:\n%s", stderr)
	}
}
