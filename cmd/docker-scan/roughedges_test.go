package main

// Rough edges a new user hits (issue #19), each through the CLI as a user
// runs it: exit statuses, typos, --version, --timeout 0, contradictory DB
// flags, --list-all-pkgs, compose -f json, one image of a multi-image
// docker save, colours through the docker CLI, clean --all, and the CLI
// hook after a failed pull.

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/iox"
)

// demoImage builds the demo image that `make demo` scans (from
// testdata/demo/layers, as `make demo-image` does) into a temp dir: the
// tests do not depend on `make demo` having run.
func demoImage(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "demo-image.tar")
	if err := imagebuild.DirsImage("../../testdata/demo/layers", out, imagebuild.DemoTag); err != nil {
		t.Fatal(err)
	}
	return out
}

// cliRun is one run of the scanner, through `docker scan` (viaDocker) or
// as docker-scan run directly.
type cliRun struct {
	viaDocker bool
	dir       string
	env       []string
}

func (c cliRun) run(t *testing.T, args ...string) scanResult {
	t.Helper()
	var cmd *exec.Cmd
	if c.viaDocker {
		need(t, haveCommand("docker"), "the docker CLI")
		cmd = exec.Command("docker", append([]string{"scan"}, args...)...)
	} else {
		cmd = exec.Command(pluginBin, args...)
	}
	cmd.Dir = c.dir
	cmd.Env = append(cleanEnv(), "DOCKER_CONFIG="+dockerConfig, "DOCKER_HOST=unix:///nonexistent/docker.sock", "NO_COLOR=1")
	cmd.Env = append(cmd.Env, c.env...)
	return runCommand(t, cmd)
}

// cleanEnv is the environment without settings of the scanner or colour
// choices that would change what these tests see.
func cleanEnv() []string {
	return slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "DOCKER_SCAN_") || strings.HasPrefix(kv, "NO_COLOR=")
	})
}

// bothWays runs f through the docker CLI and directly.
func bothWays(t *testing.T, f func(t *testing.T, c cliRun)) {
	for _, viaDocker := range []bool{true, false} {
		t.Run(map[bool]string{true: "docker", false: "standalone"}[viaDocker], func(t *testing.T) {
			f(t, cliRun{viaDocker: viaDocker})
		})
	}
}

// demoCache is a cache dir holding the demo DB (built from
// testdata/db/*.yaml, as `make demo-db` does), for offline scans of the demo
// image.
func demoCache(t *testing.T) string {
	t.Helper()
	fixtures, err := filepath.Glob("../../testdata/db/*.yaml")
	if err != nil || len(fixtures) == 0 {
		t.Fatalf("no DB fixtures in testdata/db: %v", err)
	}
	return fixtureCache(t, fixtures...)
}

func oneLine(t *testing.T, r scanResult) string {
	t.Helper()
	s := strings.TrimSpace(r.stderr)
	if strings.Count(s, "\n") != 0 || strings.Contains(s, "panic") || strings.Contains(s, "goroutine ") {
		t.Errorf("want one error line, got:\n%s", r.stderr)
	}
	return s
}

// TestExitStatuses: a command called wrongly exits 2 with one line naming
// the mistake and where help is; a scan that fails exits 1; findings exit
// with --exit-code, secrets included.
func TestExitStatuses(t *testing.T) {
	cache := t.TempDir()
	demoImage := demoImage(t)
	usage := []struct {
		args []string
		want string
	}{
		{[]string{"--foo"}, "unknown flag: --foo (see '"},
		{[]string{"image", "--format", "xml", "--input", demoImage}, `unknown --format "xml"`},
		{[]string{"image", "--severity", "URGENT", "--input", demoImage}, "--severity"},
		{[]string{"image", "--timeout", "soon", "--input", demoImage}, `invalid argument "soon" for "--timeout"`},
		{[]string{"image", "--timeout", "-1s", "--input", demoImage}, "0 for no limit"},
		{[]string{"image", "a:1", "b:1"}, "accepts at most 1 arg(s)"},
		{[]string{"image"}, "no image given"},
		{[]string{"imag", "alpine"}, `unknown command "imag" (did you mean "image"?)`},
		{[]string{"clena", "--all"}, `unknown command "clena" (did you mean "clean"?)`},
		{[]string{"db", "update", "--skip-db-update"}, "db update downloads the DB: it cannot be combined with --skip-db-update/--offline-scan"},
		{[]string{"db", "update", "--offline-scan"}, "cannot be combined with --skip-db-update/--offline-scan"},
		{[]string{"clean"}, "say what to remove"},
		{[]string{"db", "updte"}, `unknown command "updte" (did you mean "update"?)`},
		{[]string{"hooks", "nothing"}, `unknown command "nothing" for "`},
		{[]string{"compose", "--parallel", "0"}, "--parallel must be at least 1"},
	}
	bothWays(t, func(t *testing.T, c cliRun) {
		prog := "docker-scan"
		if c.viaDocker {
			prog = "docker scan"
		}
		for _, tc := range usage {
			r := c.run(t, append(tc.args, "--cache-dir", cache)...)
			line := oneLine(t, r)
			if r.exit != 2 || !strings.HasPrefix(line, prog+": ") || !strings.Contains(line, tc.want) || !strings.Contains(line, "--help')") {
				t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", tc.args, r.exit, line, tc.want)
			}
		}
		// The refused DB update downloaded nothing.
		if _, err := os.Stat(filepath.Join(cache, "db")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("db update with --skip-db-update touched the DB dir: %v", err)
		}
		// A word that is no command's near miss, or a reference, is an
		// image: looking for it fails as a scan (1), not a usage error.
		for _, ref := range []string{"go", "imager/x", "image.example.com"} {
			r := c.run(t, ref, "--image-src", "docker", "--docker-host", "unix:///nonexistent/docker.sock", "--scanners", "none", "--cache-dir", cache)
			if line := oneLine(t, r); r.exit != 1 || strings.Contains(line, "unknown command") {
				t.Errorf("%s: exit %d, %q; want a failed lookup, exit 1", ref, r.exit, line)
			}
		}
		r := c.run(t, "image", "--input", filepath.Join(cache, "missing.tar"), "--cache-dir", cache)
		if oneLine(t, r); r.exit != 1 {
			t.Errorf("missing input: exit %d, want 1", r.exit)
		}
		// The demo image has vulnerabilities and one secret.
		demo := demoCache(t)
		scan := func(args ...string) int {
			return c.run(t, append([]string{"image", "--input", demoImage, "--cache-dir", demo, "--skip-db-update", "--quiet"}, args...)...).exit
		}
		if got := scan("--exit-code", "7"); got != 7 {
			t.Errorf("findings with --exit-code 7: exit %d", got)
		}
		if got := scan("--exit-code", "3", "--scanners", "secret"); got != 3 {
			t.Errorf("a secret with --exit-code 3: exit %d", got)
		}
		if got := scan(); got != 0 {
			t.Errorf("findings without --exit-code: exit %d", got)
		}
		// --timeout 0 is no limit, not an instant timeout.
		if got := scan("--timeout", "0"); got != 0 {
			t.Errorf("--timeout 0: exit %d", got)
		}
	})
	r := cliRun{}.run(t, "image", "--help")
	if !strings.Contains(r.stdout, "a secret") || !strings.Contains(r.stdout, "0: no limit") {
		t.Errorf("--help does not say what --exit-code counts or what --timeout 0 means:\n%s", r.stdout)
	}
}

// TestVersionFlag: docker scan --version prints what docker scan version
// does.
func TestVersionFlag(t *testing.T) {
	bothWays(t, func(t *testing.T, c cliRun) {
		flag, cmd := c.run(t, "--version"), c.run(t, "version")
		if flag.exit != 0 || cmd.exit != 0 || !strings.HasPrefix(flag.stdout, "docker-scan ") || flag.stdout != cmd.stdout {
			t.Errorf("--version %q (exit %d, %s), version %q (exit %d)", flag.stdout, flag.exit, flag.stderr, cmd.stdout, cmd.exit)
		}
	})
}

// TestListAllPkgsDefault: JSON lists only vulnerable packages unless
// --list-all-pkgs, as Trivy's does; with --scanners none the packages
// are the report and stay.
func TestListAllPkgsDefault(t *testing.T) {
	demo, demoImage := demoCache(t), demoImage(t)
	c := cliRun{viaDocker: true}
	count := func(args ...string) int {
		t.Helper()
		r := c.run(t, append([]string{"image", "--input", demoImage, "--cache-dir", demo, "--skip-db-update", "--quiet", "--format", "json"}, args...)...)
		if r.exit != 0 {
			t.Fatalf("%v: exit %d\n%s", args, r.exit, r.stderr)
		}
		rep := parseReport(t, r.stdout)
		n := 0
		for _, res := range rep.Results {
			n += len(res.Packages)
		}
		return n
	}
	if n := count(); n != 0 {
		t.Errorf("default JSON lists %d packages, want none (Trivy's default)", n)
	}
	all := count("--list-all-pkgs")
	if all == 0 {
		t.Error("--list-all-pkgs lists no packages")
	}
	if n := count("--scanners", "none"); n != all {
		t.Errorf("--scanners none lists %d packages, want %d", n, all)
	}
	if n := count("--scanners", "none", "--list-all-pkgs=false"); n != 0 {
		t.Errorf("--scanners none --list-all-pkgs=false lists %d packages", n)
	}
	r := c.run(t, "image", "--help")
	if !strings.Contains(r.stdout, "--list-all-pkgs") || !strings.Contains(r.stdout, "Trivy's default") {
		t.Errorf("--help does not explain --list-all-pkgs:\n%s", r.stdout)
	}
}

// TestComposeDashFJSON: under compose -f is --file, as in docker compose;
// "-f json" (meant as --format) says so instead of looking for a file
// called json. A file that is really called json is read.
func TestComposeDashFJSON(t *testing.T) {
	dir := t.TempDir()
	bothWays(t, func(t *testing.T, c cliRun) {
		c.dir = dir
		r := c.run(t, "compose", "-f", "json", "--cache-dir", t.TempDir())
		line := oneLine(t, r)
		if r.exit != 2 || !strings.Contains(line, `no compose file "json": -f is --file under compose (as in docker compose); for the report format use --format json`) {
			t.Errorf("compose -f json: exit %d, %q", r.exit, line)
		}
	})
	if err := os.WriteFile(filepath.Join(dir, "json"), []byte("services: {web: {image: \"\"}}\n: broken"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := cliRun{viaDocker: true, dir: dir}.run(t, "compose", "-f", "json", "--cache-dir", t.TempDir())
	if r.exit != 1 || strings.Contains(r.stderr, "--format json") {
		t.Errorf("compose -f json with a file called json: exit %d, %s", r.exit, r.stderr)
	}
}

// multiImageArchive writes a docker save archive of two images, as
// `docker save alpine:3.18 registry.example.com/team/app:2` does, and
// returns it with the image ID of the second.
func multiImageArchive(t *testing.T) (string, string) {
	t.Helper()
	images := map[name.Reference]v1.Image{}
	var appID string
	for _, im := range []struct{ ref, release string }{{"alpine:3.18", "3.18.4"}, {"registry.example.com/team/app:2", "3.19.1"}} {
		l, err := imagebuild.Layer(imagebuild.File{Path: "etc/alpine-release", Body: im.release + "\n"}, imagebuild.File{Path: "lib/apk/db/installed", Body: "P:musl\nV:1.2.4-r2\nA:x86_64\no:musl\n\n"})
		if err != nil {
			t.Fatal(err)
		}
		img, err := imagebuild.Image("amd64", l)
		if err != nil {
			t.Fatal(err)
		}
		tag, err := name.NewTag(im.ref)
		if err != nil {
			t.Fatal(err)
		}
		images[tag] = img
		if id, err := img.ConfigName(); err == nil && im.release == "3.19.1" {
			appID = id.String()
		}
	}
	p := filepath.Join(t.TempDir(), "multi.tar")
	if err := tarball.MultiRefWriteToFile(p, images); err != nil {
		t.Fatal(err)
	}
	return p, appID
}

// TestMultiImageDockerSave: one image of a multi-image docker save is
// chosen by tag, by full reference in any spelling, or by image ID; the
// error for no choice lists choices that work.
func TestMultiImageDockerSave(t *testing.T) {
	archive, appID := multiImageArchive(t)
	c := cliRun{viaDocker: true}
	cache := t.TempDir()
	r := c.run(t, "image", "--input", archive, "--scanners", "none", "--cache-dir", cache)
	line := oneLine(t, r)
	if r.exit != 1 || !strings.Contains(line, archive+":alpine:3.18") || !strings.Contains(line, archive+":registry.example.com/team/app:2") {
		t.Fatalf("no selection: exit %d, %q", r.exit, line)
	}
	for input, want := range map[string]string{
		archive + ":alpine:3.18":                            "3.18.4",
		archive + ":3.18":                                   "3.18.4",
		archive + ":docker.io/library/alpine:3.18":          "3.18.4",
		archive + ":index.docker.io/library/alpine:3.18":    "3.18.4",
		archive + ":registry.example.com/team/app:2":        "3.19.1",
		archive + ":2":                                      "3.19.1",
		archive + "@" + appID:                               "3.19.1",
		archive + ":registry.example.com/team/app@" + appID: "3.19.1",
	} {
		r := c.run(t, "image", "--input", input, "--scanners", "none", "--format", "json", "--quiet", "--cache-dir", cache)
		if r.exit != 0 {
			t.Errorf("%s: exit %d, %s", input, r.exit, r.stderr)
			continue
		}
		if rep := parseReport(t, r.stdout); rep.Metadata.OS == nil || rep.Metadata.OS.Name != want {
			t.Errorf("%s: scanned %+v, want alpine %s", input, rep.Metadata.OS, want)
		}
	}
	for _, input := range []string{archive + ":alpine:3.99", archive + ":debian:3.18"} {
		r := c.run(t, "image", "--input", input, "--scanners", "none", "--cache-dir", cache)
		if line := oneLine(t, r); r.exit != 1 || !strings.Contains(line, "no image tagged") || !strings.Contains(line, archive+":alpine:3.18") {
			t.Errorf("%s: exit %d, %q", input, r.exit, line)
		}
	}
}

// TestColoursThroughDockerCLI: on a terminal, the report has colours when
// run the documented way, through the docker CLI (whose stream the plugin
// writes to); piped, or with NO_COLOR, it has none.
func TestColoursThroughDockerCLI(t *testing.T) {
	need(t, haveCommand("docker"), "the docker CLI")
	need(t, haveCommand("script"), "script (util-linux) for a pseudo-terminal")
	demo, demoImage := demoCache(t), demoImage(t)
	scan := "docker scan image --input " + demoImage + " --cache-dir " + demo + " --skip-db-update --quiet"
	run := func(env ...string) string {
		t.Helper()
		cmd := exec.Command("script", "-qec", scan, "/dev/null")
		cmd.Env = append(append(cleanEnv(), "DOCKER_CONFIG="+dockerConfig, "DOCKER_HOST=unix:///nonexistent/docker.sock"), env...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v\n%s", scan, err, out)
		}
		return string(out)
	}
	red := "\x1b[31mCRITICAL\x1b[0m"
	if out := run(); !strings.Contains(out, red) {
		t.Errorf("no colours on a terminal through docker scan:\n%s", out)
	}
	if out := run("NO_COLOR=1"); strings.Contains(out, "\x1b[3") || !strings.Contains(out, "CRITICAL") {
		t.Errorf("colours with NO_COLOR:\n%s", out)
	}
	r := cliRun{viaDocker: true, env: []string{"NO_COLOR="}}.run(t, "image", "--input", demoImage, "--cache-dir", demo, "--skip-db-update", "--quiet")
	if strings.Contains(r.stdout, "\x1b[") || !strings.Contains(r.stdout, "CRITICAL") {
		t.Errorf("colours in a pipe:\n%s", r.stdout)
	}
}

// TestCleanAll: clean --all leaves nothing docker scan wrote in the cache
// dir (DB, layer cache, summaries, temp files of killed runs), but keeps
// a running scan's temp file and files it did not write.
func TestCleanAll(t *testing.T) {
	c := cliRun{viaDocker: true}
	cache, demoImage := demoCache(t), demoImage(t)
	if r := c.run(t, "image", "--input", demoImage, "--cache-dir", cache, "--skip-db-update", "--quiet"); r.exit != 0 {
		t.Fatalf("scan: exit %d, %s", r.exit, r.stderr)
	}
	write := func(rel string) {
		p := filepath.Join(cache, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("summaries/0123456789abcdef0123456789abcdef.json") // what the CLI hooks read
	write("tmp/input-1234.tar")                              // a killed run's
	write("db/trivy.db.download-99")                         // a killed update's
	write("notes.txt")                                       // the user's
	r := c.run(t, "clean", "--all", "--cache-dir", cache)
	if r.exit != 0 {
		t.Fatalf("clean --all: exit %d, %s", r.exit, r.stderr)
	}
	entries, _ := os.ReadDir(cache)
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if strings.Join(left, ",") != "notes.txt" {
		t.Errorf("left in the cache dir after clean --all: %v, want only notes.txt", left)
	}
	// A scan running holds its temp file locked: it stays, with tmp/.
	live, err := iox.CreateTemp(filepath.Join(cache, "tmp"), "input-*.tar")
	if err != nil {
		t.Fatal(err)
	}
	defer live.Remove()
	write("tmp/input-5678.tar")
	if r := c.run(t, "clean", "--all", "--cache-dir", cache); r.exit != 0 {
		t.Fatalf("clean --all: exit %d, %s", r.exit, r.stderr)
	}
	left = nil
	filepath.Walk(cache, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			rel, _ := filepath.Rel(cache, p)
			left = append(left, rel)
		}
		return nil
	})
	slices.Sort(left)
	if want := []string{"notes.txt", filepath.Join("tmp", filepath.Base(live.Name()))}; !slices.Equal(left, want) {
		t.Errorf("with a scan running, clean --all left %v, want %v", left, want)
	}
}

// TestHookQuietAfterFailedPull: the Docker CLI runs the hooks of its own
// commands after they fail too, with their error; after a failed pull there
// is no image to scan, so the hook prints nothing. A compose up (a
// stand-in compose plugin) still gets its line: the hooks are set up and
// run. TestCLIHooks has the same pull succeed and fail against a daemon.
func TestHookQuietAfterFailedPull(t *testing.T) {
	need(t, haveCommand("docker"), "the docker CLI")
	need(t, haveCommand("script"), "script (util-linux) for a pseudo-terminal")
	cfg := t.TempDir()
	plugins := filepath.Join(cfg, "cli-plugins")
	if err := os.MkdirAll(plugins, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(pluginBin, filepath.Join(plugins, "docker-scan")); err != nil {
		t.Fatal(err)
	}
	fakeCompose := "#!/bin/sh\nif [ \"$1\" = docker-cli-plugin-metadata ]; then\n  echo '{\"SchemaVersion\":\"0.1.0\",\"Vendor\":\"test\",\"Version\":\"v2.40.3\"}'\n  exit 0\nfi\necho 'compose up done'\n"
	if err := os.WriteFile(filepath.Join(plugins, "docker-compose"), []byte(fakeCompose), 0o755); err != nil {
		t.Fatal(err)
	}
	env := append(cleanEnv(), "DOCKER_CONFIG="+cfg, "DOCKER_HOST=unix:///nonexistent/docker.sock", "DOCKER_SCAN_CACHE_DIR="+t.TempDir(), "NO_COLOR=1")
	run := func(prog string, args ...string) string {
		t.Helper()
		cmd := exec.Command(prog, args...)
		cmd.Env = env
		out, _ := cmd.CombinedOutput()
		return strings.ReplaceAll(string(out), "\r", "")
	}
	if out := run("docker", "scan", "hooks", "enable"); !strings.Contains(out, "enabled") {
		t.Fatalf("hooks enable: %s", out)
	}
	out := run("script", "-qec", "docker pull alpine:3.20", "/dev/null")
	if !strings.Contains(out, "Cannot connect") || strings.Contains(out, "What's next") || strings.Contains(out, "docker scan image alpine:3.20") {
		t.Errorf("a failed pull gets a scan hint:\n%s", out)
	}
	out = run("script", "-qec", "docker compose up", "/dev/null")
	if !strings.Contains(out, "compose up done") || !strings.Contains(out, "What's next") || !strings.Contains(out, "docker scan compose") {
		t.Errorf("no hook line after compose up (did the CLI run hooks?):\n%s", out)
	}
}
