package lang

import (
	"archive/zip"
	"bufio"
	"bytes"
	"path"
	"strings"

	"github.com/docker-scan/docker-scan/engine/types"
)

// Python reads installed distributions' metadata: *.dist-info/METADATA
// (wheels), *.egg-info/PKG-INFO and EGG-INFO/PKG-INFO (eggs), and
// *.egg-info files.
type Python struct{}

func (Python) Name() string { return "python-pkg" }
func (Python) Version() int { return 1 }

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
	var classifiers []string
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
	res.PackageDBs = append(res.PackageDBs, types.PackageDB{FilePath: filePath, Type: TypePython, Packages: []types.Package{p}})
	return nil
}
