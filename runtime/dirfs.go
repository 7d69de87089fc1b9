package runtime

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// dirFS serves an image directory (an OCI layout, or an extracted docker
// save) as an fs.FS of its regular files and directories, and nothing
// else. The directory comes with the image, so it is as untrusted as the
// image: a blob that is a symlink to a host file would have that file
// scanned and its secrets reported, and a blob that is a FIFO would block
// the scan forever. os.Root keeps every open inside the directory; files
// are Lstat'ed first and opened without following a symlink or waiting
// on a FIFO, and the opened file must be the one Lstat saw.
type dirFS struct {
	root *os.Root
}

func openDirFS(dir string) (*dirFS, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &dirFS{root: root}, nil
}

func (d *dirFS) Close() error { return d.root.Close() }

func (d *dirFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	info, err := d.root.Lstat(name)
	if err != nil {
		return nil, err
	}
	if info.IsDir() {
		return d.root.Open(name)
	}
	if !info.Mode().IsRegular() {
		return nil, notRegular(name, info.Mode())
	}
	f, err := d.root.OpenFile(name, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	opened, err := f.Stat()
	if err == nil && (!opened.Mode().IsRegular() || !os.SameFile(info, opened)) {
		err = notRegular(name, opened.Mode())
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func notRegular(name string, mode fs.FileMode) error {
	kind := "not a regular file"
	switch {
	case mode&fs.ModeSymlink != 0:
		kind = "a symlink, which is not followed out of an image"
	case mode&fs.ModeNamedPipe != 0:
		kind = "a named pipe, not a file"
	case mode&(fs.ModeDevice|fs.ModeCharDevice) != 0:
		kind = "a device, not a file"
	case mode.IsRegular():
		kind = "replaced while it was opened"
	}
	return &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("%s", kind)}
}
