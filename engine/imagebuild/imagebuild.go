// Package imagebuild writes small real images for tests, benchmarks and the
// demo, with go-containerregistry: layers from file lists, directories or
// root filesystem tarballs, stored as a docker save tarball, an OCI layout,
// an OCI archive, or pushed to a registry.
package imagebuild

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/docker-scan/docker-scan/engine/types"
)

// File is one tar entry of a layer. Type defaults to a regular file.
type File struct {
	Path     string
	Body     string
	Type     byte
	Linkname string
	Mode     int64
}

// epoch keeps generated layers byte-for-byte reproducible.
var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// TarBytes writes files as an uncompressed tar.
func TarBytes(files []File) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		hdr := &tar.Header{Name: f.Path, Typeflag: f.Type, Linkname: f.Linkname, Mode: f.Mode, ModTime: epoch}
		if hdr.Typeflag == 0 {
			hdr.Typeflag = tar.TypeReg
		}
		if hdr.Mode == 0 {
			hdr.Mode = 0o644
		}
		if hdr.Typeflag == tar.TypeReg {
			hdr.Size = int64(len(f.Body))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := io.WriteString(tw, f.Body); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Layer makes a gzip-compressed layer of files.
func Layer(files ...File) (v1.Layer, error) {
	b, err := TarBytes(files)
	if err != nil {
		return nil, err
	}
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
}

// LayerFromFile makes a layer of a tar or tar.gz file (an Alpine
// minirootfs, say). A plain tar is compressed at the fastest gzip level
// when the layer is written.
func LayerFromFile(path string) (v1.Layer, error) {
	return tarball.LayerFromFile(path, tarball.WithCompressionLevel(gzip.BestSpeed))
}

// DirTar writes the tree under dir as a tar file at dst: regular files,
// directories and symlinks, paths relative to dir. Special files are left
// out.
func DirTar(dir, dst string) error {
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	defer out.Close()
	tw := tar.NewWriter(out)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || rel == "." {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		case info.Mode().IsRegular(), info.IsDir():
		default:
			return nil
		}
		hdr, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return err
		}
		hdr.Name = filepath.ToSlash(rel)
		if info.IsDir() {
			hdr.Name += "/"
		}
		hdr.Uname, hdr.Gname = "", ""
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if info.Mode().IsRegular() {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			if _, err := io.Copy(tw, f); err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return out.Close()
}

// Image stacks layers into a linux image for arch with a minimal config.
func Image(arch string, layers ...v1.Layer) (v1.Image, error) {
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		return nil, err
	}
	return WithConfig(img, func(cf *v1.ConfigFile) {
		cf.OS, cf.Architecture = "linux", arch
		cf.Created = v1.Time{Time: epoch}
		cf.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
		cf.Config.Cmd = []string{"/bin/sh"}
	})
}

// WithConfig returns img with its config changed by edit (ENV, labels,
// history), on a copy: img itself is unchanged.
func WithConfig(img v1.Image, edit func(*v1.ConfigFile)) (v1.Image, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	edit(cf)
	return mutate.ConfigFile(img, cf)
}

// WriteDockerArchive writes img as `docker save` would, tagged tag.
func WriteDockerArchive(path, tag string, img v1.Image) error {
	t, err := name.NewTag(tag)
	if err != nil {
		return err
	}
	return tarball.WriteToFile(path, t, img)
}

// WriteOCILayout writes img into an OCI layout directory, annotated with tag.
func WriteOCILayout(dir, tag string, img v1.Image) error {
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	return p.AppendImage(img, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": tag,
	}))
}

// WriteOCIArchive writes img as an OCI layout packed in a tar file.
func WriteOCIArchive(path, tag string, img v1.Image) error {
	dir, err := os.MkdirTemp("", "oci-archive-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := WriteOCILayout(dir, tag, img); err != nil {
		return err
	}
	return DirTar(dir, path)
}

// Push uploads img to a registry reference (plain HTTP allowed, for the
// in-process test registry).
func Push(ref string, img v1.Image) error {
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		return err
	}
	return remote.Write(r, img)
}

// EngineImage hands a go-containerregistry image to the engine directly,
// without a runtime source, for engine tests and benchmarks.
func EngineImage(name string, img v1.Image) (*types.Image, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	id, err := img.ConfigName()
	if err != nil {
		return nil, err
	}
	layers, err := img.Layers()
	if err != nil {
		return nil, err
	}
	out := &types.Image{Name: name, ID: id.String(), Config: cf, Source: "test", Close: func() error { return nil }}
	for _, l := range layers {
		digest, err := l.Digest()
		if err != nil {
			return nil, err
		}
		diffID, err := l.DiffID()
		if err != nil {
			return nil, err
		}
		size, err := l.Size()
		if err != nil {
			return nil, err
		}
		out.Layers = append(out.Layers, types.Layer{Digest: digest.String(), DiffID: diffID.String(), Size: size, Open: l.Compressed})
	}
	return out, nil
}

// GoBinary builds, in dir, a Go program that depends on the given modules
// (path@version), through the module proxy, and returns its path.
func GoBinary(dir string, requires ...string) (string, error) {
	return GoBinaryEnv(dir, nil, requires...)
}

// GoBinaryEnv is GoBinary with extra environment for the go command:
// GOOS/GOARCH to cross-compile, GOTOOLCHAIN=go1.17.13 for an older
// toolchain (fetched through the module proxy).
func GoBinaryEnv(dir string, env []string, requires ...string) (string, error) {
	gomod := "module example.com/app\n\ngo 1.17\n"
	var imports []string
	for _, r := range requires {
		path, version, _ := strings.Cut(r, "@")
		gomod += "\nrequire " + path + " " + version + "\n"
		imports = append(imports, "\t_ \""+path+"/"+goImportSuffix[path]+"\"")
	}
	main := "package main\n\nimport (\n" + strings.Join(imports, "\n") + "\n)\n\nfunc main() {}\n"
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(main), 0o644); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "app")
	for _, args := range [][]string{{"mod", "tidy"}, {"build", "-o", bin, "."}} {
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		cmd.Env = append(append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=mod"), env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("go %v: %v: %s", args, err, out)
		}
	}
	return bin, nil
}

// goImportSuffix names a package to import from each module GoBinary knows.
var goImportSuffix = map[string]string{"golang.org/x/text": "language"}

// RustAuditableBinary writes, in dir, an ELF executable carrying
// cargo-auditable's .dep-v0 section with depsJSON (zlib-compressed, as
// cargo-auditable stores it): objcopy adds the section to a copy of
// /bin/true, since cargo-auditable itself cannot be installed offline.
func RustAuditableBinary(dir, depsJSON string) (string, error) {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write([]byte(depsJSON))
	if err := zw.Close(); err != nil {
		return "", err
	}
	dep := filepath.Join(dir, "dep.z")
	if err := os.WriteFile(dep, z.Bytes(), 0o644); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "rust-tool")
	out, err := exec.Command("objcopy", "--add-section", ".dep-v0="+dep, "--set-section-flags", ".dep-v0=noload,readonly", "/bin/true", bin).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("objcopy: %v: %s", err, out)
	}
	return bin, os.Chmod(bin, 0o755)
}

// DockerArchiveOf writes, as `docker save` would under tag, an amd64 image
// of one layer per file list.
func DockerArchiveOf(path, tag string, layers ...[]File) error {
	var ls []v1.Layer
	for _, files := range layers {
		l, err := Layer(files...)
		if err != nil {
			return err
		}
		ls = append(ls, l)
	}
	img, err := Image("amd64", ls...)
	if err != nil {
		return err
	}
	return WriteDockerArchive(path, tag, img)
}
