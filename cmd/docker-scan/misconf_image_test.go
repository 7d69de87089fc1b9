package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/types"
	"github.com/docker-scan/docker-scan/runtime/daemontest"
)

// The history steps of the image both tests check, as the classic
// builder records them.
const (
	token    = "ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
	stepEnv  = "/bin/sh -c #(nop)  ENV GITHUB_TOKEN=" + token
	stepRun  = "/bin/sh -c apt-get update && apt-get install -y curl"
	stepUser = "/bin/sh -c #(nop)  USER root"
)

// misconfByID is the findings of the report's result for target, by ID.
func misconfByID(t *testing.T, rep types.Report, target string) map[string]types.Misconfiguration {
	t.Helper()
	for _, r := range rep.Results {
		if r.Target != target {
			continue
		}
		if r.Class != types.ClassConfig || r.Type != "dockerfile" || r.MisconfSummary == nil {
			t.Errorf("result %s: class %s, type %s, summary %v", r.Target, r.Class, r.Type, r.MisconfSummary)
		}
		out := map[string]types.Misconfiguration{}
		for _, m := range r.Misconfigurations {
			out[m.ID] = m
		}
		return out
	}
	t.Fatalf("no result for %s in %d results", target, len(rep.Results))
	return nil
}

// checkHistoryFindings: the root user, the apt-get install without
// --no-install-recommends and the secret in ENV, each naming its step.
// When the secret scanner ran too (masked), the token is masked in the
// step and the code as it is in the report's image config.
func checkHistoryFindings(t *testing.T, found map[string]types.Misconfiguration, masked bool) {
	t.Helper()
	env := stepEnv
	if masked {
		env = strings.ReplaceAll(stepEnv, token, strings.Repeat("*", len(token)))
	}
	for id, step := range map[string]string{"DS-0002": stepUser, "DS-0029": stepRun, "DS-0031": env} {
		m, ok := found[id]
		switch {
		case !ok:
			t.Errorf("no %s among %v", id, keys(found))
		case m.Status != "FAIL" || m.CauseMetadata.StartLine == 0 || len(m.CauseMetadata.Code.Lines) == 0:
			t.Errorf("%s: status %s, cause %+v", id, m.Status, m.CauseMetadata)
		case masked && strings.Contains(m.CauseMetadata.Code.Lines[0].Content, token):
			t.Errorf("%s shows the token the secret scanner masked: %+v", id, m.CauseMetadata.Code)
		case m.Layer == nil || m.Layer.CreatedBy != step:
			t.Errorf("%s names step %+v, want %q", id, m.Layer, step)
		}
	}
}

func keys(m map[string]types.Misconfiguration) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestMisconfigImageThroughCLI: --scanners misconfig on an image written
// by the tests, whose config holds a classic build's history and whose
// layer holds a Dockerfile; the policy applies to what is found.
func TestMisconfigImageThroughCLI(t *testing.T) {
	app, err := imagebuild.Layer(
		imagebuild.File{Path: "src/Dockerfile", Body: "FROM python\nADD app.py /app/\nRUN pip install flask\n"},
		imagebuild.File{Path: "src/app.py", Body: "print('hi')\n"},
	)
	if err != nil {
		t.Fatal(err)
	}
	img, err := imagebuild.Image("amd64", app)
	if err != nil {
		t.Fatal(err)
	}
	img, err = imagebuild.WithConfig(img, func(cf *v1.ConfigFile) {
		cf.Config.Env = append(cf.Config.Env, "GITHUB_TOKEN="+token)
		cf.Config.User = "root"
		cf.History = []v1.History{
			{CreatedBy: "/bin/sh -c #(nop) COPY dir:0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9 in /src "},
			{CreatedBy: stepEnv, EmptyLayer: true},
			{CreatedBy: stepRun, EmptyLayer: true},
			{CreatedBy: stepUser, EmptyLayer: true},
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "misconf.tar")
	if err := imagebuild.WriteDockerArchive(archive, "misconf/app:1", img); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	base := []string{"image", "--input", archive, "--cache-dir", cache, "--quiet"}
	res := scanCLI(t, append(base, "--scanners", "misconfig", "--format", "json")...)
	if res.exit != 0 {
		t.Fatalf("exit %d: %s", res.exit, res.stderr)
	}
	rep := parseReport(t, res.stdout)
	checkHistoryFindings(t, misconfByID(t, rep, rep.ArtifactName), false)
	inLayer := misconfByID(t, rep, "src/Dockerfile")
	for _, id := range []string{"DS-0001", "DS-0005"} {
		if m, ok := inLayer[id]; !ok || m.Layer == nil || m.Layer.DiffID != rep.Metadata.DiffIDs[0] {
			t.Errorf("src/Dockerfile: %s %+v (layers %v)", id, m.Layer, rep.Metadata.DiffIDs)
		}
	}

	// The policy: severity, the ignore file (by ID, AVD ID or alias) and
	// the exit code.
	gate := append(base, "--scanners", "misconfig", "--exit-code", "3")
	if r := scanCLI(t, gate...); r.exit != 3 {
		t.Errorf("misconfigurations must fail the gate: exit %d\n%s", r.exit, r.stderr)
	}
	ignore := filepath.Join(t.TempDir(), ".trivyignore")
	os.WriteFile(ignore, []byte("DS002\nAVD-DS-0029\nDS-0031\n"), 0o644)
	r := scanCLI(t, append(gate, "--severity", "HIGH,CRITICAL", "--ignorefile", ignore, "--format", "json")...)
	rep = parseReport(t, r.stdout)
	left := misconfByID(t, rep, rep.ArtifactName)
	if len(left) != 0 {
		t.Errorf("ignored or filtered findings remain: %v", keys(left))
	}
	// src/Dockerfile keeps DS-0001 (MEDIUM, filtered) and DS-0005 (LOW)
	// only: nothing HIGH is left anywhere.
	if r.exit != 0 {
		t.Errorf("exit %d with everything filtered:\n%s", r.exit, r.stdout)
	}

	// Trivy's spelling: the image config alone, no layer checked.
	r = scanCLI(t, append(base, "--scanners", "vuln", "--skip-db-update", "--image-config-scanners", "misconfig,secret", "--format", "json", "--cache-dir", fixtureCache(t, "../../testdata/db/alpine-3.14.yaml"))...)
	if r.exit != 0 {
		t.Fatalf("--image-config-scanners: exit %d: %s", r.exit, r.stderr)
	}
	rep = parseReport(t, r.stdout)
	checkHistoryFindings(t, misconfByID(t, rep, rep.ArtifactName), true)
	for _, res := range rep.Results {
		if res.Target == "src/Dockerfile" {
			t.Error("--image-config-scanners checked a layer's Dockerfile")
		}
	}
	if !strings.Contains(r.stdout, `"Class": "secret"`) {
		t.Error("--image-config-scanners secret found no secret in the config")
	}
	if r := scanCLI(t, append(base, "--image-config-scanners", "vuln")...); r.exit == 0 || !strings.Contains(r.stderr, "--image-config-scanners") {
		t.Errorf("a bad --image-config-scanners: exit %d, %s", r.exit, r.stderr)
	}
}

// TestMisconfigImageConfig builds an image with `docker build` (the
// classic builder) FROM scratch, whose RUN step runs a static program
// standing in for /bin/sh: its history holds a root user, an apt-get
// install without --no-install-recommends and a secret in ENV, each found
// from the image config alone with the history step named.
func TestMisconfigImageConfig(t *testing.T) {
	need(t, haveCommand("docker"), "the docker CLI")
	d := daemontest.StartDockerd(t)
	dir := t.TempDir()
	sh, err := imagebuild.GoBinary(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := filepath.Join(dir, "ctx")
	os.MkdirAll(filepath.Join(ctx, "bin"), 0o755)
	content, err := os.ReadFile(sh)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ctx, "bin", "sh"), content, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte(`FROM scratch
COPY bin/sh /bin/sh
ENV GITHUB_TOKEN=`+token+`
RUN apt-get update && apt-get install -y curl
USER root
`), 0o644)
	build := exec.Command("docker", "build", "--network=none", "-t", "e2e/misconf:1", ctx)
	build.Env = append(os.Environ(), "DOCKER_HOST="+d.Host, "DOCKER_BUILDKIT=0", "DOCKER_CONFIG="+dockerConfig)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
	res := scanIn(t, "", d.Host, "image", "e2e/misconf:1", "--scanners", "misconfig", "--format", "json", "--cache-dir", t.TempDir(), "--quiet")
	if res.exit != 0 {
		t.Fatalf("exit %d: %s", res.exit, res.stderr)
	}
	rep := parseReport(t, res.stdout)
	checkHistoryFindings(t, misconfByID(t, rep, rep.ArtifactName), false)
	// The table names the step too.
	table := scanIn(t, "", d.Host, "image", "e2e/misconf:1", "--scanners", "misconfig", "--cache-dir", t.TempDir(), "--quiet")
	for _, want := range []string{"DS-0002", "DS-0029", "DS-0031", stepRun} {
		if !strings.Contains(table.stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, table.stdout)
		}
	}
}
