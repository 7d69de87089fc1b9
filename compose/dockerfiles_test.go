package compose

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/misconf"
	"github.com/docker-scan/docker-scan/engine/types"
)

// TestBuildDockerfiles: the Dockerfile of each service that builds is
// found as compose resolves it (context relative to the project
// directory, dockerfile relative to the context), once for the services
// that share it; inline ones are read from the file; remote contexts and
// services that only pull are left out.
func TestBuildDockerfiles(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"api", "web/docker"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(dir, "api", "Dockerfile"), "FROM alpine:latest\nEXPOSE 22\n")
	writeFile(t, filepath.Join(dir, "web", "docker", "web.Dockerfile"), "FROM alpine:3.20\nUSER app\nHEALTHCHECK CMD [\"true\"]\n")
	writeFile(t, filepath.Join(dir, "compose.yaml"), `services:
  api:
    build: ./api
  worker:
    build:
      context: api
  web:
    build:
      context: web
      dockerfile: docker/web.Dockerfile
  inline:
    build:
      dockerfile_inline: |
        FROM debian:12
        USER root
  remote:
    build: https://github.com/docker/getting-started.git
  db:
    image: postgres:16
  missing:
    build: ./nowhere
`)
	p := loadStack(t, LoadOptions{Files: []string{filepath.Join(dir, "compose.yaml")}})
	var got []string
	for _, d := range p.BuildDockerfiles(p.ServiceNames()) {
		got = append(got, d.Target+" <- "+strings.Join(d.Services, ","))
	}
	want := []string{"api/Dockerfile <- api,worker", "inline: dockerfile_inline <- inline", "nowhere/Dockerfile <- missing", "web/docker/web.Dockerfile <- web"}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// Checked: each Dockerfile once, findings naming the services that
	// build from it; the missing one is an issue, the others still go.
	results, issues := CheckDockerfiles(p, p.ServiceNames(), misconf.DockerfileChecks)
	byTarget := map[string]types.Result{}
	for _, r := range results {
		byTarget[r.Target] = r
	}
	if len(results) != 3 || len(issues) != 1 || issues[0].FilePath != "nowhere/Dockerfile" || !strings.Contains(issues[0].Reason, "services missing") {
		t.Fatalf("%d results, issues %+v", len(results), issues)
	}
	api := byTarget["api/Dockerfile"]
	if api.Class != types.ClassConfig || api.Type != misconf.TypeDockerfile || !hasFinding(api, "DS-0001", "api,worker", 1) || !hasFinding(api, "DS-0004", "api,worker", 2) {
		t.Errorf("api/Dockerfile: %+v", api)
	}
	if web := byTarget["web/docker/web.Dockerfile"]; len(web.Misconfigurations) != 0 || web.MisconfSummary == nil || web.MisconfSummary.Successes == 0 {
		t.Errorf("web's Dockerfile passes every check, with its count: %+v", web)
	}
	if inline := byTarget["inline: dockerfile_inline"]; !hasFinding(inline, "DS-0002", "inline", 2) {
		t.Errorf("inline Dockerfile: %+v", inline)
	}
	for _, name := range FindingServices(api.Misconfigurations[0]) {
		if name != "api" && name != "worker" {
			t.Errorf("finding names service %q", name)
		}
	}
}

func hasFinding(res types.Result, id, service string, line int) bool {
	return slices.ContainsFunc(res.Misconfigurations, func(m types.Misconfiguration) bool {
		return m.ID == id && m.Service == service && m.CauseMetadata.StartLine == line
	})
}

// TestComposeChecksShape: the compose checks are misconf.Checks of type
// compose, and their findings have Trivy's shape: status, summary, and
// the cause located with its line of the file.
func TestComposeChecksShape(t *testing.T) {
	for _, c := range Checks {
		if c.Type != misconf.TypeCompose || c.Description == "" || c.Title == "" || c.Resolution == "" || !strings.HasPrefix(c.ID, "DSC") {
			t.Errorf("check %+v", c)
		}
	}
	dir := t.TempDir()
	f := filepath.Join(dir, "compose.yaml")
	writeFile(t, f, "services:\n  a:\n    image: x/a:1\n    user: \"1000\"\n    privileged: true\n    cap_add: [SYS_ADMIN]\n")
	p := loadStack(t, LoadOptions{Files: []string{f}})
	res := CheckProject(p, p.ServiceNames(), nil)
	if len(res) != 1 || res[0].MisconfSummary == nil || *res[0].MisconfSummary != (types.MisconfSummary{Successes: len(Checks) - 2, Failures: 2}) {
		t.Fatalf("results %+v", res)
	}
	m := res[0].Misconfigurations[0]
	code := m.CauseMetadata.Code.Lines
	if m.ID != "DSC001" || m.Status != "FAIL" || m.Type != "Compose Security Check" || m.Description == "" ||
		m.CauseMetadata.StartLine != 5 || len(code) != 1 || code[0].Content != "    privileged: true" || !code[0].IsCause {
		t.Errorf("finding %+v", m)
	}
}
