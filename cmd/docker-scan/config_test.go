package main

// docker scan config: Dockerfiles and compose files of a directory checked
// before anything is built, through the real binary.

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
)

// configCLI runs the plugin binary's config command in dir.
func configCLI(t *testing.T, dir string, args ...string) scanResult {
	t.Helper()
	cmd := exec.Command(pluginBin, append([]string{"config"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "DOCKER_SCAN_CACHE_DIR="+t.TempDir())
	return runCommand(t, cmd)
}

// configProject is a build context with a failing Dockerfile, a passing
// one, one that does not parse, one under .git (never looked at), and a
// compose file whose service builds from a Dockerfile of another name.
func configProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{
		"api/Dockerfile":    "FROM alpine:latest\nRUN apk add curl\nEXPOSE 22\n",
		"web/Dockerfile":    "FROM alpine:3.20\nRUN apk add --no-cache curl\nUSER app\nHEALTHCHECK CMD [\"true\"]\nCMD [\"sh\"]\n",
		"broken.Dockerfile": "FROM alpine:3.20\nRUN <<EOF\necho never closed\n",
		".git/Dockerfile":   "FROM alpine\n",
		"worker/build.df":   "FROM alpine:3.20\nUSER app\nHEALTHCHECK CMD [\"true\"]\nMAINTAINER ops@example.com\n",
		"compose.yaml":      "services:\n  api:\n    build: ./api\n    privileged: true\n  worker:\n    build:\n      context: worker\n      dockerfile: build.df\n",
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		writeTestFile(t, filepath.Join(dir, name), body)
	}
	return dir
}

// TestConfigCLI: the JSON report of a build context is Trivy's for
// `trivy config`: a filesystem artifact, one config result per file
// (a clean one with its count of passed checks), findings located; the
// broken file is an issue, named on stderr in one line, and the others
// are still checked; --exit-code, --severity and the ignore file decide
// the exit code.
func TestConfigCLI(t *testing.T) {
	dir := configProject(t)
	r := configCLI(t, dir, ".", "--format", "json")
	if r.exit != 0 {
		t.Fatalf("exit %d without --exit-code: %s", r.exit, r.stderr)
	}
	rep := parseReport(t, r.stdout)
	if rep.ArtifactType != "filesystem" || rep.ArtifactName != "." || rep.SchemaVersion != 2 {
		t.Errorf("artifact %q of type %q", rep.ArtifactName, rep.ArtifactType)
	}
	byTarget := map[string]types.Result{}
	for _, res := range rep.Results {
		if res.Class != types.ClassConfig || res.MisconfSummary == nil {
			t.Errorf("%s: class %q, summary %v", res.Target, res.Class, res.MisconfSummary)
		}
		byTarget[res.Target+" "+res.Type] = res
	}
	targets := slices.Sorted(func(yield func(string) bool) {
		for k := range byTarget {
			if !yield(k) {
				return
			}
		}
	})
	want := []string{"api/Dockerfile dockerfile", "compose.yaml compose", "web/Dockerfile dockerfile", "worker/build.df dockerfile"}
	if !slices.Equal(targets, want) {
		t.Fatalf("results %v, want %v", targets, want)
	}
	api := byTarget["api/Dockerfile dockerfile"]
	for id, line := range map[string]int{"DS-0001": 1, "DS-0002": 0, "DS-0004": 3, "DS-0025": 2} {
		if !slices.ContainsFunc(api.Misconfigurations, func(m types.Misconfiguration) bool {
			return m.ID == id && m.CauseMetadata.StartLine == line && m.Status == "FAIL" && m.Type == "Dockerfile Security Check"
		}) {
			t.Errorf("api/Dockerfile: no %s at line %d in %+v", id, line, api.Misconfigurations)
		}
	}
	if web := byTarget["web/Dockerfile dockerfile"]; len(web.Misconfigurations) != 0 || web.MisconfSummary.Successes == 0 || web.MisconfSummary.Failures != 0 {
		t.Errorf("web/Dockerfile passes every check: %+v", web)
	}
	if c := byTarget["compose.yaml compose"]; len(c.Misconfigurations) != 1 || c.Misconfigurations[0].ID != "DSC001" || c.Misconfigurations[0].StartLine != 4 {
		t.Errorf("compose.yaml: %+v", c.Misconfigurations)
	}
	if w := byTarget["worker/build.df dockerfile"]; len(w.Misconfigurations) != 1 || w.Misconfigurations[0].ID != "DS-0022" {
		t.Errorf("the worker's Dockerfile, found through compose.yaml: %+v", w.Misconfigurations)
	}
	if len(rep.AnalysisIssues) != 1 || rep.AnalysisIssues[0].FilePath != "broken.Dockerfile" || rep.AnalysisIssues[0].Reason != "unterminated heredoc" {
		t.Errorf("issues %+v", rep.AnalysisIssues)
	}
	if lines := strings.Split(strings.TrimSpace(r.stderr), "\n"); len(lines) != 1 || !strings.Contains(lines[0], "cannot check broken.Dockerfile: unterminated heredoc") {
		t.Errorf("stderr: %q", r.stderr)
	}

	// Exit codes: a finding or a file that cannot be checked fails.
	writeTestFile(t, filepath.Join(dir, ".trivyignore"), "DS-0001\nAVD-DS-0004\n")
	for _, tc := range []struct {
		name string
		dir  string
		args []string
		exit int
	}{
		{"findings", dir, []string{".", "--exit-code", "3"}, 3},
		{"only the broken file left", dir, []string{".", "--exit-code", "3", "--severity", "CRITICAL"}, 3},
		{"nothing left", dir, []string{".", "--exit-code", "3", "--severity", "CRITICAL", "--skip-files", "broken.Dockerfile"}, 0},
		{"one clean file", dir, []string{"web/Dockerfile", "--exit-code", "3"}, 0},
		{"clean dir", filepath.Join(dir, "web"), []string{".", "--exit-code", "3"}, 0},
		{"missing path", dir, []string{"nowhere", "--exit-code", "3"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := configCLI(t, tc.dir, tc.args...)
			if r.exit != tc.exit {
				t.Errorf("exit %d, want %d: %s", r.exit, tc.exit, r.stderr)
			}
		})
	}
	r = configCLI(t, dir, "nowhere")
	if strings.TrimSpace(r.stderr) != "docker-scan: nowhere: no such file or directory" {
		t.Errorf("missing path: %q", r.stderr)
	}

	// The ignore file drops DS-0001 and DS-0004 (by its AVD ID).
	r = configCLI(t, dir, "api", "--format", "json")
	for _, res := range parseReport(t, r.stdout).Results {
		for _, m := range res.Misconfigurations {
			if m.ID == "DS-0001" || m.ID == "DS-0004" {
				t.Errorf("ignored %s reported", m.ID)
			}
		}
	}
}

// TestConfigTableGolden: the table for one Dockerfile, Trivy's layout.
func TestConfigTableGolden(t *testing.T) {
	dir := t.TempDir()
	writeTestFile(t, filepath.Join(dir, "Dockerfile"), `FROM debian:12
MAINTAINER ops@example.com
RUN apt-get update \
 && apt-get install -y curl \
 && rm -rf /var/lib/apt/lists/*
EXPOSE 22 8080
USER app
HEALTHCHECK CMD curl -f http://localhost:8080/ || exit 1
`)
	r := configCLI(t, dir, "Dockerfile")
	if r.exit != 0 || r.stderr != "" {
		t.Fatalf("exit %d: %s", r.exit, r.stderr)
	}
	checkGoldenText(t, "config-dockerfile-table.txt", r.stdout)
}

// TestConfigRepository: `docker scan config .` on this repository, past
// its test fixtures (which fail on purpose): its own Dockerfile lists
// only real findings, and every other file is checked.
func TestConfigRepository(t *testing.T) {
	r := configCLI(t, filepath.Join("..", ".."), ".", "--format", "json", "--skip-dirs", "testdata")
	if r.exit != 0 {
		t.Fatalf("exit %d: %s", r.exit, r.stderr)
	}
	rep := parseReport(t, r.stdout)
	if len(rep.AnalysisIssues) != 0 {
		t.Errorf("files not checked: %+v", rep.AnalysisIssues)
	}
	var root *types.Result
	for i, res := range rep.Results {
		if res.Target == "Dockerfile" {
			root = &rep.Results[i]
		}
		if strings.HasSuffix(res.Target, ".go") {
			t.Errorf("Go source %s checked as a Dockerfile", res.Target)
		}
	}
	if root == nil {
		t.Fatalf("the repository's Dockerfile is not checked: %v", rep.Results)
	}
	// FROM scratch, a static binary: it runs as root to reach the Docker
	// socket as the compose sidecar, and a scanner run to completion has
	// no service to health-check. Anything else is a new finding.
	for _, m := range root.Misconfigurations {
		if m.ID != "DS-0002" && m.ID != "DS-0026" {
			t.Errorf("new finding in the Dockerfile: %s %s (line %d)", m.ID, m.Message, m.CauseMetadata.StartLine)
		}
	}
}

// TestComposeChecksBuildDockerfiles: `docker scan compose` checks the
// Dockerfile each service builds from (context and dockerfile as compose
// resolves them), with the compose file; the services they concern fail.
// The services only build, so no engine or registry is asked.
func TestComposeChecksBuildDockerfiles(t *testing.T) {
	dir := configProject(t)
	cmd := exec.Command(pluginBin, "compose", "--scanners", "misconfig", "--image-src", "remote", "--format", "json", "--exit-code", "4", "--cache-dir", t.TempDir())
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	r := runCommand(t, cmd)
	if r.exit != 4 {
		t.Fatalf("exit %d, want 4: %s", r.exit, r.stderr)
	}
	var rep types.StackReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.stdout)
	}
	var got []string
	for _, res := range rep.Misconfigurations {
		for _, m := range res.Misconfigurations {
			got = append(got, res.Target+" "+m.ID+" "+m.Service)
		}
	}
	for _, want := range []string{"compose.yaml DSC001 api", "api/Dockerfile DS-0001 api", "api/Dockerfile DS-0025 api", "worker/build.df DS-0022 worker"} {
		if !slices.Contains(got, want) {
			t.Errorf("no %q in %v", want, got)
		}
	}
	if rep.Services["api"].Pass || rep.Services["worker"].Pass {
		t.Errorf("services with findings pass: %+v", rep.Services)
	}
}

// TestComposeCustomCheck: --config-check applies to the services' build
// Dockerfiles in `docker scan compose --scanners misconfig`, although no
// image is scanned for misconfigurations there.
func TestComposeCustomCheck(t *testing.T) {
	dir := configProject(t)
	checks := filepath.Join(t.TempDir(), "checks")
	if err := os.MkdirAll(checks, 0o755); err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, filepath.Join(checks, "maintainer.rego"), `# METADATA
# title: No MAINTAINER
# custom:
#   id: ACME-002
#   severity: HIGH
#   input:
#     selector:
#       - type: dockerfile
package user.dockerfile.maintainer

import rego.v1

deny contains res if {
	some cmd in input.Stages[_].Commands
	cmd.Cmd == "maintainer"
	res := result.new("MAINTAINER is not allowed here", cmd)
}
`)
	cmd := exec.Command(pluginBin, "compose", "--scanners", "misconfig", "--config-check", checks, "--check-namespaces", "user",
		"--image-src", "remote", "--format", "json", "--cache-dir", t.TempDir())
	cmd.Dir = dir
	r := runCommand(t, cmd)
	var rep types.StackReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("not JSON (exit %d): %v\n%s\n%s", r.exit, err, r.stdout, r.stderr)
	}
	var got []string
	for _, res := range rep.Misconfigurations {
		for _, m := range res.Misconfigurations {
			got = append(got, res.Target+" "+m.ID)
		}
	}
	if !slices.Contains(got, "worker/build.df ACME-002") || !slices.Contains(got, "worker/build.df DS-0022") {
		t.Errorf("the custom check did not run beside the built-in ones: %v", got)
	}
}
