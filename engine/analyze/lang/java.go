package lang

import (
	"archive/zip"
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"io"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/docker-scan/docker-scan/engine/licensing"
	"github.com/docker-scan/docker-scan/engine/types"
)

// TypeJar is the package type of Java archives.
const TypeJar = "jar"

// Limits on archives inside archives (fat jars, wars), and on the work
// one jar may cause: what is inflated, nested jars included, is charged to
// one budget per top-level archive.
const (
	maxNestedDepth = 3
	maxNestedSize  = 64 << 20
	maxJarInflate  = 256 << 20
	maxJarEntries  = 1 << 18
)

// Java reads Java archives (.jar, .war, .ear, .par) and the archives inside
// them: each Maven artifact from META-INF/maven/**/pom.properties (shaded
// jars hold several), else from MANIFEST.MF, else from the file name.
type Java struct{}

func (Java) Name() string { return "jar" }
func (Java) Version() int { return 3 } // 3: licences (pom.xml, MANIFEST.MF), normalised

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

func (j Java) Analyze(filePath string, content []byte, res *types.LayerResult) error {
	defer recoverIssue(j.Name(), filePath, res)
	w := &jarWork{left: maxJarInflate}
	pkgs := w.packages(filePath, content, 0)
	for i := range pkgs {
		pkgs[i].FilePath = filePath
		pkgs[i].Licenses = licensing.NormalizeAll(pkgs[i].Licenses)
	}
	if len(pkgs) > 0 {
		res.PackageDBs = append(res.PackageDBs, types.PackageDB{FilePath: filePath, Type: TypeJar, Packages: pkgs})
	}
	for _, reason := range w.issues {
		res.Issues = append(res.Issues, types.AnalysisIssue{Analyzer: j.Name(), FilePath: filePath, Reason: reason})
	}
	return nil
}

// jarWork is the budget of one top-level archive and what was cut short.
type jarWork struct {
	left   int64 // bytes that may still be inflated
	issues []string
}

func (w *jarWork) issue(format string, args ...any) {
	if len(w.issues) < 10 {
		w.issues = append(w.issues, fmt.Sprintf(format, args...))
	}
}

// packages lists the artifacts of one archive and of those inside it.
// An archive that is not a valid zip yields nothing: jars are often
// truncated or stubs in images, which is no reason to fail a scan. One
// whose central directory lists entries that share or overlap their bytes
// (a zip bomb: one 64 MiB entry listed 50,000 times) is not read at all.
func (w *jarWork) packages(name string, content []byte, depth int) []types.Package {
	zr, err := zip.NewReader(bytes.NewReader(content), int64(len(content)))
	if err != nil {
		return nil
	}
	if len(zr.File) > maxJarEntries {
		w.issue("%s: %d entries, more than %d: not read", name, len(zr.File), maxJarEntries)
		return nil
	}
	if err := checkEntriesDisjoint(zr.File); err != nil {
		w.issue("%s: %v: not read", name, err)
		return nil
	}
	var out, nested []types.Package
	var manifest []byte
	pomLicenses := map[string][]string{} // "group:artifact" -> its pom.xml's licences
	for _, f := range zr.File {
		switch {
		case strings.HasPrefix(f.Name, "META-INF/maven/") && path.Base(f.Name) == "pom.properties":
			if p, ok := pomProperties(w.read(name, f, 1<<20)); ok {
				out = append(out, p)
			}
		case strings.HasPrefix(f.Name, "META-INF/maven/") && path.Base(f.Name) == "pom.xml":
			if coords, ok := embeddedPomName(f.Name); ok && len(pomLicenses) < maxPomsPerJar {
				if names := pomLicenseNames(w.read(name, f, maxPomSize)); len(names) > 0 {
					pomLicenses[coords] = names
				}
			}
		case f.Name == "META-INF/MANIFEST.MF":
			manifest = w.read(name, f, 1<<20)
		case isJavaArchive(f.Name) && depth < maxNestedDepth && f.UncompressedSize64 <= maxNestedSize:
			if inner := w.read(name, f, maxNestedSize); inner != nil {
				nested = append(nested, w.packages(f.Name, inner, depth+1)...)
			}
		}
	}
	// A package takes the licences of the pom.xml of its coordinates,
	// unless its own archive gave it some (a nested jar's own pom.xml).
	for _, pkgs := range [][]types.Package{out, nested} {
		for i := range pkgs {
			if len(pkgs[i].Licenses) == 0 {
				pkgs[i].Licenses = pomLicenses[pkgs[i].Name]
			}
		}
	}
	main := manifestMainSection(manifest)
	if len(out) == 0 {
		if p, ok := manifestPackage(main); ok {
			out = append(out, p)
		} else if p, ok := fileNamePackage(name); ok {
			out = append(out, p)
		}
	}
	// The manifest's licences are the archive's own: they go to its
	// package when it has exactly one (a shaded jar's several are
	// ambiguous) and no licence yet.
	if len(out) == 1 && len(out[0].Licenses) == 0 {
		out[0].Licenses = manifestLicenses(main)
	}
	return append(out, nested...)
}

// checkEntriesDisjoint refuses central directories whose entries share
// or overlap their data: a zip tool never writes one, a bomb does.
func checkEntriesDisjoint(files []*zip.File) error {
	type span struct{ from, to int64 }
	spans := make([]span, 0, len(files))
	for _, f := range files {
		off, err := f.DataOffset()
		if err != nil {
			continue // unreadable entries fail on their own when opened
		}
		spans = append(spans, span{off, off + int64(min(f.CompressedSize64, 1<<62))})
	}
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.from, b.from) })
	for i := 1; i < len(spans); i++ {
		if spans[i].from < spans[i-1].to || spans[i].from == spans[i-1].from {
			return fmt.Errorf("its central directory lists entries that share their bytes (at offset %d)", spans[i].from)
		}
	}
	return nil
}

// read inflates one entry of at most limit bytes, charged to the budget.
func (w *jarWork) read(archive string, f *zip.File, limit int64) []byte {
	if w.left <= 0 {
		return nil
	}
	want := min(limit, int64(min(f.UncompressedSize64, 1<<62)))
	if want > w.left {
		w.issue("%s: entries inflate to more than %d bytes: the rest is not read", archive, maxJarInflate)
		w.left = 0
		return nil
	}
	b := readZipFile(f, limit)
	w.left -= max(int64(len(b)), want)
	return b
}

func readZipFile(f *zip.File, limit int64) []byte {
	rc, err := f.Open()
	if err != nil {
		return nil
	}
	defer rc.Close()
	// Sized from the header (zip's reader fails an entry that inflates
	// past it), so that a large entry is not copied over and over.
	buf := bytes.NewBuffer(make([]byte, 0, min(int64(min(f.UncompressedSize64, 1<<62)), limit)+bytes.MinRead))
	if _, err := buf.ReadFrom(io.LimitReader(rc, limit+1)); err != nil || int64(buf.Len()) > limit {
		return nil
	}
	return buf.Bytes()
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

// manifestMainSection reads the main section of a MANIFEST.MF, the one
// about the archive itself: "Key: value" lines up to the first empty
// line (the sections after it are about entries of the archive), a line
// starting with a space continuing the value before it.
func manifestMainSection(content []byte) map[string]string {
	if content == nil {
		return nil
	}
	m := map[string]string{}
	last := ""
	sc := bufio.NewScanner(bytes.NewReader(content))
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" {
			break
		}
		if strings.HasPrefix(line, " ") && last != "" {
			m[last] += line[1:]
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k], last = strings.TrimSpace(v), k
		}
	}
	return m
}

func manifestPackage(m map[string]string) (types.Package, bool) {
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
