package plugin

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/db/dbtest"
	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/types"
)

// registryStack pushes two small images to an in-process registry and
// writes a compose file using them; it returns the file and the digest of
// the second image's layer.
func registryStack(t *testing.T) (*dbtest.Registry, string, string) {
	t.Helper()
	reg := dbtest.NewRegistry()
	t.Cleanup(reg.Close)
	var lastLayer string
	for _, name := range []string{"good", "broken"} {
		l, err := imagebuild.Layer(
			imagebuild.File{Path: "etc/alpine-release", Body: "3.20.3\n"},
			imagebuild.File{Path: "srv/" + name + ".txt", Body: strings.Repeat(name+" ", 5000)},
		)
		if err != nil {
			t.Fatal(err)
		}
		img, err := imagebuild.Image("amd64", l)
		if err != nil {
			t.Fatal(err)
		}
		if err := imagebuild.Push(reg.Host+"/stack/"+name+":1", img); err != nil {
			t.Fatal(err)
		}
		d, _ := l.Digest()
		lastLayer = d.String()
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "compose.yaml")
	body := "name: reg\nservices:\n  good:\n    image: " + reg.Host + "/stack/good:1\n    user: \"1\"\n  broken:\n    image: " + reg.Host + "/stack/broken:1\n    user: \"1\"\n"
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return reg, file, lastLayer
}

// TestComposeErrorsAreErrors: a vulnerability DB that is not there is one
// error before any scan, not a failure per service; an image that cannot
// be read fails the command after the report of the others is written.
func TestComposeErrorsAreErrors(t *testing.T) {
	reg, file, brokenLayer := registryStack(t)
	base := []string{"compose", "-f", file, "--image-src", "remote", "--insecure", "--cache-dir", t.TempDir(), "--format", "json"}

	_, _, err := run(t, append(base, "--skip-db-update")...)
	if err == nil || !strings.Contains(err.Error(), "DB") {
		t.Errorf("no DB: %v", err)
	}

	reg.Truncate(brokenLayer)
	stdout, _, err := run(t, append(base, "--scanners", "secret,misconfig")...)
	if err == nil || !strings.Contains(err.Error(), "1 of 2 services could not be scanned: broken: ") {
		t.Fatalf("broken image: %v", err)
	}
	var rep types.StackReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("no report before the error: %v\n%s", err, stdout)
	}
	if !rep.Services["good"].Pass || rep.Services["broken"].Pass || rep.Services["broken"].Error == "" {
		t.Errorf("services: %+v", rep.Services)
	}
}

// TestComposeBuildOnlyNeverPulled: the image of a service that is only
// built is looked for in the engines, never in a registry.
func TestComposeBuildOnlyNeverPulled(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	dir := t.TempDir()
	file := filepath.Join(dir, "compose.yaml")
	os.WriteFile(file, []byte("name: b\nservices:\n  api:\n    build: ./api\n    user: \"1\"\n"), 0o644)
	stdout, _, err := run(t, "compose", "-f", file, "--image-src", "docker,remote", "--scanners", "secret", "--cache-dir", t.TempDir(), "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var rep types.StackReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	m := rep.Services["api"].Missing
	if !strings.Contains(m, "docker: not running") || strings.Count(m, "remote:") != 1 || !strings.Contains(m, "remote: not looked up for an image the project builds") || !rep.Services["api"].Pass {
		t.Errorf("api: %+v", rep.Services["api"])
	}
}
