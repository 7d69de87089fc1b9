package main

// Golden tests: real Alpine 3.14.10 and Debian bookworm roots scanned through
// the docker CLI against fixture DBs of real advisories (testdata/db). The
// findings each test expects were worked out by hand from the fixture's
// facts; the golden reports (testdata/golden, rewritten with -update) pin
// down everything else in the output.

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/docker-scan/docker-scan/engine/db"
	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/types"
)

var update = flag.Bool("update", false, "rewrite the golden reports in testdata/golden")

// fixtureCache builds a cache dir whose DB holds the given fixtures.
func fixtureCache(t *testing.T, fixtures ...string) string {
	t.Helper()
	cache := t.TempDir()
	now := time.Now().UTC()
	meta := db.Metadata{Version: 2, UpdatedAt: now, NextUpdate: now.Add(24 * time.Hour), DownloadedAt: now}
	dbDir := filepath.Join(cache, "db")
	os.MkdirAll(dbDir, 0o755)
	if err := db.BuildFixtureDB(dbDir, meta, fixtures...); err != nil {
		t.Fatal(err)
	}
	return cache
}

type scanResult struct {
	stdout, stderr string
	exit           int
}

// scanCLI runs `docker scan` with the plugin, no engine reachable, and
// returns its output and exit code.
func scanCLI(t *testing.T, args ...string) scanResult {
	t.Helper()
	return scanIn(t, "", "unix:///nonexistent/docker.sock", args...)
}

// scanIn runs `docker scan ARGS` in dir against the engine at host.
func scanIn(t *testing.T, dir, host string, args ...string) scanResult {
	t.Helper()
	need(t, haveCommand("docker"), "the docker CLI")
	cmd := exec.Command("docker", append([]string{"scan"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+dockerConfig, "DOCKER_HOST="+host, "NO_COLOR=1")
	return runCommand(t, cmd)
}

// layerArchive writes a docker save archive tagged tag, of one layer
// holding files, into a temp dir.
func layerArchive(t *testing.T, tag string, files ...imagebuild.File) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "image.tar")
	if err := imagebuild.DockerArchiveOf(p, tag, files); err != nil {
		t.Fatal(err)
	}
	return p
}

// runCommand runs cmd and returns its output and exit code; a command that
// cannot be started fails the test.
func runCommand(t *testing.T, cmd *exec.Cmd) scanResult {
	t.Helper()
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := scanResult{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		r.exit = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return r
}

func parseReport(t *testing.T, s string) types.Report {
	t.Helper()
	var rep types.Report
	if err := json.Unmarshal([]byte(s), &rep); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, s)
	}
	return rep
}

// findings renders the vulnerabilities as "pkg installed CVE status fixed severity/source".
func findings(rep types.Report) []string {
	var out []string
	for _, res := range rep.Results {
		for _, v := range res.Vulnerabilities {
			out = append(out, strings.Join([]string{v.PkgName, v.InstalledVersion, v.VulnerabilityID, v.Status.String(), v.FixedVersion, v.Severity + "/" + v.SeveritySource}, " "))
		}
	}
	sort.Strings(out)
	return out
}

// checkGolden compares a report with testdata/golden/name, ignoring the
// creation time.
func checkGolden(t *testing.T, name string, rep types.Report) {
	t.Helper()
	rep.CreatedAt = time.Time{}
	got, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	checkGoldenText(t, name, string(got)+"\n")
}

func checkGoldenText(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("..", "..", "testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (review, then run with -update):\n%s", name, diffLines(string(want), got))
	}
}

func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var out []string
	for i := 0; i < max(len(w), len(g)) && len(out) < 20; i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			out = append(out, fmt.Sprintf("line %d:\n- %s\n+ %s", i+1, a, b))
		}
	}
	return strings.Join(out, "\n")
}

func TestGoldenAlpine314(t *testing.T) {
	rootfs := sharedTestdata(t, "alpine/alpine-minirootfs-3.14.10-x86_64.tar.gz")
	archive := imageArchive(t, rootfs, "alpine:3.14.10")
	cache := fixtureCache(t, "../../testdata/db/alpine-3.14.yaml")
	r := scanCLI(t, "image", "alpine:3.14.10", "--input", archive, "--format", "json", "--list-all-pkgs", "--cache-dir", cache, "--skip-db-update")
	if r.exit != 0 {
		t.Fatalf("exit %d: %s", r.exit, r.stderr)
	}
	rep := parseReport(t, r.stdout)
	// Worked out by hand from the secdb facts against the installed
	// versions: every 3.14 fix is at or below what 3.14.10 ships. The
	// boundary cases: libcrypto1.1/libssl1.1 1.1.1t-r2 == CVE-2023-0465's
	// fix (not vulnerable), libretls 3.3.3p1-r3 == CVE-2022-0778's fix (not
	// vulnerable), busybox 1.33.1-r8 > CVE-2022-30065's 1.33.0-r8 (not
	// vulnerable). Only the unfixed CVE-2023-0466 remains, as affected.
	want := []string{
		"libcrypto1.1 1.1.1t-r2 CVE-2023-0466 affected  MEDIUM/nvd",
		"libssl1.1 1.1.1t-r2 CVE-2023-0466 affected  MEDIUM/nvd",
	}
	if got := findings(rep); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if rep.Metadata.OS == nil || !rep.Metadata.OS.EOSL {
		t.Errorf("Alpine 3.14 is past its end of life: %+v", rep.Metadata.OS)
	}
	if !strings.Contains(r.stderr, "no longer supported by the distribution") {
		t.Errorf("no EOL warning on stderr:\n%s", r.stderr)
	}
	checkGolden(t, "alpine-3.14.10.json", rep)
}

// oldAlpineImage is the 3.14.10 root with a second layer that rewrites the
// apk database to the package versions alpine:3.14.1 shipped (busybox
// 1.33.1-r3, OpenSSL 1.1.1k-r0, zlib 1.2.11-r3, libretls 3.3.3p1-r2, musl
// 1.2.2-r3): an image built on an old base, as many in production are.
func oldAlpineImage(t *testing.T) string {
	t.Helper()
	rootfs := sharedTestdata(t, "alpine/alpine-minirootfs-3.14.10-x86_64.tar.gz")
	installed := readFromTarGz(t, rootfs, "lib/apk/db/installed")
	versions := map[string]string{
		"busybox": "1.33.1-r3", "ssl_client": "1.33.1-r3", "libcrypto1.1": "1.1.1k-r0", "libssl1.1": "1.1.1k-r0",
		"zlib": "1.2.11-r3", "libretls": "3.3.3p1-r2", "musl": "1.2.2-r3", "musl-utils": "1.2.2-r3",
	}
	var out []string
	pkg := ""
	for _, line := range strings.Split(installed, "\n") {
		if name, ok := strings.CutPrefix(line, "P:"); ok {
			pkg = name
		}
		if v, ok := versions[pkg]; ok && strings.HasPrefix(line, "V:") {
			line = "V:" + v
		}
		out = append(out, line)
	}
	base, err := imagebuild.LayerFromFile(rootfs)
	if err != nil {
		t.Fatal(err)
	}
	old, err := imagebuild.Layer(imagebuild.File{Path: "lib/apk/db/installed", Body: strings.Join(out, "\n")})
	if err != nil {
		t.Fatal(err)
	}
	img, err := imagebuild.Image("amd64", base, old)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "old.tar")
	if err := imagebuild.WriteDockerArchive(p, "app:old-base", img); err != nil {
		t.Fatal(err)
	}
	return p
}

func readFromTarGz(t *testing.T, path, name string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	for {
		hdr, err := tr.Next()
		if err != nil {
			t.Fatalf("%s not in %s: %v", name, path, err)
		}
		if strings.TrimPrefix(hdr.Name, "./") == name {
			b, _ := io.ReadAll(tr)
			return string(b)
		}
	}
}

func TestGoldenAlpine314OldPackages(t *testing.T) {
	archive := oldAlpineImage(t)
	cache := fixtureCache(t, "../../testdata/db/alpine-3.14.yaml")
	r := scanCLI(t, "image", "app:old-base", "--input", archive, "--format", "json", "--list-all-pkgs", "--cache-dir", cache, "--skip-db-update")
	if r.exit != 0 {
		t.Fatalf("exit %d: %s", r.exit, r.stderr)
	}
	rep := parseReport(t, r.stdout)
	// By hand: OpenSSL 1.1.1k-r0 is below every fix from 1.1.1l-r0 on, but
	// equal to CVE-2021-3449/3450's 1.1.1k-r0 (not vulnerable); busybox
	// 1.33.1-r3 is below 1.33.1-r4..r7 but above 1.33.0-r8; zlib 1.2.11-r3
	// below both zlib fixes; libretls below 3.3.3p1-r3; musl 1.2.2-r3 above
	// 1.2.2_pre2-r0 (a pre-release sorts first).
	var want []string
	for _, p := range []string{"libcrypto1.1", "libssl1.1"} {
		for _, f := range []string{
			"CVE-2021-3711 fixed 1.1.1l-r0 UNKNOWN/", "CVE-2021-3712 fixed 1.1.1l-r0 UNKNOWN/",
			"CVE-2022-0778 fixed 1.1.1n-r0 HIGH/nvd", "CVE-2022-2097 fixed 1.1.1q-r0 UNKNOWN/",
			"CVE-2022-4304 fixed 1.1.1t-r0 UNKNOWN/", "CVE-2022-4450 fixed 1.1.1t-r0 HIGH/nvd",
			"CVE-2023-0215 fixed 1.1.1t-r0 UNKNOWN/", "CVE-2023-0286 fixed 1.1.1t-r0 HIGH/nvd",
			"CVE-2023-0464 fixed 1.1.1t-r1 HIGH/nvd", "CVE-2023-0465 fixed 1.1.1t-r2 MEDIUM/nvd",
			"CVE-2023-0466 affected  MEDIUM/nvd",
		} {
			want = append(want, p+" 1.1.1k-r0 "+f)
		}
	}
	for _, p := range []string{"busybox", "ssl_client"} {
		for _, f := range []string{
			"CVE-2021-42374 fixed 1.33.1-r4 MEDIUM/nvd", "CVE-2021-42375 fixed 1.33.1-r5 UNKNOWN/",
			"CVE-2021-42378 fixed 1.33.1-r6 UNKNOWN/", "CVE-2021-42379 fixed 1.33.1-r6 UNKNOWN/",
			"CVE-2021-42380 fixed 1.33.1-r6 UNKNOWN/", "CVE-2021-42381 fixed 1.33.1-r6 UNKNOWN/",
			"CVE-2021-42382 fixed 1.33.1-r6 UNKNOWN/", "CVE-2021-42383 fixed 1.33.1-r6 UNKNOWN/",
			"CVE-2021-42384 fixed 1.33.1-r6 UNKNOWN/", "CVE-2021-42385 fixed 1.33.1-r6 UNKNOWN/",
			"CVE-2021-42386 fixed 1.33.1-r6 UNKNOWN/", "ALPINE-13661 fixed 1.33.1-r7 UNKNOWN/",
			"CVE-2022-28391 fixed 1.33.1-r7 HIGH/nvd",
		} {
			want = append(want, p+" 1.33.1-r3 "+f)
		}
	}
	want = append(want,
		"zlib 1.2.11-r3 CVE-2018-25032 fixed 1.2.12-r0 HIGH/nvd",
		"zlib 1.2.11-r3 CVE-2022-37434 fixed 1.2.12-r2 CRITICAL/nvd",
		"libretls 3.3.3p1-r2 CVE-2022-0778 fixed 3.3.3p1-r3 HIGH/nvd",
	)
	sort.Strings(want)
	if got := findings(rep); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The changed packages come from the second layer, the rest from the base.
	for _, v := range rep.Results[0].Vulnerabilities {
		if v.Layer.DiffID != rep.Metadata.DiffIDs[1] {
			t.Errorf("%s %s attributed to layer %s", v.PkgName, v.VulnerabilityID, v.Layer.DiffID)
		}
	}
	checkGolden(t, "alpine-3.14-old-packages.json", rep)

	table := scanCLI(t, "image", "app:old-base", "--input", archive, "--cache-dir", cache, "--skip-db-update", "--quiet")
	if table.exit != 0 {
		t.Fatalf("table: exit %d: %s", table.exit, table.stderr)
	}
	checkGoldenText(t, "alpine-3.14-old-packages.txt", table.stdout)
}

// TestExitCodeGate drives the CI gate through the CLI: --exit-code 1
// --severity CRITICAL fails only while a CRITICAL finding survives
// --ignore-unfixed and the ignore file.
func TestExitCodeGate(t *testing.T) {
	archive := oldAlpineImage(t)
	cache := fixtureCache(t, "../../testdata/db/alpine-3.14.yaml")
	dir := t.TempDir()
	ignoreZlib := filepath.Join(dir, "zlib.trivyignore")
	os.WriteFile(ignoreZlib, []byte("CVE-2022-37434 # zlib is not used for inflate here\n"), 0o644)
	ignoreExpired := filepath.Join(dir, "expired.trivyignore")
	os.WriteFile(ignoreExpired, []byte("CVE-2022-37434 exp:2024-01-01\n"), 0o644)
	base := []string{"image", "--input", archive, "--cache-dir", cache, "--skip-db-update", "--quiet", "--format", "json", "--exit-code", "1"}
	tests := []struct {
		name string
		args []string
		exit int
		n    int // findings in the report
	}{
		{"critical", []string{"--severity", "CRITICAL"}, 1, 1},
		{"critical fixed only", []string{"--severity", "CRITICAL", "--ignore-unfixed"}, 1, 1},
		{"critical ignored", []string{"--severity", "CRITICAL", "--ignorefile", ignoreZlib}, 0, 0},
		{"critical, unfixed and ignored", []string{"--severity", "CRITICAL", "--ignore-unfixed", "--ignorefile", ignoreZlib}, 0, 0},
		{"expired ignore entry", []string{"--severity", "CRITICAL", "--ignorefile", ignoreExpired}, 1, 1},
		{"medium, unfixed ignored", []string{"--severity", "MEDIUM", "--ignore-unfixed"}, 1, 4},
		{"medium, statuses ignored", []string{"--severity", "MEDIUM", "--ignore-status", "affected,fixed"}, 0, 0},
		{"eol", []string{"--severity", "CRITICAL", "--ignorefile", ignoreZlib, "--exit-on-eol", "3"}, 3, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := scanCLI(t, append(base, tt.args...)...)
			if r.exit != tt.exit {
				t.Errorf("exit %d, want %d; stderr:\n%s", r.exit, tt.exit, r.stderr)
			}
			if got := len(findings(parseReport(t, r.stdout))); got != tt.n {
				t.Errorf("%d findings, want %d", got, tt.n)
			}
		})
	}
}

// TestDebianSourceMatching scans the debootstrap bookworm root against the
// Debian fixture: advisories filed against source packages (glibc, shadow,
// util-linux, ...) must be reported on every installed binary built from
// them, with the tracker's statuses and per-package severities. The
// binaries of each source come from dpkg-query, not from the scanner.
func TestDebianSourceMatching(t *testing.T) {
	need(t, haveCommand("debootstrap"), "debootstrap (apt-get install debootstrap)")
	need(t, os.Geteuid() == 0, "root for debootstrap")
	root := debianRoot(t)
	out, err := exec.Command("dpkg-query", "--admindir="+filepath.Join(root, "var/lib/dpkg"), "-W",
		"-f", "${Package} ${Version} ${source:Package}\n").Output()
	if err != nil {
		t.Fatalf("dpkg-query: %v", err)
	}
	// By hand, from testdata/db/debian-12.yaml: fixes at or below what
	// bookworm ships today (glibc deb12u10 and deb12u3, perl deb12u2) are
	// not reported; unfixed ones are, as affected or will_not_fix; the
	// tracker's per-package "unimportant" (LOW, source debian) beats NVD's
	// vendor severity; with no per-package severity NVD's is shown.
	bySource := map[string][]string{
		"glibc":      {"CVE-2018-20796 affected  LOW/debian", "CVE-2019-1010022 affected  LOW/debian"},
		"zlib":       {"CVE-2023-45853 will_not_fix  CRITICAL/nvd"},
		"coreutils":  {"CVE-2016-2781 will_not_fix  MEDIUM/nvd", "CVE-2017-18018 affected  LOW/debian"},
		"perl":       {"CVE-2011-4116 affected  LOW/debian", "CVE-2023-31486 affected  LOW/debian"},
		"util-linux": {"CVE-2022-0563 affected  LOW/debian"},
		"shadow":     {"CVE-2007-5686 affected  LOW/debian"},
		"tar":        {"CVE-2005-2541 affected  LOW/debian"},
		"apt":        {"CVE-2011-3374 affected  LOW/debian"},
	}
	var want []string
	glibcBinaries := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		for _, finding := range bySource[f[2]] {
			want = append(want, f[0]+" "+f[1]+" "+finding)
		}
		if f[2] == "glibc" {
			glibcBinaries++
		}
	}
	if glibcBinaries < 2 {
		t.Fatalf("expected libc6 and libc-bin from glibc, got %d binaries", glibcBinaries)
	}
	sort.Strings(want)

	archive := rootArchive(t, root, "debian:bookworm")
	cache := fixtureCache(t, "../../testdata/db/debian-12.yaml")
	r := scanCLI(t, "image", "--input", archive, "--format", "json", "--cache-dir", cache, "--skip-db-update")
	if r.exit != 0 {
		t.Fatalf("exit %d: %s", r.exit, r.stderr)
	}
	if got := findings(parseReport(t, r.stdout)); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
