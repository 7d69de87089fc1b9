package main

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/testenv"
	"github.com/docker-scan/docker-scan/engine/types"
	"github.com/docker-scan/docker-scan/runtime"
	"github.com/docker-scan/docker-scan/runtime/daemontest"
)

// composeVersion is the Compose v2 built for the end-to-end tests: the
// first with providers is 2.35; Debian's docker-compose is the old v1.
const composeVersion = "v2.40.3"

// installCompose builds Compose v2 from the Go module proxy (once per
// machine, kept in the test cache: 3-5 minutes cold) and installs it next
// to the plugin in the test DOCKER_CONFIG.
func installCompose(t *testing.T) {
	t.Helper()
	testenv.E2E(t, "builds Compose v2 from the module proxy")
	dst := filepath.Join(dockerConfig, "cli-plugins", "docker-compose")
	if _, err := os.Stat(dst); err == nil {
		return
	}
	dir, err := testenv.Cached("compose", composeVersion, func(dir string) error {
		t.Logf("building Compose %s from the module proxy (minutes, once per machine)", composeVersion)
		env := append(os.Environ(), "GOFLAGS=-mod=mod", "CGO_ENABLED=0")
		dl := exec.Command("go", "mod", "download", "-json", "github.com/docker/compose/v2@"+composeVersion)
		dl.Dir, dl.Env = t.TempDir(), env
		out, err := dl.Output()
		need(t, err == nil, "the Go module proxy for github.com/docker/compose/v2 ("+string(out)+")")
		var mod struct{ Dir string }
		if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
			return fmt.Errorf("go mod download: %v: %s", err, out)
		}
		// go install refuses the module (exclude directives): build it in
		// place.
		build := exec.Command("go", "build", "-o", filepath.Join(dir, "docker-compose"), "./cmd")
		build.Dir, build.Env = mod.Dir, env
		if out, err := build.CombinedOutput(); err != nil {
			return fmt.Errorf("building Compose: %v\n%s", err, tail(out, 3000))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "docker-compose"), dst); err != nil && !errors.Is(err, os.ErrExist) {
		t.Fatal(err)
	}
}

// appArchive is an Alpine 3.14 image with zlib at version zlib (1.2.11-r3
// has CVE-2018-25032 HIGH and CVE-2022-37434 CRITICAL in the fixture DB,
// 1.2.12-r3 none) and an executable /app (the docker-scan binary: static,
// so `/app version` runs in an image without libc).
func appArchive(t *testing.T, tag, zlib string) string {
	t.Helper()
	bin, err := os.ReadFile(pluginBin)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "app.tar")
	err = imagebuild.DockerArchiveOf(p, tag,
		[]imagebuild.File{
			{Path: "etc/alpine-release", Body: "3.14.10\n"},
			{Path: "lib/apk/db/installed", Body: "P:zlib\nV:" + zlib + "\nA:x86_64\no:zlib\n\n"},
		},
		[]imagebuild.File{{Path: "app", Body: string(bin), Mode: 0o755}},
	)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// buildScannerImage builds the repository's Dockerfile (what `make image`
// builds) with the test binary, through the engine's build API.
func buildScannerImage(t *testing.T, host, tag string) {
	t.Helper()
	dockerfile, err := os.ReadFile(filepath.Join("..", "..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(pluginBin)
	if err != nil {
		t.Fatal(err)
	}
	var ctxTar bytes.Buffer
	tw := tar.NewWriter(&ctxTar)
	for _, f := range []struct {
		name string
		body []byte
		mode int64
	}{{"Dockerfile", dockerfile, 0o644}, {"bin/docker-scan", bin, 0o755}} {
		tw.WriteHeader(&tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.body))})
		tw.Write(f.body)
	}
	tw.Close()
	c, err := runtime.NewDockerClient(host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res, err := c.ImageBuild(context.Background(), &ctxTar, client.ImageBuildOptions{Tags: []string{tag}, Remove: true})
	if err != nil {
		t.Fatalf("build the scanner image: %v", err)
	}
	out, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if strings.Contains(string(out), `"error"`) {
		t.Fatalf("build the scanner image: %s", out)
	}
}

// composeRun runs `docker compose ARGS` in dir against the engine at host.
func composeRun(t *testing.T, dir, host string, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("docker", append([]string{"compose"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "DOCKER_CONFIG="+dockerConfig, "DOCKER_HOST="+host, "NO_COLOR=1", "COMPOSE_PROGRESS=plain", "COMPOSE_STATUS_STDOUT=1"), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// started tells whether the project's container of service ever started.
func started(t *testing.T, host, project, service string) bool {
	t.Helper()
	c, err := runtime.NewDockerClient(host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res, err := c.ContainerList(context.Background(), client.ContainerListOptions{All: true, Filters: client.Filters{}.Add("label", "com.docker.compose.project="+project, "com.docker.compose.service="+service)})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range res.Items {
		in, err := c.ContainerInspect(context.Background(), s.ID, client.ContainerInspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if st := in.Container.State; st != nil && st.StartedAt != "" && !strings.HasPrefix(st.StartedAt, "0001-") {
			return true
		}
	}
	return false
}

// composeStack starts dockerd with Compose, the scanner image and the two
// app images, and returns the engine and a cache dir holding the fixture DB.
func composeStack(t *testing.T) (*daemontest.Dockerd, string) {
	t.Helper()
	need(t, haveCommand("docker"), "the docker CLI")
	d := daemontest.StartDockerd(t)
	installCompose(t)
	dockerLoad(t, d.Host, appArchive(t, "e2e/app:vuln", "1.2.11-r3"))
	dockerLoad(t, d.Host, appArchive(t, "e2e/app:fixed", "1.2.12-r3"))
	return d, fixtureCache(t, "../../testdata/db/alpine-3.14.yaml")
}

// TestComposeSidecarGate: `docker compose up` with the scanner as a sidecar
// service that the app depends on (service_completed_successfully): with a
// vulnerable app image the scan fails and the app is never started; with
// the fixed image, or the findings ignored, it starts.
func TestComposeSidecarGate(t *testing.T) {
	d, cache := composeStack(t)
	buildScannerImage(t, d.Host, "e2e/docker-scan:test")
	dir := t.TempDir()
	sock := strings.TrimPrefix(d.Host, "unix://")
	writeTestFile(t, filepath.Join(dir, "compose.yaml"), `services:
  scan:
    image: e2e/docker-scan:test
    environment:
      DOCKER_SCAN_SKIP_DB_UPDATE: "true"
    volumes:
      - `+sock+`:/var/run/docker.sock:ro
      - .:/project:ro
      - `+cache+`:/cache
  app:
    image: e2e/app:${APP_TAG}
    user: "1000"
    command: ["/app", "version"]
    depends_on:
      scan:
        condition: service_completed_successfully
`)
	out, err := composeRun(t, dir, d.Host, []string{"APP_TAG=vuln"}, "-p", "gate", "up", "-d")
	if err == nil {
		t.Fatalf("up succeeded with a vulnerable app image:\n%s", out)
	}
	if started(t, d.Host, "gate", "app") {
		t.Fatalf("the app was started although the scan failed:\n%s", out)
	}
	logs, _ := composeRun(t, dir, d.Host, []string{"APP_TAG=vuln"}, "-p", "gate", "logs", "scan")
	for _, want := range []string{"app (e2e/app:vuln): 1 CRITICAL, 1 HIGH: FAIL", "CVE-2022-37434"} {
		if !strings.Contains(logs, want) {
			t.Errorf("scan logs lack %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "scan (") {
		t.Errorf("the sidecar scanned itself:\n%s", logs)
	}
	composeRun(t, dir, d.Host, []string{"APP_TAG=vuln"}, "-p", "gate", "down")

	out, err = composeRun(t, dir, d.Host, []string{"APP_TAG=fixed"}, "-p", "gate", "up", "-d")
	if err != nil {
		t.Fatalf("up with the fixed image: %v\n%s", err, out)
	}
	if !started(t, d.Host, "gate", "app") {
		t.Fatalf("the app did not start with the fixed image:\n%s", out)
	}
	composeRun(t, dir, d.Host, []string{"APP_TAG=fixed"}, "-p", "gate", "down")

	// The vulnerable image again, its findings ignored in the project's
	// .trivyignore (read from the mounted project directory).
	writeTestFile(t, filepath.Join(dir, ".trivyignore"), "CVE-2022-37434\nCVE-2018-25032\n")
	out, err = composeRun(t, dir, d.Host, []string{"APP_TAG=vuln"}, "-p", "gate", "up", "-d")
	if err != nil || !started(t, d.Host, "gate", "app") {
		t.Fatalf("up with the findings ignored: %v\n%s", err, out)
	}
	composeRun(t, dir, d.Host, []string{"APP_TAG=vuln"}, "-p", "gate", "down")

	// No project mounted: the sidecar scans the images of the project's
	// containers, which Compose created before starting it.
	writeTestFile(t, filepath.Join(dir, "nomount.yaml"), `services:
  scan:
    image: e2e/docker-scan:test
    environment:
      DOCKER_SCAN_SKIP_DB_UPDATE: "true"
    volumes:
      - `+sock+`:/var/run/docker.sock:ro
      - `+cache+`:/cache
  app:
    image: e2e/app:${APP_TAG}
    user: "1000"
    command: ["/app", "version"]
    depends_on:
      scan:
        condition: service_completed_successfully
`)
	out, err = composeRun(t, dir, d.Host, []string{"APP_TAG=vuln"}, "-p", "nomount", "-f", "nomount.yaml", "up", "-d")
	if err == nil || started(t, d.Host, "nomount", "app") {
		t.Fatalf("up without the project mounted: %v\n%s", err, out)
	}
	logs, _ = composeRun(t, dir, d.Host, []string{"APP_TAG=vuln"}, "-p", "nomount", "-f", "nomount.yaml", "logs", "scan")
	for _, want := range []string{"no compose file mounted", "app (e2e/app:vuln): 1 CRITICAL, 1 HIGH: FAIL"} {
		if !strings.Contains(logs, want) {
			t.Errorf("scan logs lack %q:\n%s", want, logs)
		}
	}
	composeRun(t, dir, d.Host, []string{"APP_TAG=vuln"}, "-p", "nomount", "-f", "nomount.yaml", "down")
}

// TestComposeProviderGate: the same gate as a Compose provider service
// (provider: {type: scan}): Compose runs the plugin's `compose up` before
// the app, and a failing scan stops `docker compose up`.
func TestComposeProviderGate(t *testing.T) {
	d, cache := composeStack(t)
	dir := t.TempDir()
	writeTestFile(t, filepath.Join(dir, "compose.yaml"), `services:
  scan:
    provider:
      type: scan
      options:
        skip-db-update: "true"
        cache-dir: `+cache+`
        severity: HIGH,CRITICAL
  app:
    image: e2e/app:${APP_TAG}
    user: "1000"
    command: ["/app", "version"]
    depends_on: [scan]
`)
	out, err := composeRun(t, dir, d.Host, []string{"APP_TAG=vuln"}, "-p", "prov", "up", "-d")
	t.Logf("docker compose up, vulnerable image:\n%s", out)
	if err == nil {
		t.Fatalf("up succeeded with a vulnerable app image:\n%s", out)
	}
	if !strings.Contains(out, "1 of 1 services fail the scan policy: app (e2e/app:vuln): 1 CRITICAL, 1 HIGH") {
		t.Errorf("compose output lacks the provider's verdict:\n%s", out)
	}
	if started(t, d.Host, "prov", "app") {
		t.Fatalf("the app was started although the scan failed:\n%s", out)
	}
	composeRun(t, dir, d.Host, []string{"APP_TAG=vuln"}, "-p", "prov", "down")

	out, err = composeRun(t, dir, d.Host, []string{"APP_TAG=fixed"}, "-p", "prov", "up", "-d")
	if err != nil || !started(t, d.Host, "prov", "app") {
		t.Fatalf("up with the fixed image: %v\n%s", err, out)
	}
	// Run from another directory with -f: the provider's working directory
	// has no compose file; the labels of the containers of the earlier up
	// name the files.
	elsewhere := t.TempDir()
	file := filepath.Join(dir, "compose.yaml")
	out, err = composeRun(t, elsewhere, d.Host, []string{"APP_TAG=fixed"}, "-p", "prov", "-f", file, "up", "-d")
	if err != nil || !strings.Contains(out, "all 1 services pass") {
		t.Errorf("up -f from another directory: %v\n%s", err, out)
	}
	if out, err := composeRun(t, dir, d.Host, []string{"APP_TAG=fixed"}, "-p", "prov", "down"); err != nil {
		t.Errorf("down (the provider's down is a no-op): %v\n%s", err, out)
	}
	// With no container left to ask, the provider says what to do.
	out, err = composeRun(t, elsewhere, d.Host, []string{"APP_TAG=fixed"}, "-p", "prov", "-f", file, "up", "-d")
	if err == nil || !strings.Contains(out, "cannot find the compose files of project prov") || started(t, d.Host, "prov", "app") {
		t.Errorf("up -f from another directory, no containers: %v\n%s", err, out)
	}
}

func writeTestFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestComposeScanCLI: `docker scan compose` through the Docker CLI on a
// project whose images are in dockerd: one image shared by two services,
// a build-only service not built yet, a compose misconfiguration; the
// summary, the JSON Services map, the stack-wide exit code, service
// selection, --require-images, and a broken compose file.
func TestComposeScanCLI(t *testing.T) {
	need(t, haveCommand("docker"), "the docker CLI")
	d := daemontest.StartDockerd(t)
	dockerLoad(t, d.Host, appArchive(t, "e2e/app:vuln", "1.2.11-r3"))
	dockerLoad(t, d.Host, appArchive(t, "e2e/app:fixed", "1.2.12-r3"))
	cache := fixtureCache(t, "../../testdata/db/alpine-3.14.yaml")
	dir := t.TempDir()
	writeTestFile(t, filepath.Join(dir, "compose.yaml"), `name: stack
services:
  web:
    image: e2e/app:vuln
    user: "1000"
  api:
    image: e2e/app:vuln
    user: "1000"
  worker:
    image: e2e/app:fixed
    user: "1000"
  db:
    image: e2e/app:fixed
    user: "1000"
    privileged: true
  ghost:
    build: ./ghost
    user: "1000"
`)
	base := []string{"compose", "--cache-dir", cache, "--skip-db-update", "--image-src", "docker"}
	r := scanIn(t, dir, d.Host, append(base, "--format", "json")...)
	if r.exit != 0 {
		t.Fatalf("exit %d without --exit-code: %s", r.exit, r.stderr)
	}
	var rep types.StackReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.stdout)
	}
	var got []string
	for _, s := range []string{"api", "db", "ghost", "web", "worker"} {
		sr, ok := rep.Services[s]
		if !ok {
			t.Fatalf("no service %s in %v", s, rep.Services)
		}
		got = append(got, fmt.Sprintf("%s pass=%v crit=%d high=%d missing=%v", s, sr.Pass, sr.Vulnerabilities["CRITICAL"], sr.Vulnerabilities["HIGH"], sr.Missing != ""))
	}
	want := []string{
		"api pass=false crit=1 high=1 missing=false",
		"db pass=false crit=0 high=0 missing=false",
		"ghost pass=true crit=0 high=0 missing=true",
		"web pass=false crit=1 high=1 missing=false",
		"worker pass=true crit=0 high=0 missing=false",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("services:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if rep.Services["web"].ImageID == "" || rep.Services["web"].ImageID != rep.Services["api"].ImageID || len(rep.Images) != 2 {
		t.Errorf("web and api share one image scanned once: %d image reports", len(rep.Images))
	}
	if !strings.Contains(rep.Services["ghost"].Missing, "not built or pulled yet") || rep.Services["ghost"].Image != "stack-ghost" {
		t.Errorf("ghost: %+v", rep.Services["ghost"])
	}
	if len(rep.Misconfigurations) != 1 || rep.Misconfigurations[0].Misconfigurations[0].ID != "DSC001" || rep.Misconfigurations[0].Misconfigurations[0].StartLine != 15 {
		t.Errorf("misconfigurations: %+v", rep.Misconfigurations)
	}

	// The table: the summary first, then the details.
	r = scanIn(t, dir, d.Host, base...)
	for _, want := range []string{"Compose project stack", "│ ghost   │ stack-ghost   │ not found", `DSC001 (HIGH): Service "db" runs with privileged: true`, "e2e/app:vuln (services: api, web)", "CVE-2022-37434"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, r.stdout)
		}
	}
	for _, tc := range []struct {
		args []string
		exit int
	}{
		{[]string{"--exit-code", "3"}, 3},
		{[]string{"--exit-code", "3", "worker"}, 0},
		{[]string{"--exit-code", "3", "--scanners", "vuln", "worker", "db"}, 0},
		{[]string{"--exit-code", "3", "--scanners", "vuln,misconfig", "worker", "db"}, 3},
		{[]string{"--exit-code", "3", "ghost"}, 0},
		{[]string{"--exit-code", "3", "--require-images", "ghost"}, 3},
		{[]string{"--exit-code", "3", "--severity", "LOW", "web", "worker"}, 0},
	} {
		if r := scanIn(t, dir, d.Host, append(base, tc.args...)...); r.exit != tc.exit {
			t.Errorf("%v: exit %d, want %d\n%s", tc.args, r.exit, tc.exit, r.stderr)
		}
	}

	// Bad input: one line, exit 1.
	writeTestFile(t, filepath.Join(dir, "broken.yaml"), "services:\n  web:\n    image: [unclosed\n")
	for _, args := range [][]string{{"-f", "broken.yaml"}, {"-f", "missing.yaml"}, {"nope"}} {
		r := scanIn(t, dir, d.Host, append(base, args...)...)
		if r.exit != 1 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want exit 1 and one line", args, r.exit, r.stderr)
		}
	}
}
