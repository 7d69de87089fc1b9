// Package iox holds the small I/O helpers that the engine and the runtime
// sources share.
package iox

import (
	"context"
	"io"
	"os"
	"path/filepath"
)

// ContextReader stops a long copy (a download, an export, a decompression)
// when ctx is cancelled: each Read first checks ctx.
type ContextReader struct {
	Ctx context.Context
	R   io.Reader
}

func (c ContextReader) Read(p []byte) (int, error) {
	if err := c.Ctx.Err(); err != nil {
		return 0, err
	}
	return c.R.Read(p)
}

// ContextWriter stops a long write (a report to a slow pipe) when ctx is
// cancelled: each Write first checks ctx.
type ContextWriter struct {
	Ctx context.Context
	W   io.Writer
}

func (c ContextWriter) Write(p []byte) (int, error) {
	if err := c.Ctx.Err(); err != nil {
		return 0, err
	}
	return c.W.Write(p)
}

// WriteFileAtomic writes data to path through a temp file beside it,
// renamed when complete: readers see the old file or the new one, never
// half of one, and a failure leaves nothing behind.
func WriteFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
