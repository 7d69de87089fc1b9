package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/runtime/daemontest"
)

// TestPodmanSource: the image is found in a real Podman service, exported
// once, and a second scan (all layers cached) exports nothing: the export
// endpoint is counted by a proxy in front of Podman's socket.
func TestPodmanSource(t *testing.T) {
	p := daemontest.StartPodman(t)
	proxy := daemontest.NewCountingProxy(t, p.Host, "/images/export")
	archive := twoLayerArchive(t, "e2e/app:1")
	p.Load(t, archive)

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
