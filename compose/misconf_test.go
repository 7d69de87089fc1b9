package compose

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/misconf"
	"github.com/docker-scan/docker-scan/engine/types"
)

// checkFile loads one file of testdata/compose/misconf and runs every check
// on every service; rootuser's image runs as root, the others' do not.
func checkFile(t *testing.T, name string) (map[string]types.Misconfiguration, string) {
	t.Helper()
	file, _ := filepath.Abs(filepath.Join("..", "testdata", "compose", "misconf", name))
	p := loadStack(t, LoadOptions{Files: []string{file}, Env: []string{"DB_PASSWORD=from-the-env"}})
	facts := map[string]ImageFacts{}
	for _, s := range p.ServiceNames() {
		facts[s] = ImageFacts{User: "app"}
	}
	facts["rootuser"] = ImageFacts{User: ""}
	got := map[string]types.Misconfiguration{}
	for _, res := range CheckProject(p, p.ServiceNames(), facts) {
		if res.Target != name || res.Class != types.ClassConfig {
			t.Errorf("result for %s (%s), want %s (relative to the project directory)", res.Target, res.Class, name)
		}
		for _, m := range res.Misconfigurations {
			got[fmt.Sprintf("%s/%s", m.ID, m.Service)] = m
		}
	}
	return got, file
}

func TestComposeChecks(t *testing.T) {
	bad, _ := checkFile(t, "bad.yaml")
	good, _ := checkFile(t, "good.yaml")
	// Each check: the finding expected in bad.yaml (ID/service) at its line.
	want := map[string]int{
		"DSC001/priv":      6,
		"DSC002/sock":      11,
		"DSC003/hostnet":   15,
		"DSC003/hostpid":   19,
		"DSC004/caps":      24,
		"DSC005/envsecret": 29,
		"DSC005/envlist":   34,
		"DSC005/envurl":    59,
		"DSC006/latest":    36,
		"DSC007/rootuser":  38,
		"DSC008/db":        44,
		"DSC009/nohealth":  51,
	}
	for key, line := range want {
		m, ok := bad[key]
		if !ok {
			t.Errorf("%s: not reported in bad.yaml", key)
			continue
		}
		if m.StartLine != line {
			t.Errorf("%s: line %d, want %d", key, m.StartLine, line)
		}
		if m.Title == "" || m.Resolution == "" || m.Message == "" || m.Severity == "" {
			t.Errorf("%s: incomplete finding %+v", key, m)
		}
		if key == "DSC005/envurl" && !strings.Contains(m.Message, "PostgreSQL connection string with password") {
			t.Errorf("%s: the message does not say what the value looks like: %s", key, m.Message)
		}
	}
	for key := range bad {
		if _, ok := want[key]; !ok {
			t.Errorf("unexpected finding in bad.yaml: %s: %s", key, bad[key].Message)
		}
	}
	// Only DSC007 for rootuser remains in good.yaml: its image runs as root
	// there too (the negative of DSC007 is every other service, whose
	// image user is "app", and db, whose user: is set).
	for key, m := range good {
		if key != "DSC007/rootuser" {
			t.Errorf("near miss reported in good.yaml: %s: %s", key, m.Message)
		}
	}
	// Every check is exercised.
	for _, c := range Checks {
		if !slices.ContainsFunc(mapKeys(want), func(k string) bool { return strings.HasPrefix(k, c.ID+"/") }) {
			t.Errorf("check %s has no positive test", c.ID)
		}
	}
}

// TestComposeCheckUserOverride: user: in the compose file wins over the
// image's root USER; an image with a non-root USER needs none.
func TestComposeCheckUserOverride(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "compose.yaml")
	writeFile(t, f, "services:\n  a:\n    image: x/a:1\n    user: \"1000\"\n  b:\n    image: x/b:1\n  c:\n    image: x/c:1\n")
	p := loadStack(t, LoadOptions{Files: []string{f}})
	res := CheckProject(p, p.ServiceNames(), map[string]ImageFacts{"a": {User: "root"}, "b": {User: "nobody"}, "c": {User: "0:0"}})
	var got []string
	for _, r := range res {
		for _, m := range r.Misconfigurations {
			got = append(got, m.ID+"/"+m.Service)
		}
	}
	if strings.Join(got, ",") != "DSC007/c" {
		t.Errorf("got %v, want only DSC007/c", got)
	}
}

// TestComposeCheckOverrideFile: a finding set by an override file is
// reported against that file.
func TestComposeCheckOverrideFile(t *testing.T) {
	dir := t.TempDir()
	base, override := filepath.Join(dir, "compose.yaml"), filepath.Join(dir, "compose.override.yaml")
	writeFile(t, base, "services:\n  a:\n    image: x/a:1\n    user: \"1000\"\n")
	writeFile(t, override, "services:\n  a:\n\n    privileged: true\n")
	p := loadStack(t, LoadOptions{Files: []string{base, override}})
	res := CheckProject(p, p.ServiceNames(), nil)
	if len(res) != 1 || res[0].Target != "compose.override.yaml" || res[0].Misconfigurations[0].ID != "DSC001" || res[0].Misconfigurations[0].StartLine != 4 {
		t.Errorf("got %+v, want DSC001 at %s:4", res, override)
	}
}

func mapKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// FuzzComposeFile: any file content loads or fails with an error, and the
// checks never panic on what loads.
func FuzzComposeFile(f *testing.F) {
	for _, name := range []string{"bad.yaml", "good.yaml"} {
		b, err := os.ReadFile(filepath.Join("..", "testdata", "compose", "misconf", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("services:\n  a:\n    build:\n      dockerfile_inline: \"FROM a\\nRUN <<EOF\\n\"\n"))
	f.Add([]byte("services:\n  a:\n    image: x\n    environment: [\"A\", 1, {b: c}]\n    ports: [{target: 5432, published: \"5432\"}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file := filepath.Join(t.TempDir(), "compose.yaml")
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		p, err := Load(context.Background(), LoadOptions{Files: []string{file}, Env: []string{}})
		if err != nil {
			return
		}
		CheckProject(p, p.ServiceNames(), map[string]ImageFacts{})
		// Inline Dockerfiles come from the file too.
		CheckDockerfiles(p, p.ServiceNames(), misconf.DockerfileChecks)
		p.Plan(nil)
	})
}

// TestComposeCheckScannerSidecar: the docker-scan image as a sidecar needs
// the Docker socket (read-only) and runs as root: not reported for it;
// the same settings on another image, or a writable socket, are.
func TestComposeCheckScannerSidecar(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "compose.yaml")
	writeFile(t, f, `services:
  scan:
    image: docker-scan:1.0
    volumes: ["/var/run/docker.sock:/var/run/docker.sock:ro"]
  rw:
    image: docker-scan:1.0
    volumes: ["/var/run/docker.sock:/var/run/docker.sock"]
  other:
    image: x/other:1
    volumes: ["/var/run/docker.sock:/var/run/docker.sock:ro"]
`)
	p := loadStack(t, LoadOptions{Files: []string{f}})
	scanner := Facts("", nil, map[string]string{ScannerLabel: "sidecar"})
	res := CheckProject(p, p.ServiceNames(), map[string]ImageFacts{"scan": scanner, "rw": scanner, "other": Facts("", nil, nil)})
	var got []string
	for _, r := range res {
		for _, m := range r.Misconfigurations {
			got = append(got, m.ID+"/"+m.Service)
		}
	}
	if strings.Join(got, ",") != "DSC002/rw,DSC007/other,DSC002/other" {
		t.Errorf("got %v", got)
	}
}
