package lang

import (
	"archive/zip"
	"bufio"
	"bytes"
	"path"
	"slices"
	"strings"

	"github.com/docker-scan/docker-scan/engine/families"
	"github.com/docker-scan/docker-scan/engine/types"
)

// Python reads installed distributions' metadata: *.dist-info/METADATA
// (wheels), *.egg-info/PKG-INFO and EGG-INFO/PKG-INFO (eggs), and
// *.egg-info files.
type Python struct{}

func (Python) Name() string { return "python-pkg" }
func (Python) Version() int { return 2 } // 2: DependsOn

func (Python) Wants(filePath string, size int64) bool {
	if size > maxManifestSize && !strings.HasSuffix(filePath, ".egg") {
		return false
	}
	dir, base := path.Split(filePath)
	dir = strings.TrimSuffix(dir, "/")
	switch {
	case strings.HasSuffix(base, ".egg"):
		return size <= maxEggSize
	case base == "METADATA":
		return strings.HasSuffix(dir, ".dist-info")
	case base == "PKG-INFO":
		return strings.HasSuffix(dir, ".egg-info") || path.Base(dir) == "EGG-INFO"
	}
	return strings.HasSuffix(base, ".egg-info")
}

// maxEggSize bounds the zipped eggs that are opened.
const maxEggSize = 64 << 20

func (p Python) Analyze(filePath string, content []byte, res *types.LayerResult) error {
	if strings.HasSuffix(filePath, ".egg") {
		// A zipped egg: its metadata is EGG-INFO/PKG-INFO inside.
		zr, err := zip.NewReader(bytes.NewReader(content), int64(len(content)))
		if err != nil {
			return nil
		}
		for _, f := range zr.File {
			if f.Name == "EGG-INFO/PKG-INFO" {
				if meta := readZipFile(f, maxManifestSize); meta != nil {
					return p.analyzeMetadata(filePath, meta, res)
				}
			}
		}
		return nil
	}
	return p.analyzeMetadata(filePath, content, res)
}

func (Python) analyzeMetadata(filePath string, content []byte, res *types.LayerResult) error {
	var name, version, license, expression string
	var classifiers, requires []string
	sc := bufio.NewScanner(bytes.NewReader(content))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			break // the headers end; the description follows
		}
		key, value, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		switch key {
		case "Name":
			name = value
		case "Version":
			version = value
		case "License":
			license = value
		case "License-Expression":
			expression = value
		case "Requires-Dist":
			if name, ok := requiredDistribution(value); ok && len(requires) < maxRequiresDist {
				requires = append(requires, name)
			}
		case "Classifier":
			if l, ok := strings.CutPrefix(value, "License :: OSI Approved :: "); ok {
				classifiers = append(classifiers, l)
			}
		}
	}
	if name == "" || version == "" {
		return nil
	}
	p := types.Package{ID: name + "@" + version, Name: name, Version: version, FilePath: filePath}
	switch {
	case expression != "":
		p.Licenses = splitExpression(expression)
	case license != "" && license != "UNKNOWN" && len(license) < 100:
		p.Licenses = []string{license}
	default:
		p.Licenses = classifiers
	}
	slices.Sort(requires)
	p.DependsOn = slices.Compact(requires)
	res.PackageDBs = append(res.PackageDBs, types.PackageDB{FilePath: filePath, Type: TypePython, Packages: []types.Package{p}})
	return nil
}

// maxRequiresDist bounds the requirements read from one distribution's
// metadata (real ones list tens).
const maxRequiresDist = 1000

// requiredDistribution reads a Requires-Dist value (PEP 508: "name
// [extras] (version) ; marker", or "name[extras]>=1.0; marker") and gives
// the name, normalised as PEP 503 compares names, of a distribution the
// installed one needs on Linux with CPython. A requirement of an extra
// (`; extra == "socks"`) is left out, as is one whose marker is plainly
// false there (`sys_platform == "win32"`); any other marker (a Python
// version) is kept: the requirement counts if its distribution is
// installed beside. In a layer's result DependsOn holds these names;
// merge turns them into the IDs of the distributions installed in the
// same site-packages directory (engine/merge/depends.go).
func requiredDistribution(value string) (string, bool) {
	spec, marker, _ := strings.Cut(value, ";")
	spec = strings.TrimSpace(spec)
	end := strings.IndexFunc(spec, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-')
	})
	if end < 0 {
		end = len(spec)
	}
	name := families.NormalizePyPI(spec[:end])
	if name == "" || len(name) > 200 || markerFalseOnLinux(marker) {
		return "", false
	}
	return name, true
}

// markerFalseOnLinux reports whether an environment marker is an extra's
// or, plainly, false for CPython on Linux: one clause, or clauses joined
// by "and", one of which compares sys_platform, platform_system, os_name,
// platform_python_implementation or implementation_name with a value
// Linux CPython does not have. Anything less plain ("or", parentheses) is
// taken as true.
func markerFalseOnLinux(marker string) bool {
	m := strings.ToLower(strings.ReplaceAll(marker, "'", "\""))
	if strings.Contains(m, "extra") {
		return true
	}
	if strings.TrimSpace(m) == "" || strings.Contains(m, " or ") || strings.ContainsAny(m, "()") {
		return false
	}
	linux := map[string]string{
		"sys_platform": "linux", "platform_system": "linux", "os_name": "posix",
		"platform_python_implementation": "cpython", "implementation_name": "cpython",
	}
	for _, clause := range strings.Split(m, " and ") {
		for _, op := range []string{"==", "!="} {
			variable, value, ok := strings.Cut(clause, op)
			if !ok {
				continue
			}
			have, known := linux[strings.TrimSpace(variable)]
			value = strings.TrimSpace(value)
			if !known || len(value) < 2 || value[0] != '"' || value[len(value)-1] != '"' {
				continue
			}
			if equal := strings.Trim(value, "\"") == have; equal != (op == "==") {
				return true
			}
		}
	}
	return false
}
