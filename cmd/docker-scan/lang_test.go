package main

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/testenv"
)

// TestLanguagePackages: Node.js and Python packages found in an image,
// grouped per language, matched against GitHub advisories, the ones a
// dpkg package owns left to it, and --pkg-types obeyed.
func TestLanguagePackages(t *testing.T) {
	goBin, err := testenv.GoBinary(t, nil, "golang.org/x/text@v0.3.5")
	need(t, err == nil, fmt.Sprintf("a Go toolchain and the module proxy to build a Go binary (%v)", err))
	goBinBytes, err := os.ReadFile(goBin)
	if err != nil {
		t.Fatal(err)
	}
	l, err := imagebuild.Layer(
		imagebuild.File{Path: "usr/local/bin/app", Body: string(goBinBytes), Mode: 0o755},
		imagebuild.File{Path: "etc/debian_version", Body: "12.7\n"},
		imagebuild.File{Path: "var/lib/dpkg/status", Body: "Package: python3-yaml\nStatus: install ok installed\nVersion: 6.0-3+b2\nArchitecture: amd64\nSource: pyyaml\n"},
		imagebuild.File{Path: "var/lib/dpkg/info/python3-yaml.list", Body: "/usr/lib/python3/dist-packages/PyYAML-5.3.1.egg-info\n/usr/lib/python3/dist-packages/PyYAML-5.3.1.egg-info/PKG-INFO\n"},
		imagebuild.File{Path: "var/lib/dpkg/info/python3-yaml.md5sums", Body: "0bf3b3bb5c4cd6a1e4d9af9e0e9ef6b1  usr/lib/python3/dist-packages/PyYAML-5.3.1.egg-info/PKG-INFO\n"},
		imagebuild.File{Path: "usr/lib/python3/dist-packages/PyYAML-5.3.1.egg-info/PKG-INFO", Body: "Metadata-Version: 1.1\nName: PyYAML\nVersion: 5.3.1\n"},
		imagebuild.File{Path: "usr/local/lib/python3.11/site-packages/urllib3-1.26.17.dist-info/METADATA", Body: "Metadata-Version: 2.1\nName: urllib3\nVersion: 1.26.17\nLicense: MIT\n\nHTTP library.\n"},
		imagebuild.File{Path: "srv/app/package.json", Body: `{"name": "app", "version": "1.0.0", "license": "UNLICENSED"}`},
		imagebuild.File{Path: "srv/app/node_modules/minimist/package.json", Body: `{"name": "minimist", "version": "1.2.3", "license": "MIT"}`},
		imagebuild.File{Path: "opt/svc/app.jar", Body: string(fatJar(t))},
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
	base := []string{"image", "--input", archive, "--cache-dir", cache, "--skip-db-update", "--quiet", "--format", "json", "--scanners", "vuln", "--list-all-pkgs"}
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
	if got := strings.Join(targets["Java/lang-pkgs"], ","); got != "com.example:svc@1.0.0,org.apache.logging.log4j:log4j-core@2.14.1" {
		t.Errorf("Java packages: %s", got)
	}
	// A Go binary is a result of its own, named by its path; its main
	// module is listed unversioned ((devel)), versions keep their "v";
	// ordered as Trivy orders them: root, direct (stdlib), then the rest.
	if got := strings.Join(targets["usr/local/bin/app/lang-pkgs"], ","); !strings.HasPrefix(got, "example.com/app,stdlib@v") || !strings.HasSuffix(got, ",golang.org/x/text@v0.3.5") {
		t.Errorf("Go packages: %s", got)
	}
	want := []string{
		"golang.org/x/text v0.3.5 CVE-2021-38561 fixed 0.3.7 HIGH/ghsa",
		"minimist 1.2.3 CVE-2021-44906 fixed 0.2.4, 1.2.6 CRITICAL/ghsa",
		"org.apache.logging.log4j:log4j-core 2.14.1 CVE-2021-44228 fixed 2.15.0, 2.12.2, 2.3.1 CRITICAL/ghsa",
		"org.apache.logging.log4j:log4j-core 2.14.1 CVE-2021-45046 fixed 2.16.0, 2.12.2 CRITICAL/ghsa",
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

// zipBytes writes a zip archive (a jar) of files, in name order.
func zipBytes(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range slices.Sorted(maps.Keys(files)) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, files[name])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fatJar is a Spring-Boot-style jar with log4j-core 2.14.1 inside.
func fatJar(t *testing.T) []byte {
	t.Helper()
	zipOf := func(files map[string]string) []byte { return zipBytes(t, files) }
	log4j := zipOf(map[string]string{
		"META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties": "version=2.14.1\ngroupId=org.apache.logging.log4j\nartifactId=log4j-core\n",
	})
	return zipOf(map[string]string{
		"META-INF/maven/com.example/svc/pom.properties": "groupId=com.example\nartifactId=svc\nversion=1.0.0\n",
		"BOOT-INF/lib/log4j-core-2.14.1.jar":            string(log4j),
	})
}
