package main

// The secret scanner on a real application image: a Debian bookworm root
// with Python (pip, venv, Django, SQLAlchemy, requests, PyYAML from
// Debian's packages), Node.js with npm and an npm dependency tree in /app,
// a Java runtime with its jars, Perl and git, all installed the way a
// Dockerfile would. Such an image holds thousands of files full of words
// like "password" and "token"; the scan must report the secrets planted in
// a second layer, and nothing else.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/testenv"
	"github.com/docker-scan/docker-scan/engine/types"
)

// debianAppPackages are installed with apt in the chroot. PyPI is not
// reachable here, so Python libraries come from Debian's python3-*.
var debianAppPackages = []string{
	"python3", "python3-pip", "python3-venv", "nodejs", "npm", "default-jre-headless", "perl", "git", "ca-certificates",
	"python3-requests", "python3-django", "python3-sqlalchemy", "python3-yaml",
	"libpostgresql-jdbc-java", "libmariadb-java", "libjackson2-databind-java", "liblog4j2-java", "libcommons-lang3-java",
}

// debianAppNPM is the application's npm dependency tree in /app.
var debianAppNPM = []string{"express@4", "axios@1", "pg@8", "mysql2@3", "nodemailer@6", "jsonwebtoken@9", "dotenv@16"}

// plantedSecret is a made-up credential in a format a rule knows.
type plantedSecret struct {
	path, rule, secret string
}

// The planted values are synthetic: none was issued by anyone. They avoid
// the words the placeholder allow rule drops (example, sample, fake...).
var (
	plantedGitHub   = "ghp_" + "R8q2Lm5Vt9Xw3Nz7Kc1Pb4Hd6Jf0Sg2Ty5Ua"
	plantedStripe   = "sk_live_" + "51Hq8ZtK2vR7mN4pL9wX3cY6bT1s"
	plantedDBPass   = "Vq3mT8zR2kLw"
	plantedNPMToken = "npm_" + "Tz4Kq9Wm2Rx7Lc5Vb8Nh3Jd6Gf1Sp0Ya2Ue4"
)

func plantedFiles() ([]imagebuild.File, []plantedSecret) {
	files := []imagebuild.File{
		{Path: "app/.env", Body: "NODE_ENV=production\nPORT=3000\nGITHUB_TOKEN=" + plantedGitHub + "\nSTRIPE_SECRET_KEY=" + plantedStripe + "\nLOG_LEVEL=info\n"},
		{Path: "app/config/settings.yaml", Body: "server:\n  port: 3000\ndatabase:\n  url: postgresql://orders:" + plantedDBPass + "@db.prod.internal:5432/orders\n  pool: 10\n"},
		{Path: "root/.npmrc", Body: "//registry.npmjs.org/:_authToken=" + plantedNPMToken + "\n"},
	}
	secrets := []plantedSecret{
		{"app/.env", "github-pat", plantedGitHub},
		{"app/.env", "stripe-secret-key", plantedStripe},
		{"app/config/settings.yaml", "postgres-url", plantedDBPass},
		{"root/.npmrc", "npm-access-token", plantedNPMToken},
	}
	return files, secrets
}

// TestSecretsQuietOnDebianImage scans the Debian application image with
// the secret scanner alone: every finding must be in a planted file, and
// every planted secret must be found.
func TestSecretsQuietOnDebianImage(t *testing.T) {
	testenv.E2E(t, "debootstrap and apt-get in a chroot, as root, and npm install, from Debian's archive and the npm registry")
	need(t, os.Geteuid() == 0, "root (apt-get runs chrooted into the Debian root)")
	need(t, haveCommand("debootstrap"), "debootstrap (apt-get install debootstrap)")
	need(t, haveCommand("npm"), "npm (apt-get install npm)")
	need(t, haveCommand("chroot") && haveCommand("mount") && haveCommand("umount"), "chroot, mount and umount")

	files, secrets := plantedFiles()
	// The formats the rules know; a wrong length here would test nothing.
	for _, s := range []struct{ v, prefix string }{{plantedGitHub, "ghp_"}, {plantedNPMToken, "npm_"}} {
		if len(s.v) != len(s.prefix)+36 {
			t.Fatalf("planted %s token has %d characters, want %d", s.prefix, len(s.v), len(s.prefix)+36)
		}
	}

	root := debianAppRoot(t)
	// The image is what the test says it is: each ecosystem is there.
	for _, p := range []string{
		"usr/lib/python3/dist-packages/django/__init__.py", "usr/lib/python3/dist-packages/pip/__init__.py", "opt/venv/bin/python3",
		"usr/bin/node", "usr/share/nodejs/npm/package.json", "app/node_modules/express/package.json", "app/node_modules/pg/package.json",
		"usr/lib/jvm/java-17-openjdk-amd64/lib/jrt-fs.jar", "usr/share/java/postgresql.jar", "usr/share/perl5", "usr/bin/git",
	} {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Errorf("the Debian application root lacks /%s", p)
		}
	}
	archive := debianAppArchive(t, root, files)
	// A real image of 789 MB: the scan must still fit the hostile-input
	// budgets of time and memory.
	r := runHostile(t, "image", "--input", archive, "--scanners", "secret", "--format", "json", "--cache-dir", t.TempDir(), "--quiet")
	t.Logf("image archive %s", fileSize(archive))
	if r.exit != 0 {
		t.Fatalf("docker-scan: exit %d\n%s", r.exit, tail([]byte(r.stderr), 3000))
	}
	var rep types.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, tail([]byte(r.stdout), 3000))
	}

	plantedPaths := map[string]bool{}
	for _, f := range files {
		plantedPaths[f.Path] = true
	}
	found := map[string]bool{} // path + " " + rule
	var stray []string
	total := 0
	for _, res := range rep.Results {
		if res.Class != types.ClassSecret {
			continue
		}
		path := strings.TrimPrefix(res.Target, "/")
		for _, s := range res.Secrets {
			total++
			found[path+" "+s.RuleID] = true
			if !plantedPaths[path] {
				stray = append(stray, fmt.Sprintf("%s:%d: rule %s (%s, %s): %s", res.Target, s.StartLine, s.RuleID, s.Severity, s.Title, strings.TrimSpace(s.Match)))
			}
		}
	}
	t.Logf("%d secret findings in %d results", total, len(rep.Results))
	sort.Strings(stray)
	for _, s := range stray {
		t.Errorf("finding outside the planted files: %s", s)
	}
	if len(stray) > 0 {
		t.Errorf("%d findings outside the planted files (%v)", len(stray), strings.Join(mapKeys(plantedPaths), ", "))
	}
	for _, s := range secrets {
		if !found[s.path+" "+s.rule] {
			t.Errorf("planted secret not found: /%s, rule %s", s.path, s.rule)
		}
	}
	if strings.Contains(r.stdout, plantedGitHub) || strings.Contains(r.stdout, plantedStripe) || strings.Contains(r.stdout, plantedNPMToken) {
		t.Error("a planted secret is printed unmasked")
	}
}

func mapKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, "/"+k)
	}
	sort.Strings(out)
	return out
}

func fileSize(p string) string {
	fi, err := os.Stat(p)
	if err != nil {
		return "?"
	}
	return fmt.Sprintf("%d MB", fi.Size()>>20)
}

// debianAppVersion names the application root in the test cache: change
// it when the packages or the way the root is made change.
const debianAppVersion = "v1"

// debianAppArchive writes (once per machine and set of planted files: it
// is kept in the cache entry, beside the root) the image as a docker save
// archive: the root as one layer, the planted files as a second.
func debianAppArchive(t *testing.T, root string, planted []imagebuild.File) string {
	t.Helper()
	dir := filepath.Dir(root)
	h := sha256.New()
	for _, f := range planted {
		fmt.Fprintf(h, "%s\x00%s\x00", f.Path, f.Body)
	}
	archive := filepath.Join(dir, "image-"+hex.EncodeToString(h.Sum(nil))[:12]+".tar")
	if _, err := os.Stat(archive); err == nil {
		return archive
	}
	start := time.Now()
	layerTar := filepath.Join(t.TempDir(), "rootfs.tar")
	if err := imagebuild.DirTar(root, layerTar); err != nil {
		t.Fatal(err)
	}
	t.Logf("root as a tar: %s in %v", fileSize(layerTar), time.Since(start).Round(time.Millisecond))
	start = time.Now()
	base, err := imagebuild.LayerFromFile(layerTar)
	if err != nil {
		t.Fatal(err)
	}
	secrets, err := imagebuild.Layer(planted...)
	if err != nil {
		t.Fatal(err)
	}
	img, err := imagebuild.Image("amd64", base, secrets)
	if err != nil {
		t.Fatal(err)
	}
	err = testenv.WriteFileAtomic(archive, func(tmp string) error {
		return imagebuild.WriteDockerArchive(tmp, "debian-app:bookworm", img)
	})
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(layerTar)
	t.Logf("docker save archive: %s in %v", fileSize(archive), time.Since(start).Round(time.Millisecond))
	return archive
}

// debianAppRoot builds (once per machine: it is kept in the test cache
// as debian-app-<debianAppVersion>/root) the application root: a copy of
// the minbase root, Debian packages installed with apt-get in a chroot, a
// venv, and an npm tree in /app installed with the host's npm.
func debianAppRoot(t *testing.T) string {
	t.Helper()
	minbase := debianRoot(t)
	dir, err := testenv.Cached("debian-app", debianAppVersion, func(dir string) error {
		buildDebianAppRoot(t, minbase, dir)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "root")
}

// buildDebianAppRoot builds the application root in dir/root (dir is
// private to this run until the cache puts it in place).
func buildDebianAppRoot(t *testing.T, minbase, dir string) {
	t.Helper()
	begin := time.Now()
	partial := filepath.Join(dir, "root")
	if err := os.MkdirAll(partial, 0o755); err != nil {
		t.Fatal(err)
	}
	// run runs a step of the build; one that fetches (network) is
	// skipped outside CI when it fails, as the network may be missing.
	run := func(what string, network bool, cmd *exec.Cmd) {
		t.Helper()
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			if network && !inCI() {
				t.Skipf("skipped: needs the network (Debian's archive and the npm registry): %s: %v\n%s", what, err, tail(out, 2000))
			}
			t.Fatalf("%s: %v\n%s", what, err, tail(out, 4000))
		}
		t.Logf("%s: %v", what, time.Since(start).Round(time.Millisecond))
	}
	run("copy the minbase root", false, exec.Command("cp", "-a", minbase+"/.", partial))

	mirror := debianMirror()
	sources := fmt.Sprintf("deb %s bookworm main\ndeb %s bookworm-updates main\n", mirror, mirror)
	if strings.HasSuffix(mirror, "/debian") {
		sources += fmt.Sprintf("deb %s-security bookworm-security main\n", mirror)
	}
	policy := filepath.Join(partial, "usr/sbin/policy-rc.d")
	for _, f := range []imagebuild.File{
		{Path: "etc/apt/sources.list", Body: sources, Mode: 0o644},
		{Path: "usr/sbin/policy-rc.d", Body: "#!/bin/sh\nexit 101\n", Mode: 0o755},
		{Path: "etc/apt/apt.conf.d/99no-recommends", Body: "APT::Install-Recommends \"false\";\nAPT::Install-Suggests \"false\";\n", Mode: 0o644},
	} {
		if err := os.WriteFile(filepath.Join(partial, f.Path), []byte(f.Body), os.FileMode(f.Mode)); err != nil {
			t.Fatal(err)
		}
	}
	if b, err := os.ReadFile("/etc/resolv.conf"); err == nil {
		os.Remove(filepath.Join(partial, "etc/resolv.conf"))
		os.WriteFile(filepath.Join(partial, "etc/resolv.conf"), b, 0o644)
	}

	// /proc and /dev for the chroot (the JRE's postinst needs /proc),
	// unmounted on every path.
	mounted := []string{}
	t.Cleanup(func() {
		for i := len(mounted) - 1; i >= 0; i-- {
			unmount(mounted[i])
		}
	})
	for _, m := range []struct {
		target string
		args   []string
	}{
		{"proc", []string{"-t", "proc", "proc"}},
		{"dev", []string{"--bind", "/dev"}},
	} {
		target := filepath.Join(partial, m.target)
		os.MkdirAll(target, 0o755)
		if out, err := exec.Command("mount", append(m.args, target)...).CombinedOutput(); err != nil {
			t.Fatalf("mount %s: %v\n%s", target, err, out)
		}
		mounted = append(mounted, target)
	}
	chroot := func(args ...string) *exec.Cmd {
		cmd := exec.Command("chroot", append([]string{partial}, args...)...)
		cmd.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "DEBIAN_FRONTEND=noninteractive", "LC_ALL=C", "HOME=/root"}
		return cmd
	}
	run("apt-get update (chroot)", true, chroot("apt-get", "-q", "update"))
	run("apt-get install "+strings.Join(debianAppPackages, " ")+" (chroot)", true,
		chroot(append([]string{"apt-get", "-q", "-y", "--no-install-recommends", "install"}, debianAppPackages...)...))
	run("python3 -m venv /opt/venv (chroot)", false, chroot("python3", "-m", "venv", "--system-site-packages", "/opt/venv"))
	run("apt-get clean (chroot)", false, chroot("apt-get", "clean"))
	for len(mounted) > 0 {
		if err := unmount(mounted[len(mounted)-1]); err != nil {
			t.Fatal(err)
		}
		mounted = mounted[:len(mounted)-1]
	}
	os.RemoveAll(filepath.Join(partial, "var/lib/apt/lists"))
	os.MkdirAll(filepath.Join(partial, "var/lib/apt/lists/partial"), 0o755)
	os.Remove(policy)

	// The application's dependencies, with the host's npm and a cache
	// kept beside the root.
	app := filepath.Join(partial, "app")
	os.MkdirAll(app, 0o755)
	if err := os.WriteFile(filepath.Join(app, "package.json"), []byte(`{"name": "orders-api", "version": "1.0.0", "private": true, "main": "server.js"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(app, "server.js"), []byte(debianAppServer), 0o644); err != nil {
		t.Fatal(err)
	}
	npm := exec.Command("npm", append([]string{"install", "--prefix", app, "--cache", filepath.Join(dir, "npm-cache"), "--no-audit", "--no-fund", "--loglevel=error", "--save"}, debianAppNPM...)...)
	npm.Dir = app
	run("npm install "+strings.Join(debianAppNPM, " "), true, npm)

	t.Logf("Debian application root built in %v", time.Since(begin).Round(time.Second))
}

// debianAppServer is the application's own code: it reads its secrets
// from the environment, as it should.
const debianAppServer = `require('dotenv').config();
const express = require('express');
const { Pool } = require('pg');
const jwt = require('jsonwebtoken');

const app = express();
const pool = new Pool({ connectionString: process.env.DATABASE_URL });

app.get('/orders/:id', async (req, res) => {
  const token = (req.headers.authorization || '').replace(/^Bearer /, '');
  try {
    jwt.verify(token, process.env.JWT_SECRET);
  } catch (err) {
    return res.status(401).end();
  }
  const { rows } = await pool.query('SELECT * FROM orders WHERE id = $1', [req.params.id]);
  res.json(rows[0] || null);
});

app.listen(process.env.PORT || 3000);
`

// unmount unmounts target, lazily if it is busy.
func unmount(target string) error {
	out, err := exec.Command("umount", target).CombinedOutput()
	if err == nil {
		return nil
	}
	if out2, err2 := exec.Command("umount", "-l", target).CombinedOutput(); err2 != nil {
		if !isMounted(target) {
			return nil
		}
		return fmt.Errorf("umount %s: %v: %s; %s", target, err, out, out2)
	}
	return nil
}

func isMounted(target string) bool {
	b, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[1] == target {
			return true
		}
	}
	return false
}
