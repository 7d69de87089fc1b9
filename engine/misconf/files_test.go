package misconf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestIsDockerfileName: the names Trivy's Dockerfile analyzer takes.
func TestIsDockerfileName(t *testing.T) {
	for name, want := range map[string]bool{
		"Dockerfile": true, "dockerfile": true, "Containerfile": true, "Dockerfile.prod": true,
		"containerfile.dev": true, "api.Dockerfile": true, "web.dockerfile": true, "x.Containerfile": true,
		"sub/dir/Dockerfile": true,
		"Dockerfile.a.b":     false, "Dockerfiles": false, "MyDockerfile": false, "dockerfile.yaml.bak": false,
		"compose.yaml": false, "README.md": false, "dockerfile.go": false, "Dockerfile.dockerignore": false,
		"Dockerfile.json": false, "Dockerfile.alpine": true,
	} {
		if got := IsDockerfileName(name); got != want {
			t.Errorf("IsDockerfileName(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestFindConfigFiles: a walk finds Dockerfiles and compose files under
// the root, named from it, skipping version control, dependencies,
// symbolic links and what is deeper than the limit; a file root is
// itself; a missing root is one clear error.
func TestFindConfigFiles(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"Dockerfile":                            "FROM a\n",
		"compose.yaml":                          "services: {}\n",
		"svc/api.Dockerfile":                    "FROM a\n",
		"svc/docker-compose.yml":                "services: {}\n",
		"svc/notes.txt":                         "x",
		".git/Dockerfile":                       "FROM a\n",
		"node_modules/pkg/Dockerfile":           "FROM a\n",
		strings.Repeat("d/", 20) + "Dockerfile": "FROM a\n",
	}
	for name, body := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(root, "svc", "Dockerfile.link")); err != nil {
		t.Fatal(err)
	}
	found, issues, err := FindConfigFiles(root, Skip{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range found {
		got = append(got, f.Target+" "+f.Type)
	}
	want := "Dockerfile dockerfile,compose.yaml compose,svc/api.Dockerfile dockerfile,svc/docker-compose.yml compose"
	if strings.Join(got, ",") != want {
		t.Errorf("found %v, want %s", got, want)
	}
	if len(issues) != 1 || !strings.Contains(issues[0].Reason, "deeper than") {
		t.Errorf("issues %+v, want the too-deep directory", issues)
	}

	// --skip-dirs and --skip-files, relative to the root.
	found, _, err = FindConfigFiles(root, Skip{Dirs: []string{"svc"}, Files: []string{"**/compose.yaml"}})
	if err != nil || len(found) != 1 || found[0].Target != "Dockerfile" {
		t.Errorf("with skips: %+v, %v", found, err)
	}
	if _, _, err := FindConfigFiles(root, Skip{Dirs: []string{"[x"}}); err == nil {
		t.Error("a bad glob is accepted")
	}

	one, _, err := FindConfigFiles(filepath.Join(root, "svc", "api.Dockerfile"), Skip{})
	if err != nil || len(one) != 1 || one[0].Target != "api.Dockerfile" || one[0].Type != TypeDockerfile {
		t.Errorf("a file root: %+v, %v", one, err)
	}
	if _, _, err := FindConfigFiles(filepath.Join(root, "absent"), Skip{}); err == nil || !strings.HasSuffix(err.Error(), "absent: no such file or directory") {
		t.Errorf("missing root: %v", err)
	}
}

// TestReadConfigFileBounded: a file over the limit is refused without
// being read whole.
func TestReadConfigFileBounded(t *testing.T) {
	p := filepath.Join(t.TempDir(), "Dockerfile")
	if err := os.WriteFile(p, make([]byte, MaxDockerfileBytes+10), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadConfigFile(p); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("got %v", err)
	}
	if _, err := CheckDockerfileFile(p, "Dockerfile", DockerfileChecks); err == nil {
		t.Error("an oversized Dockerfile was checked")
	}

}
