// Package analyze reads image layers and hands their files to analyzers.
//
// Each layer is read once, as a tar stream; every file is offered to every
// analyzer through the cheap Wants check, and only wanted files are read into
// memory. Nothing from a layer is written to disk or executed. The bytes
// read are hashed and checked against the digests the image claims, so
// that a result can be cached under the layer's diffID (see Verifiable).
package analyze

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/docker-scan/docker-scan/engine/types"
)

// Analyzer finds one kind of thing in the files of a layer.
type Analyzer interface {
	// Name identifies the analyzer in cache keys and messages.
	Name() string
	// Version changes whenever the analyzer's output for the same input may
	// change, so that cached layer results are invalidated.
	Version() int
	// Wants is called for every regular file of every layer with its cleaned
	// path (relative, no leading slash) and size. It must be cheap.
	Wants(filePath string, size int64) bool
	// Analyze reads one wanted file and adds what it finds to res. An error
	// means the file is malformed: the walker records it as an analysis
	// issue of this analyzer and goes on with the layer. content is only
	// valid during the call (its buffer is reused, and may be shared with
	// other analyzers): never modify or keep the slice, keep copies.
	Analyze(filePath string, content []byte, res *types.LayerResult) error
}

// StreamAnalyzer reads a prefix of a file straight from the layer stream,
// for files too large to hold in memory whose interesting part is near the
// start (the build info of a Go binary). The walker offers it regular
// files with their first bytes; one that accepts gets the stream, and the
// file is offered to no other analyzer.
type StreamAnalyzer interface {
	Name() string
	Version() int
	// WantsStream decides from the path, size, mode and first bytes.
	WantsStream(filePath string, size int64, mode fs.FileMode, head []byte) bool
	// AnalyzeStream reads what it needs from r (the rest is skipped). An
	// error is recorded as an analysis issue, as for Analyze.
	AnalyzeStream(filePath string, size int64, r io.Reader, res *types.LayerResult) error
}

// streamHead is how many first bytes StreamAnalyzers see.
const streamHead = 64

// HeadFilter is an Analyzer that can turn a file down from its first
// bytes, before the walker reads the whole file into memory: the secret
// analyzer drops binaries (a NUL byte among the first 8 KiB), which on
// real images are most of the bytes it is offered.
type HeadFilter interface {
	// WantsHead decides from the file's first min(size, HeadSize) bytes.
	WantsHead(filePath string, head []byte) bool
}

// HeadSize is how many first bytes HeadFilters see.
const HeadSize = 8 << 10

// Config is what a layer walk runs: the analyzers, and the files and
// directories (doublestar globs, relative to the image root; a leading
// "/" is allowed) that no analyzer sees.
type Config struct {
	Analyzers []Analyzer
	Streamers []StreamAnalyzer
	SkipFiles []string
	SkipDirs  []string
}

// skipped reports whether a file is excluded by --skip-files or
// --skip-dirs. It costs nothing when neither is set.
func (c Config) skipped(name string) bool {
	for _, pat := range c.SkipFiles {
		if ok, _ := doublestar.Match(strings.TrimPrefix(pat, "/"), name); ok {
			return true
		}
	}
	if len(c.SkipDirs) == 0 {
		return false
	}
	dir := path.Dir(name)
	if dir == "." {
		return false
	}
	// One match of "PAT/**" (where "/**" matches zero or more segments)
	// asks whether dir or any of its parents matches PAT: matching every
	// parent in turn costs depth x length per file, which a layer of deep
	// paths turns into minutes.
	for _, pat := range c.SkipDirs {
		pat = strings.TrimSuffix(strings.TrimPrefix(pat, "/"), "/")
		// A pattern that ends in "**" already matches every directory
		// below one it matches.
		if pat != "**" && !strings.HasSuffix(pat, "/**") {
			pat += "/**"
		}
		if ok, _ := doublestar.Match(pat, dir); ok {
			return true
		}
	}
	return false
}

// ValidatePatterns checks skip globs before a scan starts.
func (c Config) ValidatePatterns() error {
	for _, pat := range append(append([]string{}, c.SkipFiles...), c.SkipDirs...) {
		if !doublestar.ValidatePattern(strings.TrimPrefix(pat, "/")) {
			return fmt.Errorf("bad glob pattern %q", pat)
		}
	}
	return nil
}

// fingerprinter is an analyzer whose results depend on more than its
// version (a config file): the fingerprint goes into cache keys.
type fingerprinter interface {
	Fingerprint() string
}

// CacheKey names the result of analysing the layer with diffID under this
// config: it covers every analyzer's name and version, the skip patterns
// and the shape of LayerResult, so that any change to what analysis would
// find gives a new key.
func (c Config) CacheKey(diffID string) string { return c.CacheKeyer()(diffID) }

// CacheKeyer returns CacheKey with the config's part (analyzer names,
// versions, fingerprints, skip patterns) worked out once, for images of
// many layers.
func (c Config) CacheKeyer() func(diffID string) string {
	names := make([]string, 0, len(c.Streamers)+len(c.Analyzers))
	for _, a := range c.Streamers {
		names = append(names, fmt.Sprintf("%s@%d", a.Name(), a.Version()))
	}
	for _, a := range c.Analyzers {
		name := fmt.Sprintf("%s@%d", a.Name(), a.Version())
		if f, ok := a.(fingerprinter); ok {
			name += "+" + f.Fingerprint()
		}
		names = append(names, name)
	}
	sort.Strings(names)
	suffix := fmt.Sprintf("%s\x00%s\x00%s", strings.Join(names, ","), strings.Join(c.SkipFiles, ","), strings.Join(c.SkipDirs, ","))
	return func(diffID string) string {
		h := sha256.New()
		fmt.Fprintf(h, "layer-result/%d\x00%s\x00", ResultSchemaVersion, diffID)
		io.WriteString(h, suffix)
		return "sha256:" + hex.EncodeToString(h.Sum(nil))
	}
}
