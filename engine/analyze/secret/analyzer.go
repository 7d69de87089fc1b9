package secret

import (
	"bytes"
	"fmt"
	"sync/atomic"

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
	// configHash names the config file's content, for cache keys.
	configHash string
	tooLarge   atomic.Int64
}

// NewAnalyzer builds the analyzer with the built-in rules changed by cfg
// (nil for none).
func NewAnalyzer(cfg *Config) (*Analyzer, error) {
	rules, err := BuiltinRules()
	if err != nil {
		return nil, err
	}
	rules, allow, blocks, err := cfg.apply(rules, BuiltinAllowRules())
	if err != nil {
		return nil, err
	}
	a := &Analyzer{scanner: NewScanner(rules, allow)}
	a.scanner.excludeBlocks = blocks
	if cfg != nil {
		a.configHash = cfg.hash
	}
	return a, nil
}

func (a *Analyzer) Name() string { return "secret" }
func (a *Analyzer) Version() int { return RulesVersion }

// Fingerprint adds the config file to layer-cache keys.
func (a *Analyzer) Fingerprint() string { return a.configHash }

// Wants every file up to the size limit (larger ones are counted);
// binaries are dropped in Analyze once their first bytes are seen.
func (a *Analyzer) Wants(_ string, size int64) bool {
	if size > MaxFileSize {
		a.tooLarge.Add(1)
		return false
	}
	return size > 0
}

// Skipped says how many files were too large to search, for the log.
func (a *Analyzer) Skipped() string {
	if n := a.tooLarge.Load(); n > 0 {
		return fmt.Sprintf("%d files over %d MiB were not searched for secrets", n, MaxFileSize>>20)
	}
	return ""
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
