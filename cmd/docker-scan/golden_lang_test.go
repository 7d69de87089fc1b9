package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/testenv"
)

// TestGoldenLanguages scans one image holding packages of every
// ecosystem, at versions just below and at their fixes, against the
// fixture DB of real GitHub advisories (testdata/db/languages.yaml).
func TestGoldenLanguages(t *testing.T) {
	goBin, err := testenv.GoBinary(t, nil, "golang.org/x/text@v0.3.5")
	need(t, err == nil, fmt.Sprintf("a Go toolchain and the module proxy (%v)", err))
	goBytes, _ := os.ReadFile(goBin)
	rustBin, err := imagebuild.RustAuditableBinary(t.TempDir(), `{"packages":[{"name":"rtool","version":"0.3.0","source":"local","root":true,"dependencies":[1]},{"name":"smallvec","version":"1.6.1","source":"crates.io"}]}`)
	need(t, err == nil, fmt.Sprintf("objcopy to write a cargo-auditable binary (%v)", err))
	rustBytes, _ := os.ReadFile(rustBin)
	zipOf := func(files map[string]string) string { return string(zipBytes(t, files)) }
	pom := func(g, a, v string) string { return fmt.Sprintf("groupId=%s\nartifactId=%s\nversion=%s\n", g, a, v) }
	l, err := imagebuild.Layer(
		imagebuild.File{Path: "etc/alpine-release", Body: "3.20.3\n"},
		imagebuild.File{Path: "lib/apk/db/installed", Body: "P:musl\nV:1.2.5-r0\nA:x86_64\no:musl\n\n"},
		// Node.js: 1.2.5 is below CVE-2021-44906's fix, 1.2.6 is the fix.
		imagebuild.File{Path: "srv/web/node_modules/minimist/package.json", Body: `{"name": "minimist", "version": "1.2.5", "license": "MIT"}`},
		imagebuild.File{Path: "srv/web/node_modules/mkdirp/node_modules/minimist/package.json", Body: `{"name": "minimist", "version": "1.2.6", "license": "MIT"}`},
		// Python: 1.26.17 is CVE-2023-43804's fix and below CVE-2023-45803's.
		imagebuild.File{Path: "usr/local/lib/python3.11/site-packages/urllib3-1.26.17.dist-info/METADATA", Body: "Metadata-Version: 2.1\nName: urllib3\nVersion: 1.26.17\nLicense: MIT\n"},
		// Java: 2.15.0 fixes CVE-2021-44228 only; 2.16.0 both.
		imagebuild.File{Path: "opt/a/log4j-core-2.15.0.jar", Body: zipOf(map[string]string{"META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties": pom("org.apache.logging.log4j", "log4j-core", "2.15.0")})},
		imagebuild.File{Path: "opt/b/log4j-core-2.16.0.jar", Body: zipOf(map[string]string{"META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties": pom("org.apache.logging.log4j", "log4j-core", "2.16.0")})},
		// Ruby: 2.2.3 below, 2.2.3.1 at the fix.
		imagebuild.File{Path: "usr/local/bundle/specifications/rack-2.2.3.gemspec", Body: "Gem::Specification.new do |s|\n  s.name = \"rack\".freeze\n  s.version = \"2.2.3\"\n  s.licenses = [\"MIT\".freeze]\nend\n"},
		imagebuild.File{Path: "usr/lib/ruby/gems/3.1.0/specifications/rack-2.2.3.1.gemspec", Body: "Gem::Specification.new do |s|\n  s.name = \"rack\".freeze\n  s.version = \"2.2.3.1\"\nend\n"},
		// PHP: 6.5.5 below 6.5.6; .NET 12.0.3 below 13.0.1.
		imagebuild.File{Path: "var/www/vendor/composer/installed.json", Body: `{"packages": [{"name": "guzzlehttp/guzzle", "version": "6.5.5", "license": ["MIT"]}]}`},
		imagebuild.File{Path: "app/Api.deps.json", Body: `{"libraries": {"Api/1.0.0": {"type": "project"}, "Newtonsoft.Json/12.0.3": {"type": "package"}}}`},
		// Rust: 1.6.0 below 1.6.1.
		imagebuild.File{Path: "src/tool/Cargo.lock", Body: "[[package]]\nname = \"smallvec\"\nversion = \"1.6.0\"\n"},
		// Go: x/text v0.3.5 below v0.3.7.
		imagebuild.File{Path: "usr/local/bin/tool", Body: string(goBytes), Mode: 0o755},
		// Rust, audited binary: smallvec 1.6.1 is the fix (the Cargo.lock above has 1.6.0).
		imagebuild.File{Path: "usr/local/bin/rtool", Body: string(rustBytes), Mode: 0o755},
		imagebuild.File{Path: "opt/conda/conda-meta/numpy-1.21.2-py39_0.json", Body: `{"name": "numpy", "version": "1.21.2", "license": "BSD-3-Clause"}`},
	)
	if err != nil {
		t.Fatal(err)
	}
	img, err := imagebuild.Image("amd64", l)
	if err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "langs.tar")
	if err := imagebuild.WriteDockerArchive(archive, "langs:1", img); err != nil {
		t.Fatal(err)
	}
	cache := fixtureCache(t, "../../testdata/db/languages.yaml", "../../testdata/db/alpine-3.14.yaml")
	r := scanCLI(t, "image", "langs:1", "--input", archive, "--cache-dir", cache, "--skip-db-update", "--quiet", "--format", "json", "--scanners", "vuln", "--list-all-pkgs")
	if r.exit != 0 {
		t.Fatalf("exit %d: %s", r.exit, r.stderr)
	}
	rep := parseReport(t, r.stdout)
	want := []string{
		"Newtonsoft.Json 12.0.3 GHSA-5crp-9r3c-p9vr fixed 13.0.1 HIGH/ghsa",
		"golang.org/x/text v0.3.5 CVE-2021-38561 fixed 0.3.7 HIGH/ghsa", // Go versions keep their "v", as Trivy prints them
		"guzzlehttp/guzzle 6.5.5 CVE-2022-29248 fixed 6.5.6, 7.4.3 HIGH/ghsa",
		"minimist 1.2.5 CVE-2021-44906 fixed 0.2.4, 1.2.6 CRITICAL/ghsa",
		"org.apache.logging.log4j:log4j-core 2.15.0 CVE-2021-45046 fixed 2.16.0, 2.12.2 CRITICAL/ghsa",
		"rack 2.2.3 CVE-2022-30123 fixed 2.0.9.1, 2.1.4.1, 2.2.3.1 CRITICAL/ghsa",
		"smallvec 1.6.0 CVE-2021-25900 fixed 0.6.14, 1.6.1 CRITICAL/ghsa",
		"urllib3 1.26.17 CVE-2023-45803 fixed 2.0.7, 1.26.18 MEDIUM/ghsa",
	}
	sort.Strings(want)
	if got := findings(rep); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The Go binary depends on the toolchain that built it (and so does the
	// layer holding it): its stdlib version and the layer digests are not
	// golden material.
	// stdlib's UID hashes its version, so it is not golden material either.
	goVersion := strings.TrimPrefix(runtime.Version(), "go")
	stdlibUID := "no stdlib"
	for _, res := range rep.Results {
		for _, p := range res.Packages {
			if p.Name == "stdlib" {
				stdlibUID = p.Identifier.UID
			}
		}
	}
	raw, _ := json.Marshal(rep.Results)
	results := strings.NewReplacer(goVersion, "GO-VERSION", stdlibUID, "STDLIB-UID",
		rep.Metadata.Layers[0].DiffID, "LAYER-DIFFID", rep.Metadata.Layers[0].Digest, "LAYER-DIGEST").Replace(string(raw))
	var normalized any
	json.Unmarshal([]byte(results), &normalized)
	pretty, _ := json.MarshalIndent(normalized, "", "  ")
	checkGoldenText(t, "languages.json", string(pretty)+"\n")
}
