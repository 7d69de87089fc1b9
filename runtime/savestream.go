package runtime

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/docker-scan/docker-scan/engine/iox"
	"github.com/docker-scan/docker-scan/engine/types"
)

// exportModeEnv chooses how the layers of an engine's image are read, to
// compare the ways or to work around one that fails on some engine:
// unset, in place from a local Docker engine's layer store when it can
// be (dockerstore.go), else from the streamed export; "streamed", from
// the streamed export always; "tempfile", from an export into a temp
// file.
const exportModeEnv = "DOCKER_SCAN_EXPORT"

func streamedExport() bool { return os.Getenv(exportModeEnv) != "tempfile" }

// inPlaceAllowed: the mode lets the docker source read layers in place.
func inPlaceAllowed() bool { return os.Getenv(exportModeEnv) == "" }

// stream reads the engine's export as it arrives and hands the engine each
// entry that may be a layer blob (types.Image.Stream): `<id>/layer.tar` of
// the legacy docker save format (Docker before 25), and blobs/sha256/<hex>
// of the OCI layout that Docker 25+ writes (layer, config and manifest
// blobs alike: the engine tells them apart by their bytes). Nothing is
// written to disk. The same progress, cap and cancellation as the
// temp-file export apply.
func (e *lazyExport) stream(ctx context.Context, visit func(digest string, blob io.Reader) error) (err error) {
	w, metered := e.meter(ctx, io.Discard)
	defer func() { metered(err) }()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		// e.write copies the engine's stream into pw; the tar reader
		// below is its only reader.
		err := e.write(ctx, pw)
		pw.CloseWithError(err)
		done <- err
	}()
	err = readSaveStream(ctx, io.TeeReader(pr, w), visit)
	// Stop the engine's stream when the reader is done early (every layer
	// needed was read) or failed.
	pr.CloseWithError(errStreamClosed)
	werr := <-done
	if err == nil && werr != nil && !errors.Is(werr, errStreamClosed) {
		err = werr
	}
	if err != nil {
		if errors.Is(err, iox.ErrBudget) {
			return fmt.Errorf("export image %s: the engine sent more than %s, %dx the image size it reports; the image or the engine is broken", e.id, iox.HumanSize(e.maxSize), exportExpansion)
		}
		return fmt.Errorf("export image %s: %w", e.id, err)
	}
	return nil
}

var errStreamClosed = errors.New("the export reader stopped")

func readSaveStream(ctx context.Context, r io.Reader, visit func(digest string, blob io.Reader) error) error {
	tr := tar.NewReader(iox.ContextReader{Ctx: ctx, R: r})
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if h.Typeflag != tar.TypeReg {
			continue // directories, and the symlinks of Docker 25+'s legacy names
		}
		name := cleanArchivePath(h.Name)
		var digest string
		switch {
		case strings.HasPrefix(name, "blobs/sha256/"):
			if hex := strings.TrimPrefix(name, "blobs/sha256/"); len(hex) == 64 {
				digest = "sha256:" + hex
			}
		case strings.HasSuffix(name, "/layer.tar"):
		default:
			continue // VERSION, json, config, manifest.json, index.json, repositories
		}
		if err := visit(digest, tr); err != nil {
			if errors.Is(err, types.ErrStreamDone) {
				return nil
			}
			return err
		}
	}
}
