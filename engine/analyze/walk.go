package analyze

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/docker-scan/docker-scan/engine/types"
)

// MaxFileSize is the largest file the walker reads into memory for an
// analyzer, whatever the analyzer wants; it bounds memory against hostile
// tar headers that claim huge sizes.
const MaxFileSize = 128 << 20

const (
	whiteoutPrefix = ".wh."
	opaqueMarker   = ".wh..wh..opq"
)

// ResultSchemaVersion changes whenever the shape or meaning of LayerResult
// changes; cached results of another version are not used.
const ResultSchemaVersion = 1

// Layer reads one layer blob (gzip, zstd or plain tar) once and returns what
// the analyzers found in it, with the layer's whiteouts and opaque
// directories.
func Layer(ctx context.Context, layer types.Layer, cfg Config) (*types.LayerResult, error) {
	blob, err := layer.Open()
	if err != nil {
		return nil, err
	}
	defer blob.Close()
	stream, err := decompressed(blob)
	if err != nil {
		return nil, err
	}
	defer stream.Close()

	res := &types.LayerResult{Digest: layer.Digest, DiffID: layer.DiffID, SchemaVersion: ResultSchemaVersion}
	if err := Walk(ctx, stream, cfg, res); err != nil {
		return nil, err
	}
	return res, nil
}

// Walk reads a tar stream and fills res. It is exported for the layer
// fuzzer and the benchmarks.
func Walk(ctx context.Context, stream io.Reader, cfg Config, res *types.LayerResult) error {
	analyzers := cfg.Analyzers
	tr := tar.NewReader(stream)
	wanting := make([]Analyzer, 0, len(analyzers))
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read tar: %w", err)
		}
		name, ok := cleanPath(hdr.Name)
		if !ok {
			continue
		}
		dir, base := path.Split(name)
		dir = strings.TrimSuffix(dir, "/")
		if strings.HasPrefix(base, whiteoutPrefix) {
			if base == opaqueMarker {
				res.OpaqueDirs = append(res.OpaqueDirs, dir)
			} else if hidden := base[len(whiteoutPrefix):]; hidden != "" {
				res.WhiteoutFiles = append(res.WhiteoutFiles, path.Join(dir, hidden))
			}
			continue
		}

		if cfg.skipped(name) {
			continue
		}
		switch hdr.Typeflag {
		case tar.TypeReg:
		case tar.TypeSymlink:
			for _, a := range analyzers {
				if a.Wants(name, 0) {
					res.Symlinks = append(res.Symlinks, types.Symlink{Path: name, Target: hdr.Linkname})
					break
				}
			}
			continue
		default:
			// Directories, hard links, devices and fifos carry no content of
			// their own for analyzers.
			continue
		}

		wanting = wanting[:0]
		for _, a := range analyzers {
			if a.Wants(name, hdr.Size) {
				wanting = append(wanting, a)
			}
		}
		if len(wanting) == 0 || hdr.Size > MaxFileSize || hdr.Size < 0 {
			continue
		}
		content := make([]byte, hdr.Size)
		if _, err := io.ReadFull(tr, content); err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
		for _, a := range wanting {
			if err := a.Analyze(name, content, res); err != nil {
				return fmt.Errorf("%s: %s: %w", a.Name(), name, err)
			}
		}
	}
}

// cleanPath turns a tar entry name into a path relative to the image root.
// "..", absolute paths and repeated slashes cannot climb out of the root:
// "/../../etc/passwd" becomes "etc/passwd". The root itself is not a file.
func cleanPath(name string) (string, bool) {
	p := strings.TrimPrefix(path.Clean("/"+name), "/")
	return p, p != ""
}
