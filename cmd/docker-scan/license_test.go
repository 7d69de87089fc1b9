package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/types"
)

// licenseImage is an Alpine-shaped image whose apk database lists musl
// (MIT), zlib (Zlib) and, when withAGPL, ghostscript, which Alpine ships
// under AGPL-3.0-or-later (its L: line as Alpine 3.19 writes it), with a
// Node.js package declaring a licence in npm's old "licenses" array.
func licenseImage(t *testing.T, tag string, withAGPL bool) string {
	t.Helper()
	apk := "P:musl\nV:1.2.4_git20230717-r4\nA:x86_64\no:musl\nL:MIT\n\n" +
		"P:zlib\nV:1.3.1-r0\nA:x86_64\no:zlib\nL:Zlib\n\n"
	if withAGPL {
		apk += "P:ghostscript\nV:10.02.1-r0\nA:x86_64\no:ghostscript\nL:AGPL-3.0-or-later\n\n"
	}
	return layerArchive(t, tag,
		imagebuild.File{Path: "etc/alpine-release", Body: "3.19.1\n"},
		imagebuild.File{Path: "etc/os-release", Body: "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.19.1\n"},
		imagebuild.File{Path: "lib/apk/db/installed", Body: apk},
		imagebuild.File{Path: "app/node_modules/cookie/package.json", Body: `{"name":"cookie","version":"0.1.2","licenses":[{"type":"MIT","url":"http://github.com/jshttp/cookie/raw/master/LICENSE"}]}`},
	)
}

// licensesOf is "package licence category severity" for each licence of
// the report's licence results.
func licensesOf(rep types.Report) []string {
	var out []string
	for _, r := range rep.Results {
		if r.Class != types.ClassLicense && r.Class != types.ClassLicenseFile {
			continue
		}
		for _, l := range r.Licenses {
			out = append(out, strings.Join([]string{r.Target, l.PkgName, l.Name, l.Category, l.Severity}, " "))
		}
	}
	slices.Sort(out)
	return out
}

// TestLicenseGate: --scanners license --severity CRITICAL --exit-code 1
// fails an image with an AGPL package (forbidden, CRITICAL) and passes
// one without; --ignored-licenses, the ignore file and a config file's
// license.<category> change what counts.
func TestLicenseGate(t *testing.T) {
	agpl := licenseImage(t, "lic/agpl:1", true)
	clean := licenseImage(t, "lic/clean:1", false)
	cache := t.TempDir()
	gate := []string{"--scanners", "license", "--severity", "CRITICAL", "--exit-code", "1", "--cache-dir", cache, "--quiet"}

	r := scanCLI(t, append([]string{"image", "--input", agpl, "--format", "json"}, gate...)...)
	if r.exit != 1 {
		t.Fatalf("AGPL image: exit %d, want 1\n%s", r.exit, r.stderr)
	}
	if got, want := licensesOf(parseReport(t, r.stdout)), []string{"OS Packages ghostscript AGPL-3.0-or-later forbidden CRITICAL"}; !slices.Equal(got, want) {
		t.Errorf("AGPL image, CRITICAL only: %q, want %q", got, want)
	}
	r = scanCLI(t, append([]string{"image", "--input", clean}, gate...)...)
	if r.exit != 0 {
		t.Errorf("image without AGPL: exit %d, want 0\n%s%s", r.exit, r.stdout, r.stderr)
	}

	// Every licence, classified, without a filter.
	r = scanCLI(t, "image", "--input", agpl, "--scanners", "license", "--format", "json", "--cache-dir", cache, "--quiet")
	want := []string{
		"Node.js cookie MIT notice LOW",
		"OS Packages ghostscript AGPL-3.0-or-later forbidden CRITICAL",
		"OS Packages musl MIT notice LOW",
		"OS Packages zlib Zlib notice LOW",
	}
	if got := licensesOf(parseReport(t, r.stdout)); r.exit != 0 || !slices.Equal(got, want) {
		t.Errorf("all licences (exit %d): %q, want %q", r.exit, got, want)
	}
	// The table: Trivy's blocks.
	r = scanCLI(t, "image", "--input", agpl, "--scanners", "license", "--cache-dir", cache, "--quiet")
	for _, s := range []string{"OS Packages (license)", "Total: 3 (UNKNOWN: 0, LOW: 2, MEDIUM: 0, HIGH: 0, CRITICAL: 1)", "│ ghostscript │ AGPL-3.0-or-later │ forbidden      │ CRITICAL │", "Node.js (license)", "Licenses"} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("table lacks %q:\n%s", s, r.stdout)
		}
	}

	// --ignored-licenses lets the AGPL image pass.
	r = scanCLI(t, append([]string{"image", "--input", agpl, "--ignored-licenses", "agpl-3.0-or-later"}, gate...)...)
	if r.exit != 0 {
		t.Errorf("--ignored-licenses: exit %d, want 0\n%s", r.exit, r.stderr)
	}
	// So does a licenses: entry of .trivyignore.yaml.
	dir := t.TempDir()
	ignore := filepath.Join(dir, "ignore.yaml")
	writeConfig(t, dir, "ignore.yaml", "licenses:\n  - id: AGPL-3.0-or-later\n    statement: approved by legal for the PDF renderer\n")
	r = scanCLI(t, append([]string{"image", "--input", agpl, "--ignorefile", ignore}, gate...)...)
	if r.exit != 0 {
		t.Errorf("ignore file: exit %d, want 0\n%s", r.exit, r.stderr)
	}
	// A config file that forbids MIT fails the image without AGPL: the
	// forbidden list is replaced, the other categories keep theirs.
	writeConfig(t, dir, "trivy.yaml", "license:\n  forbidden: [MIT]\n")
	r = scanIn(t, dir, "unix:///nonexistent/docker.sock", append([]string{"image", "--input", clean, "--format", "json"}, gate...)...)
	if r.exit != 1 {
		t.Fatalf("license.forbidden [MIT]: exit %d, want 1\n%s", r.exit, r.stderr)
	}
	if got, want := licensesOf(parseReport(t, r.stdout)), []string{"Node.js cookie MIT forbidden CRITICAL", "OS Packages musl MIT forbidden CRITICAL"}; !slices.Equal(got, want) {
		t.Errorf("license.forbidden [MIT]: %q, want %q", got, want)
	}
	r = scanIn(t, dir, "unix:///nonexistent/docker.sock", "image", "--input", agpl, "--scanners", "license", "--format", "json", "--cache-dir", cache, "--quiet")
	if got := licensesOf(parseReport(t, r.stdout)); !slices.Contains(got, "OS Packages zlib Zlib notice LOW") || slices.Contains(got, "OS Packages ghostscript AGPL-3.0-or-later forbidden CRITICAL") {
		t.Errorf("license.forbidden [MIT]: notice kept, AGPL out of forbidden: %q", got)
	}

	// Flags that need the licence scanner say so.
	r = scanCLI(t, "image", "--input", agpl, "--license-full", "--cache-dir", cache, "--scanners", "vuln", "--skip-db-update", "--offline-scan")
	if !strings.Contains(r.stderr, "--license-full has no effect without the licence scanner") {
		t.Errorf("--license-full without the licence scanner: exit %d\n%s", r.exit, r.stderr)
	}
}

// TestLicenseFullThroughCLI: --license-full on an image whose layer holds
// the MIT, Apache-2.0, GPL-3.0 and BSD-3-Clause texts (engine/analyze/
// license/testdata: the licences' published texts) as LICENSE files, and
// prose that talks of licences: each text is found with its licence above
// the confidence threshold, in Trivy's "Loose File License(s)" result,
// classified; the prose is nothing; the gate applies to what is found.
func TestLicenseFullThroughCLI(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join("../../engine/analyze/license/testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	archive := layerArchive(t, "lic/full:1",
		imagebuild.File{Path: "etc/alpine-release", Body: "3.19.1\n"},
		imagebuild.File{Path: "lib/apk/db/installed", Body: "P:musl\nV:1.2.4_git20230717-r4\nA:x86_64\no:musl\nL:MIT\n\n"},
		imagebuild.File{Path: "opt/a/LICENSE", Body: read("MIT.txt")},
		imagebuild.File{Path: "opt/b/LICENSE.txt", Body: read("Apache-2.0.txt")},
		imagebuild.File{Path: "opt/c/COPYING", Body: read("GPL-3.0.txt")},
		imagebuild.File{Path: "opt/d/LICENSE.md", Body: read("BSD-3-Clause.txt")},
		imagebuild.File{Path: "opt/e/LICENSE", Body: read("english.txt")},
	)
	cache := t.TempDir()
	r := scanCLI(t, "image", "--input", archive, "--scanners", "license", "--license-full", "--format", "json", "--cache-dir", cache, "--quiet")
	if r.exit != 0 {
		t.Fatalf("exit %d\n%s", r.exit, r.stderr)
	}
	rep := parseReport(t, r.stdout)
	found := map[string]types.DetectedLicense{}
	for _, res := range rep.Results {
		if res.Class != types.ClassLicenseFile {
			continue
		}
		if res.Target != "Loose File License(s)" {
			t.Errorf("licence files' target %q", res.Target)
		}
		for _, l := range res.Licenses {
			found[l.FilePath] = l
		}
	}
	want := map[string][3]string{
		"opt/a/LICENSE":     {"MIT", "notice", "LOW"},
		"opt/b/LICENSE.txt": {"Apache-2.0", "notice", "LOW"},
		"opt/c/COPYING":     {"GPL-3.0", "restricted", "HIGH"},
		"opt/d/LICENSE.md":  {"BSD-3-Clause", "notice", "LOW"},
	}
	for file, w := range want {
		l, ok := found[file]
		switch {
		case !ok:
			t.Errorf("%s: no licence found", file)
		case l.Name != w[0] || l.Category != w[1] || l.Severity != w[2]:
			t.Errorf("%s: %s %s %s, want %v", file, l.Name, l.Category, l.Severity, w)
		case l.Confidence < 0.9 || l.Link != "https://spdx.org/licenses/"+w[0]+".html":
			t.Errorf("%s: confidence %v, link %q", file, l.Confidence, l.Link)
		}
	}
	if l, ok := found["opt/e/LICENSE"]; ok || len(found) != len(want) {
		t.Errorf("prose or something else classified as a licence: %+v (all: %d)", l, len(found))
	}
	// The GPL-3.0 text is HIGH: a HIGH gate fails on it, not on the rest.
	r = scanCLI(t, "image", "--input", archive, "--scanners", "license", "--license-full", "--severity", "HIGH", "--exit-code", "5", "--format", "json", "--cache-dir", cache, "--quiet")
	if got := licensesOf(parseReport(t, r.stdout)); r.exit != 5 || !slices.Equal(got, []string{"Loose File License(s)  GPL-3.0 restricted HIGH"}) {
		t.Errorf("HIGH gate: exit %d, %q", r.exit, got)
	}
	// Without --license-full, no file is read for its text.
	r = scanCLI(t, "image", "--input", archive, "--scanners", "license", "--format", "json", "--cache-dir", cache, "--quiet")
	if got := licensesOf(parseReport(t, r.stdout)); !slices.Equal(got, []string{"OS Packages musl MIT notice LOW"}) {
		t.Errorf("without --license-full: %q", got)
	}
}
