package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/types"
	"github.com/docker-scan/docker-scan/runtime"
	"github.com/docker-scan/docker-scan/runtime/daemontest"
)

// twoLayerArchive is a small Alpine-like image of two layers.
func twoLayerArchive(t *testing.T, tag string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "img.tar")
	err := imagebuild.DockerArchiveOf(p, tag,
		[]imagebuild.File{
			{Path: "etc/alpine-release", Body: "3.20.3\n"},
			{Path: "lib/apk/db/installed", Body: "P:musl\nV:1.2.5-r0\nA:x86_64\no:musl\nL:MIT\n\n"},
		},
		[]imagebuild.File{
			{Path: "lib/apk/db/installed", Body: "P:musl\nV:1.2.5-r0\nA:x86_64\no:musl\nL:MIT\n\nP:zlib\nV:1.3.1-r1\nA:x86_64\no:zlib\nL:Zlib\n\n"},
		},
	)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func dockerLoad(t *testing.T, host, archive string) {
	t.Helper()
	c, err := runtime.NewDockerClient(host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := c.ImageLoad(context.Background(), f)
	if err != nil {
		t.Fatalf("docker load: %v", err)
	}
	out, _ := io.ReadAll(res)
	res.Close()
	if strings.Contains(string(out), `"error"`) {
		t.Fatalf("docker load: %s", out)
	}
}

// storageDriver is the storage driver of the engine at host that holds
// ref.
func storageDriver(t *testing.T, host, ref string) string {
	t.Helper()
	c, err := runtime.NewDockerClient(host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	in, err := c.ImageInspect(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if in.GraphDriver == nil {
		return ""
	}
	return in.GraphDriver.Name
}

// packagesOnly renders the packages of a report with their layer diffIDs:
// what must not depend on where the image came from.
func packagesOnly(t *testing.T, rep types.Report) string {
	t.Helper()
	var out []string
	for _, res := range rep.Results {
		for _, p := range res.Packages {
			b, _ := json.Marshal(struct {
				ID, PURL, DiffID string
				Licenses         []string
			}{p.ID, p.Identifier.PURL, p.Layer.DiffID, p.Licenses})
			out = append(out, string(b))
		}
	}
	return strings.Join(out, "\n")
}

// TestDockerEngineSource: `docker scan image TAG` through the real docker
// CLI finds the image in a real dockerd. Its layers are read in place from
// the engine's layer store: no export at all (the export API calls are
// counted by a proxy in front of the daemon's socket), the same packages
// as the archive the image was loaded from. With the export forced
// (DOCKER_SCAN_EXPORT=streamed), the first scan exports once and a
// second scan exports nothing.
func TestDockerEngineSource(t *testing.T) {
	need(t, haveCommand("docker"), "the docker CLI")
	d := daemontest.StartDockerd(t)
	proxy := daemontest.NewCountingProxy(t, d.Host, "/images/get")
	archive := twoLayerArchive(t, "e2e/app:1")
	dockerLoad(t, d.Host, archive)

	inPlace := scanIn(t, "", proxy.Host, "image", "e2e/app:1", "--scanners", "none", "--format", "json", "--cache-dir", t.TempDir(), "--debug")
	if inPlace.exit != 0 {
		t.Fatalf("exit %d: %s", inPlace.exit, inPlace.stderr)
	}
	// On an engine whose driver is not one read in place (vfs, when its
	// data root is on overlayfs), the export is the way, and must work.
	if driver := storageDriver(t, d.Host, "e2e/app:1"); driver == "overlay2" || driver == "fuse-overlayfs" {
		if proxy.Count() != 0 || !strings.Contains(inPlace.stderr, "layers read in place from the engine's layer store") {
			t.Fatalf("the layers were not read in place (%d exports):\n%s", proxy.Count(), inPlace.stderr)
		}
	} else if proxy.Count() != 1 || !strings.Contains(inPlace.stderr, "layers not read in place") {
		t.Fatalf("storage driver %s: want one export, %d:\n%s", driver, proxy.Count(), inPlace.stderr)
	}
	fromArchive := scanCLI(t, "image", "--input", archive, "--scanners", "none", "--format", "json", "--cache-dir", t.TempDir())
	if a, b := packagesOnly(t, parseReport(t, inPlace.stdout)), packagesOnly(t, parseReport(t, fromArchive.stdout)); a != b || a == "" {
		t.Errorf("read in place and from the archive, the packages differ:\n%s\n%s", a, b)
	}

	t.Setenv("DOCKER_SCAN_EXPORT", "streamed")
	exportsBefore := proxy.Count()
	cache := t.TempDir()
	scan := func(args ...string) scanResult {
		t.Helper()
		return scanIn(t, "", proxy.Host, args...)
	}
	args := []string{"image", "e2e/app:1", "--scanners", "none", "--format", "json", "--cache-dir", cache}
	first := scan(args...)
	if first.exit != 0 {
		t.Fatalf("exit %d: %s", first.exit, first.stderr)
	}
	rep := parseReport(t, first.stdout)
	if len(rep.Metadata.RepoTags) == 0 || !strings.HasSuffix(rep.Metadata.RepoTags[0], "e2e/app:1") || rep.Metadata.ImageID == "" {
		t.Errorf("metadata from the engine: %+v", rep.Metadata)
	}
	if proxy.Count()-exportsBefore != 1 {
		t.Errorf("first scan exported the image %d times, want 1", proxy.Count()-exportsBefore)
	}
	second := scan(args...)
	if second.exit != 0 {
		t.Fatalf("exit %d: %s", second.exit, second.stderr)
	}
	if proxy.Count()-exportsBefore != 1 {
		t.Errorf("the second scan exported the image again (%d exports in all)", proxy.Count()-exportsBefore)
	}
	if a, b := packagesOnly(t, rep), packagesOnly(t, parseReport(t, second.stdout)); a != b || a == "" {
		t.Errorf("cached scan differs:\n%s\n%s", a, b)
	}
	fromFile := scanCLI(t, "image", "--input", archive, "--scanners", "none", "--format", "json", "--cache-dir", t.TempDir())
	if a, b := packagesOnly(t, rep), packagesOnly(t, parseReport(t, fromFile.stdout)); a != b {
		t.Errorf("the engine's copy and the archive give different packages:\n%s\n%s", a, b)
	}
	if entries, _ := os.ReadDir(filepath.Join(cache, "tmp")); len(entries) != 0 {
		t.Errorf("temp files left behind: %v", entries)
	}

	// Standalone, with --docker-host.
	out, err := exec.Command(pluginBin, "image", "e2e/app:1", "--scanners", "none", "--format", "json", "--cache-dir", t.TempDir(), "--docker-host", d.Host, "--quiet").Output()
	if err != nil {
		t.Fatalf("standalone: %v", err)
	}
	if packagesOnly(t, parseReport(t, string(out))) != packagesOnly(t, rep) {
		t.Error("standalone scan differs")
	}

	// Not in the engine, and no registry to fall back on: each source says
	// why. The registry is a closed local port: a name on Docker Hub would
	// send the test to the network.
	missing := scan("image", "127.0.0.1:1/e2e/absent:1", "--scanners", "none", "--cache-dir", cache, "--quiet")
	if missing.exit != 1 || !strings.Contains(missing.stderr, "docker: not found") || !strings.Contains(missing.stderr, "remote: ") {
		t.Errorf("exit %d, stderr:\n%s", missing.exit, missing.stderr)
	}
	// A stopped engine is reported as not running.
	down := exec.Command(pluginBin, "image", "e2e/app:1", "--image-src", "docker", "--docker-host", "unix:///nonexistent/docker.sock", "--scanners", "none", "--quiet", "--cache-dir", cache)
	outDown, _ := down.CombinedOutput()
	if !strings.Contains(string(outDown), "docker: not running") {
		t.Errorf("a missing engine: %s", outDown)
	}
}

// TestInterruptRemovesTempFiles: Ctrl-C while an image is being exported
// from the engine ends the scan with one line and leaves no temp file,
// whether the layers are analysed as the export streams (the default:
// nothing is written) or the export goes to a temp file first
// (DOCKER_SCAN_EXPORT=tempfile).
func TestInterruptRemovesTempFiles(t *testing.T) {
	d := daemontest.StartDockerd(t)
	dockerLoad(t, d.Host, twoLayerArchive(t, "e2e/app:1"))
	for _, mode := range []string{"streamed", "tempfile"} {
		t.Run(mode, func(t *testing.T) {
			proxy := daemontest.NewCountingProxy(t, d.Host, "/images/get")
			proxy.Stall(30 * time.Second)
			cache := t.TempDir()
			tmp := filepath.Join(cache, "tmp")
			cmd := exec.Command(pluginBin, "image", "e2e/app:1", "--docker-host", proxy.Host, "--image-src", "docker", "--scanners", "none", "--quiet", "--cache-dir", cache)
			cmd.Env = append(os.Environ(), "DOCKER_SCAN_EXPORT="+mode)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// The export has started: the engine was asked for it (and, on
			// the temp-file path, the file is there).
			started := func() bool {
				if mode == "tempfile" {
					entries, _ := os.ReadDir(tmp)
					return len(entries) > 0
				}
				return proxy.Count() > 0
			}
			deadline := time.Now().Add(20 * time.Second)
			for !started() {
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatal("the export never started")
				}
				time.Sleep(5 * time.Millisecond)
			}
			cmd.Process.Signal(os.Interrupt)
			err := cmd.Wait()
			exit, ok := err.(*exec.ExitError)
			if !ok || exit.ExitCode() != 1 || strings.TrimSpace(stderr.String()) != "docker-scan: scan interrupted" {
				t.Errorf("exit %v, stderr %q", err, stderr.String())
			}
			if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
				t.Errorf("temp files left behind: %v", entries)
			}
		})
	}
}

// TestStandaloneUsesDockerContext: run on its own, docker-scan asks the
// engine of the Docker CLI's current context (here chosen with
// DOCKER_CONTEXT), as `docker` would.
func TestStandaloneUsesDockerContext(t *testing.T) {
	need(t, haveCommand("docker"), "the docker CLI")
	d := daemontest.StartDockerd(t)
	dockerLoad(t, d.Host, twoLayerArchive(t, "e2e/app:1"))
	config := t.TempDir()
	create := exec.Command("docker", "context", "create", "e2e", "--docker", "host="+d.Host)
	create.Env = append(os.Environ(), "DOCKER_CONFIG="+config)
	if out, err := create.CombinedOutput(); err != nil {
		t.Fatalf("docker context create: %v\n%s", err, out)
	}
	cmd := exec.Command(pluginBin, "image", "e2e/app:1", "--image-src", "docker", "--scanners", "none", "--quiet", "--format", "json", "--cache-dir", t.TempDir())
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+config, "DOCKER_CONTEXT=e2e", "DOCKER_HOST=")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("scan through the context: %v", err)
	}
	if packagesOnly(t, parseReport(t, string(out))) == "" {
		t.Error("no packages")
	}
}
