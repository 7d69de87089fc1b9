package secret

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"weak"

	"github.com/docker-scan/docker-scan/engine/types"
)

// MaxFileSize is the largest file scanned for secrets; larger files (logs,
// archives, data) are skipped.
const MaxFileSize = 10 << 20

// binarySniff is how much of a file is looked at for a NUL byte.
const binarySniff = 8 << 10

// Analyzer is the layer analyzer for secrets.
type Analyzer struct {
	// scanner returns the scanner, built on first use (or, for the
	// built-in rules, by a goroutine that NewAnalyzer starts).
	scanner func() *Scanner
	// configHash names the config file's content, for cache keys.
	configHash string
	tooLarge   atomic.Int64
	// count remembers the findings of the layer result last added to
	// (weakly: a finished layer's result is not kept alive by it).
	count struct {
		sync.Mutex
		res             weak.Pointer[types.LayerResult]
		files, findings int
	}
}

// NewAnalyzer builds the analyzer with the built-in rules changed by cfg
// (nil for none).
//
// With no config, the scanner of the built-in rules is built once per
// process, by a goroutine started here: compiling 253 regexes and the
// keyword automaton takes about 45 ms, which a scan whose layers are all
// cached then spends beside its engine, DB and cache calls rather than
// before them (a scan server builds it once, not per scan). The scanner is
// safe for concurrent use.
func NewAnalyzer(cfg *Config) (*Analyzer, error) {
	if cfg == nil {
		go sharedScanner()
		return &Analyzer{scanner: sharedScanner}, nil
	}
	rules, err := BuiltinRules()
	if err != nil {
		return nil, err
	}
	rules, allow, blocks, err := cfg.apply(rules, BuiltinAllowRules())
	if err != nil {
		return nil, err
	}
	s := NewScanner(rules, allow)
	s.excludeBlocks = blocks
	return &Analyzer{scanner: func() *Scanner { return s }, configHash: cfg.hash}, nil
}

// sharedScanner is the scanner of the built-in rules and allow rules.
// The built-in rules compile (a test checks every one), so it never
// fails.
var sharedScanner = sync.OnceValue(func() *Scanner {
	rules, err := BuiltinRules()
	if err != nil {
		panic("secret: the built-in rules do not compile: " + err.Error())
	}
	return NewScanner(rules, BuiltinAllowRules())
})

func (a *Analyzer) Name() string { return "secret" }
func (a *Analyzer) Version() int { return RulesVersion }

// Fingerprint adds the config file to layer-cache keys.
func (a *Analyzer) Fingerprint() string { return a.configHash }

// Wants every file up to the size limit (larger ones are counted) but
// those whose path an allow rule drops every finding of (documentation,
// package-manager databases), which the walker then never reads;
// binaries are dropped in Analyze once their first bytes are seen.
func (a *Analyzer) Wants(filePath string, size int64) bool {
	if size > MaxFileSize {
		a.tooLarge.Add(1)
		return false
	}
	if size <= 0 {
		return false
	}
	skipAll, _ := a.scanner().pathAllowed(filePath)
	return !skipAll
}

// WantsHead turns binaries down from their first bytes (a NUL among the
// first 8 KiB), before the walker reads them whole.
func (a *Analyzer) WantsHead(_ string, head []byte) bool {
	return bytes.IndexByte(head[:min(len(head), binarySniff)], 0) < 0
}

// Skipped says how many files were too large to search, for the log.
func (a *Analyzer) Skipped() string {
	if n := a.tooLarge.Load(); n > 0 {
		return fmt.Sprintf("%d files over %d MiB were not searched for secrets", n, MaxFileSize>>20)
	}
	return ""
}

// MaxFindingsPerLayer caps the secrets reported for one layer (and for
// the image config): past it, the layer gets one analysis issue and its
// other files are not searched.
const MaxFindingsPerLayer = 1000

func (a *Analyzer) Analyze(filePath string, content []byte, res *types.LayerResult) error {
	return a.AnalyzeContext(context.Background(), filePath, content, res)
}

// AnalyzeContext is Analyze that stops, with ctx's error, once ctx is done
// (the walker's context: --timeout, Ctrl-C), even inside a large file.
func (a *Analyzer) AnalyzeContext(ctx context.Context, filePath string, content []byte, res *types.LayerResult) error {
	if bytes.IndexByte(content[:min(len(content), binarySniff)], 0) >= 0 {
		return nil
	}
	reported := a.layerFindings(res)
	if reported >= MaxFindingsPerLayer {
		return nil
	}
	found, err := a.scanner().ScanFileContext(ctx, filePath, content)
	if err != nil {
		return err
	}
	if reason := found.Issue(); reason != "" {
		res.Issues = append(res.Issues, types.AnalysisIssue{Layer: res.DiffID, Analyzer: a.Name(), FilePath: filePath, Reason: reason})
	}
	if len(found.Findings) == 0 {
		return nil
	}
	if room := MaxFindingsPerLayer - reported; len(found.Findings) >= room {
		found.Findings = found.Findings[:room]
		res.Issues = append(res.Issues, types.AnalysisIssue{Layer: res.DiffID, Analyzer: a.Name(), FilePath: filePath,
			Reason: fmt.Sprintf("%d secrets in the layer, the most reported; the rest of this file and the files after it are not searched", MaxFindingsPerLayer)})
	}
	res.Secrets = append(res.Secrets, types.SecretFile{FilePath: filePath, Findings: found.Findings})
	a.count.Lock()
	a.count.res, a.count.files, a.count.findings = weak.Make(res), len(res.Secrets), reported+len(found.Findings)
	a.count.Unlock()
	return nil
}

// Mask returns content with every secret the rules find in it replaced by
// '*', byte for byte (the length and every other byte stay): for text that
// a report copies whole, such as the image config's ENV and history.
func (a *Analyzer) Mask(filePath string, content []byte) []byte {
	found, _ := a.scanner().scan(context.Background(), filePath, content, true)
	if len(found.masks) == 0 {
		return content
	}
	out := bytes.Clone(content)
	for _, sp := range found.masks {
		for i := sp[0]; i < sp[1]; i++ {
			out[i] = '*'
		}
	}
	return out
}

// layerFindings counts the secrets already in res. The walker analyses
// one layer's files one after another, so the count of the last call is
// usually still right; otherwise (another layer in between) it is counted
// again, over at most MaxFindingsPerLayer findings.
func (a *Analyzer) layerFindings(res *types.LayerResult) int {
	a.count.Lock()
	defer a.count.Unlock()
	if a.count.res == weak.Make(res) && a.count.files == len(res.Secrets) {
		return a.count.findings
	}
	n := 0
	for _, sf := range res.Secrets {
		n += len(sf.Findings)
	}
	return n
}
