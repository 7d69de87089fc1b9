package analyze

import (
	"archive/tar"
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"sync"

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
const ResultSchemaVersion = 2

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

// Walk reads a tar stream and fills res. Reading (decompression and tar
// parsing) and analysis run in two goroutines joined by a short queue of
// wanted files, so that a layer keeps two cores busy when its analyzers
// are as costly as its decompression (the secret scan is). It is exported
// for the layer fuzzer and the benchmarks.
func Walk(ctx context.Context, stream io.Reader, cfg Config, res *types.LayerResult) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	files := make(chan wantedFile, analysisQueue)
	analysisErr := make(chan error, 1)
	go func() {
		analysisErr <- analyzeFiles(files, res, cancel)
	}()
	// The reader keeps what it learns from the tar headers to itself until
	// the analysis goroutine, which writes res, is done.
	var whiteouts, opaques []string
	var symlinks []types.Symlink
	streamed := &types.LayerResult{}
	readErr := readTar(ctx, stream, cfg, files, &whiteouts, &opaques, &symlinks, streamed)
	close(files)
	if err := <-analysisErr; err != nil {
		return err
	}
	if readErr != nil {
		return readErr
	}
	res.PackageDBs = append(res.PackageDBs, streamed.PackageDBs...)
	res.WhiteoutFiles = append(res.WhiteoutFiles, whiteouts...)
	res.OpaqueDirs = append(res.OpaqueDirs, opaques...)
	res.Symlinks = append(res.Symlinks, symlinks...)
	return nil
}

// analysisQueue is how many read files may wait for analysis.
const analysisQueue = 8

// wantedFile is a file read for the analyzers that want it. content comes
// from bufferPool and goes back to it after analysis: analyzers must not
// keep it.
type wantedFile struct {
	name    string
	content *[]byte
	wanting []Analyzer
}

var bufferPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

func analyzeFiles(files <-chan wantedFile, res *types.LayerResult, stop func()) error {
	var failed error
	for f := range files {
		if failed == nil {
			for _, a := range f.wanting {
				if err := a.Analyze(f.name, *f.content, res); err != nil {
					failed = fmt.Errorf("%s: %s: %w", a.Name(), f.name, err)
					stop()
					break
				}
			}
		}
		bufferPool.Put(f.content)
	}
	return failed
}

func readTar(ctx context.Context, stream io.Reader, cfg Config, files chan<- wantedFile, whiteouts, opaques *[]string, symlinks *[]types.Symlink, streamed *types.LayerResult) error {
	analyzers := cfg.Analyzers
	tr := tar.NewReader(stream)
	var head *bufio.Reader
	if len(cfg.Streamers) > 0 {
		head = bufio.NewReaderSize(nil, 4096)
	}
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
				*opaques = append(*opaques, dir)
			} else if hidden := base[len(whiteoutPrefix):]; hidden != "" {
				*whiteouts = append(*whiteouts, path.Join(dir, hidden))
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
					*symlinks = append(*symlinks, types.Symlink{Path: name, Target: hdr.Linkname})
					break
				}
			}
			continue
		default:
			// Directories, hard links, devices and fifos carry no content of
			// their own for analyzers.
			continue
		}

		// entry is the file's content; a stream analyzer may have looked at
		// its first bytes through head.
		var entry io.Reader = tr
		if head != nil && hdr.Size >= streamHead {
			head.Reset(tr)
			first, _ := head.Peek(streamHead)
			taken, err := offerStream(cfg.Streamers, name, hdr, first, head, streamed)
			if err != nil {
				return err
			}
			if taken {
				continue
			}
			entry = head
		}
		var wanting []Analyzer
		for _, a := range analyzers {
			if a.Wants(name, hdr.Size) {
				wanting = append(wanting, a)
			}
		}
		if len(wanting) == 0 || hdr.Size > MaxFileSize || hdr.Size < 0 {
			continue
		}
		buf := bufferPool.Get().(*[]byte)
		if int64(cap(*buf)) < hdr.Size {
			*buf = make([]byte, hdr.Size)
		}
		*buf = (*buf)[:hdr.Size]
		if _, err := io.ReadFull(entry, *buf); err != nil {
			bufferPool.Put(buf)
			return fmt.Errorf("read %s: %w", name, err)
		}
		select {
		case files <- wantedFile{name: name, content: buf, wanting: wanting}:
		case <-ctx.Done():
			bufferPool.Put(buf)
			return ctx.Err()
		}
	}
}

// offerStream gives a file to the first stream analyzer that wants it.
func offerStream(streamers []StreamAnalyzer, name string, hdr *tar.Header, first []byte, r io.Reader, res *types.LayerResult) (bool, error) {
	for _, s := range streamers {
		if s.WantsStream(name, hdr.Size, hdr.FileInfo().Mode(), first) {
			if err := s.AnalyzeStream(name, hdr.Size, r, res); err != nil {
				return true, fmt.Errorf("%s: %s: %w", s.Name(), name, err)
			}
			return true, nil
		}
	}
	return false, nil
}

// cleanPath turns a tar entry name into a path relative to the image root.
// "..", absolute paths and repeated slashes cannot climb out of the root:
// "/../../etc/passwd" becomes "etc/passwd". The root itself is not a file.
func cleanPath(name string) (string, bool) {
	p := strings.TrimPrefix(path.Clean("/"+name), "/")
	return p, p != ""
}
