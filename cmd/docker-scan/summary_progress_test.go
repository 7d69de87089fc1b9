package main

// The table report's summary and the progress of a scan, through the
// docker CLI: a summary row for every target and a section only for those
// with findings; a live progress line on a terminal (script(1) gives the
// scan a pty), log lines elsewhere.

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
)

// summaryImage holds a clean OS (Alpine 3.22, whose fixture DB bucket has
// no advisory for musl), a vulnerable Node.js package, a clean Python package, a
// clean Java library and a leaked token.
func summaryImage(t *testing.T) string {
	t.Helper()
	return layerArchive(t, "summary:1",
		imagebuild.File{Path: "etc/alpine-release", Body: "3.22.1\n"},
		imagebuild.File{Path: "lib/apk/db/installed", Body: "P:musl\nV:1.2.5-r10\nA:x86_64\no:musl\n\n"},
		imagebuild.File{Path: "srv/web/node_modules/minimist/package.json", Body: `{"name": "minimist", "version": "1.2.5", "license": "MIT"}`},
		imagebuild.File{Path: "usr/local/lib/python3.12/site-packages/urllib3-2.2.2.dist-info/METADATA", Body: "Metadata-Version: 2.1\nName: urllib3\nVersion: 2.2.2\nLicense: MIT\n"},
		imagebuild.File{Path: "opt/b/log4j-core-2.16.0.jar", Body: string(zipBytes(t, map[string]string{"META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties": "groupId=org.apache.logging.log4j\nartifactId=log4j-core\nversion=2.16.0\n"}))},
		imagebuild.File{Path: "srv/web/.env", Body: "PORT=8080\nGITHUB_TOKEN=ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8\n"},
	)
}

func TestTableSummaryAndOnlySectionsWithFindings(t *testing.T) {
	archive := summaryImage(t)
	cache := fixtureCache(t, "../../testdata/db/languages.yaml", "../../testdata/db/alpine-3.14.yaml", "../../testdata/db/alpine-3.22.yaml")
	r := scanCLI(t, "image", "summary:1", "--input", archive, "--cache-dir", cache, "--skip-db-update", "--quiet")
	if r.exit != 0 {
		t.Fatalf("exit %d: %s", r.exit, r.stderr)
	}
	for _, want := range []string{
		"│ summary:1 (alpine 3.22.1) │   alpine   │        0        │    -    │",
		"│ Java                      │    jar     │        0        │    -    │",
		"│ Node.js                   │  node-pkg  │        1        │    -    │",
		"│ Python                    │ python-pkg │        0        │    -    │",
		"│ /srv/web/.env             │    text    │        -        │    1    │",
		"\nNode.js\n=======\nTotal: 1 ",
		"\n/srv/web/.env (secrets)\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	for _, unwanted := range []string{"Total: 0", "\nJava\n", "\nPython\n", "(alpine 3.22.1)\n="} {
		if strings.Contains(r.stdout, unwanted) {
			t.Errorf("report has %q", unwanted)
		}
	}
	checkGoldenText(t, "summary-clean-targets.txt", r.stdout)

	// A DB without the release's advisories has not scanned the OS: "-",
	// with a warning that says why, never a clean "0".
	bare := fixtureCache(t, "../../testdata/db/languages.yaml", "../../testdata/db/alpine-3.14.yaml")
	r = scanCLI(t, "image", "summary:1", "--input", archive, "--cache-dir", bare, "--skip-db-update")
	if want := "│ summary:1 (alpine 3.22.1) │   alpine   │        -        │    -    │"; r.exit != 0 || !strings.Contains(r.stdout, want) ||
		!strings.Contains(r.stderr, "the vulnerability DB has no advisories for this OS release") {
		t.Errorf("OS release the DB lacks: exit %d, want %q and a warning\n%s%s", r.exit, want, r.stdout, r.stderr)
	}

	// --table-mode summary: the summary alone.
	r = scanCLI(t, "image", "summary:1", "--input", archive, "--cache-dir", cache, "--skip-db-update", "--quiet", "--table-mode", "summary")
	if r.exit != 0 || !strings.Contains(r.stdout, "│ Node.js ") || strings.Contains(r.stdout, "Total:") {
		t.Errorf("--table-mode summary: exit %d\n%s%s", r.exit, r.stdout, r.stderr)
	}
	r = scanCLI(t, "image", "summary:1", "--input", archive, "--cache-dir", cache, "--skip-db-update", "--table-mode", "sumary")
	if r.exit == 0 || !strings.Contains(r.stderr, `unknown --table-mode "sumary"`) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Errorf("a bad --table-mode: exit %d\n%s", r.exit, r.stderr)
	}
}

// TestProgressOnTerminal runs the scan under script(1), so that its stderr
// is a terminal: the progress line is drawn and erased in place, and
// --no-progress (Trivy's flag) leaves only the log lines.
func TestProgressOnTerminal(t *testing.T) {
	need(t, haveCommand("script"), "script(1), to give the scan a terminal")
	need(t, haveCommand("docker"), "the docker CLI")
	archive := summaryImage(t)
	cache := fixtureCache(t, "../../testdata/db/languages.yaml")
	run := func(extra string) string {
		t.Helper()
		line := "docker scan image summary:1 --input " + archive + " --cache-dir " + cache + " --skip-db-update --cache-backend memory --format json --output /dev/null" + extra
		cmd := exec.Command("script", "-qec", line, "/dev/null")
		cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+dockerConfig, "DOCKER_HOST=unix:///nonexistent/docker.sock", "TERM=xterm")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", line, err, out)
		}
		return string(out)
	}
	out := run("")
	if !strings.Contains(out, "\r\x1b[Kanalysing layers: ") {
		t.Errorf("no progress line on a terminal:\n%q", out)
	}
	// The line is erased before the next log line, never left under it.
	if !strings.Contains(out, "\r\x1b[KINFO  layers analysed image=summary:1 layers=1 ") {
		t.Errorf("the progress line is not erased before the log line:\n%q", out)
	}
	out = run(" --no-progress")
	if strings.Contains(out, "analysing layers:") || strings.Contains(out, "\x1b[K") {
		t.Errorf("progress line with --no-progress:\n%q", out)
	}
	if !strings.Contains(out, "INFO  layers analysed image=summary:1 layers=1 ") {
		t.Errorf("--no-progress drops the log lines:\n%q", out)
	}
	out = run(" --quiet")
	if strings.Contains(out, "analysing layers:") || strings.Contains(out, "INFO") {
		t.Errorf("progress or logs with --quiet:\n%q", out)
	}
}

// TestProgressLogsOffTerminal: with stderr a pipe (a CI log), progress is
// a few log lines, never a line redrawn with carriage returns.
func TestProgressLogsOffTerminal(t *testing.T) {
	archive := summaryImage(t)
	cache := fixtureCache(t, "../../testdata/db/languages.yaml")
	r := scanCLI(t, "image", "summary:1", "--input", archive, "--cache-dir", cache, "--skip-db-update", "--cache-backend", "memory", "--format", "json")
	if r.exit != 0 {
		t.Fatalf("exit %d: %s", r.exit, r.stderr)
	}
	if !strings.Contains(r.stderr, "INFO  layers analysed image=summary:1 layers=1 read=") {
		t.Errorf("no closing log line:\n%s", r.stderr)
	}
	if strings.ContainsAny(r.stderr, "\r\x1b") || strings.Contains(r.stderr, "analysing layers:") {
		t.Errorf("a terminal's progress line in a log:\n%q", r.stderr)
	}
}
