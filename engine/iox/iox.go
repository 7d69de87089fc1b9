// Package iox holds the small I/O helpers that the engine and the runtime
// sources share.
package iox

import (
	"context"
	"io"
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
