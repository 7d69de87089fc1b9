package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/testenv"
)

// TestRealLanguageFiles scans files that real package managers wrote: a
// node_modules tree from `npm install` of old versions, and the Python
// metadata and the log4j jar that Debian's python3-urllib3 and
// liblog4j2-java ship, copied where an application (not dpkg) would own
// them.
func TestRealLanguageFiles(t *testing.T) {
	testenv.E2E(t, "npm install and apt-get download, from the npm registry and Debian's archive")
	need(t, haveCommand("npm"), "npm")
	need(t, haveCommand("apt-get") && haveCommand("dpkg-deb"), "apt-get and dpkg-deb")
	fetched := realLanguagePackages(t)
	work := t.TempDir()
	app := filepath.Join(fetched, "app")
	root := filepath.Join(fetched, "root")
	egg, _ := filepath.Glob(filepath.Join(root, "usr/lib/python3/dist-packages/urllib3-*.egg-info"))
	jars, _ := filepath.Glob(filepath.Join(root, "usr/share/java/log4j-core.jar"))
	if len(egg) != 1 || len(jars) != 1 {
		t.Fatalf("unexpected package contents: %v %v", egg, jars)
	}

	// The image: the application's tree, no dpkg database owning it.
	img := filepath.Join(work, "image")
	copyTree(t, filepath.Join(app, "node_modules"), filepath.Join(img, "srv/app/node_modules"))
	copyTree(t, egg[0], filepath.Join(img, "usr/local/lib/python3.11/site-packages", filepath.Base(egg[0])))
	copyTree(t, jars[0], filepath.Join(img, "opt/app/lib", filepath.Base(jars[0])))
	os.MkdirAll(filepath.Join(img, "etc"), 0o755)
	os.WriteFile(filepath.Join(img, "etc/debian_version"), []byte("12.7\n"), 0o644)
	layerTar := filepath.Join(work, "layer.tar")
	if err := imagebuild.DirTar(img, layerTar); err != nil {
		t.Fatal(err)
	}
	archive := imageArchive(t, layerTar, "app:real")

	cache := fixtureCache(t, "../../testdata/db/languages.yaml")
	r := scanCLI(t, "image", "--input", archive, "--cache-dir", cache, "--skip-db-update", "--quiet", "--format", "json", "--scanners", "vuln", "--list-all-pkgs")
	if r.exit != 0 {
		t.Fatalf("exit %d: %s", r.exit, r.stderr)
	}
	rep := parseReport(t, r.stdout)
	// By hand from testdata/db/languages.yaml: minimist 1.2.0 is below both
	// minimist fixes, lodash 4.17.20 below 4.17.21; Debian's urllib3
	// (1.26.12) below 1.26.17 and 1.26.18; Debian's log4j-core (2.19.0) is
	// past both log4j fixes: nothing.
	urllib3 := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(egg[0]), "urllib3-"), ".egg-info")
	want := []string{
		"lodash 4.17.20 CVE-2021-23337 fixed 4.17.21 HIGH/ghsa",
		"minimist 1.2.0 CVE-2020-7598 fixed 0.2.1, 1.2.3 MEDIUM/ghsa",
		"minimist 1.2.0 CVE-2021-44906 fixed 0.2.4, 1.2.6 CRITICAL/ghsa",
		"urllib3 " + urllib3 + " CVE-2023-43804 fixed 2.0.6, 1.26.17 MEDIUM/ghsa",
		"urllib3 " + urllib3 + " CVE-2023-45803 fixed 2.0.7, 1.26.18 MEDIUM/ghsa",
	}
	if got := findings(rep); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var java []string
	for _, res := range rep.Results {
		if res.Target == "Java" {
			for _, p := range res.Packages {
				java = append(java, p.ID)
			}
		}
	}
	if len(java) == 0 || !strings.HasPrefix(strings.Join(java, ","), "org.apache.logging.log4j:log4j-core@2.") {
		t.Errorf("log4j-core not found in Debian's jar: %v", java)
	}
}

// realLanguageVersion names the fetched packages in the test cache: change
// it with the package list below.
const realLanguageVersion = "v1"

// realLanguagePackages fetches (once per machine: they are kept in the
// test cache) the npm packages into app/node_modules and Debian's
// python3-urllib3 and liblog4j2-java, unpacked, into root.
func realLanguagePackages(t *testing.T) string {
	t.Helper()
	dir, err := testenv.Cached("real-language-files", realLanguageVersion, func(dir string) error {
		app := filepath.Join(dir, "app")
		os.MkdirAll(app, 0o755)
		npm := exec.Command("npm", "install", "--no-audit", "--no-fund", "--ignore-scripts", "minimist@1.2.0", "lodash@4.17.20")
		npm.Dir = app
		if out, err := npm.CombinedOutput(); err != nil {
			need(t, false, "the npm registry ("+strings.TrimSpace(string(tail(out, 300)))+")")
		}
		debs := t.TempDir()
		get := exec.Command("apt-get", "download", "python3-urllib3", "liblog4j2-java")
		get.Dir = debs
		if out, err := get.CombinedOutput(); err != nil {
			need(t, false, "Debian's archive for apt-get download ("+strings.TrimSpace(string(tail(out, 300)))+")")
		}
		entries, _ := os.ReadDir(debs)
		for _, e := range entries {
			if out, err := exec.Command("dpkg-deb", "-x", filepath.Join(debs, e.Name()), filepath.Join(dir, "root")).CombinedOutput(); err != nil {
				return fmt.Errorf("dpkg-deb: %v\n%s", err, out)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	os.MkdirAll(filepath.Dir(dst), 0o755)
	if out, err := exec.Command("cp", "-RL", src, dst).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, out)
	}
}
