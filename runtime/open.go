package runtime

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"github.com/klauspost/compress/gzip"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/moby/client"

	"github.com/docker-scan/docker-scan/engine/iox"
	"github.com/docker-scan/docker-scan/engine/types"
)

// Options say where and how to look for an image.
type Options struct {
	// Input is a file (docker save or OCI archive, plain or gzipped) or an
	// OCI layout directory, optionally followed by :TAG or @DIGEST. When set,
	// the reference is not looked up anywhere else.
	Input string
	// Platform chooses among the images of a multi-platform index.
	Platform v1.Platform
	// PlatformSet is true when the user chose the platform explicitly.
	PlatformSet bool
	// Insecure allows plain HTTP and unverified TLS for registries.
	Insecure bool
	// TempDir is where archives that must be decompressed first, and
	// images exported from an engine, are written (inside the cache dir);
	// removed when the image is closed.
	TempDir string
	// Sources are tried in order until one has the image (--image-src).
	Sources []string
	// Docker returns the Docker API client, when the docker source is tried.
	Docker func() (DockerClient, error)
	// Containerd says which containerd to ask.
	Containerd ContainerdOptions
	// PodmanHost is Podman's API socket (unix://...); empty means
	// CONTAINER_HOST or the default sockets.
	PodmanHost string
}

// Image sources for --image-src.
const (
	SourceDocker     = "docker"
	SourceContainerd = "containerd"
	SourcePodman     = "podman"
	SourceRemote     = "remote"
)

// Runtimes are the sources that are container engines (for --runtime all).
var Runtimes = []string{SourceDocker, SourceContainerd, SourcePodman}

// DefaultSources are tried in this order when --image-src is not given.
var DefaultSources = []string{SourceDocker, SourceContainerd, SourcePodman, SourceRemote}

// errNotFound marks "this source does not have the image" as opposed to
// "this source could not be asked".
var errNotFound = errors.New("not found")

// Open finds the image named by ref (or opts.Input) and returns it ready for
// analysis. The caller must call img.Close.
func Open(ctx context.Context, ref string, opts Options) (*types.Image, error) {
	if opts.Input != "" {
		return openInput(ctx, opts)
	}
	if ref == "" {
		return nil, errors.New("no image given: name an image reference or use --input FILE|DIR")
	}
	sources := opts.Sources
	if len(sources) == 0 {
		sources = DefaultSources
	}
	var failures []string
	for _, src := range sources {
		img, err := openFrom(ctx, src, ref, opts)
		if err == nil {
			slog.Debug("image found", "source", src, "id", img.ID)
			return img, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		failures = append(failures, src+": "+whyNot(err))
	}
	return nil, &NotFoundError{Ref: ref, Answers: failures}
}

// NotFoundError says that no source has the image: each answered "not
// found" or could not be asked.
type NotFoundError struct {
	Ref string
	// Answers are each source's, as "source: why".
	Answers []string
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("image %s not found (%s)", e.Ref, strings.Join(e.Answers, "; "))
}

// Found is what one source answered for a reference.
type Found struct {
	Source string
	Image  *types.Image
	// Err says why the source has no image (not found, not running).
	Err error
}

// OpenEach asks every source for ref (for --runtime): unlike Open it does
// not stop at the first that has it. The caller closes the images found.
func OpenEach(ctx context.Context, ref string, sources []string, opts Options) []Found {
	var out []Found
	for _, src := range sources {
		img, err := openFrom(ctx, src, ref, opts)
		if err != nil {
			err = errors.New(whyNot(err))
		}
		out = append(out, Found{Source: src, Image: img, Err: err})
	}
	return out
}

func openFrom(ctx context.Context, src, ref string, opts Options) (*types.Image, error) {
	switch src {
	case SourceDocker:
		if opts.Docker == nil {
			return nil, errors.New("no Docker client configured")
		}
		c, err := opts.Docker()
		if err != nil {
			return nil, err
		}
		return openDocker(ctx, c, ref, opts)
	case SourceContainerd:
		return openContainerd(ctx, ref, opts)
	case SourcePodman:
		return openPodman(ctx, ref, opts)
	case SourceRemote:
		img, err := openRegistry(ctx, ref, opts)
		if err != nil {
			return nil, err
		}
		img.Close = func() error { return nil }
		return img, nil
	}
	return nil, fmt.Errorf("unknown image source %q", src)
}

// whyNot says in a few words why a source did not give the image.
func whyNot(err error) string {
	msg := strings.Join(strings.Fields(err.Error()), " ")
	switch {
	case errors.Is(err, errNotFound):
		// "not found", with what the source adds (the namespaces searched).
		return strings.TrimSuffix(strings.Split(msg, ": ")[0], ":")
	case client.IsErrConnectionFailed(err):
		return "not running (" + msg + ")"
	case strings.Contains(msg, "permission denied"):
		return "permission denied (" + msg + ")"
	}
	return msg
}

// openInput opens an archive file or a layout directory.
func openInput(ctx context.Context, opts Options) (*types.Image, error) {
	p, sel, err := splitInput(opts.Input)
	if err != nil {
		return nil, err
	}
	sel.Platform, sel.PlatformSet = opts.Platform, opts.PlatformSet
	info, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("input: %w", err)
	}
	if info.IsDir() {
		img, err := openFS(os.DirFS(p), opts.Input, "oci-layout", sel)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		img.Close = func() error { return nil }
		return img, nil
	}
	f, cleanup, err := openTarFile(ctx, p, opts.TempDir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	archive, err := openArchive(f)
	if err != nil {
		cleanup()
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	img, err := openFS(archive, opts.Input, "", sel)
	if err != nil {
		cleanup()
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	img.Close = func() error { cleanup(); return nil }
	return img, nil
}

// openFS reads whichever image format fsys holds. A docker save archive has
// manifest.json (since Docker 25 it is also an OCI layout; manifest.json is
// preferred because it carries the repo tags); an OCI archive or layout has
// index.json.
func openFS(fsys fs.FS, name, layoutSource string, sel selector) (*types.Image, error) {
	if _, err := fs.Stat(fsys, "manifest.json"); err == nil && sel.Digest == "" {
		return openDockerArchive(fsys, name, sel)
	}
	if _, err := fs.Stat(fsys, "index.json"); err == nil {
		if layoutSource == "" {
			layoutSource = "oci-archive"
		}
		return openLayout(fsys, name, layoutSource, sel)
	}
	return nil, errors.New("not an image archive or layout: it has neither manifest.json (docker save) nor index.json (OCI)")
}

// openTarFile opens an uncompressed tar file. A gzipped one is first
// decompressed into a temp file, since archives are read by seeking.
func openTarFile(ctx context.Context, p, tempDir string) (*os.File, func(), error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, nil, err
	}
	head := make([]byte, 2)
	n, _ := io.ReadFull(f, head)
	if n < 2 || head[0] != 0x1f || head[1] != 0x8b {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			f.Close()
			return nil, nil, err
		}
		return f, func() { f.Close() }, nil
	}
	defer f.Close()
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, nil, err
	}
	zr, err := gzip.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return nil, nil, fmt.Errorf("gzip: %w", err)
	}
	if tempDir != "" {
		if err := os.MkdirAll(tempDir, 0o700); err != nil {
			return nil, nil, err
		}
	}
	tmp, err := os.CreateTemp(tempDir, "input-*.tar")
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { tmp.Close(); os.Remove(tmp.Name()) }
	if _, err := io.Copy(tmp, iox.ContextReader{Ctx: ctx, R: zr}); err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("decompress: %w", err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		cleanup()
		return nil, nil, err
	}
	return tmp, cleanup, nil
}

// splitInput separates PATH from a trailing :TAG or @DIGEST. A path that
// exists as given wins, so file names containing ':' still work.
func splitInput(input string) (string, selector, error) {
	if _, err := os.Stat(input); err == nil {
		return input, selector{}, nil
	}
	if i := strings.LastIndex(input, "@"); i > 0 {
		if d := input[i+1:]; strings.HasPrefix(d, "sha256:") {
			if _, err := v1.NewHash(d); err != nil {
				return "", selector{}, fmt.Errorf("input %q: bad digest: %w", input, err)
			}
			return input[:i], selector{Digest: d}, nil
		}
	}
	if i := strings.LastIndex(input, ":"); i > 0 && !strings.Contains(input[i+1:], "/") {
		if _, err := os.Stat(input[:i]); err == nil {
			return input[:i], selector{Tag: input[i+1:]}, nil
		}
	}
	return input, selector{}, nil
}
