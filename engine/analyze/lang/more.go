package lang

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/docker-scan/docker-scan/engine/licensing"
	"github.com/docker-scan/docker-scan/engine/types"
)

// Package types of the analyzers below.
const (
	TypeGem      = "gemspec"
	TypeComposer = "composer"
	TypeDotnet   = "dotnet-core"
	TypeCargo    = "cargo"
)

func singleDB(res *types.LayerResult, filePath, typ string, pkgs []types.Package) {
	if len(pkgs) == 0 {
		return
	}
	for i := range pkgs {
		pkgs[i].FilePath = filePath
		if pkgs[i].ID == "" {
			pkgs[i].ID = pkgs[i].Name + "@" + pkgs[i].Version
		}
	}
	res.PackageDBs = append(res.PackageDBs, types.PackageDB{FilePath: filePath, Type: typ, Packages: pkgs})
}

// Ruby reads installed gems' specifications (specifications/*.gemspec).
type Ruby struct{}

func (Ruby) Name() string { return "gemspec" }
func (Ruby) Version() int { return 2 } // 2: licences normalised to SPDX

func (Ruby) Wants(filePath string, size int64) bool {
	return size <= maxManifestSize && strings.HasSuffix(filePath, ".gemspec") && path.Base(path.Dir(filePath)) == "specifications"
}

var (
	gemName     = regexp.MustCompile(`(?m)^\s*\w+\.name\s*=\s*["']([^"']+)["']`)
	gemVersion  = regexp.MustCompile(`(?m)^\s*\w+\.version\s*=\s*(?:Gem::Version\.new\()?["']([^"']+)["']`)
	gemLicenses = regexp.MustCompile(`(?m)^\s*\w+\.licenses?\s*=\s*\[?([^\]\n]*)`)
	quoted      = regexp.MustCompile(`["']([^"']+)["']`)
)

func (Ruby) Analyze(filePath string, content []byte, res *types.LayerResult) error {
	name, version := gemName.FindSubmatch(content), gemVersion.FindSubmatch(content)
	if name == nil || version == nil {
		return nil
	}
	p := types.Package{Name: string(name[1]), Version: string(version[1])}
	if l := gemLicenses.FindSubmatch(content); l != nil {
		var names []string
		for _, m := range quoted.FindAllSubmatch(l[1], -1) {
			names = append(names, licensing.Split(string(m[1]))...)
		}
		p.Licenses = licensing.NormalizeAll(names)
	}
	singleDB(res, filePath, TypeGem, []types.Package{p})
	return nil
}

// PHP reads Composer's record of installed packages.
type PHP struct{}

func (PHP) Name() string { return "composer" }
func (PHP) Version() int { return 2 } // 2: licences normalised to SPDX

func (PHP) Wants(filePath string, size int64) bool {
	return size <= 16<<20 && strings.HasSuffix(filePath, "vendor/composer/installed.json")
}

type composerPackage struct {
	Name    string          `json:"name"`
	Version string          `json:"version"`
	License json.RawMessage `json:"license"`
}

func (PHP) Analyze(filePath string, content []byte, res *types.LayerResult) error {
	var list []composerPackage
	if err := json.Unmarshal(content, &list); err != nil {
		// Composer 2 wraps the list: {"packages": [...]}.
		var v2 struct {
			Packages []composerPackage `json:"packages"`
		}
		if json.Unmarshal(content, &v2) != nil {
			return nil
		}
		list = v2.Packages
	}
	var pkgs []types.Package
	for _, c := range list {
		if c.Name == "" || c.Version == "" {
			continue
		}
		p := types.Package{Name: c.Name, Version: strings.TrimPrefix(c.Version, "v")}
		p.Licenses = composerLicenses(c.License)
		pkgs = append(pkgs, p)
	}
	singleDB(res, filePath, TypeComposer, pkgs)
	return nil
}

// composerLicenses reads a package's "license": a list of names (each
// kept whole: Composer lists the alternatives of a disjunction), or, as
// older packages write it, one string that may name several
// ("MIT, BSD-3-Clause"); each normalised to SPDX.
func composerLicenses(raw json.RawMessage) []string {
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return licensing.NormalizeAll(list)
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return licensing.NormalizeAll(licensing.Split(one))
	}
	return nil
}

// Dotnet reads .NET applications' dependency files (*.deps.json).
type Dotnet struct{}

func (Dotnet) Name() string { return "dotnet-deps" }
func (Dotnet) Version() int { return 2 }

func (Dotnet) Wants(filePath string, size int64) bool {
	return size <= 16<<20 && strings.HasSuffix(filePath, ".deps.json")
}

// dotnetTarget is one library of a deps.json target: the libraries it
// depends on, name to version.
type dotnetTarget struct {
	Dependencies map[string]string `json:"dependencies"`
}

func (Dotnet) Analyze(filePath string, content []byte, res *types.LayerResult) error {
	var deps struct {
		RuntimeTarget struct {
			Name string `json:"name"`
		} `json:"runtimeTarget"`
		Targets   map[string]map[string]dotnetTarget `json:"targets"`
		Libraries map[string]struct {
			Type string `json:"type"`
		} `json:"libraries"`
	}
	if json.Unmarshal(content, &deps) != nil {
		return nil
	}
	var pkgs []types.Package
	var projects []string
	for key, lib := range deps.Libraries {
		name, version, ok := strings.Cut(key, "/")
		if ok && strings.EqualFold(lib.Type, "project") {
			projects = append(projects, key)
		}
		if !ok || lib.Type != "package" {
			continue // "project" entries are the application itself
		}
		pkgs = append(pkgs, types.Package{Name: name, Version: version})
	}
	// Direct or indirect, as Trivy tells them: the dependencies of the
	// root project (the one project no library of the runtime target
	// depends on) are direct, the other packages indirect. Without a
	// single root, or a root without dependencies, unknown.
	target := deps.Targets[deps.RuntimeTarget.Name]
	if direct := dotnetDirect(target, projects); len(direct) > 0 {
		for i := range pkgs {
			pkgs[i].Relationship, pkgs[i].Indirect = types.RelationshipIndirect, true
			if direct[pkgs[i].Name+"/"+pkgs[i].Version] {
				pkgs[i].Relationship, pkgs[i].Indirect = types.RelationshipDirect, false
			}
		}
	}
	sortPackages(pkgs)
	singleDB(res, filePath, TypeDotnet, pkgs)
	return nil
}

// dotnetDirect is the set of "name/version" libraries the root project of
// a runtime target depends on: the root is the one project that no library
// of the target depends on; none if there is not exactly one.
func dotnetDirect(target map[string]dotnetTarget, projects []string) map[string]bool {
	referenced := map[string]bool{}
	for _, lib := range target {
		for name, version := range lib.Dependencies {
			referenced[name+"/"+version] = true
		}
	}
	var roots []string
	for _, p := range projects {
		if !referenced[p] {
			roots = append(roots, p)
		}
	}
	if len(roots) != 1 {
		return nil
	}
	direct := map[string]bool{}
	for name, version := range target[roots[0]].Dependencies {
		direct[name+"/"+version] = true
	}
	return direct
}

// Cargo reads Rust lock files (Cargo.lock).
type Cargo struct{}

func (Cargo) Name() string { return "cargo" }
func (Cargo) Version() int { return 1 }

func (Cargo) Wants(filePath string, size int64) bool {
	return size <= 16<<20 && path.Base(filePath) == "Cargo.lock"
}

// Analyze reads the [[package]] tables of the lock file; their name and
// version keys are plain `key = "value"` lines.
func (Cargo) Analyze(filePath string, content []byte, res *types.LayerResult) error {
	var pkgs []types.Package
	var cur *types.Package
	sc := bufio.NewScanner(bytes.NewReader(content))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			cur = nil
			if line == "[[package]]" {
				pkgs = append(pkgs, types.Package{})
				cur = &pkgs[len(pkgs)-1]
			}
			continue
		}
		if cur == nil {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		value = strings.Trim(strings.TrimSpace(value), `"`)
		switch strings.TrimSpace(key) {
		case "name":
			cur.Name = value
		case "version":
			cur.Version = value
		}
	}
	valid := pkgs[:0]
	for _, p := range pkgs {
		if p.Name != "" && p.Version != "" {
			valid = append(valid, p)
		}
	}
	singleDB(res, filePath, TypeCargo, valid)
	return nil
}

// sortPackages orders packages read from a map, so that results do not
// depend on map order.
func sortPackages(pkgs []types.Package) {
	slices.SortFunc(pkgs, func(a, b types.Package) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Version, b.Version))
	})
}

// TypeConda is the package type of conda environments' packages.
const TypeConda = "conda-pkg"

// Conda lists the packages of conda environments (conda-meta/*.json). They
// are inventoried, not matched: the DB has no conda advisories.
type Conda struct{}

func (Conda) Name() string { return "conda-pkg" }
func (Conda) Version() int { return 2 } // 2: licences normalised to SPDX

func (Conda) Wants(filePath string, size int64) bool {
	return size <= maxManifestSize && path.Base(path.Dir(filePath)) == "conda-meta" && strings.HasSuffix(filePath, ".json")
}

func (Conda) Analyze(filePath string, content []byte, res *types.LayerResult) error {
	var m struct {
		Name    string `json:"name"`
		Version string `json:"version"`
		License string `json:"license"`
	}
	if json.Unmarshal(content, &m) != nil || m.Name == "" || m.Version == "" {
		return nil
	}
	p := types.Package{Name: m.Name, Version: m.Version}
	p.Licenses = licensing.NormalizeAll(licensing.Split(m.License))
	singleDB(res, filePath, TypeConda, []types.Package{p})
	return nil
}
