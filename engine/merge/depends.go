package merge

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/docker-scan/docker-scan/engine/families"
	"github.com/docker-scan/docker-scan/engine/types"
)

// Package types whose analyzers read one manifest at a time and so cannot
// know which installed package a dependency is: in a layer's result their
// DependsOn holds the names the manifest requires (npm names; PEP 503
// normalised Python names), resolved here, once every layer is applied,
// to the IDs of the packages the runtime would load.
const (
	nodeType   = "node-pkg"
	pythonType = "python-pkg"
)

// Bounds on the work of resolving: the directories walked up from a
// package in search of a node_modules that has a dependency (real trees
// nest a few tens deep), and the lookups for the whole image (a real
// image with 10,000 npm packages needs a few hundred thousand; a crafted one
// could ask for billions).
const (
	maxNodeLookupDepth = 128
	dependsIssuer      = "dependency-graph"
)

// maxDependencyLookups is a variable for the tests' sake only.
var maxDependencyLookups = 4_000_000

// resolveLanguageDepends turns the dependency names of node and Python
// packages into package IDs; a name no visible package satisfies (not
// installed, or a devDependency) is left out, as is the package itself.
//
//   - npm: as Node's require() finds a package: in node_modules of the
//     dependent's directory, then of each directory above it (directories
//     named node_modules are skipped, as Node skips them).
//   - Python: the distribution of that normalised name in the same
//     site-packages (or dist-packages) directory.
//
// Past maxDependencyLookups the remaining names are left out, and the
// returned issue says so.
func resolveLanguageDepends(dbs []types.PackageDB) []types.AnalysisIssue {
	nodeIDs := map[string]string{}      // package.json path -> ID
	pythonIDs := map[[2]string]string{} // site directory, normalised name -> ID
	for _, db := range dbs {
		for _, p := range db.Packages {
			switch db.Type {
			case nodeType:
				nodeIDs[packageFile(db, p)] = p.ID
			case pythonType:
				k := [2]string{pythonSite(packageFile(db, p)), families.NormalizePyPI(p.Name)}
				if _, ok := pythonIDs[k]; !ok {
					pythonIDs[k] = p.ID
				}
			}
		}
	}
	budget := maxDependencyLookups
	var issues []types.AnalysisIssue
	for _, db := range dbs {
		if db.Type != nodeType && db.Type != pythonType {
			continue
		}
		for i := range db.Packages {
			p := &db.Packages[i]
			file := packageFile(db, *p)
			var deps []string
			for _, name := range p.DependsOn {
				if budget <= 0 {
					if issues == nil {
						issues = append(issues, types.AnalysisIssue{Analyzer: dependsIssuer, FilePath: file,
							Reason: fmt.Sprintf("dependencies were resolved for the first %d lookups only; the rest are left out", maxDependencyLookups)})
					}
					break
				}
				var id string
				var ok bool
				if db.Type == nodeType {
					id, ok = nodeModule(nodeIDs, path.Dir(file), name, &budget)
				} else {
					budget--
					id, ok = pythonIDs[[2]string{pythonSite(file), name}]
				}
				if ok && id != p.ID {
					deps = append(deps, id)
				}
			}
			slices.Sort(deps)
			// A new slice: the layer's result keeps its names.
			p.DependsOn = slices.Compact(deps)
		}
	}
	return issues
}

func packageFile(db types.PackageDB, p types.Package) string {
	if p.FilePath != "" {
		return p.FilePath
	}
	return db.FilePath
}

// nodeModule finds the package.json Node loads for require(name) from a
// module in dir.
// Each lookup is charged to budget.
func nodeModule(ids map[string]string, dir, name string, budget *int) (string, bool) {
	for range maxNodeLookupDepth {
		if path.Base(dir) != "node_modules" {
			*budget--
			file := "node_modules/" + name + "/package.json"
			if dir != "." && dir != "" {
				file = dir + "/" + file // dir is clean: path.Dir made it
			}
			if id, ok := ids[file]; ok {
				return id, true
			}
		}
		if dir == "." || dir == "/" || dir == "" {
			break
		}
		dir = path.Dir(dir)
	}
	return "", false
}

// pythonSite is the directory a distribution is installed in, from the
// path of its metadata: X/foo-1.0.dist-info/METADATA, X/foo.egg-info/PKG-INFO,
// X/foo.egg/EGG-INFO/PKG-INFO, X/foo.egg-info and X/foo.egg are all in X.
func pythonSite(file string) string {
	dir := path.Dir(file)
	switch {
	case strings.HasSuffix(file, ".egg-info"), strings.HasSuffix(file, ".egg"):
		return dir
	case path.Base(dir) == "EGG-INFO":
		return path.Dir(path.Dir(dir))
	}
	return path.Dir(dir)
}
