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
	"syscall"
	"time"

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
	// MaxInputSize caps what an --input archive may take in TempDir once
	// decompressed (or copied from a pipe). 0 means InputBudget's
	// default: a gzip bomb must not fill the disk.
	MaxInputSize int64
}

// TempFilePatterns are the names of the temp files this package writes
// in Options.TempDir. Each is held locked while in use, so that
// iox.RemoveOrphans can delete those a killed run left behind.
var TempFilePatterns = []string{inputPattern, exportPattern, containerdExportPattern}

const (
	inputPattern            = "input-*.tar"
	exportPattern           = "export-*.tar"
	containerdExportPattern = "containerd-export-*.tar"
)

// Input budgets. Real image archives gzip 2-5x and never near 100x, so
// 100x the compressed size leaves room for any genuine one, and the
// 1 GiB floor for small archives of very compressible files; a bomb (a
// few MB of gzip that inflate to terabytes) stops there. A pipe has no
// size to scale: it gets a flat budget.
const (
	inputExpansion   = 100
	minInputBudget   = 1 << 30
	pipeInputBudget  = 16 << 30
	maxInputSizeFlag = "--max-input-size"
)

// InputBudget is how many bytes an --input archive of compressedSize
// bytes (-1 for a pipe) may take once decompressed, unless max (the
// user's choice) is set.
func InputBudget(max, compressedSize int64) int64 {
	switch {
	case max > 0:
		return max
	case compressedSize < 0:
		return pipeInputBudget
	}
	return maxInt64(minInputBudget, inputExpansion*compressedSize)
}

func maxInt64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
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
		dir, err := openDirFS(p)
		if err != nil {
			return nil, fmt.Errorf("input: %w", err)
		}
		img, err := openFS(ctx, dir, opts.Input, "oci-layout", sel)
		if err != nil {
			dir.Close()
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		img.Close = dir.Close
		return img, nil
	}
	f, cleanup, err := openTarFile(ctx, p, info, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	archive, err := openArchive(ctx, f)
	if err != nil {
		cleanup()
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	img, err := openFS(ctx, archive, opts.Input, "", sel)
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
// index.json. A digest names an image ID or a manifest in manifest.json's
// terms, or else any entry of index.json (a multi-platform image).
func openFS(ctx context.Context, fsys fs.FS, name, layoutSource string, sel selector) (*types.Image, error) {
	_, noIndex := fs.Stat(fsys, "index.json")
	if _, err := fs.Stat(fsys, "manifest.json"); err == nil {
		img, err := openDockerArchive(ctx, fsys, name, sel)
		if err == nil || sel.Digest == "" || noIndex != nil {
			return img, err
		}
	}
	if noIndex == nil {
		if layoutSource == "" {
			layoutSource = "oci-archive"
		}
		return openLayout(ctx, fsys, name, layoutSource, sel)
	}
	return nil, errors.New("not an image archive or layout: it has neither manifest.json (docker save) nor index.json (OCI)")
}

// openTarFile opens an uncompressed tar file. Archives are read by
// seeking, so a gzipped one is first decompressed into a temp file, and
// one that is not a regular file (a pipe, /dev/stdin) is first copied
// into one: both within a budget (InputBudget).
func openTarFile(ctx context.Context, p string, info fs.FileInfo, opts Options) (*os.File, func(), error) {
	if !info.Mode().IsRegular() {
		return spoolPipe(ctx, p, opts)
	}
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
	return spool(ctx, f, opts, InputBudget(opts.MaxInputSize, info.Size()), fmt.Sprintf("%dx its compressed size, at least %d GiB", inputExpansion, minInputBudget>>30))
}

// spoolPipe copies a pipe or device into a temp file. Like any reader of
// a pipe it waits for a writer, but only as long as ctx lasts: a FIFO
// nobody writes to cannot stall the scan past --timeout.
func spoolPipe(ctx context.Context, p string, opts Options) (*os.File, func(), error) {
	f, err := openPipe(ctx, p)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	stop := context.AfterFunc(ctx, func() { f.SetReadDeadline(time.Now()) })
	defer stop()
	return spool(ctx, f, opts, InputBudget(opts.MaxInputSize, -1), "the budget of an input that is not a regular file")
}

// openPipe opens p for reading, which for a FIFO blocks until a writer
// comes; when ctx ends first, it becomes that writer for an instant so
// that the open returns.
func openPipe(ctx context.Context, p string) (*os.File, error) {
	type opened struct {
		f   *os.File
		err error
	}
	ch := make(chan opened, 1)
	go func() {
		f, err := os.Open(p)
		ch <- opened{f, err}
	}()
	select {
	case o := <-ch:
		return o.f, o.err
	case <-ctx.Done():
	}
	if w, err := os.OpenFile(p, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
		w.Close()
	}
	select {
	case o := <-ch:
		if o.f != nil {
			o.f.Close()
		}
	case <-time.After(time.Second):
		// A device whose open never returns: its goroutine is left behind,
		// and the scan ends anyway.
	}
	return nil, fmt.Errorf("wait for a writer: %w", ctx.Err())
}

// spool writes r (decompressed if gzipped) into a locked temp file of at
// most max bytes; why says where max comes from, for the error.
func spool(ctx context.Context, r io.Reader, opts Options, max int64, why string) (*os.File, func(), error) {
	br := bufio.NewReaderSize(iox.ContextReader{Ctx: ctx, R: r}, 1<<20)
	var src io.Reader = br
	what := "input"
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		what = "decompressed input"
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("gzip: %w", err)
		}
		src = iox.ContextReader{Ctx: ctx, R: zr}
	}
	tmp, err := createTemp(opts.TempDir, inputPattern)
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { tmp.Remove() }
	w := &iox.BudgetWriter{W: tmp, Max: max, What: "input"}
	if _, err := io.Copy(w, src); err != nil {
		cleanup()
		if errors.Is(err, iox.ErrBudget) {
			return nil, nil, fmt.Errorf("%s is larger than %s (%s); raise %s if the archive is genuine", what, iox.HumanSize(max), why, maxInputSizeFlag)
		}
		if errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() != nil {
			err = ctx.Err()
		}
		if what == "input" {
			return nil, nil, fmt.Errorf("read input: %w", err)
		}
		return nil, nil, fmt.Errorf("decompress: %w", err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		cleanup()
		return nil, nil, err
	}
	return tmp.File, cleanup, nil
}

// createTemp makes a locked temp file in dir, or in the system's temp
// dir when none is configured.
func createTemp(dir, pattern string) (*iox.TempFile, error) {
	if dir == "" {
		dir = os.TempDir()
	}
	return iox.CreateTemp(dir, pattern)
}

// splitInput separates PATH from a trailing :REF or @DIGEST, where REF
// is a tag (3.18) or a full reference (alpine:3.18, ghcr.io/org/app:1,
// alpine@sha256:...). A path that exists as given wins, so file names
// containing ':' still work; otherwise PATH is the longest prefix that
// exists.
func splitInput(input string) (string, selector, error) {
	if _, err := os.Stat(input); err == nil {
		return input, selector{}, nil
	}
	for i := len(input) - 1; i > 0; i-- {
		if input[i] != ':' && input[i] != '@' {
			continue
		}
		p, rest := input[:i], input[i+1:]
		if _, err := os.Stat(p); err != nil || rest == "" {
			continue
		}
		if input[i] == ':' && !strings.Contains(rest, "@") {
			return p, selector{Tag: rest}, nil
		}
		// @DIGEST or :REPO@DIGEST: the digest names the image.
		d := rest
		if input[i] == ':' {
			d = rest[strings.LastIndex(rest, "@")+1:]
		}
		if _, err := v1.NewHash(d); err != nil {
			return "", selector{}, fmt.Errorf("input %q: bad digest: %w", input, err)
		}
		return p, selector{Digest: d}, nil
	}
	return input, selector{}, nil
}
