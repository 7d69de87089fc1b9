package plugin

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/types"
)

// run executes the standalone command tree in-process.
func run(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	root := NewRootCommand("docker-scan", Hooks{Exit: func(code int) { t.Fatalf("unexpected exit %d", code) }})
	var stdout, stderr bytes.Buffer
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return stdout.String(), stderr.String(), err
}

func demoArchive(t *testing.T) string {
	t.Helper()
	l, err := imagebuild.Layer(
		imagebuild.File{Path: "etc/alpine-release", Body: "3.20.3\n"},
		imagebuild.File{Path: "lib/apk/db/installed", Body: "P:musl\nV:1.2.5-r0\nA:x86_64\nL:MIT\n\n"},
	)
	if err != nil {
		t.Fatal(err)
	}
	img, err := imagebuild.Image("amd64", l)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "img.tar")
	if err := imagebuild.WriteDockerArchive(p, "demo:1", img); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestImageJSONToFile(t *testing.T) {
	archive := demoArchive(t)
	out := filepath.Join(t.TempDir(), "report.json")
	stdout, _, err := run(t, "image", "--scanners", "none", "--input", archive, "--format", "json", "--output", out, "--cache-dir", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if stdout != "" {
		t.Errorf("stdout is not empty with --output: %q", stdout)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep types.Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.SchemaVersion != 2 || rep.ArtifactType != "container_image" || len(rep.Results) != 1 || rep.Results[0].Packages[0].ID != "musl@1.2.5-r0" {
		t.Errorf("report = %s", raw)
	}
	if rep.Metadata.RepoTags[0] != "index.docker.io/library/demo:1" && rep.Metadata.RepoTags[0] != "demo:1" {
		t.Errorf("repo tags = %q", rep.Metadata.RepoTags)
	}
	if entries, _ := os.ReadDir(filepath.Dir(out)); len(entries) != 1 {
		t.Errorf("temp files left beside the report: %v", entries)
	}
}

func TestShortFormAndListAllPkgs(t *testing.T) {
	archive := demoArchive(t)
	stdout, _, err := run(t, "--scanners", "none", "--input", archive, "--format", "json", "--list-all-pkgs=false", "--cache-dir", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var rep types.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 1 || len(rep.Results[0].Packages) != 0 {
		t.Errorf("--list-all-pkgs=false still lists packages: %+v", rep.Results)
	}
	table, _, err := run(t, "image", "--scanners", "none", "--input", archive, "--cache-dir", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"(alpine 3.20.3)", "│ musl ", "1.2.5-r0", "Packages: 1"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
}

// Settings come from flags, then DOCKER_SCAN_* variables, then the config
// file, then defaults.
func TestSettingsPrecedence(t *testing.T) {
	archive := demoArchive(t)
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile("docker-scan.yaml", []byte("scanners: [none]\nformat: json\nlist-all-pkgs: false\ncache:\n  dir: "+filepath.Join(dir, "cache")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	format := func(args ...string) string {
		t.Helper()
		stdout, _, err := run(t, append([]string{"image", "--input", archive}, args...)...)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(stdout, "{") {
			if strings.Contains(stdout, `"Packages"`) {
				return "json+pkgs"
			}
			return "json"
		}
		return "table"
	}
	if got := format(); got != "json" {
		t.Errorf("file: got %s, want json without packages", got)
	}
	t.Setenv("DOCKER_SCAN_FORMAT", "table")
	if got := format(); got != "table" {
		t.Errorf("env over file: got %s", got)
	}
	if got := format("--format", "json", "--list-all-pkgs"); got != "json+pkgs" {
		t.Errorf("flag over env: got %s", got)
	}
	t.Setenv("DOCKER_SCAN_LIST_ALL_PKGS", "maybe")
	if _, _, err := run(t, "image", "--input", archive); err == nil || !strings.Contains(err.Error(), "DOCKER_SCAN_LIST_ALL_PKGS") {
		t.Errorf("a bad env value must be named: %v", err)
	}
	os.Unsetenv("DOCKER_SCAN_LIST_ALL_PKGS")
	if err := os.WriteFile("other.yaml", []byte("formatt: json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := run(t, "image", "--input", archive, "--config", "other.yaml"); err == nil || !strings.Contains(err.Error(), `unknown setting "formatt"`) {
		t.Errorf("a typo in the config file must be reported: %v", err)
	}
	if _, _, err := run(t, "image", "--input", archive, "--config", "missing.yaml"); err == nil {
		t.Error("a missing --config file must be an error")
	}
}

func TestErrors(t *testing.T) {
	archive := demoArchive(t)
	cache := t.TempDir()
	tests := map[string]struct {
		args []string
		want string
	}{
		"no image":       {[]string{"image"}, "no image given"},
		"bad format":     {[]string{"image", "--input", archive, "--format", "xml"}, `unknown --format "xml"`},
		"bad platform":   {[]string{"image", "--input", archive, "--platform", "linux"}, "bad --platform"},
		"other platform": {[]string{"image", "--input", archive, "--platform", "linux/arm64"}, "not linux/arm64"},
		"missing input":  {[]string{"image", "--input", filepath.Join(cache, "nope.tar")}, "no such file"},
		"timeout":        {[]string{"image", "--input", archive, "--timeout", "1ns"}, "timed out after 1ns"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, _, err := run(t, append(tt.args, "--cache-dir", cache)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	stdout, _, err := run(t, "version")
	if err != nil || !strings.HasPrefix(stdout, "docker-scan "+Version) {
		t.Fatalf("version: %q, %v", stdout, err)
	}
}

func TestCleanScanCache(t *testing.T) {
	archive := demoArchive(t)
	cache := t.TempDir()
	if _, _, err := run(t, "image", "--scanners", "none", "--input", archive, "--cache-dir", cache); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(cache, "scan-cache.db")); err != nil {
		t.Fatalf("no scan cache after a scan: %v", err)
	}
	if _, _, err := run(t, "clean", "--cache-dir", cache); err == nil {
		t.Error("clean without saying what must be an error")
	}
	out, _, err := run(t, "clean", "--scan-cache", "--cache-dir", cache)
	if err != nil || !strings.Contains(out, "Removed the scan cache") {
		t.Fatalf("clean: %q, %v", out, err)
	}
	if _, err := os.Stat(filepath.Join(cache, "scan-cache.db")); err == nil {
		t.Error("the scan cache is still there")
	}
	if _, _, err := run(t, "image", "--scanners", "none", "--input", archive, "--cache-dir", cache, "--cache-backend", "disk"); err == nil {
		t.Error("an unknown cache backend was accepted")
	}
}

func TestOfflineScanAsksNoRegistry(t *testing.T) {
	_, _, err := run(t, "image", "127.0.0.1:1/app:1", "--offline-scan", "--image-src", "remote", "--cache-dir", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "--offline-scan leaves no image source") {
		t.Errorf("error %v", err)
	}
	_, _, err = run(t, "image", "127.0.0.1:1/app:1", "--offline-scan", "--image-src", "docker,remote", "--docker-host", "unix:///nonexistent.sock", "--scanners", "none", "--cache-dir", t.TempDir())
	if err == nil || strings.Contains(err.Error(), "remote:") || !strings.Contains(err.Error(), "docker:") {
		t.Errorf("offline lookups must skip the registry: %v", err)
	}
}
