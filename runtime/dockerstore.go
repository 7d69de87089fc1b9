package runtime

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/moby/moby/api/types/image"
	"github.com/vbatts/tar-split/tar/storage"
	"golang.org/x/sys/unix"

	"github.com/docker-scan/docker-scan/engine/iox"
	"github.com/docker-scan/docker-scan/engine/types"
)

// The Docker engine's own layer store, read in place. Docker before the
// containerd image store (the default until Docker 29) keeps each layer
// unpacked in its storage driver's directory and the layer's tar headers,
// padding and file order in tar-split metadata
// (<data-root>/image/<driver>/layerdb/sha256/<chain ID>/tar-split.json.gz),
// and builds `docker save`'s layer tars from the two. A scanner on the same
// machine, allowed to read the data root (root, as CI runners are), builds
// the same bytes itself: no export, nothing written to disk, and the
// analysis starts at once. Docker 20.10's ImageSave writes the whole image
// into a temp dir of its own before the first byte is sent: 14 s for an
// 800 MB image here, against about 1 s to read it in place.
//
// The bytes are the layer's diffID's or the scan fails: the engine checks
// every layer it reads against its diffID, as for any other source.
// Anything this reader cannot account for (another storage driver, a
// remote or rootless engine whose paths are not ours, a missing or
// unreadable file) turns it off before a byte is read, and the export is
// used as before.

// inPlaceDrivers are the storage drivers whose layer directory holds the
// layer's own files, by their tar names, under <data-root>/<driver>/<cache
// ID>/diff.
var inPlaceDrivers = map[string]bool{"overlay2": true, "fuse-overlayfs": true}

// dockerStore is the layer store of a local engine.
type dockerStore struct {
	root, driver string
}

// localDockerStore finds the data root of the engine that inspect came
// from, from the top layer's directory, when its driver is one this
// reader knows and the directory is there to read.
func localDockerStore(inspect image.InspectResponse) (*dockerStore, error) {
	if err := inPlaceUser(); err != nil {
		return nil, err
	}
	gd := inspect.GraphDriver
	if gd == nil || !inPlaceDrivers[gd.Name] {
		return nil, errors.New("the storage driver is not overlay2 or fuse-overlayfs")
	}
	upper := gd.Data["UpperDir"]
	// <data-root>/<driver>/<cache ID>/diff
	if !filepath.IsAbs(upper) || filepath.Base(upper) != "diff" || filepath.Base(filepath.Dir(filepath.Dir(upper))) != gd.Name {
		return nil, fmt.Errorf("the top layer's directory %q is not where the %s driver keeps layers", upper, gd.Name)
	}
	s := &dockerStore{root: filepath.Dir(filepath.Dir(filepath.Dir(upper))), driver: gd.Name}
	if _, err := os.Stat(upper); err != nil {
		return nil, err
	}
	return s, nil
}

// storedLayer is one layer in the store: its tar-split metadata and the
// directory of its files.
type storedLayer struct {
	diffID, tarSplit, dir string
}

// layers finds every layer of diffIDs in the store. The chain of the top
// layer must have the directory inspect named (upper): then the store is
// the engine's own, not a directory that happens to have the same path.
func (s *dockerStore) layers(diffIDs []string, upper string) ([]storedLayer, error) {
	var out []storedLayer
	chain := ""
	for _, d := range diffIDs {
		if !strings.HasPrefix(d, "sha256:") || len(d) != len("sha256:")+64 {
			return nil, fmt.Errorf("layer %q is not a sha256 digest", d)
		}
		if chain == "" {
			chain = d
		} else {
			sum := sha256.Sum256([]byte(chain + " " + d))
			chain = "sha256:" + hex.EncodeToString(sum[:])
		}
		meta := filepath.Join(s.root, "image", s.driver, "layerdb", "sha256", strings.TrimPrefix(chain, "sha256:"))
		diff, err := readSmall(filepath.Join(meta, "diff"))
		if err != nil {
			return nil, err
		}
		if diff != d {
			return nil, fmt.Errorf("layer store entry %s is for %s, not %s", meta, diff, d)
		}
		cacheID, err := readSmall(filepath.Join(meta, "cache-id"))
		if err != nil {
			return nil, err
		}
		if !plainName(cacheID) {
			return nil, fmt.Errorf("layer store entry %s names no directory", meta)
		}
		l := storedLayer{diffID: d, tarSplit: filepath.Join(meta, "tar-split.json.gz"), dir: filepath.Join(s.root, s.driver, cacheID, "diff")}
		for _, p := range []string{l.tarSplit, l.dir} {
			if _, err := os.Stat(p); err != nil {
				return nil, err
			}
		}
		out = append(out, l)
	}
	if len(out) == 0 {
		return nil, errors.New("the image has no layers")
	}
	if top := out[len(out)-1].dir; top != filepath.Clean(upper) {
		return nil, fmt.Errorf("the top layer is in %s, the engine says %s", top, upper)
	}
	return out, nil
}

// inPlaceUser says why this process may not read an engine's store in
// place: only root reads every file of a layer (a rootless engine's
// layers hold files of its subordinate users that their owner cannot
// read, and a read that fails half-way through a layer cannot fall back).
func inPlaceUser() error {
	if os.Geteuid() != 0 && !anyUserInPlace {
		return errors.New("not root")
	}
	return nil
}

// plainName: an ID from a store's metadata names one entry of a
// directory, never a path.
func plainName(id string) bool {
	return id != "" && id != "." && id != ".." && !strings.ContainsAny(id, `/\`)
}

// readSmall reads one of the store's small metadata files (a digest, an
// ID), trimmed.
func readSmall(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 256))
	return strings.TrimSpace(string(b)), err
}

// open assembles the layer's tar: the headers and padding from tar-split,
// each file's bytes from the layer directory.
func (l storedLayer) open() (io.ReadCloser, error) {
	rc, err := l.assemble()
	if err != nil {
		return nil, fmt.Errorf("layer %s: %w%s", l.diffID, err, readHint)
	}
	return rc, nil
}

func (l storedLayer) assemble() (io.ReadCloser, error) {
	root, err := os.OpenRoot(l.dir)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(l.tarSplit)
	if err != nil {
		root.Close()
		return nil, err
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		root.Close()
		f.Close()
		return nil, fmt.Errorf("%s: %w", l.tarSplit, err)
	}
	// Assembling costs about as much CPU as the walker that reads it
	// (a system call or three per file, the metadata's JSON): the two run
	// side by side, 4 MiB apart at most.
	return iox.ReadAhead(&assembledTar{layer: l, root: root, meta: f, unpack: newTarSplitReader(zr), dirFD: -1, noOpenat2: noOpenat2}, 1<<20, 4), nil
}

// assembledTar is the tar of a stored layer, built as it is read. The
// tar-split library has an assembler too; it also checks each file's
// CRC-64 (a second pass over every byte), which the diffID check that
// follows makes redundant.
type assembledTar struct {
	layer  storedLayer
	root   *os.Root
	meta   *os.File
	unpack storage.Unpacker
	// piece is what is being read now: a segment (headers and padding)
	// or a file's bytes; file is that file, name its tar name and left
	// how many of its bytes the tar holds that are not read yet.
	piece bytes.Reader
	file  *os.File
	name  string
	left  int64
	err   error
	// dir is the layer directory opened for openat2 (dirFD its
	// descriptor, -1 before), noOpenat2 set once openat2 is refused.
	dir       *os.File
	dirFD     int
	noOpenat2 bool
	// hinted: err ends with readHint.
	hinted bool
}

// readHint ends the errors of a layer read in place.
const readHint = " (DOCKER_SCAN_EXPORT=streamed reads the image through the engine's export instead)"

func (a *assembledTar) Read(p []byte) (int, error) {
	n, err := a.read(p)
	if err != nil && err != io.EOF && !a.hinted {
		a.err, a.hinted = fmt.Errorf("%w%s", err, readHint), true
		err = a.err
	}
	return n, err
}

func (a *assembledTar) read(p []byte) (int, error) {
	for a.err == nil {
		if a.file != nil {
			n, err := a.file.Read(p[:min(int64(len(p)), a.left)])
			a.left -= int64(n)
			if a.left == 0 || err != nil {
				a.file.Close()
				a.file = nil
				if a.left > 0 {
					a.err = fmt.Errorf("layer %s: %s in %s is shorter than its tar header says: %v", a.layer.diffID, a.name, a.layer.dir, err)
				}
			}
			if n > 0 {
				return n, nil
			}
			continue
		}
		if a.piece.Len() > 0 {
			return a.piece.Read(p)
		}
		e, err := a.unpack.Next()
		if err == io.EOF {
			a.err = io.EOF
			break
		}
		if err != nil {
			a.err = fmt.Errorf("layer %s: %s: %w", a.layer.diffID, a.layer.tarSplit, err)
			break
		}
		switch e.Type {
		case storage.SegmentType:
			a.piece.Reset(e.Payload)
		case storage.FileType:
			if e.Size > 0 {
				a.openFile(e.GetName(), e.Size)
			}
		default:
			a.err = fmt.Errorf("layer %s: %s: entry of unknown type %d", a.layer.diffID, a.layer.tarSplit, e.Type)
		}
	}
	return 0, a.err
}

// openFile opens a file of the layer directory by its tar name, never
// outside the directory (os.Root: no "..", no symlink out) and never a
// FIFO or a device, whose reads could block or never end.
func (a *assembledTar) openFile(name string, size int64) {
	rel := strings.TrimPrefix(filepath.Clean("/"+name), "/")
	f, err := a.openat2(rel)
	if errors.Is(err, errors.ErrUnsupported) {
		f, err = a.root.OpenFile(rel, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW, 0)
	}
	if err == nil {
		var info os.FileInfo
		if info, err = f.Stat(); err == nil && !info.Mode().IsRegular() {
			err = errors.New("not a regular file")
		}
		if err != nil {
			f.Close()
		}
	}
	if err != nil {
		a.err = fmt.Errorf("layer %s: read %s in %s: %w", a.layer.diffID, name, a.layer.dir, err)
		return
	}
	a.file, a.name, a.left = f, name, size
}

// openat2 opens rel in the layer directory with one openat2 call,
// resolved as if the directory were the root (RESOLVE_IN_ROOT): os.Root
// opens each component in turn, which cost a second of system time per
// 45,000 files. errors.ErrUnsupported when the kernel (before 5.6) or a
// seccomp filter refuses openat2: os.Root is used from then on.
func (a *assembledTar) openat2(rel string) (*os.File, error) {
	if a.noOpenat2 {
		return nil, errors.ErrUnsupported
	}
	if a.dirFD < 0 {
		d, err := a.root.Open(".")
		if err != nil {
			return nil, err
		}
		a.dir, a.dirFD = d, int(d.Fd())
	}
	how := unix.OpenHow{
		Flags:   unix.O_RDONLY | unix.O_NONBLOCK | unix.O_NOFOLLOW | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	}
	for {
		fd, err := unix.Openat2(a.dirFD, rel, &how)
		switch {
		case err == nil:
			return os.NewFile(uintptr(fd), rel), nil
		case err == unix.EINTR || err == unix.EAGAIN:
			continue
		case err == unix.ENOSYS || err == unix.EPERM:
			a.noOpenat2 = true
			return nil, errors.ErrUnsupported
		default:
			return nil, &os.PathError{Op: "openat2", Path: rel, Err: err}
		}
	}
}

func (a *assembledTar) Close() error {
	if a.dir != nil {
		a.dir.Close()
	}
	if a.file != nil {
		a.file.Close()
	}
	a.meta.Close()
	return a.root.Close()
}

// noOpenat2 makes the tests take the os.Root way; anyUserInPlace lets
// them read their own stores as any user.
var noOpenat2, anyUserInPlace = false, false

// inPlaceLayers are the image's layers read from the store.
func inPlaceLayers(stored []storedLayer) []types.Layer {
	out := make([]types.Layer, len(stored))
	for i, l := range stored {
		out[i] = types.Layer{DiffID: l.diffID, Open: l.open}
	}
	return out
}

// dockerContainerdNamespace is where Docker's containerd image store
// keeps its images in containerd.
const dockerContainerdNamespace = "moby"

// dockerContainerdLayers reads the layers of the engine's image from
// containerd's content store, namespace moby, as the containerd source
// does: where Docker's containerd image store (the default of Docker 29's
// new installs) keeps them. The image is looked up by the name asked for
// and by its tags, and taken only when its diffIDs are the engine's, so
// that another copy under the same tag is never read instead.
func dockerContainerdLayers(ctx context.Context, ref string, inspect image.InspectResponse, opts Options) ([]types.Layer, func() error, error) {
	if err := inPlaceUser(); err != nil {
		return nil, nil, err
	}
	o := opts
	o.Containerd.Namespace = dockerContainerdNamespace
	if _, err := os.Stat(o.Containerd.address()); err != nil {
		return nil, nil, fmt.Errorf("no containerd socket at %s", o.Containerd.address())
	}
	names := []string{ref}
	for _, t := range inspect.RepoTags {
		if !slices.Contains(names, t) {
			names = append(names, t)
		}
	}
	var errs []error
	for _, name := range names {
		img, err := openContainerd(ctx, name, o)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var diffIDs []string
		for _, d := range img.Config.RootFS.DiffIDs {
			diffIDs = append(diffIDs, d.String())
		}
		if slices.Equal(diffIDs, inspect.RootFS.Layers) && len(diffIDs) > 0 {
			return img.Layers, img.Close, nil
		}
		img.Close()
		errs = append(errs, fmt.Errorf("containerd's %s has other layers than the engine's", name))
	}
	return nil, nil, fmt.Errorf("containerd (namespace %s): %w", dockerContainerdNamespace, errors.Join(errs...))
}
