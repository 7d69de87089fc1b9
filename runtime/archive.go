package runtime

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"
)

// archiveFS serves the regular files of an uncompressed tar file as an
// fs.FS without extracting it: one pass over the headers (seeking past the
// contents) records where each file's bytes are, and opening a file reads
// that section. Image archives are then read in place, however many layers
// they hold; walking the whole tar once per blob, as a stream reader must,
// would read a large archive dozens of times.
type archiveFS struct {
	f       *os.File
	entries map[string]archiveEntry
}

type archiveEntry struct {
	offset, size int64
}

// maxArchiveEntries bounds the index of a hostile archive with millions of
// tiny entries. Image archives hold a few files per layer.
const maxArchiveEntries = 1 << 20

func openArchive(ctx context.Context, f *os.File) (*archiveFS, error) {
	a := &archiveFS{f: f, entries: map[string]archiveEntry{}}
	tr := tar.NewReader(f)
	for n := 0; ; n++ {
		// An archive of many entries takes a while to index: give up
		// when the scan is cancelled.
		if n%4096 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("not a readable tar archive: %w", err)
		}
		if len(a.entries) >= maxArchiveEntries {
			return nil, fmt.Errorf("tar archive has more than %d entries", maxArchiveEntries)
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		// archive/tar reads headers a block at a time and seeks past
		// contents, so the file offset is now the start of this entry's data.
		off, err := f.Seek(0, io.SeekCurrent)
		if err != nil {
			return nil, err
		}
		name := strings.TrimPrefix(path.Clean("/"+hdr.Name), "/")
		a.entries[name] = archiveEntry{offset: off, size: hdr.Size}
	}
	if len(a.entries) == 0 {
		return nil, errors.New("not an image archive: the tar file is empty")
	}
	return a, nil
}

func (a *archiveFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	e, ok := a.entries[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return &archiveFile{SectionReader: io.NewSectionReader(a.f, e.offset, e.size), name: name}, nil
}

type archiveFile struct {
	*io.SectionReader
	name string
}

func (f *archiveFile) Stat() (fs.FileInfo, error) { return archiveFileInfo{f.name, f.Size()}, nil }
func (f *archiveFile) Close() error               { return nil }

type archiveFileInfo struct {
	name string
	size int64
}

func (i archiveFileInfo) Name() string       { return path.Base(i.name) }
func (i archiveFileInfo) Size() int64        { return i.size }
func (i archiveFileInfo) Mode() fs.FileMode  { return 0o444 }
func (i archiveFileInfo) ModTime() time.Time { return time.Time{} }
func (i archiveFileInfo) IsDir() bool        { return false }
func (i archiveFileInfo) Sys() any           { return nil }
