// Package analyze reads image layers and hands their files to analyzers.
//
// Each layer is read once, as a tar stream; every file is offered to every
// analyzer through the cheap Wants check, and only wanted files are read into
// memory. Nothing from a layer is written to disk or executed.
package analyze

import (
	"fmt"
	"path"
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
	// means the file is malformed; it fails the scan of the layer.
	Analyze(filePath string, content []byte, res *types.LayerResult) error
}

// Config is what a layer walk runs: the analyzers, and the files and
// directories (doublestar globs, relative to the image root; a leading
// "/" is allowed) that no analyzer sees.
type Config struct {
	Analyzers []Analyzer
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
	for dir := path.Dir(name); dir != "." && dir != "/"; dir = path.Dir(dir) {
		for _, pat := range c.SkipDirs {
			if ok, _ := doublestar.Match(strings.TrimSuffix(strings.TrimPrefix(pat, "/"), "/"), dir); ok {
				return true
			}
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
