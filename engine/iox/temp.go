package iox

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/gofrs/flock"
)

// TempFile is a temp file that holds an exclusive lock for as long as it is
// open, so that RemoveOrphans can tell the files of a live process from
// those a killed one left behind.
type TempFile struct {
	*os.File
	lock *flock.Flock
}

// CreateTemp creates a temp file in dir (made if missing) as os.CreateTemp
// does, and locks it.
func CreateTemp(dir, pattern string) (*TempFile, error) {
	return createTemp(dir, pattern, (*flock.Flock).TryLock)
}

// CreateTempShared is CreateTemp with a shared lock: for a file that a
// library locks itself while reading it (go-rpmdb takes a shared flock on
// an rpm database, which an exclusive lock held by the same process would
// block forever). A shared lock keeps RemoveOrphans away just as well.
func CreateTempShared(dir, pattern string) (*TempFile, error) {
	return createTemp(dir, pattern, (*flock.Flock).TryRLock)
}

func createTemp(dir, pattern string, tryLock func(*flock.Flock) (bool, error)) (*TempFile, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	lock := flock.New(f.Name())
	if ok, err := tryLock(lock); err != nil || !ok {
		f.Close()
		os.Remove(f.Name())
		if err == nil {
			err = errors.New("locked by another process")
		}
		return nil, fmt.Errorf("lock temp file %s: %w", f.Name(), err)
	}
	return &TempFile{File: f, lock: lock}, nil
}

// Remove closes and deletes the file and releases its lock. It may be
// called more than once.
func (t *TempFile) Remove() error {
	t.File.Close()
	err := os.Remove(t.Name())
	t.lock.Close()
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// RemoveOrphans deletes the files in dir that match one of the glob
// patterns and that no live process holds locked: temp files that a run
// killed before it could clean up left behind. It returns how many bytes
// it freed.
func RemoveOrphans(dir string, patterns ...string) (int64, error) {
	var freed int64
	var errs []error
	for _, pat := range patterns {
		matches, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			return freed, err
		}
		for _, m := range matches {
			lock := flock.New(m)
			ok, err := lock.TryLock()
			if err != nil || !ok {
				continue // a live process holds it, or it vanished
			}
			if fi, err := os.Lstat(m); err == nil && fi.Mode().IsRegular() {
				if err := os.Remove(m); err == nil {
					freed += fi.Size()
				} else if !errors.Is(err, os.ErrNotExist) {
					errs = append(errs, err)
				}
			}
			lock.Close()
		}
	}
	return freed, errors.Join(errs...)
}

// ErrBudget is returned when a write passes its size budget.
var ErrBudget = errors.New("size budget exceeded")

// BudgetWriter passes writes to W until Max bytes have been written; the
// write that would pass Max fails with an error that wraps ErrBudget and
// names What and the budget, so that a bomb (a small gzip of many GB)
// stops early with a clear message.
type BudgetWriter struct {
	W       io.Writer
	Max     int64
	What    string
	written int64
}

func (b *BudgetWriter) Write(p []byte) (int, error) {
	if b.written+int64(len(p)) > b.Max {
		return 0, fmt.Errorf("%s is larger than %d bytes: %w", b.What, b.Max, ErrBudget)
	}
	n, err := b.W.Write(p)
	b.written += int64(n)
	return n, err
}
