// Package analyze reads image layers and hands their files to analyzers.
//
// Each layer is read once, as a tar stream; every file is offered to every
// analyzer through the cheap Wants check, and only wanted files are read into
// memory. Nothing from a layer is written to disk or executed.
package analyze

import "github.com/docker-scan/docker-scan/engine/types"

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
