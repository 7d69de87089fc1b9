package license

import (
	"bytes"
	"context"
	"fmt"
	"strconv"

	"github.com/docker-scan/docker-scan/engine/analyze/ospkg"
	"github.com/docker-scan/docker-scan/engine/types"
)

// Version changes whenever the analyzer's output may change for the same
// layer (file selection, limits, the classifier's corpus).
const Version = 1

const (
	// MaxWantedSize is the largest file read: a larger "LICENSE" is not a
	// licence text, and a larger source file is not worth reading whole
	// for its header.
	MaxWantedSize = 8 << 20
	// MaxTextSize is how much of a licence file or copyright file is
	// classified: the licence texts people ship are under 64 KiB (GPL-3.0
	// is 35 KiB); past this a file (a project's collected third-party
	// notices) is classified by its first 256 KiB, cut at a line, and the
	// layer gets an issue saying so.
	MaxTextSize = 256 << 10
	// HeaderSize is how much of a source file is classified: its header.
	HeaderSize = 4 << 10
	// MaxFilesPerLayer bounds the licence files one layer's result lists.
	MaxFilesPerLayer = 20000
	// binarySniff is how much of a file is looked at for a NUL byte.
	binarySniff = 8 << 10
)

// Analyzer finds licence texts in files (--license-full).
type Analyzer struct {
	threshold float64
	budgets   budgets
}

// NewAnalyzer checks the options and returns the analyzer. It does not
// load the classifier: that happens at the first file classified.
func NewAnalyzer(opts Options) (*Analyzer, error) {
	t, err := opts.threshold()
	if err != nil {
		return nil, err
	}
	return &Analyzer{threshold: t}, nil
}

func (a *Analyzer) Name() string { return "license-file" }
func (a *Analyzer) Version() int { return Version }

// Fingerprint puts the threshold into layer-cache keys: the findings
// kept depend on it.
func (a *Analyzer) Fingerprint() string {
	return "threshold=" + strconv.FormatFloat(a.threshold, 'g', -1, 64)
}

func (a *Analyzer) Wants(filePath string, size int64) bool {
	return size > 0 && size <= MaxWantedSize && kindOf(filePath) != ""
}

// WantsHead turns down binaries, and source files whose header mentions
// no licence, before the walker reads them whole: most of the source
// files of a node_modules are never read.
func (a *Analyzer) WantsHead(filePath string, head []byte) bool {
	if isBinary(head) {
		return false
	}
	if kindOf(filePath) == types.LicenseTypeHeader {
		return mentionsLicense(cutAtLine(head, HeaderSize))
	}
	return true
}

func (a *Analyzer) Analyze(filePath string, content []byte, res *types.LayerResult) error {
	return a.AnalyzeContext(context.Background(), filePath, content, res)
}

// AnalyzeContext classifies one file. It returns early once ctx is done;
// one file's classification is bounded by MaxTextSize (about a second).
func (a *Analyzer) AnalyzeContext(ctx context.Context, filePath string, content []byte, res *types.LayerResult) error {
	k := kindOf(filePath)
	if k == "" || isBinary(content) {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	file := types.LicenseFile{Type: k, FilePath: filePath}
	if k == types.LicenseTypeDpkg {
		file.PkgName, _ = dpkgPackage(filePath)
		// The dpkg analyzer reports the licences a copyright file names;
		// only one that names none is classified here. It is still
		// listed, without findings, so that it hides a classified copy
		// of a lower layer (see engine/merge).
		if len(ospkg.ParseCopyright(content)) > 0 {
			return a.add(res, file)
		}
	}
	limit := MaxTextSize
	if k == types.LicenseTypeHeader {
		limit = HeaderSize
	}
	text := cutAtLine(content, limit)
	if mentionsLicense(text) {
		if ok, first := a.budgets.take(res, len(text)); !ok {
			if first {
				res.Issues = append(res.Issues, types.AnalysisIssue{Layer: res.DiffID, Analyzer: a.Name(), FilePath: filePath,
					Reason: fmt.Sprintf("licence texts past the first %d MiB of this layer were not classified", MaxBytesPerLayer>>20)})
			}
			return nil
		}
		found, err := Classify(text, a.threshold)
		if err != nil {
			return err
		}
		file.Findings = mergeFindings(found, spdxTags(text))
	}
	if len(text) < len(content) && k != types.LicenseTypeHeader {
		res.Issues = append(res.Issues, types.AnalysisIssue{Layer: res.DiffID, Analyzer: a.Name(), FilePath: filePath,
			Reason: fmt.Sprintf("file of %d bytes: only its first %d KiB were classified", len(content), len(text)>>10)})
	}
	// A source file without a licence is not listed: there are thousands.
	if len(file.Findings) == 0 && k == types.LicenseTypeHeader {
		return nil
	}
	return a.add(res, file)
}

// add lists file in res, up to MaxFilesPerLayer files.
func (a *Analyzer) add(res *types.LayerResult, file types.LicenseFile) error {
	switch n := len(res.Licenses); {
	case n < MaxFilesPerLayer:
		res.Licenses = append(res.Licenses, file)
	case n == MaxFilesPerLayer:
		res.Issues = append(res.Issues, types.AnalysisIssue{Layer: res.DiffID, Analyzer: a.Name(), FilePath: file.FilePath,
			Reason: fmt.Sprintf("more than %d licence files in the layer: the rest are not listed", MaxFilesPerLayer)})
		// A marker past the cap, so that the issue is given once; merge
		// drops files without findings.
		res.Licenses = append(res.Licenses, types.LicenseFile{Type: file.Type, FilePath: file.FilePath})
	}
	return nil
}

func isBinary(b []byte) bool {
	return bytes.IndexByte(b[:min(len(b), binarySniff)], 0) >= 0
}

// cutAtLine is b's first n bytes, cut after the last line break among
// them when there is one, so that no word is cut in two.
func cutAtLine(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	b = b[:n]
	if i := bytes.LastIndexByte(b, '\n'); i > 0 {
		return b[:i+1]
	}
	return b
}

// licenseWords are words of which every licence text and header of the
// classifier's corpus has at least one (checked by a test): a text with
// none of them cannot match, and is not classified.
var licenseWords = [][]byte{[]byte("licen"), []byte("copyright"), []byte("permission"), []byte("public domain"), []byte("warrant"), []byte("distribute")}

// mentionsLicense reports whether text has one of licenseWords, in any
// case.
func mentionsLicense(text []byte) bool {
	lower := bytes.ToLower(text)
	for _, w := range licenseWords {
		if bytes.Contains(lower, w) {
			return true
		}
	}
	return false
}
