package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
)

// TestLanguagePackages: Node.js and Python packages found in an image,
// grouped per language, matched against GitHub advisories, the ones a
// dpkg package owns left to it, and --pkg-types obeyed.
func TestLanguagePackages(t *testing.T) {
	l, err := imagebuild.Layer(
		imagebuild.File{Path: "etc/debian_version", Body: "12.7\n"},
		imagebuild.File{Path: "var/lib/dpkg/status", Body: "Package: python3-yaml\nStatus: install ok installed\nVersion: 6.0-3+b2\nArchitecture: amd64\nSource: pyyaml\n"},
		imagebuild.File{Path: "var/lib/dpkg/info/python3-yaml.list", Body: "/usr/lib/python3/dist-packages/PyYAML-5.3.1.egg-info\n/usr/lib/python3/dist-packages/PyYAML-5.3.1.egg-info/PKG-INFO\n"},
		imagebuild.File{Path: "usr/lib/python3/dist-packages/PyYAML-5.3.1.egg-info/PKG-INFO", Body: "Metadata-Version: 1.1\nName: PyYAML\nVersion: 5.3.1\n"},
		imagebuild.File{Path: "usr/local/lib/python3.11/site-packages/urllib3-1.26.17.dist-info/METADATA", Body: "Metadata-Version: 2.1\nName: urllib3\nVersion: 1.26.17\nLicense: MIT\n\nHTTP library.\n"},
		imagebuild.File{Path: "srv/app/package.json", Body: `{"name": "app", "version": "1.0.0", "license": "UNLICENSED"}`},
		imagebuild.File{Path: "srv/app/node_modules/minimist/package.json", Body: `{"name": "minimist", "version": "1.2.3", "license": "MIT"}`},
	)
	if err != nil {
		t.Fatal(err)
	}
	img, err := imagebuild.Image("amd64", l)
	if err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "app.tar")
	if err := imagebuild.WriteDockerArchive(archive, "app:1", img); err != nil {
		t.Fatal(err)
	}
	cache := fixtureCache(t, "../../testdata/db/languages.yaml", "../../testdata/db/debian-12.yaml")
	base := []string{"image", "--input", archive, "--cache-dir", cache, "--skip-db-update", "--quiet", "--format", "json", "--scanners", "vuln"}
	r := scanCLI(t, base...)
	if r.exit != 0 {
		t.Fatalf("exit %d: %s", r.exit, r.stderr)
	}
	rep := parseReport(t, r.stdout)
	targets := map[string][]string{}
	for _, res := range rep.Results {
		for _, p := range res.Packages {
			targets[res.Target+"/"+res.Class] = append(targets[res.Target+"/"+res.Class], p.ID)
		}
	}
	if got := strings.Join(targets["Node.js/lang-pkgs"], ","); got != "app@1.0.0,minimist@1.2.3" {
		t.Errorf("Node.js packages: %s (%v)", got, targets)
	}
	if got := strings.Join(targets["Python/lang-pkgs"], ","); got != "urllib3@1.26.17" {
		t.Errorf("Python packages (PyYAML belongs to python3-yaml): %s", got)
	}
	want := []string{
		"minimist 1.2.3 CVE-2021-44906 fixed 0.2.4, 1.2.6 CRITICAL/ghsa",
		"urllib3 1.26.17 CVE-2023-45803 fixed 2.0.7, 1.26.18 MEDIUM/ghsa",
	}
	if got := findings(rep); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	osOnly := parseReport(t, scanCLI(t, append(base, "--pkg-types", "os")...).stdout)
	for _, res := range osOnly.Results {
		if res.Class == "lang-pkgs" {
			t.Errorf("--pkg-types os reported %s", res.Target)
		}
	}
}
