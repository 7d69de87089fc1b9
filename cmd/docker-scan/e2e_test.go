package main

// End-to-end tests: the real binary, installed as a Docker CLI plugin in a
// temporary DOCKER_CONFIG and run through the real `docker` CLI, on images
// built from real root filesystems. Those that need a daemon, root,
// debootstrap or the network are end-to-end (testenv.E2E): -short skips
// them. Outside CI a missing tool (docker, debootstrap, root for chroot)
// skips a test with a message; in CI (CI set) it fails it. Scratch state
// is per run (t.TempDir, os.MkdirTemp); what is downloaded or built once
// per machine is in the shared test cache (testenv.Cached).

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/package-url/packageurl-go"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/testenv"
	"github.com/docker-scan/docker-scan/engine/types"
)

var (
	dockerConfig string // holds cli-plugins/docker-scan
	pluginBin    string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "docker-scan-e2e-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	dockerConfig = dir
	pluginBin = filepath.Join(dir, "cli-plugins", "docker-scan")
	// GOFLAGS from the Makefile carries the build tags.
	out, err := exec.Command("go", "build", "-o", pluginBin, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build docker-scan: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func inCI() bool { return os.Getenv("CI") != "" }

// need skips (or, in CI, fails) a test that lacks a tool.
func need(t *testing.T, ok bool, what string) {
	t.Helper()
	if ok {
		return
	}
	if inCI() {
		t.Fatalf("CI must provide %s", what)
	}
	t.Skipf("skipped: needs %s", what)
}

func haveCommand(name string) bool {
	_, err := exec.LookPath(name)
	return err == nil
}

// docker runs the docker CLI with the plugin installed; no daemon is used.
func docker(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	cmd := exec.Command("docker", args...)
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+dockerConfig, "DOCKER_HOST=unix:///nonexistent/docker.sock", "NO_COLOR=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

func scanJSON(t *testing.T, archive string) types.Report {
	t.Helper()
	need(t, haveCommand("docker"), "the docker CLI")
	stdout, stderr, err := docker(t, "scan", "image", "--scanners", "none", "--input", archive, "--format", "json", "--cache-dir", t.TempDir())
	if err != nil {
		t.Fatalf("docker scan: %v\n%s", err, stderr)
	}
	var rep types.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, stdout)
	}
	return rep
}

// sharedTestdata finds ../shared/testdata from the repository root.
func sharedTestdata(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join("..", "..", "..", "shared", "testdata", rel)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("skipped: %s is absent (real-world test data lives in ../shared, outside the repository)", p)
	}
	return p
}

func TestPluginIsListedAndHelps(t *testing.T) {
	need(t, haveCommand("docker"), "the docker CLI")
	stdout, stderr, err := docker(t, "scan", "--help")
	if err != nil || !strings.Contains(stdout, "Scan container images") || !strings.Contains(stdout, "image") {
		t.Fatalf("docker scan --help: %v\n%s%s", err, stdout, stderr)
	}
	// docker info fails to reach the (absent) daemon but lists the plugins first.
	stdout, stderr, _ = docker(t, "info")
	if !strings.Contains(stdout+stderr, "scan: Scan images for vulnerabilities") {
		t.Fatalf("docker info does not list the plugin:\n%s%s", stdout, stderr)
	}
	stdout, _, err = docker(t, "scan", "version")
	if err != nil || !strings.HasPrefix(stdout, "docker-scan ") {
		t.Fatalf("docker scan version: %q, %v", stdout, err)
	}
}

// TestAlpineMatchesApk scans the official Alpine 3.20.3 minirootfs and
// compares with what apk itself lists for the same root.
func TestAlpineMatchesApk(t *testing.T) {
	testenv.E2E(t, "runs apk chrooted, as root")
	rootfs := sharedTestdata(t, "alpine/alpine-minirootfs-3.20.3-x86_64.tar.gz")
	need(t, os.Geteuid() == 0, "root (apk runs chrooted into the Alpine root)")
	need(t, runtime.GOARCH == "amd64", "an amd64 machine to run Alpine's x86_64 apk")

	root := t.TempDir()
	if out, err := exec.Command("tar", "-xzf", rootfs, "-C", root).CombinedOutput(); err != nil {
		t.Fatalf("extract: %v\n%s", err, out)
	}
	out, err := exec.Command("chroot", root, "/sbin/apk", "list", "--installed").Output()
	if err != nil {
		t.Fatalf("apk list: %v", err)
	}
	// "musl-1.2.5-r0 x86_64 {musl} (MIT) [installed]"
	var want []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 {
			continue
		}
		want = append(want, f[0]+" "+f[1]+" "+strings.Trim(f[2], "{}"))
	}
	if len(want) < 10 {
		t.Fatalf("apk listed only %d packages:\n%s", len(want), out)
	}

	archive := imageArchive(t, rootfs, "alpine:3.20.3")
	rep := scanJSON(t, archive)
	if rep.Metadata.OS == nil || rep.Metadata.OS.Family != "alpine" || rep.Metadata.OS.Name != "3.20.3" {
		t.Fatalf("os = %+v", rep.Metadata.OS)
	}
	var got []string
	for _, p := range rep.Results[0].Packages {
		got = append(got, p.Name+"-"+p.Version+" "+p.Arch+" "+p.SrcName)
		if !strings.HasPrefix(p.Identifier.PURL, "pkg:apk/alpine/"+p.Name+"@"+p.Version+"?arch=x86_64&distro=3.20.3") {
			t.Errorf("%s purl = %s", p.ID, p.Identifier.PURL)
		}
		if p.Layer.DiffID != rep.Metadata.DiffIDs[0] || len(p.Licenses) == 0 {
			t.Errorf("%s layer %+v licenses %q", p.ID, p.Layer, p.Licenses)
		}
	}
	compareSorted(t, got, want)
}

// TestDebianMatchesDpkgQuery scans a Debian bookworm root made by
// debootstrap and compares with dpkg-query on the same root.
func TestDebianMatchesDpkgQuery(t *testing.T) {
	testenv.E2E(t, "debootstrap, as root, from Debian's archive")
	need(t, haveCommand("debootstrap"), "debootstrap (apt-get install debootstrap)")
	need(t, os.Geteuid() == 0, "root for debootstrap")
	root := debianRoot(t)

	q := exec.Command("dpkg-query", "--admindir="+filepath.Join(root, "var/lib/dpkg"), "-W",
		"-f", "${Package} ${Version} ${source:Package} ${source:Version} ${Architecture}\n")
	out, err := q.Output()
	if err != nil {
		t.Fatalf("dpkg-query: %v", err)
	}
	want := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(want) < 50 {
		t.Fatalf("dpkg-query listed only %d packages", len(want))
	}

	rep := scanJSON(t, rootArchive(t, root, "debian:bookworm"))
	version, err := os.ReadFile(filepath.Join(root, "etc/debian_version"))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Metadata.OS == nil || rep.Metadata.OS.Family != "debian" || rep.Metadata.OS.Name != strings.TrimSpace(string(version)) {
		t.Fatalf("os = %+v", rep.Metadata.OS)
	}
	var got []string
	withLicenses := 0
	for _, p := range rep.Results[0].Packages {
		got = append(got, fmt.Sprintf("%s %s %s %s %s", p.Name, p.FullVersion(), p.SrcName, p.FullSrcVersion(), p.Arch))
		if len(p.Licenses) > 0 {
			withLicenses++
		}
		// Split as Trivy splits them; the ID keeps dpkg's whole version.
		if p.ID != p.Name+"@"+p.FullVersion() {
			t.Errorf("%s: ID is not name@%s", p.ID, p.FullVersion())
		}
		purl, err := packageurl.FromString(p.Identifier.PURL)
		if err != nil || purl.Type != "deb" || purl.Namespace != "debian" || purl.Name != p.Name ||
			purl.Version != strings.TrimPrefix(p.FullVersion(), fmt.Sprintf("%d:", p.Epoch)) ||
			purl.Qualifiers.Map()["distro"] != "debian-"+rep.Metadata.OS.Name {
			t.Errorf("%s purl = %s", p.ID, p.Identifier.PURL)
		}
	}
	compareSorted(t, got, want)
	// Nearly every Debian package ships usr/share/doc/<pkg>/copyright.
	if withLicenses < len(got)*9/10 {
		t.Errorf("only %d of %d packages have licenses", withLicenses, len(got))
	}
}

func compareSorted(t *testing.T, got, want []string) {
	t.Helper()
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("packages differ\n got: %q\nwant: %q", got, want)
	}
}

// imageArchive wraps a root filesystem tarball into a one-layer image saved
// as a docker save archive.
func imageArchive(t *testing.T, rootfsTar, tag string) string {
	t.Helper()
	layer, err := imagebuild.LayerFromFile(rootfsTar)
	if err != nil {
		t.Fatal(err)
	}
	img, err := imagebuild.Image("amd64", layer)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "image.tar")
	if err := imagebuild.WriteDockerArchive(p, tag, img); err != nil {
		t.Fatal(err)
	}
	return p
}

// debianMinbaseVersion names the minbase root in the test cache: change
// it when the way the root is made changes.
const debianMinbaseVersion = "bookworm-v1"

// debianRoot makes (once per machine: it is kept in the test cache) a
// minimal Debian bookworm root with debootstrap.
func debianRoot(t *testing.T) string {
	t.Helper()
	testenv.E2E(t, "debootstrap, as root, from Debian's archive")
	dir, err := testenv.Cached("debian-minbase", debianMinbaseVersion, func(dir string) error {
		mirror := debianMirror()
		t.Logf("debootstrap --variant=minbase bookworm from %s (about a minute)", mirror)
		cmd := exec.Command("debootstrap", "--variant=minbase", "bookworm", filepath.Join(dir, "root"), mirror)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("debootstrap: %v\n%s", err, tail(out, 2000))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "root")
}

// debianMirror is the Debian archive apt is configured with here.
func debianMirror() string {
	if m := os.Getenv("DEBIAN_MIRROR"); m != "" {
		return m
	}
	files, _ := filepath.Glob("/etc/apt/sources.list.d/*.sources")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if uri, ok := strings.CutPrefix(line, "URIs:"); ok {
				uri = strings.TrimSpace(uri)
				if strings.HasSuffix(uri, "/debian") {
					return uri
				}
			}
		}
	}
	return "http://deb.debian.org/debian"
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// TestBadInputExitsWithOneLine runs the binary directly and through the
// docker CLI on inputs that must fail: exit code 1, one line on stderr, no
// Go panic or stack trace.
func TestBadInputExitsWithOneLine(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	corruptGzip := append([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3}, bytes.Repeat([]byte{0xde, 0xad}, 500)...)
	layer, _ := imagebuild.TarBytes([]imagebuild.File{{Path: "lib/apk/db/installed", Body: "P:musl\nthis is not apk\n"}})
	badDB, err := imagebuild.Layer(imagebuild.File{Path: "lib/apk/db/installed", Body: "P:musl\nthis is not apk\n"})
	if err != nil {
		t.Fatal(err)
	}
	img, _ := imagebuild.Image("amd64", badDB)
	malformed := filepath.Join(dir, "malformed-db.tar")
	if err := imagebuild.WriteDockerArchive(malformed, "bad:1", img); err != nil {
		t.Fatal(err)
	}
	cases := map[string][]string{
		"missing file":      {"image", "--input", filepath.Join(dir, "missing.tar")},
		"corrupt tarball":   {"image", "--input", write("corrupt.tar", bytes.Repeat([]byte("garbage!"), 300))},
		"corrupt gzip":      {"image", "--input", write("corrupt.tar.gz", corruptGzip)},
		"plain layer tar":   {"image", "--input", write("layer.tar", layer)},
		"unknown platform":  {"image", "--input", malformed, "--platform", "linux/riscv64"},
		"unreachable image": {"image", "--timeout", "5s", "127.0.0.1:1/nothing/here:latest"},
	}
	run := func(t *testing.T, viaDocker bool, args []string) (string, error) {
		args = append(args, "--quiet", "--scanners", "none", "--cache-dir", filepath.Join(dir, "cache"))
		var cmd *exec.Cmd
		if viaDocker {
			cmd = exec.Command("docker", append([]string{"scan"}, args...)...)
			cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+dockerConfig, "DOCKER_HOST=unix:///nonexistent/docker.sock")
		} else {
			cmd = exec.Command(pluginBin, args...)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		return stderr.String(), err
	}
	for name, args := range cases {
		for _, viaDocker := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/docker=%v", name, viaDocker), func(t *testing.T) {
				if viaDocker {
					need(t, haveCommand("docker"), "the docker CLI")
				}
				stderr, err := run(t, viaDocker, args)
				exit, ok := err.(*exec.ExitError)
				if !ok || exit.ExitCode() != 1 {
					t.Fatalf("exit: %v, want exit code 1; stderr:\n%s", err, stderr)
				}
				lines := strings.Split(strings.TrimSpace(stderr), "\n")
				if len(lines) != 1 || strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine ") {
					t.Errorf("want one error line, got:\n%s", stderr)
				}
			})
		}
	}
	// A malformed file costs its analyzer that file only: the scan goes
	// on, warns, and lists the file in the report.
	t.Run("malformed apk db", func(t *testing.T) {
		cmd := exec.Command(pluginBin, "image", "--input", malformed, "--format", "json", "--scanners", "none", "--cache-dir", filepath.Join(dir, "cache"))
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("exit: %v, want 0; stderr:\n%s", err, stderr.String())
		}
		if !strings.Contains(stderr.String(), "WARN") || !strings.Contains(stderr.String(), "lib/apk/db/installed") {
			t.Errorf("no warning names the malformed file:\n%s", stderr.String())
		}
		var rep struct{ AnalysisIssues []types.AnalysisIssue }
		if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
			t.Fatal(err)
		}
		if len(rep.AnalysisIssues) != 1 || rep.AnalysisIssues[0].FilePath != "lib/apk/db/installed" || rep.AnalysisIssues[0].Analyzer != "apk" || rep.AnalysisIssues[0].Layer == "" {
			t.Errorf("analysis issues = %+v", rep.AnalysisIssues)
		}
	})
	if entries, _ := os.ReadDir(filepath.Join(dir, "cache", "tmp")); len(entries) != 0 {
		t.Errorf("temp files left in the cache: %v", entries)
	}
}

// rootArchive is a docker save archive, tagged tag, of one layer holding
// the directory root (a debootstrap root).
func rootArchive(t *testing.T, root, tag string) string {
	t.Helper()
	layerTar := filepath.Join(t.TempDir(), "rootfs.tar")
	if err := imagebuild.DirTar(root, layerTar); err != nil {
		t.Fatal(err)
	}
	return imageArchive(t, layerTar, tag)
}
