package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/images/archive"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/docker-scan/docker-scan/engine/iox"
	"github.com/docker-scan/docker-scan/engine/types"
)

// Where containerd is looked for when nothing else is said.
const (
	DefaultContainerdAddress = "/run/containerd/containerd.sock"
)

// DefaultContainerdNamespaces are searched in order: plain ctr/nerdctl
// images, Docker's containerd image store, Kubernetes.
var DefaultContainerdNamespaces = []string{"default", "moby", "k8s.io"}

// ContainerdOptions say which containerd to ask.
type ContainerdOptions struct {
	// Address of the socket; empty means CONTAINERD_ADDRESS or the default.
	Address string
	// Namespace to look in; empty means CONTAINERD_NAMESPACE or the defaults.
	Namespace string
}

func (o ContainerdOptions) address() string {
	switch {
	case o.Address != "":
		return o.Address
	case os.Getenv("CONTAINERD_ADDRESS") != "":
		return os.Getenv("CONTAINERD_ADDRESS")
	}
	return DefaultContainerdAddress
}

func (o ContainerdOptions) namespaces() []string {
	switch {
	case o.Namespace != "":
		return []string{o.Namespace}
	case os.Getenv("CONTAINERD_NAMESPACE") != "":
		return []string{os.Getenv("CONTAINERD_NAMESPACE")}
	}
	return DefaultContainerdNamespaces
}

// openContainerd reads an image straight from containerd's content store:
// manifest, config and layer blobs are read in place, with no export and no
// temp file. Only when a layer blob is missing from the store is the image
// exported, as an OCI archive.
func openContainerd(ctx context.Context, ref string, opts Options) (*types.Image, error) {
	addr := opts.Containerd.address()
	if _, err := os.Stat(addr); err != nil {
		return nil, fmt.Errorf("not running (no socket at %s)", addr)
	}
	c, err := containerd.New(addr, containerd.WithTimeout(5*time.Second))
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", addr, err)
	}
	ns, rec, err := findContainerdImage(ctx, c, ref, opts.Containerd.namespaces())
	if err == nil {
		var img *types.Image
		if img, err = containerdImage(namespaces.WithNamespace(ctx, ns), c, ref, rec, opts); err == nil {
			closeExport := img.Close
			img.Close = func() error { return errors.Join(closeExport(), c.Close()) }
			return img, nil
		}
	}
	c.Close()
	return nil, err
}

// findContainerdImage looks for ref as given and as Docker normalises it
// (alpine:3.20 is stored as docker.io/library/alpine:3.20), in each
// namespace in turn.
func findContainerdImage(ctx context.Context, c *containerd.Client, ref string, nss []string) (string, images.Image, error) {
	names := []string{ref}
	if named, err := reference.ParseDockerRef(ref); err == nil && named.String() != ref {
		names = append(names, named.String())
	}
	for _, ns := range nss {
		nsCtx := namespaces.WithNamespace(ctx, ns)
		for _, n := range names {
			rec, err := c.ImageService().Get(nsCtx, n)
			if errdefs.IsNotFound(err) {
				continue
			}
			if err != nil {
				return "", images.Image{}, err
			}
			return ns, rec, nil
		}
	}
	return "", images.Image{}, fmt.Errorf("%w (namespaces %s)", errNotFound, strings.Join(nss, ", "))
}

// containerdImage builds the image from the content store; ctx carries the
// namespace.
func containerdImage(ctx context.Context, c *containerd.Client, ref string, rec images.Image, opts Options) (*types.Image, error) {
	cs := c.ContentStore()
	match := platforms.Only(ocispec.Platform{OS: opts.Platform.OS, Architecture: opts.Platform.Architecture, Variant: opts.Platform.Variant})
	manifest, err := images.Manifest(ctx, cs, rec.Target, match)
	if err != nil {
		if errdefs.IsNotFound(err) {
			return nil, fmt.Errorf("no image for platform %s in %s: %w", opts.Platform, rec.Name, err)
		}
		return nil, fmt.Errorf("manifest: %w", err)
	}
	rawConfig, err := content.ReadBlob(ctx, cs, manifest.Config)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	var missing []string
	for _, l := range manifest.Layers {
		if _, err := cs.Info(ctx, l.Digest); err != nil {
			missing = append(missing, l.Digest.String())
		}
	}
	if len(missing) > 0 {
		var size int64
		for _, l := range manifest.Layers {
			size += l.Size
		}
		return exportContainerd(ctx, c, rec, match, ref, opts, missing, size)
	}
	// Layers are reported by diffID only, as the docker and podman sources
	// (which know no compressed digests) report them: the same image gives
	// the same results whichever engine holds it.
	var layers []blobLayer
	for _, l := range manifest.Layers {
		layers = append(layers, blobLayer{path: l.Digest.String(), size: l.Size})
	}
	byDigest := make(map[string]ocispec.Descriptor, len(manifest.Layers))
	for _, l := range manifest.Layers {
		byDigest[l.Digest.String()] = l
	}
	img, err := imageFromFS(ctx, contentFS{ctx: ctx, cs: cs, layers: byDigest}, ref, "containerd", rawConfig, layers)
	if err != nil {
		return nil, err
	}
	img.ID = manifest.Config.Digest.String()
	img.RepoTags = []string{rec.Name}
	if named, err := reference.ParseNormalizedNamed(rec.Name); err == nil {
		img.RepoDigests = []string{named.Name() + "@" + rec.Target.Digest.String()}
	}
	img.Close = func() error { return nil }
	return img, nil
}

// exportContainerd is the fallback for images whose layer blobs the
// content store no longer has: an OCI archive export into a temp file.
func exportContainerd(ctx context.Context, c *containerd.Client, rec images.Image, match platforms.MatchComparer, ref string, opts Options, missing []string, layersSize int64) (*types.Image, error) {
	tmp, err := createTemp(opts.TempDir, containerdExportPattern)
	if err != nil {
		return nil, err
	}
	cleanup := tmp.Remove
	// The export holds the image's layers as stored (compressed): capped
	// like an engine export, by the manifest's layer sizes.
	var w io.Writer = tmp
	if max := exportBudget(layersSize); max > 0 {
		w = &iox.BudgetWriter{W: tmp, Max: max, What: "the containerd export"}
	}
	err = c.Export(ctx, w, archive.WithImage(c.ImageService(), rec.Name), archive.WithPlatform(match))
	if err == nil {
		_, err = tmp.Seek(0, io.SeekStart)
	}
	var img *types.Image
	if err == nil {
		var a *archiveFS
		if a, err = openArchive(ctx, tmp.File); err == nil {
			img, err = openLayout(ctx, a, ref, "containerd", selector{Platform: opts.Platform, PlatformSet: opts.PlatformSet})
		}
	}
	if err != nil {
		cleanup()
		return nil, fmt.Errorf("layer blobs %v are not in containerd's content store, and exporting the image failed: %w", missing, err)
	}
	img.Close = cleanup
	return img, nil
}

// contentFS serves layer blobs from the content store, by digest.
type contentFS struct {
	ctx context.Context
	cs  content.Store
	// layers by digest: looking each up in the manifest's list would make
	// an image of many layers quadratic.
	layers map[string]ocispec.Descriptor
}

func (f contentFS) Open(name string) (fs.File, error) {
	desc, ok := f.layers[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	ra, err := f.cs.ReaderAt(f.ctx, desc)
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", name, err)
	}
	return &blobFile{SectionReader: io.NewSectionReader(ra, 0, ra.Size()), ra: ra, name: name}, nil
}

type blobFile struct {
	*io.SectionReader
	ra   content.ReaderAt
	name string
}

func (b *blobFile) Stat() (fs.FileInfo, error) { return archiveFileInfo{b.name, b.Size()}, nil }
func (b *blobFile) Close() error               { return b.ra.Close() }
