package report

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker-scan/docker-scan/engine/analyze/lang"
	"github.com/docker-scan/docker-scan/engine/analyze/ospkg"
	"github.com/docker-scan/docker-scan/engine/merge"
	"github.com/docker-scan/docker-scan/engine/types"
)

// treeLine is one drawn package: its depth (0: the vulnerable package)
// and the package one level up that it depends on.
type treeLine struct {
	depth      int
	id, parent string
	note       string // "(see above)", "…"
}

// parseTree reads the trees dependencyTree drew back: the IDs and the
// edges between each line and the one it hangs under.
func parseTree(t *testing.T, out string) (roots []string, lines []treeLine) {
	t.Helper()
	var stack []string
	for _, l := range strings.Split(out, "\n") {
		i := strings.Index(l, "── ")
		if i < 0 {
			continue
		}
		prefix, text := l[:i], l[i+len("── "):]
		// Each level is four columns: "│   " or "    ", then the branch.
		depth := len([]rune(prefix)) / 4
		if strings.HasPrefix(text, "… and ") {
			continue
		}
		id, note, _ := strings.Cut(text, " ")
		if depth == 0 {
			id = strings.TrimSuffix(id, ",")
			roots = append(roots, id)
			stack = []string{id}
			lines = append(lines, treeLine{depth: 0, id: id})
			continue
		}
		if depth > len(stack) {
			t.Fatalf("line %q is %d levels deep under %d", l, depth, len(stack))
		}
		stack = append(stack[:depth], id)
		lines = append(lines, treeLine{depth: depth, id: id, parent: stack[depth-1], note: note})
	}
	return roots, lines
}

// debianMinbase is the packages of a real bookworm minbase (debootstrap's
// status file), as the dpkg analyzer reads them.
func debianMinbase(t *testing.T) []types.Package {
	t.Helper()
	content, err := os.ReadFile("../analyze/ospkg/testdata/dpkg-status-minbase")
	if err != nil {
		t.Fatal(err)
	}
	pkgs, err := ospkg.ParseDpkgStatus(content, false)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(pkgs, func(a, b types.Package) int { return strings.Compare(a.Name, b.Name) })
	return pkgs
}

func idOf(t *testing.T, pkgs []types.Package, name string) string {
	t.Helper()
	for _, p := range pkgs {
		if p.Name == name {
			return p.ID
		}
	}
	t.Fatalf("no package %s", name)
	return ""
}

// TestDependencyTreeDebian draws the trees of zlib1g (pulled in by apt's
// libraries and by dpkg), libgcc-s1 (in a cycle with libc6) and libc6
// (which nearly everything depends on) in a real Debian minbase, and
// checks every drawn edge against the graph dpkg's data gives.
func TestDependencyTreeDebian(t *testing.T) {
	pkgs := debianMinbase(t)
	byID := map[string]types.Package{}
	for _, p := range pkgs {
		byID[p.ID] = p
	}
	zlib, gcc, libc := idOf(t, pkgs, "zlib1g"), idOf(t, pkgs, "libgcc-s1"), idOf(t, pkgs, "libc6")
	res := types.Result{Target: "debian (debian 12.12)", Class: types.ClassOSPkg, Packages: pkgs, Vulnerabilities: []types.DetectedVulnerability{
		{VulnerabilityID: "CVE-2023-45853", PkgID: zlib, PkgName: "zlib1g", Vulnerability: types.Vulnerability{Severity: "CRITICAL"}},
		{VulnerabilityID: "CVE-2023-4039", PkgID: gcc, PkgName: "libgcc-s1", Vulnerability: types.Vulnerability{Severity: "LOW"}},
		{VulnerabilityID: "CVE-2010-4756", PkgID: libc, PkgName: "libc6", Vulnerability: types.Vulnerability{Severity: "LOW"}},
		{VulnerabilityID: "CVE-2018-20796", PkgID: libc, PkgName: "libc6", Vulnerability: types.Vulnerability{Severity: "LOW"}},
	}}
	var b bytes.Buffer
	if err := dependencyTree(&b, res, Options{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	t.Log(out)
	if !strings.HasPrefix(out, "\nDependency Origin Tree (Reversed)\n=================================\ndebian (debian 12.12)\n") {
		t.Errorf("heading: %q", out[:min(len(out), 120)])
	}
	for _, want := range []string{
		"├── " + libc + ", (UNKNOWN: 0, LOW: 2, MEDIUM: 0, HIGH: 0, CRITICAL: 0)\n",
		"├── " + gcc + ", (UNKNOWN: 0, LOW: 1, MEDIUM: 0, HIGH: 0, CRITICAL: 0)\n",
		"└── " + zlib + ", (UNKNOWN: 0, LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 1)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no line %q", want)
		}
	}
	roots, lines := parseTree(t, out)
	if !slices.Equal(roots, []string{libc, gcc, zlib}) {
		t.Errorf("trees of %q, want libc6, libgcc-s1, zlib1g (the packages' order)", roots)
	}
	perRoot := map[string]int{}
	root := ""
	for _, l := range lines {
		if l.depth == 0 {
			root = l.id
			continue
		}
		perRoot[root]++
		// Each line depends on the one it hangs under.
		if !slices.Contains(byID[l.id].DependsOn, l.parent) {
			t.Errorf("%s is drawn as depending on %s; its DependsOn is %q", l.id, l.parent, byID[l.id].DependsOn)
		}
		if l.id == root {
			t.Errorf("%s drawn under itself: a cycle was followed", root)
		}
	}
	if perRoot[libc] > maxTreeLines {
		t.Errorf("libc6's tree has %d lines", perRoot[libc])
	}
	// zlib1g's first level is every package that depends on it.
	var direct, wantDirect []string
	for _, l := range lines {
		if l.parent == zlib && l.depth == 1 {
			direct = append(direct, l.id)
		}
	}
	for _, p := range pkgs {
		if slices.Contains(p.DependsOn, zlib) {
			wantDirect = append(wantDirect, p.ID)
		}
	}
	if len(wantDirect) == 0 || !slices.Equal(direct, wantDirect) {
		t.Errorf("zlib1g's dependents drawn %q, want %q", direct, wantDirect)
	}
	// The chain from zlib1g up through libapt-pkg6.0 to apt is drawn.
	if !strings.Contains(out, "libapt-pkg6.0@") || !strings.Contains(out, idOf(t, pkgs, "apt")) {
		t.Error("the chain zlib1g <- libapt-pkg6.0 <- apt is not drawn")
	}
	// libgcc-s1 <- libc6: libc6 depends on it, and it on libc6.
	if !slices.ContainsFunc(lines, func(l treeLine) bool { return l.parent == gcc && l.id == libc }) {
		t.Error("libgcc-s1's tree lacks libc6")
	}
}

// A hostile graph: every package depends on every other (cycles
// everywhere), all vulnerable. The trees stay bounded and quick.
func TestDependencyTreeBounded(t *testing.T) {
	const n = 300
	var pkgs []types.Package
	var vulns []types.DetectedVulnerability
	for i := range n {
		p := types.Package{ID: fmt.Sprintf("p%03d@1", i), Name: fmt.Sprintf("p%03d", i)}
		for j := range n {
			if j != i {
				p.DependsOn = append(p.DependsOn, fmt.Sprintf("p%03d@1", j))
			}
		}
		pkgs = append(pkgs, p)
		if i < 20 {
			vulns = append(vulns, types.DetectedVulnerability{VulnerabilityID: "CVE-1", PkgID: p.ID, Vulnerability: types.Vulnerability{Severity: "HIGH"}})
		}
	}
	start := time.Now()
	var b bytes.Buffer
	if err := dependencyTree(&b, types.Result{Target: "t", Packages: pkgs, Vulnerabilities: vulns}, Options{}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	out := b.String()
	if n := strings.Count(out, "\n"); n > 20*(maxTreeLines+2)+4 {
		t.Errorf("%d lines", n)
	}
	if strings.Count(out, "… cut at") != 20 {
		t.Errorf("every tree should say it was cut:\n%s", out[:2000])
	}
	_, lines := parseTree(t, out)
	firstLevel := 0
	for _, l := range lines {
		if l.depth > maxTreeDepth {
			t.Fatalf("line at depth %d", l.depth)
		}
		if l.depth == 1 {
			firstLevel++
		}
	}
	// However deep the first branch goes, each vulnerable package's
	// first maxTreeParents dependents are drawn, and the count of the rest.
	if firstLevel != 20*maxTreeParents || strings.Count(out, "\n    └── … and 289 more\n") != 1 {
		t.Errorf("%d packages drawn at the first level, want %d", firstLevel, 20*maxTreeParents)
	}
}

// No dependency data, no tree (as Trivy); IDs from the image are
// escaped; the vulnerable package is red when colour is on.
func TestDependencyTreeEdges(t *testing.T) {
	vuln := []types.DetectedVulnerability{{VulnerabilityID: "CVE-1", PkgID: "a@1", Vulnerability: types.Vulnerability{Severity: "HIGH"}}}
	var b bytes.Buffer
	if err := dependencyTree(&b, types.Result{Packages: []types.Package{{ID: "a@1"}, {ID: "b@1"}}, Vulnerabilities: vuln}, Options{}); err != nil || b.Len() != 0 {
		t.Errorf("no DependsOn: %q, %v", b.String(), err)
	}
	pkgs := []types.Package{{ID: "a@1"}, {ID: "evil\x1b[2J@1", DependsOn: []string{"a@1"}}}
	if err := dependencyTree(&b, types.Result{Target: "t", Packages: pkgs, Vulnerabilities: vuln}, Options{Color: true}); err != nil {
		t.Fatal(err)
	}
	want := "t\n└── \x1b[31ma@1, (UNKNOWN: 0, LOW: 0, MEDIUM: 0, HIGH: 1, CRITICAL: 0)\x1b[0m\n    └── evil\\x1b[2J@1\n"
	if !strings.HasSuffix(b.String(), want) {
		t.Errorf("got %q, want suffix %q", b.String(), want)
	}
}

// TestDependencyTreeNode: in a real npm install (express 4 beside debug
// 4), ms 2.0.0 is pulled in by the debug 2.6.9 that express, send,
// body-parser and finalhandler each nest, up to the project.
func TestDependencyTreeNode(t *testing.T) {
	res := &types.LayerResult{DiffID: "sha256:aa"}
	dir := "../merge/testdata/npm-express"
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "package.json" {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return lang.Node{}.Analyze(path.Join("app", filepath.ToSlash(rel)), b, res)
	})
	if err != nil {
		t.Fatal(err)
	}
	art := merge.Layers([]*types.LayerResult{res})
	var pkgs []types.Package
	for _, db := range art.PackageDBs {
		pkgs = append(pkgs, db.Packages...)
	}
	slices.SortFunc(pkgs, func(a, b types.Package) int { return strings.Compare(a.ID, b.ID) })
	vulns := []types.DetectedVulnerability{{VulnerabilityID: "CVE-2017-20162", PkgID: "ms@2.0.0", PkgName: "ms", Vulnerability: types.Vulnerability{Severity: "MEDIUM"}}}
	var b bytes.Buffer
	if err := dependencyTree(&b, types.Result{Target: "Node.js", Packages: pkgs, Vulnerabilities: vulns}, Options{}); err != nil {
		t.Fatal(err)
	}
	want := `
Dependency Origin Tree (Reversed)
=================================
Node.js
└── ms@2.0.0, (UNKNOWN: 0, LOW: 0, MEDIUM: 1, HIGH: 0, CRITICAL: 0)
    └── debug@2.6.9
        ├── body-parser@1.20.9
        │   └── express@4.22.3
        │       └── shop@1.0.0
        ├── express@4.22.3 (see above)
        ├── finalhandler@1.3.2
        │   └── express@4.22.3 (see above)
        └── send@0.19.2
            ├── express@4.22.3 (see above)
            └── serve-static@1.16.3
                └── express@4.22.3 (see above)
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
