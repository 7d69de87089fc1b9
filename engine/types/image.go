// Package types is the one domain model of the scanner: images and layers as
// the engine sees them, packages and the other findings, per-layer analysis
// results, and the report. The cache, the server wire format and the report
// writers all use these types; there are no parallel copies.
package types

import (
	"context"
	"errors"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Image is a container image as any runtime source hands it to the engine:
// already-parsed metadata plus layers that can be opened as streams. Sources
// fill it without reading layer contents.
type Image struct {
	// Name is what the user asked for (a reference, a file, a layout).
	Name string
	// ID is the digest of the image config, as `docker images` shows it.
	ID string
	// Config is the parsed image config (history, diffIDs, env, ...).
	Config *v1.ConfigFile
	// Layers in order from the base up; one per diffID in Config.
	Layers      []Layer
	RepoTags    []string
	RepoDigests []string
	// Source names the runtime the image came from (tar, oci-layout, registry, ...).
	Source string
	// Size is the image's size as its source reports it (an engine's
	// inspect), for sources whose layers have no size before they are
	// read; 0 when unknown.
	Size int64 `json:",omitempty"`
	// Close releases what the source holds (temp files, open archives).
	Close func() error
	// Stream, when set, reads the image's layer blobs in one pass over an
	// export as the source's engine sends it, writing nothing to disk:
	// visit is called with each entry that may be a layer blob, in the
	// order of the export (which need not be the image's), with the
	// digest the export names it by ("" when it names it otherwise). The
	// engine matches entries to layers by hashing what it reads; when
	// visit returns ErrStreamDone, Stream stops reading and returns nil.
	// Layer.Open stays the way to read a layer alone.
	Stream func(ctx context.Context, visit func(digest string, blob io.Reader) error) error `json:"-"`
}

// ErrStreamDone is what a visitor of Image.Stream returns when it needs
// no more of the export.
var ErrStreamDone = errors.New("the layers needed were read")

// Layer is one filesystem layer of an image.
type Layer struct {
	// Digest is the digest of the blob as stored by the source (compressed
	// for registries and OCI layouts); empty when the source does not know it
	// without recompressing.
	Digest string
	// DiffID is the digest of the uncompressed tar.
	DiffID string
	// Size of the stored blob in bytes, when known.
	Size int64
	// Open returns the blob as stored: a gzip, zstd or plain tar stream. The
	// analyzer detects the compression from the first bytes.
	Open func() (io.ReadCloser, error) `json:"-"`
}
