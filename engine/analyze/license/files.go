package license

import (
	"path"
	"strings"

	"github.com/docker-scan/docker-scan/engine/types"
)

// kind is what a file is to this analyzer: the LicenseFile.Type it is
// reported under, or "" for a file it does not read.
type kind = string

// kindOf decides from the path alone which files are read:
//   - Debian's usr/share/doc/<pkg>/copyright (the package's own, not one
//     of its examples'): LicenseTypeDpkg;
//   - licence files by name anywhere (LICENSE, LICENCE, COPYING,
//     COPYRIGHT, NOTICE, UNLICENSE with any case, separator, suffix or
//     text extension: LICENSE.md, LICENSE-MIT, COPYING.LIB, COPYING3,
//     MIT-LICENSE.txt; and REUSE's LICENSES/<id>.txt): LicenseTypeFile;
//   - source files inside language package directories (node_modules,
//     site-packages, vendor, gems, the Go module cache...), whose first
//     lines are classified: LicenseTypeHeader.
func kindOf(p string) kind {
	dir, base := path.Split(p)
	if pkg, ok := dpkgPackage(p); ok && pkg != "" {
		return types.LicenseTypeDpkg
	}
	lower := strings.ToLower(base)
	ext := path.Ext(lower)
	if isLicenseName(lower, ext) || (path.Base(dir) == "LICENSES" && ext == ".txt") {
		return types.LicenseTypeFile
	}
	if sourceExts[ext] && inPackageDir(dir) {
		return types.LicenseTypeHeader
	}
	return ""
}

// dpkgPackage is the package of a copyright file at
// usr/share/doc/<pkg>/copyright.
func dpkgPackage(p string) (string, bool) {
	rest, ok := strings.CutPrefix(p, "usr/share/doc/")
	if !ok {
		return "", false
	}
	pkg, file, ok := strings.Cut(rest, "/")
	return pkg, ok && file == "copyright"
}

// licenseStems are the words a licence file is named by.
var licenseStems = []string{"license", "licence", "copying", "copyright", "notice", "unlicense", "licenses", "licences"}

// isLicenseName reports whether a (lower-cased) base name names a licence
// file: one of licenseStems, alone or as a word of the name (separated by
// '.', '-', '_' or followed by a version digit), and an extension that is
// not one of a program or data file (license.go, notice.json, COPYING.gz
// are not licence texts the classifier can read).
func isLicenseName(lower, ext string) bool {
	if notTextExts[ext] {
		return false
	}
	for word := range strings.FieldsFuncSeq(lower, func(r rune) bool { return r == '.' || r == '-' || r == '_' }) {
		word = strings.TrimRight(word, "0123456789") // COPYING3, LICENSE2
		for _, s := range licenseStems {
			if word == s {
				return true
			}
		}
	}
	return false
}

// notTextExts are extensions of files that are not plain licence texts,
// even when their name says licence.
var notTextExts = set(
	// program sources and scripts
	".go", ".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".py", ".pyc", ".pyi", ".rb", ".java", ".class",
	".kt", ".scala", ".c", ".h", ".cc", ".cpp", ".hpp", ".rs", ".php", ".pl", ".pm", ".sh", ".cs", ".swift",
	".lua", ".vue", ".map", ".erb", ".tmpl", ".tpl", ".css", ".scss",
	// data and configuration
	".json", ".yaml", ".yml", ".toml", ".xml", ".csv", ".ini", ".cfg", ".conf", ".lock", ".sum", ".mod",
	// compressed, binary, media
	".gz", ".bz2", ".xz", ".zst", ".lz", ".z", ".zip", ".jar", ".tar", ".tgz", ".gem", ".whl", ".so", ".a",
	".o", ".dll", ".exe", ".bin", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico", ".pdf", ".woff", ".woff2", ".ttf",
)

// sourceExts are the source files whose headers are classified.
var sourceExts = set(
	".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".mts", ".cts", ".py", ".rb", ".go", ".java", ".kt", ".scala",
	".groovy", ".c", ".h", ".cc", ".cpp", ".cxx", ".hpp", ".hh", ".hxx", ".rs", ".php", ".pl", ".pm", ".sh",
	".bash", ".cs", ".swift", ".m", ".lua", ".r", ".ex", ".exs", ".erl", ".dart", ".clj",
)

// packageDirs are the directory names under which language package
// managers put the packages they install (node_modules, Python's
// site-packages, Ruby's gems, PHP's and Go's vendor, Perl's site_perl),
// and packageDirPairs the pairs of names that do (Go's module cache
// pkg/mod, Cargo's registry sources).
var (
	packageDirs = set("node_modules", "bower_components", "jspm_packages", "site-packages", "dist-packages",
		"vendor", "gems", "site_perl", "vendor_perl", "site-library")
	packageDirPairs = set("pkg/mod", ".cargo/registry")
)

// inPackageDir reports whether dir (ending in '/', or empty) is inside a
// language package directory.
func inPackageDir(dir string) bool {
	prev := ""
	for part := range strings.SplitSeq(strings.TrimSuffix(dir, "/"), "/") {
		if packageDirs[part] || packageDirPairs[prev+"/"+part] {
			return true
		}
		prev = part
	}
	return false
}

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}
