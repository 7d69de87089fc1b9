package dockerfile

import (
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/misconf"
	"github.com/docker-scan/docker-scan/engine/types"
)

func TestWantsTrivysNames(t *testing.T) {
	for name, want := range map[string]bool{
		"Dockerfile": true, "app/Dockerfile": true, "dockerfile": true, "Dockerfile.dev": true,
		"Containerfile": true, "src/api.Dockerfile": true, "x.containerfile": true,
		"Dockerfile.build.sh": false, "Dockerfilebuild": false, "buildDockerfile": false,
		"usr/share/doc/Dockerfile-guide.md": false, "Dockerfiles/readme": false, "go/src/x/dockerfile.go": false,
	} {
		if got := NewAnalyzer(nil).Wants(name, 100); got != want {
			t.Errorf("Wants(%q) = %v, want %v", name, got, want)
		}
	}
	if NewAnalyzer(nil).Wants("Dockerfile", 0) {
		t.Error("an empty file is wanted")
	}
}

func TestAnalyzeChecksEachDockerfile(t *testing.T) {
	a := NewAnalyzer(nil)
	res := &types.LayerResult{DiffID: "sha256:1"}
	if err := a.Analyze("src/app/Dockerfile", []byte("FROM debian:12\nRUN apt-get update && apt-get install -y curl\nUSER app\n"), res); err != nil {
		t.Fatal(err)
	}
	if err := a.Analyze("src/ok.Dockerfile", []byte("FROM debian:12\nHEALTHCHECK NONE\nUSER app\n"), res); err != nil {
		t.Fatal(err)
	}
	if err := a.Analyze("src/bad/Dockerfile", []byte("# nothing but a comment\n"), res); err == nil {
		t.Error("a file the parser rejects is no error")
	}
	if len(res.Misconfigurations) != 2 {
		t.Fatalf("%d results", len(res.Misconfigurations))
	}
	r := res.Misconfigurations[0]
	if r.Target != "src/app/Dockerfile" || r.Class != types.ClassConfig || r.Type != misconf.TypeDockerfile || r.MisconfSummary == nil {
		t.Fatalf("result %+v", r)
	}
	found := false
	for _, m := range r.Misconfigurations {
		if m.ID == "DS-0029" && m.CauseMetadata.StartLine == 2 {
			found = true
		}
	}
	if !found {
		t.Errorf("no DS-0029 at line 2: %+v", r.Misconfigurations)
	}
	// A file with no failure still counts its passed checks.
	if ok := res.Misconfigurations[1]; len(ok.Misconfigurations) != 0 || ok.MisconfSummary.Successes == 0 {
		t.Errorf("clean file: %+v", ok)
	}
}

func TestAnalyzeBounds(t *testing.T) {
	a := NewAnalyzer(nil)
	res := &types.LayerResult{}
	for range maxFilesPerLayer {
		res.Misconfigurations = append(res.Misconfigurations, types.Result{})
	}
	if err := a.Analyze("Dockerfile", []byte("FROM a\n"), res); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("past the cap: %v", err)
	}
	big := []byte("FROM a\nRUN " + strings.Repeat("x", misconf.MaxDockerfileBytes) + "\n")
	if err := a.Analyze("Dockerfile", big, &types.LayerResult{}); err == nil {
		t.Error("a file over the parser's limit is no error")
	}
}

func TestFingerprintCoversCustomChecks(t *testing.T) {
	if NewAnalyzer(nil).Fingerprint() != "" {
		t.Error("the built-in checks have a fingerprint: cache keys of earlier scans would change")
	}
	custom := misconf.Check{ID: "USER-1", Type: misconf.TypeDockerfile, Severity: "HIGH", Namespace: "user.dockerfile.x"}
	a := NewAnalyzer(append(append([]misconf.Check{}, misconf.DockerfileChecks...), custom))
	custom.Severity = "LOW"
	b := NewAnalyzer(append(append([]misconf.Check{}, misconf.DockerfileChecks...), custom))
	if a.Fingerprint() == "" || a.Fingerprint() == b.Fingerprint() {
		t.Errorf("fingerprints %q %q", a.Fingerprint(), b.Fingerprint())
	}
}

func FuzzAnalyze(f *testing.F) {
	f.Add([]byte("FROM alpine:3.20\nRUN apk add curl\nUSER root\n"))
	f.Add([]byte("FROM a AS b\nCOPY --from=b <<EOF /x\nhi\nEOF\n"))
	f.Fuzz(func(t *testing.T, content []byte) {
		res := &types.LayerResult{}
		_ = NewAnalyzer(nil).Analyze("Dockerfile", content, res)
		if len(res.Misconfigurations) > 1 {
			t.Fatalf("%d results for one file", len(res.Misconfigurations))
		}
	})
}
