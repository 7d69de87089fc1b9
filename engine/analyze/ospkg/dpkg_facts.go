package ospkg

import (
	"bufio"
	"bytes"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/docker-scan/docker-scan/engine/types"
)

const maxFactsFileSize = 16 << 20

// DpkgFacts reads what dpkg keeps about each package outside its database:
// the list of files it owns (var/lib/dpkg/info/<pkg>.list) and its licenses
// (usr/share/doc/<pkg>/copyright).
type DpkgFacts struct{}

func (DpkgFacts) Name() string { return "dpkg-facts" }
func (DpkgFacts) Version() int { return 1 }

func (DpkgFacts) Wants(filePath string, size int64) bool {
	if size > maxFactsFileSize {
		return false
	}
	if name, ok := strings.CutPrefix(filePath, dpkgInfoDir); ok {
		return strings.HasSuffix(name, ".list") && !strings.Contains(name, "/")
	}
	if rest, ok := strings.CutPrefix(filePath, docDir); ok {
		pkg, file, ok := strings.Cut(rest, "/")
		return ok && pkg != "" && file == "copyright"
	}
	return false
}

func (DpkgFacts) Analyze(filePath string, content []byte, res *types.LayerResult) error {
	facts := types.PackageFacts{FilePath: filePath, Type: "dpkg"}
	if strings.HasPrefix(filePath, dpkgInfoDir) {
		name := strings.TrimSuffix(path.Base(filePath), ".list")
		name, _, _ = strings.Cut(name, ":") // libc6:amd64.list for Multi-Arch: same
		facts.Package = name
		facts.InstalledFiles = parseFileList(content)
	} else {
		facts.Package = path.Base(path.Dir(filePath))
		facts.Licenses = ParseCopyright(content)
		if len(facts.Licenses) == 0 {
			return nil
		}
	}
	res.PackageFacts = append(res.PackageFacts, facts)
	return nil
}

// parseFileList reads a dpkg .list file: one absolute path per line,
// directories included. Paths are kept relative to the root, like every path
// the walker reports.
func parseFileList(content []byte) []string {
	var files []string
	sc := bufio.NewScanner(bytes.NewReader(content))
	for sc.Scan() {
		p := strings.TrimPrefix(path.Clean("/"+sc.Text()), "/")
		if p != "" && p != "." {
			files = append(files, p)
		}
	}
	return files
}

var (
	commonLicenseRef = regexp.MustCompile(`/usr/share/common-licenses/([A-Za-z0-9.+_-]+)`)
	licenseField     = regexp.MustCompile(`(?m)^License:[ \t]*(.+)$`)
	copyrightSplit   = regexp.MustCompile(`\s+(?:or|and|OR|AND)\s+|\s*,\s*`)
)

// ParseCopyright finds license names in a Debian copyright file: the
// License: fields of the machine-readable format, and references to
// /usr/share/common-licenses/ in free-form ones.
func ParseCopyright(content []byte) []string {
	var out []string
	add := func(l string) {
		l = strings.Trim(strings.TrimSpace(l), "().")
		l = strings.TrimSuffix(l, ".txt")
		if l != "" && !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	for _, m := range licenseField.FindAllSubmatch(content, -1) {
		for _, l := range copyrightSplit.Split(string(m[1]), -1) {
			add(l)
		}
	}
	if len(out) == 0 {
		for _, m := range commonLicenseRef.FindAllSubmatch(content, -1) {
			add(string(m[1]))
		}
	}
	return out
}
