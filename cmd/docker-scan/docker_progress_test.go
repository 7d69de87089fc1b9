package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/runtime"
	"github.com/docker-scan/docker-scan/runtime/daemontest"
)

// TestDockerEngineSizeAndExportProgress: an image in the Docker engine is
// logged with the size the engine reports (not "0 B": its layers have no
// size before they are read), the export (when the layers are not read in
// place) is logged off a terminal and drawn as a progress line on one, and
// the JSON report carries the layers' sizes.
func TestDockerEngineSizeAndExportProgress(t *testing.T) {
	need(t, haveCommand("docker"), "the docker CLI")
	d := daemontest.StartDockerd(t)
	archive := filepath.Join(t.TempDir(), "img.tar")
	// 3 MiB of a file no analyzer wants, so that sizes are not rounding noise.
	filler := strings.Repeat("0123456789abcdef", 3<<16)
	err := imagebuild.DockerArchiveOf(archive, "e2e/sized:1",
		[]imagebuild.File{
			{Path: "etc/alpine-release", Body: "3.22.1\n"},
			{Path: "lib/apk/db/installed", Body: "P:musl\nV:1.2.5-r10\nA:x86_64\no:musl\n\n"},
		},
		[]imagebuild.File{{Path: "opt/data/filler.bin", Body: filler}},
	)
	if err != nil {
		t.Fatal(err)
	}
	dockerLoad(t, d.Host, archive)
	c, err := runtime.NewDockerClient(d.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	inspect, err := c.ImageInspect(context.Background(), "e2e/sized:1")
	if err != nil {
		t.Fatal(err)
	}
	if inspect.Size < 3<<20 {
		t.Fatalf("the engine says the image holds %d bytes", inspect.Size)
	}
	size := fmt.Sprintf("%.1f MiB", float64(inspect.Size)/(1<<20))

	// Read in place from the engine's layer store (the default for a
	// local engine), nothing is exported, and the size is the engine's.
	r := scanIn(t, "", d.Host, "image", "e2e/sized:1", "--scanners", "none", "--format", "json", "--cache-dir", t.TempDir())
	inPlace := storageDriver(t, d.Host, "e2e/sized:1") == "overlay2"
	if r.exit != 0 || !strings.Contains(r.stderr, `INFO  analyzing image image=e2e/sized:1 layers=2 size="`+size+`"`) || inPlace && strings.Contains(r.stderr, "export") {
		t.Errorf("read in place: exit %d, stderr:\n%s", r.exit, r.stderr)
	}
	// The rest is about the export, forced here.
	t.Setenv("DOCKER_SCAN_EXPORT", "streamed")
	r = scanIn(t, "", d.Host, "image", "e2e/sized:1", "--scanners", "none", "--format", "json", "--cache-dir", t.TempDir())
	if r.exit != 0 {
		t.Fatalf("exit %d: %s", r.exit, r.stderr)
	}
	for _, want := range []string{
		`INFO  analyzing image image=e2e/sized:1 layers=2 size="` + size + `"`,
		`INFO  exporting image image=e2e/sized:1 from=docker size="` + size + `"`,
		"INFO  image exported image=e2e/sized:1 size=",
		"INFO  layers analysed image=e2e/sized:1 layers=2 read=",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stderr, `size="0 B"`) || strings.ContainsAny(r.stderr, "\r\x1b") {
		t.Errorf("stderr:\n%q", r.stderr)
	}
	// As Trivy: the report's size is the layers' uncompressed (tar) sizes
	// summed, not the engine's figure.
	rep := parseReport(t, r.stdout)
	var sum int64
	for _, l := range rep.Metadata.Layers {
		sum += l.Size
	}
	if rep.Metadata.Size != sum || sum < int64(len(filler)) || len(rep.Metadata.Layers) != 2 {
		t.Errorf("Metadata.Size = %d, layers %+v (the engine says %d)", rep.Metadata.Size, rep.Metadata.Layers, inspect.Size)
	}

	// On a terminal, the export is a progress line.
	need(t, haveCommand("script"), "script(1), to give the scan a terminal")
	line := "docker scan image e2e/sized:1 --scanners none --format json --output /dev/null --cache-dir " + t.TempDir()
	cmd := exec.Command("script", "-qec", line, "/dev/null")
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+dockerConfig, "DOCKER_HOST="+d.Host, "TERM=xterm")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", line, err, out)
	}
	if !strings.Contains(string(out), "\r\x1b[Kexporting e2e/sized:1 from docker: ") || !strings.Contains(string(out), " / "+size) {
		t.Errorf("no export progress line on a terminal:\n%q", out)
	}
}
