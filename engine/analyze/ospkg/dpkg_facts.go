package ospkg

import (
	"fmt"
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
func (DpkgFacts) Version() int { return 2 }

func (DpkgFacts) Wants(filePath string, size int64) bool {
	// Up to the walker's limit, so that a file over maxFactsFileSize is
	// reported rather than silently not read.
	if size > maxWantedDBSize {
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

func (d DpkgFacts) Analyze(filePath string, content []byte, res *types.LayerResult) error {
	if len(content) > maxFactsFileSize {
		res.Issues = append(res.Issues, types.AnalysisIssue{Layer: res.DiffID, Analyzer: d.Name(), FilePath: filePath,
			Reason: fmt.Sprintf("not read: %d bytes is over the limit of %d bytes", len(content), maxFactsFileSize)})
		return nil
	}
	facts := types.PackageFacts{FilePath: filePath, Type: "dpkg"}
	if strings.HasPrefix(filePath, dpkgInfoDir) {
		name := strings.TrimSuffix(path.Base(filePath), ".list")
		name, _, _ = strings.Cut(name, ":") // libc6:amd64.list for Multi-Arch: same
		facts.Package = name
		var skipped notes
		facts.InstalledFiles = parseFileList(content, &skipped)
		skipped.issues(res, d.Name(), filePath)
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
// the walker reports. Paths over maxPathLine and past maxFilesPerDB are
// left out, noted in skipped.
func parseFileList(content []byte, skipped *notes) []string {
	var files []string
	eachLine(content, func(line []byte, n int) bool {
		if len(line) > maxPathLine {
			skipped.add(fmt.Sprintf("paths over %d bytes were left out", maxPathLine), fmt.Sprintf("line %d", n))
			return true
		}
		if len(files) == maxFilesPerDB {
			skipped.add(fmt.Sprintf("paths past the first %d were left out", maxFilesPerDB), fmt.Sprintf("line %d", n))
			return false
		}
		p := strings.TrimPrefix(path.Clean("/"+string(line)), "/")
		if p != "" && p != "." {
			files = append(files, p)
		}
		return true
	})
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
