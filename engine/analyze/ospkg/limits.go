package ospkg

import (
	"bytes"
	"fmt"

	"github.com/docker-scan/docker-scan/engine/types"
)

// Limits on what one package database may cost. A real image has a few
// thousand packages, each with at most some tens of thousands of files;
// a crafted one can list millions in a few MB, and each package costs
// hundreds of bytes in every later step (merge, match, report). What is
// over a limit is left out and recorded as an analysis issue, so that the
// report says it is incomplete.
const (
	// maxWantedDBSize is the largest database file the analyzers accept
	// from the walker: its own per-file limit (analyze.MaxFileSize, which
	// this package cannot import). Anything over maxDBSize but under it is
	// taken only to be reported, rather than declined without a word.
	maxWantedDBSize = 128 << 20
	// maxDBSize is the largest database that is parsed.
	maxDBSize = 64 << 20
	// maxPackagesPerDB bounds the packages read from one database file.
	maxPackagesPerDB = 100_000
	// maxFilesPerDB bounds the installed-file paths kept from one database
	// (apk's R: lines, a dpkg .md5sums file).
	maxFilesPerDB = 1_000_000
	// maxPathLine is the longest file path kept (the walker's own limit on
	// paths is 4 KiB).
	maxPathLine = 4096
)

// notes collects what a parser left out, to become analysis issues: one
// per kind of problem, with a count and the first occurrence, so that a
// file of a million bad records makes one issue rather than a million.
type notes struct {
	order []string
	count map[string]int
	first map[string]string
}

// add notes one occurrence of kind, detail saying where.
func (n *notes) add(kind, detail string) {
	if n.count == nil {
		n.count, n.first = map[string]int{}, map[string]string{}
	}
	if n.count[kind] == 0 {
		n.order = append(n.order, kind)
		n.first[kind] = detail
	}
	n.count[kind]++
}

// issues appends one issue per kind noted to res.
func (n *notes) issues(res *types.LayerResult, analyzer, filePath string) {
	for _, kind := range n.order {
		reason := kind + " (" + n.first[kind] + ")"
		if c := n.count[kind]; c > 1 {
			reason = fmt.Sprintf("%s, %d times (first: %s)", kind, c, n.first[kind])
		}
		res.Issues = append(res.Issues, types.AnalysisIssue{Layer: res.DiffID, Analyzer: analyzer, FilePath: filePath, Reason: reason})
	}
}

// tooBig records a database over maxDBSize, which is not read.
func tooBig(res *types.LayerResult, analyzer, filePath string, size int) {
	res.Issues = append(res.Issues, types.AnalysisIssue{Layer: res.DiffID, Analyzer: analyzer, FilePath: filePath,
		Reason: fmt.Sprintf("not read: %d bytes is over the limit of %d bytes for a package database", size, maxDBSize)})
}

// eachLine calls fn with each line of content and its number, without the
// line ending ("\n" or "\r\n"), until fn returns false. Unlike
// bufio.Scanner it has no longest line: content is in memory already, and
// a line is a slice of it, so a long line costs nothing and the caller
// decides what it is worth.
func eachLine(content []byte, fn func(line []byte, n int) bool) {
	for n := 1; len(content) > 0; n++ {
		line := content
		if i := bytes.IndexByte(content, '\n'); i >= 0 {
			line, content = content[:i], content[i+1:]
		} else {
			content = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if !fn(line, n) {
			return
		}
	}
}
