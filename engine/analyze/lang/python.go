package lang

import (
	"archive/zip"
	"bufio"
	"bytes"
	"net/textproto"
	"path"
	"slices"
	"strings"

	"github.com/docker-scan/docker-scan/engine/families"
	"github.com/docker-scan/docker-scan/engine/licensing"
	"github.com/docker-scan/docker-scan/engine/types"
)

// Python reads installed distributions' metadata: *.dist-info/METADATA
// (wheels), *.egg-info/PKG-INFO and EGG-INFO/PKG-INFO (eggs), and
// *.egg-info files.
type Python struct{}

func (Python) Name() string { return "python-pkg" }
func (Python) Version() int { return 3 } // 2: DependsOn; 3: licences chosen and normalised as Trivy does

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
	h := readMetadataHeaders(content)
	name, version := h.first("Name"), h.first("Version")
	if name == "" || version == "" {
		return nil
	}
	var requires []string
	for _, value := range h.all("Requires-Dist") {
		if name, ok := requiredDistribution(value); ok && len(requires) < maxRequiresDist {
			requires = append(requires, name)
		}
	}
	p := types.Package{ID: name + "@" + version, Name: name, Version: version, FilePath: filePath}
	p.Licenses = licensing.NormalizeAll(licensing.Split(pythonLicense(h)))
	slices.Sort(requires)
	p.DependsOn = slices.Compact(requires)
	res.PackageDBs = append(res.PackageDBs, types.PackageDB{FilePath: filePath, Type: TypePython, Packages: []types.Package{p}})
	return nil
}

// pythonLicense is the licence field of a distribution's metadata, as
// Trivy chooses it: License-Expression (PEP 639) when there is one, else
// the licences of its "License :: ..." classifiers (the last part of
// each, "MIT License"; the bare "OSI Approved" names none) joined by
// ", ", else the License field, which may be a name ("BSD"), the word
// UNKNOWN that old setuptools wrote, or a whole licence text.
func pythonLicense(h metadataHeaders) string {
	if e := h.first("License-Expression"); e != "" {
		return e
	}
	var names []string
	for _, c := range h.all("Classifier") {
		if !strings.HasPrefix(c, "License :: ") {
			continue
		}
		parts := strings.Split(c, " :: ")
		if n := parts[len(parts)-1]; n != "OSI Approved" {
			names = append(names, n)
		}
	}
	if len(names) > 0 {
		return strings.Join(names, ", ")
	}
	return h.first("License")
}

// Bounds on what is read of a metadata file's headers: real ones have a
// few dozen, a licence text folded into the License header a few KiB.
const (
	maxMetadataHeaders    = 2000
	maxMetadataValueBytes = 64 << 10
)

// metadataHeaders are the headers of core metadata (an RFC 822 header
// block: "Key: value", a line starting with a space or a tab continuing
// the value before it), by key as net/textproto canonicalises it.
type metadataHeaders map[string][]string

func (h metadataHeaders) first(key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (h metadataHeaders) all(key string) []string { return h[key] }

// readMetadataHeaders reads the headers up to the first empty line (the
// description follows). A line that is neither a header nor a
// continuation is skipped.
func readMetadataHeaders(content []byte) metadataHeaders {
	h := metadataHeaders{}
	var lastKey string
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(content))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() && n < maxMetadataHeaders {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			if vals := h[lastKey]; lastKey != "" && len(vals) > 0 {
				last := &vals[len(vals)-1]
				if cont := strings.TrimSpace(line); cont != "" && len(*last)+1+len(cont) <= maxMetadataValueBytes {
					*last = strings.TrimSpace(*last + " " + cont)
				}
			}
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok || key == "" || strings.ContainsAny(key, " \t") {
			lastKey = ""
			continue
		}
		lastKey = textproto.CanonicalMIMEHeaderKey(key)
		h[lastKey] = append(h[lastKey], strings.TrimSpace(value))
		n++
	}
	return h
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
