package lang

import (
	"archive/zip"
	"bufio"
	"bytes"
	"io"
	"path"
	"regexp"
	"strings"

	"github.com/docker-scan/docker-scan/engine/types"
)

// TypeJar is the package type of Java archives.
const TypeJar = "jar"

// Limits on archives inside archives (fat jars, wars).
const (
	maxNestedDepth = 3
	maxNestedSize  = 64 << 20
)

// Java reads Java archives (.jar, .war, .ear, .par) and the archives inside
// them: each Maven artifact from META-INF/maven/**/pom.properties (shaded
// jars hold several), else from MANIFEST.MF, else from the file name.
type Java struct{}

func (Java) Name() string { return "jar" }
func (Java) Version() int { return 1 }

func (Java) Wants(filePath string, _ int64) bool {
	return isJavaArchive(filePath)
}

func isJavaArchive(p string) bool {
	switch strings.ToLower(path.Ext(p)) {
	case ".jar", ".war", ".ear", ".par":
		return true
	}
	return false
}

func (Java) Analyze(filePath string, content []byte, res *types.LayerResult) error {
	pkgs := javaPackages(filePath, content, 0)
	for i := range pkgs {
		pkgs[i].FilePath = filePath
	}
	if len(pkgs) > 0 {
		res.PackageDBs = append(res.PackageDBs, types.PackageDB{FilePath: filePath, Type: TypeJar, Packages: pkgs})
	}
	return nil
}

// javaPackages lists the artifacts of one archive and of those inside it.
// An archive that is not a valid zip yields nothing: jars are often
// truncated or stubs in images, which is no reason to fail a scan.
func javaPackages(name string, content []byte, depth int) []types.Package {
	zr, err := zip.NewReader(bytes.NewReader(content), int64(len(content)))
	if err != nil {
		return nil
	}
	var out, nested []types.Package
	var manifest []byte
	for _, f := range zr.File {
		switch {
		case strings.HasPrefix(f.Name, "META-INF/maven/") && path.Base(f.Name) == "pom.properties":
			if p, ok := pomProperties(readZipFile(f, 1<<20)); ok {
				out = append(out, p)
			}
		case f.Name == "META-INF/MANIFEST.MF":
			manifest = readZipFile(f, 1<<20)
		case isJavaArchive(f.Name) && depth < maxNestedDepth && f.UncompressedSize64 <= maxNestedSize:
			if inner := readZipFile(f, maxNestedSize); inner != nil {
				nested = append(nested, javaPackages(f.Name, inner, depth+1)...)
			}
		}
	}
	if len(out) == 0 {
		if p, ok := manifestPackage(manifest); ok {
			out = append(out, p)
		} else if p, ok := fileNamePackage(name); ok {
			out = append(out, p)
		}
	}
	return append(out, nested...)
}

func readZipFile(f *zip.File, limit int64) []byte {
	rc, err := f.Open()
	if err != nil {
		return nil
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil || int64(len(b)) > limit {
		return nil
	}
	return b
}

func javaPackage(group, artifact, version string) types.Package {
	name := artifact
	if group != "" {
		name = group + ":" + artifact
	}
	return types.Package{ID: name + "@" + version, Name: name, Version: version}
}

func properties(content []byte) map[string]string {
	props := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(content))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok {
			props[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return props
}

func pomProperties(content []byte) (types.Package, bool) {
	p := properties(content)
	if p["artifactId"] == "" || p["version"] == "" {
		return types.Package{}, false
	}
	return javaPackage(p["groupId"], p["artifactId"], p["version"]), true
}

// manifestPackage reads MANIFEST.MF ("Key: value" lines, continuation
// lines starting with a space).
func manifestPackage(content []byte) (types.Package, bool) {
	if content == nil {
		return types.Package{}, false
	}
	m := map[string]string{}
	last := ""
	sc := bufio.NewScanner(bytes.NewReader(content))
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.HasPrefix(line, " ") && last != "" {
			m[last] += line[1:]
			continue
		}
		if k, v, ok := strings.Cut(line, ": "); ok {
			m[k], last = v, k
		}
	}
	switch {
	case m["Implementation-Title"] != "" && m["Implementation-Version"] != "":
		return javaPackage(m["Implementation-Vendor-Id"], m["Implementation-Title"], m["Implementation-Version"]), true
	case m["Bundle-SymbolicName"] != "" && m["Bundle-Version"] != "":
		name, _, _ := strings.Cut(m["Bundle-SymbolicName"], ";")
		return javaPackage("", name, m["Bundle-Version"]), true
	}
	return types.Package{}, false
}

var jarFileName = regexp.MustCompile(`^(.+?)-(\d[\w.\-]*)\.[jwep]ar$`)

func fileNamePackage(name string) (types.Package, bool) {
	m := jarFileName.FindStringSubmatch(path.Base(name))
	if m == nil {
		return types.Package{}, false
	}
	return javaPackage("", m[1], m[2]), true
}
