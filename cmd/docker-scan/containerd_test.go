package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/runtime/daemontest"
)

// TestContainerdSource: the image is read from a real containerd's content
// store without any temp file (the cache dir's tmp is a plain file here,
// so creating one would fail the scan), and gives the same packages as the
// archive it was imported from.
func TestContainerdSource(t *testing.T) {
	c := daemontest.StartContainerd(t)
	archive := twoLayerArchive(t, "e2e/app:1")
	c.Import(t, "moby", archive)

	cache := t.TempDir()
	if err := os.WriteFile(filepath.Join(cache, "tmp"), []byte("no temp files here"), 0o444); err != nil {
		t.Fatal(err)
	}
	r := scanCLI(t, "image", "e2e/app:1", "--image-src", "containerd", "--containerd-address", c.Address,
		"--scanners", "none", "--format", "json", "--cache-dir", cache, "--cache-backend", "memory")
	if r.exit != 0 {
		t.Fatalf("exit %d: %s", r.exit, r.stderr)
	}
	rep := parseReport(t, r.stdout)
	if len(rep.Metadata.RepoTags) != 1 || rep.Metadata.RepoTags[0] != "docker.io/e2e/app:1" || len(rep.Metadata.RepoDigests) != 1 {
		t.Errorf("metadata: tags %q digests %q", rep.Metadata.RepoTags, rep.Metadata.RepoDigests)
	}
	fromFile := scanCLI(t, "image", "--input", archive, "--scanners", "none", "--format", "json", "--cache-dir", t.TempDir())
	want := parseReport(t, fromFile.stdout)
	if a, b := packagesOnly(t, rep), packagesOnly(t, want); a != b || a == "" {
		t.Errorf("containerd and the archive give different packages:\n%s\n%s", a, b)
	}
	if rep.Metadata.ImageID != want.Metadata.ImageID {
		t.Errorf("image ID %s, want the config digest %s", rep.Metadata.ImageID, want.Metadata.ImageID)
	}
	// The namespace was found by search (default, then moby); naming a
	// namespace without the image says so.
	r = scanCLI(t, "image", "e2e/app:1", "--image-src", "containerd", "--containerd-address", c.Address,
		"--containerd-namespace", "k8s.io", "--scanners", "none", "--quiet", "--cache-dir", t.TempDir())
	if r.exit != 1 || !strings.Contains(r.stderr, "containerd: not found (namespaces k8s.io)") {
		t.Errorf("exit %d: %s", r.exit, r.stderr)
	}
}
