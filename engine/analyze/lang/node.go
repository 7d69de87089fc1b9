// Package lang finds the packages of language ecosystems installed in
// images: one small analyzer per ecosystem.
package lang

import (
	"encoding/json"
	"path"
	"strings"

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
func (Node) Version() int { return 1 }

func (Node) Wants(filePath string, size int64) bool {
	return path.Base(filePath) == "package.json" && size <= maxManifestSize
}

func (Node) Analyze(filePath string, content []byte, res *types.LayerResult) error {
	var m struct {
		Name     string          `json:"name"`
		Version  string          `json:"version"`
		License  json.RawMessage `json:"license"`
		Licenses []struct {
			Type string `json:"type"`
		} `json:"licenses"`
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
	p.Licenses = nodeLicenses(m.License)
	for _, l := range m.Licenses {
		if l.Type != "" {
			p.Licenses = append(p.Licenses, l.Type)
		}
	}
	res.PackageDBs = append(res.PackageDBs, types.PackageDB{FilePath: filePath, Type: TypeNode, Packages: []types.Package{p}})
	return nil
}

// nodeLicenses reads "license": "MIT", or the old {"type": "MIT"}.
func nodeLicenses(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if s = strings.Trim(s, "()"); s != "" {
			return splitExpression(s)
		}
		return nil
	}
	var obj struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(raw, &obj) == nil && obj.Type != "" {
		return []string{obj.Type}
	}
	return nil
}

func splitExpression(s string) []string {
	var out []string
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '(' || r == ')' }) {
		if up := strings.ToUpper(part); up != "OR" && up != "AND" {
			out = append(out, part)
		}
	}
	return out
}
