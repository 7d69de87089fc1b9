package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/runtime/daemontest"
)

// alpineZlibArchive is an Alpine 3.14 image whose only package is zlib at
// the given version.
func alpineZlibArchive(t *testing.T, tag, zlib string) string {
	t.Helper()
	l, err := imagebuild.Layer(
		imagebuild.File{Path: "etc/alpine-release", Body: "3.14.10\n"},
		imagebuild.File{Path: "lib/apk/db/installed", Body: "P:musl\nV:1.2.2-r4\nA:x86_64\no:musl\n\nP:zlib\nV:" + zlib + "\nA:x86_64\no:zlib\n\n"},
	)
	if err != nil {
		t.Fatal(err)
	}
	img, err := imagebuild.Image("amd64", l)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "zlib-"+zlib+".tar")
	if err := imagebuild.WriteDockerArchive(p, tag, img); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRuntimeAll: one tag in three real engines, podman's copy built from
// an older zlib. --runtime all reports each runtime's image, says that
// they differ and how, and shares the analysis of identical images (the
// docker export happens once; containerd's copy, with the same layers,
// is answered from the layer cache).
func TestRuntimeAll(t *testing.T) {
	need(t, haveCommand("docker"), "the docker CLI")
	d := daemontest.StartDockerd(t)
	c := daemontest.StartContainerd(t)
	p := daemontest.StartPodman(t)
	dockerProxy := daemontest.NewCountingProxy(t, d.Host, "/images/get")
	// The docker copy is exported rather than read in place from the
	// engine's layer store (the default on a local engine), so that the
	// count of exports shows the analysis shared.
	t.Setenv("DOCKER_SCAN_EXPORT", "streamed")
	current := alpineZlibArchive(t, "e2e/app:1", "1.2.12-r3")
	old := alpineZlibArchive(t, "e2e/app:1", "1.2.11-r3")
	dockerLoad(t, d.Host, current)
	c.Import(t, "default", current)
	p.Load(t, old)
	sameImage := alpineZlibArchive(t, "e2e/same:1", "1.2.12-r3") // the same image as current, another tag
	dockerLoad(t, d.Host, sameImage)
	c.Import(t, "default", sameImage)
	p.Load(t, sameImage)

	cache := fixtureCache(t, "../../testdata/db/alpine-3.14.yaml")
	common := []string{"image", "e2e/app:1", "--runtime", "all", "--docker-host", dockerProxy.Host, "--containerd-address", c.Address,
		"--podman-host", p.Host, "--cache-dir", cache, "--skip-db-update", "--quiet"}
	r := scanCLI(t, append(common, "--format", "json")...)
	if r.exit != 0 {
		t.Fatalf("exit %d: %s", r.exit, r.stderr)
	}
	rep := parseReport(t, r.stdout)
	if len(rep.Runtimes) != 3 {
		t.Fatalf("runtimes: %+v", rep.Runtimes)
	}
	byRuntime := map[string]int{}
	for _, res := range rep.Results {
		byRuntime[res.Runtime] += len(res.Vulnerabilities)
		if !strings.HasPrefix(res.Target, "["+res.Runtime+"] ") {
			t.Errorf("target %q does not name its runtime", res.Target)
		}
	}
	if byRuntime["docker"] != 0 || byRuntime["containerd"] != 0 || byRuntime["podman"] != 2 {
		t.Errorf("vulnerabilities per runtime: %v (want podman's old zlib with 2)", byRuntime)
	}
	ids := map[string]string{}
	for _, ri := range rep.Runtimes {
		ids[ri.Runtime] = ri.ImageID
		if ri.Runtime == "podman" {
			if strings.Join(ri.PackagesOnlyHere, ",") != "zlib@1.2.11-r3" || len(ri.VulnerabilitiesOnlyHere) != 2 {
				t.Errorf("podman only-here: %q %q", ri.PackagesOnlyHere, ri.VulnerabilitiesOnlyHere)
			}
		} else if strings.Join(ri.PackagesOnlyHere, ",") != "zlib@1.2.12-r3" || len(ri.VulnerabilitiesOnlyHere) != 0 {
			t.Errorf("%s only-here: %q %q", ri.Runtime, ri.PackagesOnlyHere, ri.VulnerabilitiesOnlyHere)
		}
	}
	if ids["docker"] != ids["containerd"] || ids["docker"] == ids["podman"] || ids["podman"] == "" {
		t.Errorf("image IDs: %v", ids)
	}
	if dockerProxy.Count() != 1 {
		t.Errorf("docker exports: %d, want 1", dockerProxy.Count())
	}
	// The same image gives the same results from docker and containerd.
	results := map[string]string{}
	for _, res := range rep.Results {
		res.Runtime, res.Target = "", strings.TrimPrefix(res.Target, "["+res.Runtime+"] ")
		b, _ := json.Marshal(res)
		results[string(b)] = ""
	}
	if len(results) != 2 {
		t.Errorf("%d distinct results for three runtimes holding two images, want 2", len(results))
	}

	table := scanCLI(t, common...)
	for _, want := range []string{
		"[docker] e2e/app:1 (alpine 3.14.10)", "[containerd] e2e/app:1 (alpine 3.14.10)", "[podman] e2e/app:1 (alpine 3.14.10)",
		"Runtimes holding e2e/app:1", "The runtimes hold DIFFERENT images under e2e/app:1",
		"only in podman: package zlib@1.2.11-r3", "only in podman: CVE-2022-37434 in zlib@1.2.11-r3",
	} {
		if !strings.Contains(table.stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, table.stdout)
		}
	}
	if dockerProxy.Count() != 1 {
		t.Errorf("the second scan exported from docker again: %d exports", dockerProxy.Count())
	}
	// All three hold the same image under e2e/same:1: identical results.
	r = scanCLI(t, "image", "e2e/same:1", "--runtime", "all", "--docker-host", d.Host, "--containerd-address", c.Address,
		"--podman-host", p.Host, "--cache-dir", cache, "--skip-db-update", "--quiet", "--format", "json")
	rep = parseReport(t, r.stdout)
	distinct := map[string]bool{}
	for _, res := range rep.Results {
		res.Runtime, res.Target = "", strings.TrimPrefix(res.Target, "["+res.Runtime+"] ")
		b, _ := json.Marshal(res)
		distinct[string(b)] = true
	}
	if len(rep.Results) != 3 || len(distinct) != 1 {
		t.Errorf("%d results, %d distinct; want 3 identical:\n%v", len(rep.Results), len(distinct), distinct)
	}

	// Two runtimes with the same image: said plainly.
	same := scanCLI(t, "image", "e2e/app:1", "--runtime", "docker,containerd", "--docker-host", d.Host, "--containerd-address", c.Address,
		"--cache-dir", cache, "--skip-db-update", "--quiet")
	if !strings.Contains(same.stdout, "Every runtime that has it holds the same image.") {
		t.Errorf("same image:\n%s", same.stdout)
	}
}
