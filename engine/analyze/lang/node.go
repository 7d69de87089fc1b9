// Package lang finds the packages of language ecosystems installed in
// images: one small analyzer per ecosystem.
package lang

import (
	"encoding/json"
	"path"
	"slices"
	"strings"

	"github.com/docker-scan/docker-scan/engine/licensing"
	"github.com/docker-scan/docker-scan/engine/types"
)

// Package types of the language analyzers, as reports name them.
const (
	TypeNode   = "node-pkg"
	TypePython = "python-pkg"
)

const maxManifestSize = 1 << 20

// Node reads every package.json: the packages under node_modules and the
// applications themselves.
type Node struct{}

func (Node) Name() string { return "node-pkg" }
func (Node) Version() int { return 3 } // 2: DependsOn; 3: licences as Trivy reads them, normalised

func (Node) Wants(filePath string, size int64) bool {
	return path.Base(filePath) == "package.json" && size <= maxManifestSize
}

func (Node) Analyze(filePath string, content []byte, res *types.LayerResult) error {
	var m struct {
		Name                 string          `json:"name"`
		Version              string          `json:"version"`
		License              json.RawMessage `json:"license"`
		Licenses             json.RawMessage `json:"licenses"`
		Dependencies         json.RawMessage `json:"dependencies"`
		OptionalDependencies json.RawMessage `json:"optionalDependencies"`
		PeerDependencies     json.RawMessage `json:"peerDependencies"`
	}
	if err := json.Unmarshal(content, &m); err != nil {
		// Templates and test fixtures named package.json are common; a
		// file that is not JSON is not a package.
		return nil
	}
	if m.Name == "" || m.Version == "" {
		return nil
	}
	p := types.Package{ID: m.Name + "@" + m.Version, Name: m.Name, Version: m.Version, FilePath: filePath}
	p.Licenses = nodeLicenses(m.License, m.Licenses)
	p.DependsOn = nodeDependencyNames(m.Dependencies, m.OptionalDependencies, m.PeerDependencies)
	res.PackageDBs = append(res.PackageDBs, types.PackageDB{FilePath: filePath, Type: TypeNode, Packages: []types.Package{p}})
	return nil
}

// maxNodeDependencies bounds the names read from one package.json (the
// largest real ones list a few hundred).
const maxNodeDependencies = 2000

// nodeDependencyNames lists the names of the packages a package.json
// needs at run time (dependencies, optionalDependencies and
// peerDependencies; devDependencies are not installed with a package),
// sorted, each once. In a layer's result DependsOn holds these names:
// which installed package each resolves to depends on where the others
// are, which merge knows (Node's node_modules lookup, in
// engine/merge/depends.go), and there they become package IDs. A value
// that is not an object (old manifests have arrays) adds nothing, and a
// name that is not an npm package name is left out: it is joined into
// paths.
func nodeDependencyNames(fields ...json.RawMessage) []string {
	var names []string
	for _, raw := range fields {
		var deps map[string]json.RawMessage
		if len(raw) == 0 || json.Unmarshal(raw, &deps) != nil {
			continue
		}
		for name := range deps {
			if validNodeName(name) && len(names) < maxNodeDependencies {
				names = append(names, name)
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// validNodeName reports whether name can be an npm package's name, one
// path segment or a scope and one ("@types/node"), and nothing a path
// would read as a step elsewhere.
func validNodeName(name string) bool {
	if name == "" || len(name) > 214 || strings.ContainsAny(name, "\\\x00") {
		return false
	}
	scope, rest, scoped := strings.Cut(name, "/")
	if !scoped {
		scope, rest = "", name
	} else if len(scope) < 2 || scope[0] != '@' || scope[1] == '.' {
		return false
	}
	return rest != "" && rest[0] != '.' && rest[0] != '@' && !strings.Contains(rest, "/")
}

// nodeLicenses reads the licences a package.json declares: "license" as
// npm documents it (an SPDX expression: "MIT", "(MIT OR Apache-2.0)",
// kept whole as Trivy keeps it), or in its old forms, an object
// {"type": "MIT", "url": ...} or a list of them; failing that, the older
// "licenses" list (objects or names), which Trivy v0.74 does not read (it
// reports no licence for those packages; the licence is there, so we
// report it). Each is normalised to SPDX.
func nodeLicenses(license, licenses json.RawMessage) []string {
	names := nodeLicenseNames(license)
	if len(names) == 0 {
		names = nodeLicenseNames(licenses)
	}
	return licensing.NormalizeAll(names)
}

// maxNodeLicenses bounds the names read from one list.
const maxNodeLicenses = 100

// nodeLicenseNames reads a name, an object with a "type", or a list of
// either.
func nodeLicenseNames(raw json.RawMessage) []string {
	type licenseObject struct {
		Type string `json:"type"`
	}
	if len(raw) == 0 {
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return nonEmpty(s)
	}
	var obj licenseObject
	if json.Unmarshal(raw, &obj) == nil {
		return nonEmpty(obj.Type)
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		return nil
	}
	var names []string
	for _, e := range list {
		if len(names) == maxNodeLicenses {
			break
		}
		if json.Unmarshal(e, &s) == nil {
			names = append(names, nonEmpty(s)...)
		} else if json.Unmarshal(e, &obj) == nil {
			names = append(names, nonEmpty(obj.Type)...)
		}
	}
	return names
}

func nonEmpty(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	return []string{s}
}
