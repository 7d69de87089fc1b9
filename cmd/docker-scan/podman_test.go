package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/runtime/daemontest"
)

// TestPodmanSource: the image is found in a real Podman service. Its
// layers are read in place from Podman's layer store: nothing is exported
// (the export endpoint is counted by a proxy in front of Podman's socket)
// and the packages are the archive's. With the export forced, the image
// is exported once, and a second scan (all layers cached) exports
// nothing.
func TestPodmanSource(t *testing.T) {
	p := daemontest.StartPodman(t)
	proxy := daemontest.NewCountingProxy(t, p.Host, "/images/export")
	archive := twoLayerArchive(t, "e2e/app:1")
	p.Load(t, archive)

	inPlace := scanCLI(t, "image", "e2e/app:1", "--image-src", "podman", "--podman-host", proxy.Host, "--scanners", "none", "--format", "json", "--cache-dir", t.TempDir(), "--debug")
	if inPlace.exit != 0 || proxy.Count() != 0 || !strings.Contains(inPlace.stderr, "layers read in place from Podman's layer store") {
		t.Fatalf("not read in place: exit %d, %d exports:\n%s", inPlace.exit, proxy.Count(), inPlace.stderr)
	}
	fromArchive := parseReport(t, scanCLI(t, "image", "--input", archive, "--scanners", "none", "--format", "json", "--cache-dir", t.TempDir()).stdout)
	if a, b := packagesOnly(t, parseReport(t, inPlace.stdout)), packagesOnly(t, fromArchive); a != b || a == "" {
		t.Errorf("read in place and from the archive, the packages differ:\n%s\n%s", a, b)
	}

	t.Setenv("DOCKER_SCAN_EXPORT", "tempfile")
	cache := t.TempDir()
	args := []string{"image", "e2e/app:1", "--image-src", "podman", "--podman-host", proxy.Host, "--scanners", "none", "--format", "json", "--cache-dir", cache}
	first := scanCLI(t, args...)
	if first.exit != 0 {
		t.Fatalf("exit %d: %s", first.exit, first.stderr)
	}
	rep := parseReport(t, first.stdout)
	fromFile := parseReport(t, scanCLI(t, "image", "--input", archive, "--scanners", "none", "--format", "json", "--cache-dir", t.TempDir()).stdout)
	if a, b := packagesOnly(t, rep), packagesOnly(t, fromFile); a != b || a == "" {
		t.Errorf("podman and the archive give different packages:\n%s\n%s", a, b)
	}
	if rep.Metadata.ImageID != fromFile.Metadata.ImageID || len(rep.Metadata.RepoTags) == 0 || !strings.HasSuffix(rep.Metadata.RepoTags[0], "e2e/app:1") {
		t.Errorf("metadata: %s %q, want ID %s", rep.Metadata.ImageID, rep.Metadata.RepoTags, fromFile.Metadata.ImageID)
	}
	if proxy.Count() != 1 {
		t.Errorf("first scan exported %d times, want 1", proxy.Count())
	}
	if second := scanCLI(t, args...); second.exit != 0 || proxy.Count() != 1 {
		t.Errorf("second scan: exit %d, %d exports in all (want 1)", second.exit, proxy.Count())
	}
	if entries, _ := os.ReadDir(filepath.Join(cache, "tmp")); len(entries) != 0 {
		t.Errorf("temp files left behind: %v", entries)
	}
	missing := scanCLI(t, "image", "e2e/absent:1", "--image-src", "podman", "--podman-host", p.Host, "--scanners", "none", "--quiet", "--cache-dir", cache)
	if missing.exit != 1 || !strings.Contains(missing.stderr, "podman: not found") {
		t.Errorf("exit %d: %s", missing.exit, missing.stderr)
	}
}
