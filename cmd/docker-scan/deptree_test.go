package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/testenv"
)

// deptreeFixture makes OpenSSL vulnerable in Debian 12: CVE-2024-13176
// (a timing side channel in ECDSA signing), which Debian's tracker leaves
// unfixed in bookworm (no DSA). Its source package, openssl, builds both
// libssl3 and the openssl tool.
const deptreeFixture = `data-sources:
  debian 12: {ID: debian, Name: Debian Security Tracker, URL: https://salsa.debian.org/security-tracker-team/security-tracker}
advisories:
  debian 12:
    openssl:
      CVE-2024-13176: {Status: affected, Severity: LOW}
vulnerabilities:
  CVE-2024-13176:
    Title: "openssl: Timing side-channel in ECDSA signature computation"
    VendorSeverity: {nvd: MEDIUM}
    PublishedDate: 2025-01-20T14:15:00Z
`

// dpkgGraph is dpkg's own reading of a root's database: for each
// installed package (by ID, name@version), the IDs of the installed
// packages that satisfy its Pre-Depends and Depends, directly or as
// providers of a virtual package.
func dpkgGraph(t *testing.T, root string) (deps map[string][]string, idOf map[string]string) {
	t.Helper()
	out, err := exec.Command("dpkg-query", "--admindir", filepath.Join(root, "var/lib/dpkg"), "-W",
		"-f", "${Package}\t${Version}\t${Pre-Depends}, ${Depends}\t${Provides}\n").Output()
	if err != nil {
		t.Fatalf("dpkg-query: %v", err)
	}
	type row struct{ id, deps string }
	var rows []row
	idOf = map[string]string{}
	satisfy := map[string][]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(l, "\t")
		id := f[0] + "@" + f[1]
		idOf[f[0]] = id
		rows = append(rows, row{id, f[2]})
		satisfy[f[0]] = append(satisfy[f[0]], id)
		for _, v := range strings.Split(f[3], ",") {
			if v = strings.TrimSpace(strings.Split(v, "(")[0]); v != "" && v != f[0] {
				satisfy[v] = append(satisfy[v], id)
			}
		}
	}
	deps = map[string][]string{}
	for _, r := range rows {
		for _, alt := range strings.FieldsFunc(r.deps, func(c rune) bool { return c == ',' || c == '|' }) {
			name := strings.Split(strings.TrimSpace(strings.Split(alt, "(")[0]), ":")[0]
			for _, id := range satisfy[name] {
				if id != r.id && !slices.Contains(deps[r.id], id) {
					deps[r.id] = append(deps[r.id], id)
				}
			}
		}
	}
	return deps, idOf
}

// treeEdge is a line of a drawn dependency tree: a package and the one it
// hangs under (which it depends on); depth 0 is the vulnerable package.
type treeEdge struct {
	depth           int
	id, dependsOn   string
	vulnerable, cut bool
}

// drawnTree reads the "Dependency Origin Tree (Reversed)" of target out
// of a table report.
func drawnTree(t *testing.T, table, target string) []treeEdge {
	t.Helper()
	head := "Dependency Origin Tree (Reversed)\n=================================\n" + target + "\n"
	i := strings.Index(table, head)
	if i < 0 {
		t.Fatalf("no dependency tree for %s in:\n%s", target, table)
	}
	var edges []treeEdge
	var stack []string
	for _, l := range strings.Split(table[i+len(head):], "\n") {
		j := strings.Index(l, "── ")
		if j < 0 {
			break
		}
		depth := len([]rune(l[:j])) / 4
		text := l[j+len("── "):]
		if strings.HasPrefix(text, "…") {
			continue
		}
		id, rest, _ := strings.Cut(text, " ")
		if depth == 0 {
			id = strings.TrimSuffix(id, ",")
			stack = []string{id}
			edges = append(edges, treeEdge{id: id, vulnerable: true})
			continue
		}
		if depth > len(stack) {
			t.Fatalf("line %q hangs under nothing", l)
		}
		stack = append(stack[:depth], id)
		edges = append(edges, treeEdge{depth: depth, id: id, dependsOn: stack[depth-1], cut: rest != ""})
	}
	return edges
}

// TestDependencyTreeDebianImage scans a real Debian root (minbase plus an
// application's packages) in which OpenSSL is vulnerable with
// --dependency-tree, and checks the trees against dpkg's own data of that
// root: every drawn edge is a dependency dpkg knows, every package that
// depends on libssl3 is drawn under it, and the chain libssl3 <- openssl
// <- ca-certificates is there. The JSON report's DependsOn of every dpkg
// package is dpkg's graph too.
func TestDependencyTreeDebianImage(t *testing.T) {
	testenv.E2E(t, "a Debian root made with debootstrap and apt-get from Debian's archive")
	root := debianAppRoot(t)
	need(t, haveCommand("dpkg-query"), "dpkg-query")
	deps, idOf := dpkgGraph(t, root)

	archive := rootArchive(t, root, "debian-app:deptree")
	fixture := filepath.Join(t.TempDir(), "openssl.yaml")
	if err := os.WriteFile(fixture, []byte(deptreeFixture), 0o644); err != nil {
		t.Fatal(err)
	}
	cache := fixtureCache(t, fixture)

	r := scanCLI(t, "image", "--input", archive, "--cache-dir", cache, "--skip-db-update", "--quiet",
		"--scanners", "vuln", "--dependency-tree")
	if r.exit != 0 {
		t.Fatalf("exit %d: %s", r.exit, r.stderr)
	}
	version, err := os.ReadFile(filepath.Join(root, "etc/debian_version"))
	if err != nil {
		t.Fatal(err)
	}
	target := archive + " (debian " + strings.TrimSpace(string(version)) + ")"
	edges := drawnTree(t, r.stdout, target)
	if i := strings.Index(r.stdout, "Dependency Origin Tree"); testing.Verbose() && i >= 0 {
		t.Logf("%d lines drawn:\n%s", len(edges), r.stdout[i:])
	}

	libssl, openssl, certs := idOf["libssl3"], idOf["openssl"], idOf["ca-certificates"]
	var vulnerable, underLibssl []string
	current := ""
	chain := false
	for i, e := range edges {
		if e.vulnerable {
			vulnerable = append(vulnerable, e.id)
			current = e.id
			continue
		}
		if !slices.Contains(deps[e.id], e.dependsOn) {
			t.Errorf("tree of %s: %s drawn as depending on %s, which dpkg's data does not say (its dependencies: %q)",
				current, e.id, e.dependsOn, deps[e.id])
		}
		if current == libssl && e.depth == 1 {
			underLibssl = append(underLibssl, e.id)
		}
		if current == libssl && e.id == openssl && e.depth == 1 && i+1 < len(edges) {
			for _, next := range edges[i+1:] {
				if next.depth <= 1 {
					break
				}
				if next.depth == 2 && next.id == certs {
					chain = true
				}
			}
		}
	}
	out, err := exec.Command("dpkg-query", "--admindir", filepath.Join(root, "var/lib/dpkg"), "-W", "-f", "${source:Package} ${Package}@${Version}\n").Output()
	if err != nil {
		t.Fatal(err)
	}
	var fromOpenSSL []string // the packages the advisory is about
	for _, l := range strings.Split(string(out), "\n") {
		if id, ok := strings.CutPrefix(l, "openssl "); ok {
			fromOpenSSL = append(fromOpenSSL, id)
		}
	}
	slices.Sort(fromOpenSSL)
	if !slices.Equal(vulnerable, fromOpenSSL) || !slices.Contains(vulnerable, libssl) {
		t.Errorf("trees drawn for %q, want the packages of source openssl: %q", vulnerable, fromOpenSSL)
	}
	var dependents []string
	for id, ds := range deps {
		if slices.Contains(ds, libssl) {
			dependents = append(dependents, id)
		}
	}
	slices.Sort(dependents)
	if len(dependents) < 2 || !slices.Equal(underLibssl, dependents) {
		t.Errorf("under libssl3: %q; dpkg's packages that depend on it: %q", underLibssl, dependents)
	}
	if !chain {
		t.Errorf("no chain %s <- %s <- %s in:\n%s", libssl, openssl, certs, r.stdout)
	}

	// The same scan as JSON: each dpkg package depends on what dpkg says.
	r = scanCLI(t, "image", "--input", archive, "--cache-dir", cache, "--skip-db-update", "--quiet",
		"--scanners", "vuln", "--list-all-pkgs", "--format", "json")
	if r.exit != 0 {
		t.Fatalf("exit %d: %s", r.exit, r.stderr)
	}
	rep := parseReport(t, r.stdout)
	checked := 0
	for _, res := range rep.Results {
		for _, p := range res.Packages {
			if p.AnalyzedBy != "dpkg" {
				continue
			}
			want := slices.Clone(deps[p.ID])
			slices.Sort(want)
			if !slices.Equal(p.DependsOn, want) {
				t.Errorf("%s: DependsOn %q, dpkg's data %q", p.ID, p.DependsOn, want)
			}
			checked++
		}
	}
	if checked != len(idOf) {
		t.Errorf("%d dpkg packages in the report, dpkg-query lists %d", checked, len(idOf))
	}
}
