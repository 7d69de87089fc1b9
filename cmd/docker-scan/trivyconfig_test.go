package main

// Trivy compatibility through the CLI: a team's trivy.yaml (old and new key
// names) and TRIVY_* variables change the scan as they do in Trivy, and
// --distro and --detection-priority change what is found.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
)

// trivyImage is an Alpine 3.14 image with, against the fixture DBs:
// libssl1.1 1.1.1t-r1 (CVE-2023-0465 MEDIUM, fixed in 1.1.1t-r2;
// CVE-2023-0466 MEDIUM, unfixed), zlib 1.2.12-r1 (CVE-2022-37434 CRITICAL,
// fixed in 1.2.12-r2), the npm package lodash 4.17.20 (CVE-2021-23337
// HIGH) and a leaked GitHub token. release sets etc/alpine-release.
func trivyImage(t *testing.T, release string) string {
	t.Helper()
	files := []imagebuild.File{
		{Path: "lib/apk/db/installed", Body: "P:libssl1.1\nV:1.1.1t-r1\nA:x86_64\no:openssl\n\nP:zlib\nV:1.2.12-r1\nA:x86_64\no:zlib\n\n"},
		{Path: "srv/app/node_modules/lodash/package.json", Body: `{"name": "lodash", "version": "4.17.20", "license": "MIT"}`},
		{Path: "srv/app/.env", Body: "GITHUB_TOKEN=ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8\n"},
	}
	if release != "" {
		files = append(files, imagebuild.File{Path: "etc/alpine-release", Body: release + "\n"})
	}
	return layerArchive(t, "app:1", files...)
}

// Every finding of trivyImage, as findings() writes them.
const (
	libssl0465 = "libssl1.1 1.1.1t-r1 CVE-2023-0465 fixed 1.1.1t-r2 MEDIUM/nvd"
	libssl0466 = "libssl1.1 1.1.1t-r1 CVE-2023-0466 affected  MEDIUM/nvd"
	zlib37434  = "zlib 1.2.12-r1 CVE-2022-37434 fixed 1.2.12-r2 CRITICAL/nvd"
	lodash     = "lodash 4.17.20 CVE-2021-23337 fixed 4.17.21 HIGH/ghsa"
)

func trivyCache(t *testing.T) string {
	t.Helper()
	return fixtureCache(t, "../../testdata/db/alpine-3.14.yaml", "../../testdata/db/languages.yaml", "../../testdata/db/debian-12.yaml")
}

// writeConfig writes a config file into dir.
func writeConfig(t *testing.T, dir, name, text string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// scanFindings scans in dir and returns the findings and whether the
// report has secrets; the scan must succeed.
func scanFindings(t *testing.T, dir string, args ...string) ([]string, bool, scanResult) {
	t.Helper()
	r := scanIn(t, dir, "unix:///nonexistent/docker.sock", args...)
	if r.exit != 0 {
		t.Fatalf("docker scan %s: exit %d\n%s", strings.Join(args, " "), r.exit, r.stderr)
	}
	rep := parseReport(t, r.stdout)
	secrets := false
	for _, res := range rep.Results {
		secrets = secrets || len(res.Secrets) > 0
	}
	return findings(rep), secrets, r
}

func sameFindings(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s: findings\n%s\nwant\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestTrivyConfigFileOldKeys(t *testing.T) {
	archive := trivyImage(t, "3.14.10")
	cache := trivyCache(t)
	dir := t.TempDir()
	// Without a config file: everything, secrets included.
	got, secrets, _ := scanFindings(t, dir, "image", "--input", archive, "--cache-dir", cache, "--skip-db-update", "--format", "json")
	sameFindings(t, "no config", got, libssl0465, libssl0466, lodash, zlib37434)
	if !secrets {
		t.Error("no config: the token is not reported")
	}
	// Trivy's old names: vulnerability.type (now pkg.types), top-level
	// cache-dir (now cache.dir), scan.security-checks (now scan.scanners),
	// as an old trivy.yaml has them; and top-level keys.
	writeConfig(t, dir, "trivy.yaml", `
format: json
ignore-unfixed: true
cache-dir: `+cache+`
db:
  skip-update: true
scan:
  security-checks: [vuln]
vulnerability:
  type: [os]
`)
	got, secrets, r := scanFindings(t, dir, "image", "--input", archive)
	sameFindings(t, "old keys", got, libssl0465, zlib37434)
	if secrets {
		t.Error("old keys: scan.security-checks [vuln] still looked for secrets")
	}
	if !strings.Contains(r.stderr, "applied config file "+filepath.Join(dir, "trivy.yaml")) {
		t.Errorf("the trivy.yaml that was read is not named:\n%s", r.stderr)
	}
	// Top-level scanners, as docker-scan.yaml writes it, in a trivy.yaml.
	writeConfig(t, dir, "trivy.yaml", "format: json\nscanners: [vuln]\ncache-dir: "+cache+"\ndb: {skip-update: true}\nvulnerability: {type: [library]}\n")
	got, secrets, _ = scanFindings(t, dir, "image", "--input", archive)
	sameFindings(t, "top-level scanners", got, lodash)
	if secrets {
		t.Error("top-level scanners [vuln] still looked for secrets")
	}
}

func TestTrivyConfigFileNewKeys(t *testing.T) {
	archive := trivyImage(t, "3.14.10")
	cache := trivyCache(t)
	dir := t.TempDir()
	writeConfig(t, dir, "trivy.yaml", `
format: json
severity:
  - HIGH
  - CRITICAL
cache:
  dir: `+cache+`
db:
  skip-update: true
  repository: [127.0.0.1:1/nowhere/trivy-db:2]
pkg:
  types: [os]
scan:
  scanners: [vuln]
vulnerability:
  ignore-unfixed: false
`)
	got, secrets, r := scanFindings(t, dir, "image", "--input", archive)
	sameFindings(t, "new keys", got, zlib37434)
	if secrets {
		t.Error("new keys: scan.scanners [vuln] still looked for secrets")
	}
	if _, err := os.Stat(filepath.Join(cache, "scan-cache.db")); err != nil {
		t.Errorf("cache.dir not used for the scan cache: %v", err)
	}
	// The same file named with --config from elsewhere, and a flag over it.
	other := t.TempDir()
	got, _, _ = scanFindings(t, other, "image", "--input", archive, "--config", filepath.Join(dir, "trivy.yaml"), "--severity", "MEDIUM")
	sameFindings(t, "--config and a flag", got, libssl0465, libssl0466)
	if strings.Contains(r.stderr, "settings are ignored") || strings.Contains(r.stderr, "do not implement") {
		t.Errorf("a file of implemented settings warned:\n%s", r.stderr)
	}
	// db.repository, named without a tag as old configs do: Trivy's
	// schema tag is added, and `db update` goes there.
	mirror := t.TempDir()
	writeConfig(t, mirror, "trivy.yaml", "cache: {dir: "+t.TempDir()+"}\ndb: {repository: 127.0.0.1:1/mirror/trivy-db}\n")
	r = scanIn(t, mirror, "unix:///nonexistent/docker.sock", "db", "update")
	if r.exit == 0 || !strings.Contains(r.stderr, "127.0.0.1:1/mirror/trivy-db:2:") || strings.Contains(r.stderr, "ghcr.io") {
		t.Errorf("db update with db.repository: exit %d\n%s", r.exit, r.stderr)
	}
}

// Trivy settings docker scan does not implement are named once and
// ignored; keys neither tool knows are named in a Trivy file; scanners we
// lack are left out, and a file asking only for them fails.
func TestTrivyConfigFileUnimplemented(t *testing.T) {
	archive := trivyImage(t, "3.14.10")
	cache := trivyCache(t)
	dir := t.TempDir()
	writeConfig(t, dir, "trivy.yaml", `
format: json
cache: {dir: `+cache+`}
db: {skip-update: true, download-java-only: false, java-repository: mirror.example.com/trivy-java-db:1}
dependency-tree: true
license: {full: true}
scan:
  scanners: [vuln, misconfig, rbac]
  parallel: 8
  skip-version-check: true
registry: {username: someone}
pkg: {types: [os]}
severity-typo: [HIGH]
`)
	got, _, r := scanFindings(t, dir, "image", "--input", archive)
	sameFindings(t, "unimplemented settings", got, libssl0465, libssl0466, zlib37434)
	warn := ""
	for _, line := range strings.Split(r.stderr, "\n") {
		if strings.Contains(line, "Trivy settings that docker scan does not implement") {
			if warn != "" {
				t.Errorf("more than one warning line:\n%s", r.stderr)
			}
			warn = line
		}
	}
	if !strings.Contains(warn, "keys=registry.username") {
		t.Errorf("the warning does not name exactly the settings that ask for something:\n%s", r.stderr)
	}
	if !strings.Contains(r.stderr, "unknown settings are ignored") || !strings.Contains(r.stderr, "severity-typo") {
		t.Errorf("an unknown key in a trivy.yaml is not named:\n%s", r.stderr)
	}
	if !strings.Contains(r.stderr, "--dependency-tree draws into the table: it is ignored with --format json") {
		t.Errorf("dependency-tree: true with format: json is not warned about, as Trivy warns:\n%s", r.stderr)
	}
	if !strings.Contains(r.stderr, "scan.scanners: rbac") {
		t.Errorf("the scanners left out are not named:\n%s", r.stderr)
	}
	// Nothing left to scan for: an error, not a scan for nothing.
	writeConfig(t, dir, "trivy.yaml", "cache: {dir: "+cache+"}\nscan: {scanners: [rbac]}\n")
	r = scanIn(t, dir, "unix:///nonexistent/docker.sock", "image", "--input", archive, "--skip-db-update")
	if r.exit == 0 || !strings.Contains(r.stderr, "scan.scanners: scanners rbac: docker scan does not implement them") {
		t.Errorf("exit %d:\n%s", r.exit, r.stderr)
	}
	// Our own file stays strict: a typo there is an error.
	writeConfig(t, dir, "docker-scan.yaml", "severity-typo: [HIGH]\n")
	r = scanIn(t, dir, "unix:///nonexistent/docker.sock", "image", "--input", archive, "--cache-dir", cache, "--skip-db-update")
	if r.exit == 0 || !strings.Contains(r.stderr, `unknown setting "severity-typo"`) {
		t.Errorf("a typo in docker-scan.yaml: exit %d:\n%s", r.exit, r.stderr)
	}
}

// TRIVY_* variables set what their flags set, under DOCKER_SCAN_* and
// over the config file; old names work too.
func TestTrivyEnvironment(t *testing.T) {
	archive := trivyImage(t, "3.14.10")
	cache := trivyCache(t)
	dir := t.TempDir()
	writeConfig(t, dir, "trivy.yaml", "format: json\nseverity: [CRITICAL]\n")
	t.Setenv("TRIVY_CACHE_DIR", cache)
	t.Setenv("TRIVY_SKIP_UPDATE", "true") // --skip-update, renamed --skip-db-update
	t.Setenv("TRIVY_SCANNERS", "vuln")
	base := []string{"image", "--input", archive}

	got, secrets, _ := scanFindings(t, dir, base...)
	sameFindings(t, "file", got, zlib37434)
	if secrets {
		t.Error("TRIVY_SCANNERS=vuln still looked for secrets")
	}

	t.Setenv("TRIVY_SEVERITY", "MEDIUM,HIGH")
	t.Setenv("TRIVY_VULN_TYPE", "os") // --vuln-type, renamed --pkg-types
	t.Setenv("TRIVY_IGNORE_UNFIXED", "true")
	got, _, _ = scanFindings(t, dir, base...)
	sameFindings(t, "TRIVY_* over the file", got, libssl0465)

	t.Setenv("TRIVY_PKG_TYPES", "library") // the current name beats the old one
	got, _, _ = scanFindings(t, dir, base...)
	sameFindings(t, "TRIVY_PKG_TYPES over TRIVY_VULN_TYPE", got, lodash)

	t.Setenv("DOCKER_SCAN_SEVERITY", "CRITICAL")
	t.Setenv("DOCKER_SCAN_PKG_TYPES", "os,library")
	got, _, _ = scanFindings(t, dir, base...)
	sameFindings(t, "DOCKER_SCAN_* over TRIVY_*", got, zlib37434)

	got, _, _ = scanFindings(t, dir, append(base, "--severity", "HIGH")...)
	sameFindings(t, "a flag over both", got, lodash)

	t.Setenv("TRIVY_USERNAME", "someone")
	t.Setenv("TRIVY_DISABLE_TELEMETRY", "true")
	_, _, r := scanFindings(t, dir, base...)
	if !strings.Contains(r.stderr, "variables=TRIVY_USERNAME") || strings.Contains(r.stderr, "TRIVY_DISABLE_TELEMETRY") {
		t.Errorf("unimplemented TRIVY_* variables are not named (or moot ones are):\n%s", r.stderr)
	}

	t.Setenv("TRIVY_EXIT_CODE", "nope")
	r = scanIn(t, dir, "unix:///nonexistent/docker.sock", base...)
	if r.exit == 0 || !strings.Contains(r.stderr, "TRIVY_EXIT_CODE") {
		t.Errorf("a bad TRIVY_* value must be named: exit %d\n%s", r.exit, r.stderr)
	}
}

// --distro matches the OS packages as the distribution given, whatever
// the image says (or when it says nothing), and the report names it.
func TestDistro(t *testing.T) {
	cache := trivyCache(t)
	dir := t.TempDir()
	base := []string{"--cache-dir", cache, "--skip-db-update", "--format", "json", "--pkg-types", "os", "--scanners", "vuln"}

	newer := trivyImage(t, "3.20.3") // the fixture DB has nothing for 3.20
	got, _, _ := scanFindings(t, dir, append([]string{"image", "--input", newer}, base...)...)
	sameFindings(t, "detected alpine 3.20", got)
	r := scanIn(t, dir, "unix:///nonexistent/docker.sock", append([]string{"image", "--input", newer, "--distro", "alpine/3.14"}, base...)...)
	if r.exit != 0 {
		t.Fatalf("exit %d: %s", r.exit, r.stderr)
	}
	rep := parseReport(t, r.stdout)
	sameFindings(t, "--distro alpine/3.14", findings(rep), libssl0465, libssl0466, zlib37434)
	if rep.Metadata.OS == nil || rep.Metadata.OS.Family != "alpine" || rep.Metadata.OS.Name != "3.14" || !rep.Metadata.OS.EOSL {
		t.Errorf("Metadata.OS = %+v, want alpine 3.14, past its end of life", rep.Metadata.OS)
	}
	if len(rep.Results) == 0 || !strings.HasSuffix(rep.Results[0].Target, " (alpine 3.14)") {
		t.Errorf("the OS result is not named after the distribution: %+v", rep.Results)
	}
	if !strings.Contains(r.stderr, "detected=alpine/3.20.3") {
		t.Errorf("the override is not logged:\n%s", r.stderr)
	}

	// No release file at all: nothing OS-level without --distro.
	bare := trivyImage(t, "")
	got, _, _ = scanFindings(t, dir, append([]string{"image", "--input", bare}, base...)...)
	sameFindings(t, "no OS detected", got)
	got, _, _ = scanFindings(t, dir, append([]string{"image", "--input", bare, "--distro", "alpine/3.14.10"}, base...)...)
	sameFindings(t, "no OS detected, --distro", got, libssl0465, libssl0466, zlib37434)

	// From a trivy.yaml and TRIVY_DISTRO too.
	writeConfig(t, dir, "trivy.yaml", "scan: {distro: alpine/3.14}\n")
	got, _, _ = scanFindings(t, dir, append([]string{"image", "--input", newer}, base...)...)
	sameFindings(t, "scan.distro", got, libssl0465, libssl0466, zlib37434)
	os.Remove(filepath.Join(dir, "trivy.yaml"))
	t.Setenv("TRIVY_DISTRO", "alpine/3.14")
	got, _, _ = scanFindings(t, dir, append([]string{"image", "--input", newer}, base...)...)
	sameFindings(t, "TRIVY_DISTRO", got, libssl0465, libssl0466, zlib37434)

	for value, want := range map[string]string{
		"alpine":      "want FAMILY/VERSION",
		"/3.14":       "want FAMILY/VERSION",
		"plan9/4":     `unknown OS family "plan9"`,
		"alpine/3 14": `bad version "3 14"`,
	} {
		r := scanIn(t, dir, "unix:///nonexistent/docker.sock", append([]string{"image", "--input", newer, "--distro", value}, base...)...)
		if r.exit == 0 || !strings.Contains(r.stderr, want) || strings.Count(strings.TrimSpace(r.stderr), "\n") > 2 {
			t.Errorf("--distro %q: exit %d, want one error line with %q:\n%s", value, r.exit, want, r.stderr)
		}
	}
}

// --detection-priority comprehensive also matches the language packages an
// OS package installed against upstream advisories: Debian's python3-yaml
// ships PyYAML 5.3.1, which GitHub's advisory says is vulnerable.
func TestDetectionPriority(t *testing.T) {
	archive := layerArchive(t, "py:1",
		imagebuild.File{Path: "etc/debian_version", Body: "12.7\n"},
		imagebuild.File{Path: "var/lib/dpkg/status", Body: "Package: python3-yaml\nStatus: install ok installed\nVersion: 6.0-3+b2\nArchitecture: amd64\nSource: pyyaml\n"},
		imagebuild.File{Path: "var/lib/dpkg/info/python3-yaml.md5sums", Body: "6a2b2c0d4e1f8a9b7c3d5e6f7a8b9c0d  usr/lib/python3/dist-packages/PyYAML-5.3.1.egg-info/PKG-INFO\n"},
		imagebuild.File{Path: "usr/lib/python3/dist-packages/PyYAML-5.3.1.egg-info/PKG-INFO", Body: "Metadata-Version: 1.1\nName: PyYAML\nVersion: 5.3.1\n"},
		imagebuild.File{Path: "usr/local/lib/python3.11/site-packages/urllib3-1.26.17.dist-info/METADATA", Body: "Metadata-Version: 2.1\nName: urllib3\nVersion: 1.26.17\n"},
	)
	cache := trivyCache(t)
	dir := t.TempDir()
	base := []string{"image", "--input", archive, "--cache-dir", cache, "--skip-db-update", "--format", "json", "--scanners", "vuln", "--pkg-types", "library"}
	urllib3 := "urllib3 1.26.17 CVE-2023-45803 fixed 2.0.7, 1.26.18 MEDIUM/ghsa"
	pyyaml := "PyYAML 5.3.1 CVE-2020-14343 fixed 5.4 CRITICAL/nvd"

	got, _, _ := scanFindings(t, dir, base...)
	sameFindings(t, "default (precise)", got, urllib3)
	got, _, _ = scanFindings(t, dir, append(base, "--detection-priority", "precise")...)
	sameFindings(t, "precise", got, urllib3)
	got, _, _ = scanFindings(t, dir, append(base, "--detection-priority", "comprehensive")...)
	sameFindings(t, "comprehensive", got, pyyaml, urllib3)

	writeConfig(t, dir, "trivy.yaml", "scan: {detection-priority: comprehensive}\n")
	got, _, _ = scanFindings(t, dir, base...)
	sameFindings(t, "scan.detection-priority", got, pyyaml, urllib3)

	r := scanIn(t, dir, "unix:///nonexistent/docker.sock", append(base, "--detection-priority", "thorough")...)
	if r.exit == 0 || !strings.Contains(r.stderr, `unknown --detection-priority "thorough" (choose precise or comprehensive)`) {
		t.Errorf("exit %d:\n%s", r.exit, r.stderr)
	}
}
