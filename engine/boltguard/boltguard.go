// Package boltguard reads bbolt files that may be damaged (truncated, with
// zeroed or random pages, or overwritten in place by another process while
// they are mapped) without crashing the process. bbolt trusts its pages:
// a bad one makes it panic, and a page past the end of a truncated file is
// a memory fault (SIGBUS) that the Go runtime turns into a fatal error
// unless the goroutine asked for a panic instead. Every function that
// reads bbolt pages runs through Run; a file is checked cheaply with
// Header before bbolt maps it, and fully with Verify when it is new.
package boltguard

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"runtime/debug"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// ErrCorrupt is wrapped by every error that says a file is damaged (as
// opposed to missing, locked or unreadable).
var ErrCorrupt = errors.New("damaged bbolt file")

// Fault is the error of a read that panicked or faulted. The bbolt handle
// it happened on may hold its internal locks: it must be given to Abandon,
// not closed.
type Fault struct{ Cause any }

func (f *Fault) Error() string {
	if re, ok := f.Cause.(interface{ Addr() uintptr }); ok {
		return fmt.Sprintf("a page could not be read (memory fault at %#x): the file was truncated or changed while it was read", re.Addr())
	}
	return fmt.Sprintf("a page is inconsistent (%v)", f.Cause)
}

func (f *Fault) Is(target error) bool { return target == ErrCorrupt }

// Run calls fn, which reads bbolt pages, and turns a panic or a memory
// fault in it into a *Fault. The fault setting is per goroutine and
// restored on return, so that a fault elsewhere stays fatal.
func Run(fn func() error) (err error) {
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if r := recover(); r != nil {
			err = &Fault{Cause: r}
		}
	}()
	return fn()
}

// Faulted reports whether err came from a panic or a fault in Run.
func Faulted(err error) bool {
	var f *Fault
	return errors.As(err, &f)
}

// Abandon releases a handle after a fault. bbolt's Close waits for the
// locks that the faulting transaction may still hold, so it runs in the
// background and is not waited for: at worst one mapping and one file
// descriptor of a damaged file stay until the process exits. Callers move
// the damaged file aside, so the lock on it blocks nobody.
func Abandon(b *bolt.DB) {
	if b == nil {
		return
	}
	go func() { _ = Run(b.Close) }()
}

// Layout of a bbolt meta page: a 16-byte page header, then the meta.
const (
	pageHeaderSize = 16
	metaSize       = 64 // magic .. checksum
	metaSumSize    = 56 // what the checksum covers
	magic          = 0xED0CDAED
	formatVersion  = 2
	minPageSize    = 512
	maxPageSize    = 1 << 20
)

type meta struct {
	pageSize uint32
	pgid     uint64 // high-water mark: the file holds pages [0, pgid)
	txid     uint64
}

// Header checks, without mapping it, that the file at path is a bbolt file
// whose newest valid meta page fits the file: an empty, short, foreign or
// truncated file is reported here, before bbolt maps it and faults on the
// missing pages.
func Header(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	size := fi.Size()
	if size == 0 {
		return fmt.Errorf("%w: the file is empty", ErrCorrupt)
	}
	m0, ok0 := readMeta(f, 0)
	candidates := []int64{int64(os.Getpagesize()), 4096}
	if ok0 {
		candidates = append([]int64{int64(m0.pageSize)}, candidates...)
	}
	var m1 meta
	ok1 := false
	for _, ps := range candidates {
		if m1, ok1 = readMeta(f, ps); ok1 && int64(m1.pageSize) == ps {
			break
		}
		ok1 = false
	}
	best, ok := m0, ok0
	if ok1 && (!ok0 || m1.txid > m0.txid) {
		best, ok = m1, true
	}
	if !ok {
		if size < 2*minPageSize {
			return fmt.Errorf("%w: the file is %d bytes, too short for a bbolt file", ErrCorrupt, size)
		}
		return fmt.Errorf("%w: not a bbolt file, or both of its meta pages are damaged", ErrCorrupt)
	}
	need := best.pgid * uint64(best.pageSize)
	if best.pgid < 4 || need/uint64(best.pageSize) != best.pgid {
		return fmt.Errorf("%w: its meta page names an impossible size (%d pages)", ErrCorrupt, best.pgid)
	}
	if uint64(size) < need {
		return fmt.Errorf("%w: the file is truncated: %d bytes, its pages need %d", ErrCorrupt, size, need)
	}
	return nil
}

// readMeta reads and validates the meta page at off.
func readMeta(r io.ReaderAt, off int64) (meta, bool) {
	buf := make([]byte, pageHeaderSize+metaSize)
	if _, err := r.ReadAt(buf, off); err != nil {
		return meta{}, false
	}
	b := buf[pageHeaderSize:]
	order := binary.NativeEndian
	h := fnv.New64a()
	h.Write(b[:metaSumSize])
	if order.Uint32(b[0:]) != magic || order.Uint32(b[4:]) != formatVersion || order.Uint64(b[56:]) != h.Sum64() {
		return meta{}, false
	}
	m := meta{pageSize: order.Uint32(b[8:]), pgid: order.Uint64(b[40:]), txid: order.Uint64(b[48:])}
	if m.pageSize < minPageSize || m.pageSize > maxPageSize || m.pageSize&(m.pageSize-1) != 0 {
		return meta{}, false
	}
	return m, true
}

// Handle is a bbolt file opened through Open: the DB (nil when Open
// failed) and the file bbolt opened, kept so that a fault can release the
// file's lock and tell which file was damaged.
type Handle struct {
	DB   *bolt.DB
	file *os.File
	info os.FileInfo
}

// Open opens path as bbolt with opts; a damaged file is an error wrapping
// ErrCorrupt, never a crash. With header, the file is checked by Header
// first (before bbolt takes its lock: only for files that are replaced by
// renaming, never written in place). The Handle is non-nil whenever the
// file was opened, even when err is not.
func Open(path string, mode os.FileMode, opts *bolt.Options, header bool) (*Handle, error) {
	if header {
		if err := Header(path); err != nil {
			return nil, err
		}
	}
	h := &Handle{}
	o := *opts
	openFile := o.OpenFile
	if openFile == nil {
		openFile = os.OpenFile
	}
	o.OpenFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
		f, err := openFile(name, flag, perm)
		if err == nil {
			h.file = f
			h.info, _ = f.Stat()
		}
		return f, err
	}
	err := Run(func() error {
		var err error
		h.DB, err = bolt.Open(path, mode, &o)
		return err
	})
	if err != nil {
		if Faulted(err) {
			// bbolt lost its handle in the panic, with the lock on it.
			h.Release()
		} else if isFormatError(err) {
			err = fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
	}
	if h.file == nil {
		return nil, err
	}
	return h, err
}

// Release gives up a handle after a fault: the file is closed at once,
// which drops its lock (other processes and handles may open the path
// again), and the DB is abandoned (see Abandon).
func (h *Handle) Release() {
	if h == nil {
		return
	}
	if h.file != nil {
		h.file.Close()
	}
	Abandon(h.DB)
	h.DB = nil
}

// Close closes a handle that did not fault.
func (h *Handle) Close() error {
	if h == nil || h.DB == nil {
		return nil
	}
	return Run(h.DB.Close)
}

// Opened reports whether path still names the file the handle opened.
func (h *Handle) Opened(path string) bool {
	if h == nil || h.info == nil {
		return false
	}
	cur, err := os.Stat(path)
	return err == nil && os.SameFile(h.info, cur)
}

// isFormatError tells bbolt's errors about file content from those about
// access (a lock timeout, a permission).
func isFormatError(err error) bool {
	var pe *os.PathError
	if errors.As(err, &pe) || errors.Is(err, bolterrors.ErrTimeout) || errors.Is(err, os.ErrPermission) {
		return false
	}
	return true
}

// Verify reads every page of b that a lookup could reach (every bucket,
// key and value) on the calling goroutine, where faults are caught, and
// then runs bbolt's own consistency check, which runs on a goroutine of
// its own and is safe only once every reachable page is known to be
// readable. b must have been opened with PreLoadFreelist, so that the
// freelist pages are read under Run too.
func Verify(b *bolt.DB) error {
	err := Run(func() error {
		return b.View(func(tx *bolt.Tx) error {
			return tx.ForEach(func(name []byte, bk *bolt.Bucket) error {
				return walk(bk, 0)
			})
		})
	})
	if err != nil {
		if Faulted(err) {
			return err
		}
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return Run(func() error {
		return b.View(func(tx *bolt.Tx) error {
			var errs []error
			for err := range tx.Check() {
				if len(errs) < 3 {
					errs = append(errs, err)
				}
			}
			if len(errs) > 0 {
				return fmt.Errorf("%w: %v", ErrCorrupt, errors.Join(errs...))
			}
			return nil
		})
	})
}

// maxDepth bounds the nesting of buckets a walk follows: trivy-db nests
// three deep; a cycle in a damaged file must not recurse forever.
const maxDepth = 16

func walk(bk *bolt.Bucket, depth int) error {
	if depth > maxDepth {
		return errors.New("buckets nested too deep")
	}
	c := bk.Cursor()
	var sum byte
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if v == nil {
			if child := bk.Bucket(k); child != nil {
				if err := walk(child, depth+1); err != nil {
					return err
				}
			}
			continue
		}
		// Touch the value's last byte: an overflow page past the end of
		// the file faults here, under Run, not later in a lookup.
		if len(v) > 0 {
			sum ^= v[len(v)-1]
		}
	}
	_ = sum
	return nil
}
