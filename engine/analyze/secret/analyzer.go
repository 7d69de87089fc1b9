package secret

import (
	"bytes"

	"github.com/docker-scan/docker-scan/engine/types"
)

// MaxFileSize is the largest file scanned for secrets; larger files (logs,
// archives, data) are skipped.
const MaxFileSize = 10 << 20

// binarySniff is how much of a file is looked at for a NUL byte.
const binarySniff = 8 << 10

// Analyzer is the layer analyzer for secrets.
type Analyzer struct {
	scanner *Scanner
}

// NewAnalyzer builds the analyzer with the built-in rules.
func NewAnalyzer() (*Analyzer, error) {
	rules, err := BuiltinRules()
	if err != nil {
		return nil, err
	}
	return &Analyzer{scanner: NewScanner(rules, BuiltinAllowRules())}, nil
}

func (a *Analyzer) Name() string { return "secret" }
func (a *Analyzer) Version() int { return RulesVersion }

// Wants every file up to the size limit; binaries are dropped in Analyze
// once their first bytes are seen.
func (a *Analyzer) Wants(_ string, size int64) bool {
	return size > 0 && size <= MaxFileSize
}

func (a *Analyzer) Analyze(filePath string, content []byte, res *types.LayerResult) error {
	if bytes.IndexByte(content[:min(len(content), binarySniff)], 0) >= 0 {
		return nil
	}
	findings := a.scanner.Scan(filePath, content)
	if len(findings) > 0 {
		res.Secrets = append(res.Secrets, types.SecretFile{FilePath: filePath, Findings: findings})
	}
	return nil
}
