package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/testenv"
	"github.com/docker-scan/docker-scan/engine/types"
)

// sbomFindings lists a report's vulnerabilities, one line per package and
// vulnerability with what the match gave (version, status, fix,
// severity), and the packages of each result. OS results are named by
// class only: their target names the scanned file or image.
func sbomFindings(rep types.Report) (vulns, pkgs []string) {
	for _, res := range rep.Results {
		target := res.Target
		if res.Class == types.ClassOSPkg {
			target = "OS"
		}
		for _, v := range res.Vulnerabilities {
			vulns = append(vulns, strings.Join([]string{target, v.PkgID, v.PkgName, v.PkgPath, v.InstalledVersion, v.VulnerabilityID, v.Status.String(), v.FixedVersion, v.Severity}, " | "))
		}
		for _, p := range res.Packages {
			pkgs = append(pkgs, target+" | "+p.ID+" | "+p.FilePath)
		}
	}
	slices.Sort(vulns)
	slices.Sort(pkgs)
	return vulns, pkgs
}

// sbomRoundTrip scans an image, writes its CycloneDX (JSON and XML) and
// SPDX (JSON and tag-value) SBOMs, scans each with `docker scan sbom`, and checks that
// each gives the vulnerabilities the image scan gave, package by package.
// It returns the image scan's findings.
func sbomRoundTrip(t *testing.T, archive, ref, cache string) []string {
	t.Helper()
	common := []string{"--cache-dir", cache, "--skip-db-update", "--quiet"}
	r := scanCLI(t, append([]string{"image", ref, "--input", archive, "--format", "json", "--scanners", "vuln", "--list-all-pkgs"}, common...)...)
	if r.exit != 0 {
		t.Fatalf("image scan: exit %d: %s", r.exit, r.stderr)
	}
	image := parseReport(t, r.stdout)
	wantVulns, wantPkgs := sbomFindings(image)
	if len(wantVulns) == 0 {
		t.Fatal("the image scan found no vulnerabilities: the round trip would prove nothing")
	}
	dir := t.TempDir()
	for _, format := range []string{"cyclonedx", "cyclonedx-xml", "spdx-json", "spdx"} {
		t.Run(format, func(t *testing.T) {
			file := filepath.Join(dir, ref+"."+format)
			if r := scanCLI(t, append([]string{"image", ref, "--input", archive, "--format", format, "--output", file}, common...)...); r.exit != 0 {
				t.Fatalf("--format %s: exit %d: %s", format, r.exit, r.stderr)
			}
			r := scanCLI(t, append([]string{"sbom", file, "--format", "json", "--list-all-pkgs"}, common...)...)
			if r.exit != 0 {
				t.Fatalf("sbom scan: exit %d: %s", r.exit, r.stderr)
			}
			rep := parseReport(t, r.stdout)
			wantType := "cyclonedx"
			if strings.HasPrefix(format, "spdx") {
				wantType = "spdx"
			}
			if rep.ArtifactName != file || rep.ArtifactType != wantType {
				t.Errorf("artifact %s %s", rep.ArtifactName, rep.ArtifactType)
			}
			if image.Metadata.OS != nil && (rep.Metadata.OS == nil || rep.Metadata.OS.Family != image.Metadata.OS.Family || rep.Metadata.OS.Name != image.Metadata.OS.Name) {
				t.Errorf("OS %+v, image's %+v", rep.Metadata.OS, image.Metadata.OS)
			}
			gotVulns, gotPkgs := sbomFindings(rep)
			if d := diffLines(strings.Join(wantVulns, "\n"), strings.Join(gotVulns, "\n")); d != "" {
				t.Errorf("vulnerabilities differ from the image scan's (- image, + sbom):\n%s", d)
			}
			if d := diffLines(strings.Join(wantPkgs, "\n"), strings.Join(gotPkgs, "\n")); d != "" {
				t.Errorf("packages differ from the image scan's (- image, + sbom):\n%s", d)
			}
			// The exit code follows the findings, as for an image.
			if r := scanCLI(t, append([]string{"sbom", file, "--exit-code", "3"}, common...)...); r.exit != 3 {
				t.Errorf("--exit-code 3: exit %d: %s", r.exit, r.stderr)
			}
		})
	}
	return wantVulns
}

// Alpine: the 3.14.10 root with packages back at 3.14.1's versions.
func TestSBOMRoundTripAlpine(t *testing.T) {
	archive := oldAlpineImage(t)
	cache := fixtureCache(t, "../../testdata/db/alpine-3.14.yaml")
	sbomRoundTrip(t, archive, "app:old-base", cache)
}

// Language packages of every ecosystem the DB matches, in the places
// images keep them, and a Go binary when a toolchain can build one.
func TestSBOMRoundTripLanguages(t *testing.T) {
	pom := "groupId=org.apache.logging.log4j\nartifactId=log4j-core\nversion=2.15.0\n"
	files := []imagebuild.File{
		{Path: "etc/alpine-release", Body: "3.14.10\n"},
		{Path: "lib/apk/db/installed", Body: "P:musl\nV:1.2.2-r3\nA:x86_64\no:musl\nL:MIT\n\n"},
		{Path: "srv/web/node_modules/minimist/package.json", Body: `{"name": "minimist", "version": "1.2.5", "license": "MIT"}`},
		{Path: "srv/web/node_modules/lodash/package.json", Body: `{"name": "lodash", "version": "4.17.20", "license": "MIT"}`},
		{Path: "usr/local/lib/python3.11/site-packages/urllib3-1.26.17.dist-info/METADATA", Body: "Metadata-Version: 2.1\nName: urllib3\nVersion: 1.26.17\nLicense: MIT\n"},
		{Path: "usr/local/lib/python3.11/site-packages/PyYAML-5.3.1.dist-info/METADATA", Body: "Metadata-Version: 2.1\nName: PyYAML\nVersion: 5.3.1\n"},
		{Path: "opt/a/log4j-core-2.15.0.jar", Body: string(zipBytes(t, map[string]string{"META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties": pom}))},
		{Path: "usr/local/bundle/specifications/rack-2.2.3.gemspec", Body: "Gem::Specification.new do |s|\n  s.name = \"rack\".freeze\n  s.version = \"2.2.3\"\nend\n"},
		{Path: "var/www/vendor/composer/installed.json", Body: `{"packages": [{"name": "guzzlehttp/guzzle", "version": "6.5.5", "license": ["MIT"]}]}`},
		{Path: "app/Api.deps.json", Body: `{"libraries": {"Api/1.0.0": {"type": "project"}, "Newtonsoft.Json/12.0.3": {"type": "package"}}}`},
		{Path: "src/tool/Cargo.lock", Body: "[[package]]\nname = \"smallvec\"\nversion = \"1.6.0\"\n"},
	}
	if goBin, err := testenv.GoBinary(t, nil, "golang.org/x/text@v0.3.5"); err == nil {
		b, _ := os.ReadFile(goBin)
		files = append(files, imagebuild.File{Path: "usr/local/bin/tool", Body: string(b), Mode: 0o755})
	} else {
		t.Logf("no Go binary in the image: %v", err)
	}
	archive := layerArchive(t, "langs:1", files...)
	cache := fixtureCache(t, "../../testdata/db/languages.yaml", "../../testdata/db/alpine-3.14.yaml")
	got := sbomRoundTrip(t, archive, "langs:1", cache)
	for _, id := range []string{"CVE-2021-44906", "CVE-2021-23337", "CVE-2023-45803", "CVE-2020-14343", "CVE-2021-45046", "CVE-2022-30123", "CVE-2022-29248", "GHSA-5crp-9r3c-p9vr", "CVE-2021-25900"} {
		if !slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, " "+id+" ") }) {
			t.Errorf("the image scan misses %s: %q", id, got)
		}
	}
}

// Debian: a debootstrap minbase root, hundreds of dpkg packages whose
// advisories are filed under their source packages.
func TestSBOMRoundTripDebian(t *testing.T) {
	testenv.E2E(t, "debootstrap, as root, from Debian's archive")
	need(t, haveCommand("debootstrap"), "debootstrap (apt-get install debootstrap)")
	need(t, os.Geteuid() == 0, "root for debootstrap")
	root := debianRoot(t)
	archive := rootArchive(t, root, "debian:bookworm")
	cache := fixtureCache(t, "../../testdata/db/debian-12.yaml")
	got := sbomRoundTrip(t, archive, "debian:bookworm", cache)
	if !slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, " | libc6@") }) {
		t.Errorf("no glibc finding for libc6: %q", got)
	}
}

// A BuildKit-style OCI layout (the image, and beside it an attestation
// manifest whose in-toto statement carries an SPDX SBOM): with
// --sbom-sources oci the SBOM is scanned instead of the layers; without
// an attestation, the layers are.
func TestSBOMAttestationScan(t *testing.T) {
	spdx, err := os.ReadFile("../../engine/sbom/testdata/syft-alpine.spdx.json")
	if err != nil {
		t.Fatal(err)
	}
	// The layers hold no packages at all: only the SBOM can report any.
	layer, err := imagebuild.Layer(imagebuild.File{Path: "etc/alpine-release", Body: "3.14.10\n"})
	if err != nil {
		t.Fatal(err)
	}
	img, err := imagebuild.Image("amd64", layer)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := imagebuild.SBOMAttestationIndex(img, v1.Platform{OS: "linux", Architecture: "amd64"}, "app@1.0", spdx)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := imagebuild.WriteOCILayoutIndex(dir, "1.0", idx); err != nil {
		t.Fatal(err)
	}
	cache := fixtureCache(t, "../../testdata/db/alpine-3.14.yaml")
	args := []string{"image", "--input", dir, "--platform", "linux/amd64", "--format", "json", "--scanners", "vuln", "--list-all-pkgs", "--cache-dir", cache, "--skip-db-update"}
	r := scanCLI(t, append(args, "--sbom-sources", "oci")...)
	if r.exit != 0 {
		t.Fatalf("exit %d: %s", r.exit, r.stderr)
	}
	if !strings.Contains(r.stderr, "SBOM attestation instead of its layers") {
		t.Errorf("no log line says the attestation was scanned:\n%s", r.stderr)
	}
	rep := parseReport(t, r.stdout)
	if rep.ArtifactType != types.ArtifactTypeContainerImage || rep.Metadata.ImageID == "" || len(rep.Metadata.DiffIDs) != 1 {
		t.Errorf("report describes %s %q with diffIDs %v", rep.ArtifactType, rep.Metadata.ImageID, rep.Metadata.DiffIDs)
	}
	vulns, pkgs := sbomFindings(rep)
	if len(pkgs) != 3 || !slices.ContainsFunc(vulns, func(s string) bool {
		return strings.Contains(s, "busybox@1.33.1-r3 | busybox |  | 1.33.1-r3 | CVE-2022-28391 ")
	}) {
		t.Errorf("packages %q\nvulnerabilities %q", pkgs, vulns)
	}
	// Without --sbom-sources, the layers are scanned: no packages.
	r = scanCLI(t, args...)
	if r.exit != 0 {
		t.Fatalf("exit %d: %s", r.exit, r.stderr)
	}
	if _, pkgs := sbomFindings(parseReport(t, r.stdout)); len(pkgs) != 0 {
		t.Errorf("layer scan found %q", pkgs)
	}
	// An image without an attestation falls back to its layers, saying so.
	plain := t.TempDir()
	if err := imagebuild.WriteOCILayout(plain, "1.0", img); err != nil {
		t.Fatal(err)
	}
	r = scanCLI(t, "image", "--input", plain, "--format", "json", "--sbom-sources", "oci", "--cache-dir", cache, "--skip-db-update")
	if r.exit != 0 || !strings.Contains(r.stderr, "no SBOM attestation found") {
		t.Errorf("exit %d, stderr:\n%s", r.exit, r.stderr)
	}
	if r := scanCLI(t, "image", "--input", plain, "--sbom-sources", "rekor", "--cache-dir", cache); r.exit == 0 || !strings.Contains(r.stderr, "--sbom-sources") {
		t.Errorf("--sbom-sources rekor: exit %d: %s", r.exit, r.stderr)
	}
}

// Bad input to `docker scan sbom` is one clear line.
func TestSBOMBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "notes.json")
	os.WriteFile(bad, []byte(`{"hello": "world"}`), 0o644)
	for _, c := range []struct{ file, want string }{
		{bad, "not a CycloneDX"},
		{filepath.Join(dir, "missing.json"), "no such file"},
	} {
		r := scanCLI(t, "sbom", c.file, "--cache-dir", t.TempDir(), "--skip-db-update", "--scanners", "none")
		if r.exit == 0 || !strings.Contains(r.stderr, c.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") > 1 {
			t.Errorf("%s: exit %d, stderr:\n%s", c.file, r.exit, r.stderr)
		}
	}
}

// --vex works on an SBOM scan as on an image scan: the statement's
// product is the package's PURL as the SBOM gives it.
func TestSBOMWithVEX(t *testing.T) {
	cache := fixtureCache(t, "../../testdata/db/alpine-3.14.yaml")
	vexFile := filepath.Join(t.TempDir(), "busybox.openvex.json")
	writeTestFile(t, vexFile, `{
  "@context": "https://openvex.dev/ns/v0.2.0",
  "@id": "https://example.com/vex/busybox-1",
  "author": "Platform team <platform@example.com>",
  "timestamp": "2025-03-01T00:00:00Z",
  "version": 1,
  "statements": [{
    "vulnerability": {"name": "CVE-2022-28391"},
    "products": [{"@id": "pkg:apk/alpine/busybox@1.33.1-r3"}],
    "status": "not_affected",
    "justification": "vulnerable_code_not_in_execute_path"
  }]
}`)
	args := []string{"sbom", "../../engine/sbom/testdata/syft-alpine.spdx.json", "--format", "json", "--cache-dir", cache, "--skip-db-update", "--quiet"}
	without, _ := sbomFindings(parseReport(t, scanCLI(t, args...).stdout))
	r := scanCLI(t, append(args, "--vex", vexFile)...)
	if r.exit != 0 {
		t.Fatalf("exit %d: %s", r.exit, r.stderr)
	}
	with, _ := sbomFindings(parseReport(t, r.stdout))
	suppressed := slices.DeleteFunc(slices.Clone(without), func(s string) bool { return slices.Contains(with, s) })
	if len(suppressed) != 1 || !strings.Contains(suppressed[0], "| CVE-2022-28391 |") || len(with) != len(without)-1 {
		t.Errorf("suppressed %q (%d findings left of %d)", suppressed, len(with), len(without))
	}
}
