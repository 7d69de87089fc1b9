package merge

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker-scan/docker-scan/engine/analyze/lang"
	"github.com/docker-scan/docker-scan/engine/types"
)

// analyzeTree runs an analyzer over every file of a testdata directory it
// wants, as the files of one layer under prefix.
func analyzeTree(t *testing.T, a interface {
	Wants(string, int64) bool
	Analyze(string, []byte, *types.LayerResult) error
}, dir, prefix string, res *types.LayerResult) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		name := path.Join(prefix, filepath.ToSlash(rel))
		b, err := os.ReadFile(p)
		if err != nil || !a.Wants(name, int64(len(b))) {
			return err
		}
		return a.Analyze(name, b, res)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func dependsByID(art types.Artifact, typ string) map[string][]string {
	out := map[string][]string{}
	for _, db := range art.PackageDBs {
		if db.Type != typ {
			continue
		}
		for _, p := range db.Packages {
			out[p.ID] = p.DependsOn
		}
	}
	return out
}

// TestNodeDependsOn: the packages of a real npm install depend on the
// packages Node loads for them, which is what npm's own tree says: the
// project on debug 4, express on the debug 2.6.9 nested under it, and
// that debug on the ms nested under it or hoisted, wherever it is.
func TestNodeDependsOn(t *testing.T) {
	res := &types.LayerResult{DiffID: "sha256:aa"}
	analyzeTree(t, lang.Node{}, "testdata/npm-express", "app", res)
	art := Layers([]*types.LayerResult{res})
	got := dependsByID(art, lang.TypeNode)
	if len(got) < 70 {
		t.Fatalf("%d node packages", len(got))
	}

	// npm's tree: each package's dependencies as npm resolved them.
	b, err := os.ReadFile("testdata/npm-express/npm-ls.json")
	if err != nil {
		t.Fatal(err)
	}
	type node struct {
		Name         string           `json:"name"`
		Version      string           `json:"version"`
		Missing      bool             `json:"missing"`
		Dependencies map[string]*node `json:"dependencies"`
	}
	var root node
	if err := json.Unmarshal(b, &root); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{}
	var walk func(id string, n *node)
	walk = func(id string, n *node) {
		if _, seen := want[id]; !seen {
			want[id] = []string{}
		}
		for name, c := range n.Dependencies {
			if c.Missing || c.Version == "" {
				continue
			}
			cid := name + "@" + c.Version
			if !slices.Contains(want[id], cid) {
				want[id] = append(want[id], cid)
			}
			walk(cid, c)
		}
	}
	walk(root.Name+"@"+root.Version, &root)
	if len(want) != len(got) {
		t.Errorf("npm lists %d packages, we %d", len(want), len(got))
	}
	for id, deps := range want {
		slices.Sort(deps)
		if g, ok := got[id]; !ok || !slices.Equal(g, deps) && !(len(g) == 0 && len(deps) == 0) {
			t.Errorf("%s depends on %q; npm says %q", id, g, deps)
		}
	}
	for id, deps := range map[string][]string{
		"shop@1.0.0":  {"debug@4.4.3", "express@4.22.3"},
		"debug@4.4.3": {"ms@2.1.3"},
		"debug@2.6.9": {"ms@2.0.0"},
	} {
		if !slices.Equal(got[id], deps) {
			t.Errorf("%s depends on %q, want %q", id, got[id], deps)
		}
	}
	if !slices.Contains(got["express@4.22.3"], "debug@2.6.9") || slices.Contains(got["express@4.22.3"], "debug@4.4.3") {
		t.Errorf("express depends on %q: not its nested debug 2.6.9", got["express@4.22.3"])
	}
	// The layer's result keeps the names it was analyzed with.
	for _, db := range res.PackageDBs {
		if db.FilePath == "app/node_modules/express/package.json" && !slices.Contains(db.Packages[0].DependsOn, "debug") {
			t.Errorf("the layer result was changed: %q", db.Packages[0].DependsOn)
		}
	}
}

// TestNodeLookup: Node's walk up the directories, node_modules
// directories skipped, scoped names, nothing outside the tree.
func TestNodeLookup(t *testing.T) {
	ids := map[string]string{
		"node_modules/top/package.json":                        "top@1",
		"app/node_modules/@scope/x/package.json":               "@scope/x@1",
		"app/node_modules/a/node_modules/b/package.json":       "b@2",
		"app/node_modules/b/package.json":                      "b@1",
		"app/node_modules/a/node_modules/b/node_modules/c/p.j": "none",
	}
	for _, tt := range []struct{ dir, name, want string }{
		{"app/node_modules/a", "b", "b@2"},
		{"app/node_modules/a/node_modules/b", "b", "b@2"}, // its own parent's node_modules
		{"app/node_modules/c", "b", "b@1"},
		{"app/node_modules/c", "@scope/x", "@scope/x@1"},
		{"app", "top", "top@1"},
		{"app/node_modules/c", "missing", ""},
		{"other", "b", ""},
	} {
		budget := 1000
		if got, _ := nodeModule(ids, tt.dir, tt.name, &budget); got != tt.want {
			t.Errorf("require(%q) from %s = %q, want %q", tt.name, tt.dir, got, tt.want)
		}
	}
}

// TestPythonDependsOn: distributions of real Debian packages and a venv
// depend on the distributions installed beside them that their
// Requires-Dist names (extras and the requirements of old Pythons left
// out, names compared as PEP 503 says: rich's "pygments" is Pygments),
// never on those of another site-packages directory.
func TestPythonDependsOn(t *testing.T) {
	res := &types.LayerResult{DiffID: "sha256:bb"}
	analyzeTree(t, lang.Python{}, "testdata/python", "", res)
	art := Layers([]*types.LayerResult{res})
	got := map[string][]string{} // file path -> DependsOn
	for _, db := range art.PackageDBs {
		for _, p := range db.Packages {
			got[db.FilePath] = p.DependsOn
		}
	}
	site, venv := "usr/lib/python3/dist-packages/", "opt/venv/lib/python3.11/site-packages/"
	want := map[string][]string{
		site + "rich-13.3.1.dist-info/METADATA":          {"Pygments@2.14.0", "markdown-it-py@2.1.0"},
		site + "markdown_it_py-2.1.0.dist-info/METADATA": {"mdurl@0.1.2"},
		site + "jsonschema-4.10.3.dist-info/METADATA":    {"attrs@22.2.0", "pyrsistent@0.18.1"},
		site + "httplib2-0.20.4.dist-info/METADATA":      {"pyparsing@3.0.9"},
		site + "cryptography-38.0.4.dist-info/METADATA":  nil, // extras only
		site + "Pygments-2.14.0.egg-info/PKG-INFO":       nil,
		venv + "httplib2-0.20.4.dist-info/METADATA":      nil, // pyparsing is not in the venv
		venv + "setuptools-66.1.1.dist-info/METADATA":    nil,
		venv + "pip-23.0.1.dist-info/METADATA":           nil,
		site + "attrs-22.2.0.dist-info/METADATA":         nil,
		site + "pyrsistent-0.18.1.egg-info/PKG-INFO":     nil,
		site + "mdurl-0.1.2.dist-info/METADATA":          nil,
		site + "pyparsing-3.0.9.dist-info/METADATA":      nil,
	}
	if len(got) != len(want) {
		t.Errorf("%d distributions, want %d", len(got), len(want))
	}
	for file, deps := range want {
		if g, ok := got[file]; !ok || !slices.Equal(g, deps) {
			t.Errorf("%s depends on %q, want %q", file, g, deps)
		}
	}

	// Python's own reading of the same directories, where this host has
	// a Python with pip: every requirement whose marker holds here and
	// whose distribution is installed in the same directory.
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3 to compare with")
	}
	script := `
import json, sys, importlib.metadata as md
from pip._vendor.packaging.requirements import Requirement
from pip._vendor.packaging.utils import canonicalize_name
result = {}
for site in sys.argv[1:]:
    dists = {canonicalize_name(d.metadata["Name"]): d for d in md.distributions(path=[site])}
    out = result.setdefault(site, {})
    for name, d in dists.items():
        deps = set()
        for r in d.requires or []:
            req = Requirement(r)
            if req.marker and not req.marker.evaluate({"extra": ""}):
                continue
            n = canonicalize_name(req.name)
            if n in dists and n != name:
                deps.add(dists[n].metadata["Name"] + "@" + dists[n].version)
        out[d.metadata["Name"] + "@" + d.version] = sorted(deps)
print(json.dumps(result))
`
	root := "testdata/python/"
	out, err := exec.Command(python, "-c", script, root+site, root+venv).Output()
	if err != nil {
		t.Skipf("python3 with pip's packaging could not read the directories (%v): not compared", err)
	}
	var oracles map[string]map[string][]string
	if err := json.Unmarshal(out, &oracles); err != nil {
		t.Fatal(err)
	}
	if len(oracles[root+site]["rich@13.3.1"]) != 2 {
		t.Fatalf("importlib's reading of rich: %q", oracles[root+site]["rich@13.3.1"])
	}
	for _, dir := range []string{site, venv} {
		oracle := oracles[root+dir]
		ours := map[string][]string{}
		for file, deps := range got {
			if strings.HasPrefix(file, dir) {
				for _, db := range art.PackageDBs {
					if db.FilePath == file {
						ours[db.Packages[0].ID] = append([]string{}, deps...)
					}
				}
			}
		}
		for id, deps := range oracle {
			if !slices.Equal(ours[id], deps) && len(ours[id])+len(deps) > 0 {
				t.Errorf("%s%s: DependsOn %q, Python's importlib %q", dir, id, ours[id], deps)
			}
		}
		if len(oracle) != len(ours) {
			t.Errorf("%s: importlib lists %d distributions, we %d", dir, len(oracle), len(ours))
		}
	}
}

// A crafted tree: many packages, each naming many dependencies from deep
// directories. Resolution stops at its budget, says so, and stays quick.
func TestLanguageDependsBounded(t *testing.T) {
	deep := strings.Repeat("d/", 100)
	var names []string
	for i := range 2000 {
		names = append(names, fmt.Sprintf("n%d", i))
	}
	var dbs []types.PackageDB
	for i := range 100 {
		file := fmt.Sprintf("%sp%d/package.json", deep, i)
		dbs = append(dbs, types.PackageDB{FilePath: file, Type: nodeType, Packages: []types.Package{{ID: fmt.Sprintf("p%d@1", i), FilePath: file, DependsOn: names}}})
	}
	dbs = append(dbs, types.PackageDB{FilePath: "node_modules/n5/package.json", Type: nodeType, Packages: []types.Package{{ID: "n5@1", FilePath: "node_modules/n5/package.json"}}})
	defer func(n int) { maxDependencyLookups = n }(maxDependencyLookups)
	maxDependencyLookups = 200_000 // a twentieth: the test stays quick
	start := time.Now()
	issues := resolveLanguageDepends(dbs)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	if len(issues) != 1 || issues[0].Analyzer != dependsIssuer {
		t.Errorf("issues %+v", issues)
	}
	if !slices.Equal(dbs[0].Packages[0].DependsOn, []string{"n5@1"}) || len(dbs[99].Packages[0].DependsOn) != 0 {
		t.Errorf("first package depends on %q, last on %q", dbs[0].Packages[0].DependsOn, dbs[99].Packages[0].DependsOn)
	}
}
