package server

import (
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/docker-scan/docker-scan/engine/db"
)

// DBHolder holds the vulnerability DB that scans use, and swaps it for a
// newer one while scans run. A scan calls Acquire once and keeps the DB
// it got until it calls the release func, so that every lookup of one
// scan sees the same DB; a DB that was swapped out is closed when its
// last scan releases it. The zero value holds no DB; it is safe for
// concurrent use.
type DBHolder struct {
	mu  sync.Mutex
	cur *generation
	// closed is set by Close: no DB is handed out any more.
	closed bool
}

// generation is one DB the holder served, with the scans holding it.
type generation struct {
	db   *db.DB
	meta db.Metadata
	// file identifies the file the DB was opened from (its inode), so
	// that a DB installed over it is noticed; nil when unknown.
	file os.FileInfo
	// refs counts the scans holding the DB; retired is set once it is
	// no longer current. The DB is closed when both say so.
	refs    int
	retired bool
}

// NewDBHolder holds d (nil: none yet), with the metadata.json beside it.
func NewDBHolder(d *db.DB) *DBHolder {
	h := &DBHolder{}
	if d != nil {
		h.Swap(d)
	}
	return h
}

// Acquire returns the current DB and the func that releases it; the func
// may be called more than once. It returns nil (and a func that does
// nothing) when no DB is loaded.
func (h *DBHolder) Acquire() (*db.DB, func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	g := h.cur
	if g == nil {
		return nil, func() {}
	}
	g.refs++
	var once sync.Once
	return g.db, func() { once.Do(func() { h.release(g) }) }
}

func (h *DBHolder) release(g *generation) {
	h.mu.Lock()
	g.refs--
	last := g.retired && g.refs == 0
	h.mu.Unlock()
	if last {
		closeGeneration(g)
	}
}

// Swap makes next the DB of the scans that start from now on, with the
// metadata.json beside its file; scans under way keep the DB they have.
// The previous DB is closed once no scan holds it. After Close, Swap
// closes next at once.
func (h *DBHolder) Swap(next *db.DB) {
	dir := filepath.Dir(next.Path())
	meta, err := db.ReadMetadata(dir)
	if err != nil {
		slog.Warn("the vulnerability DB has no readable metadata; /version and the DB age metric will lack it", "dir", dir, "error", err)
	}
	fi, _ := os.Stat(next.Path())
	h.swap(next, meta, fi)
}

func (h *DBHolder) swap(next *db.DB, meta db.Metadata, file os.FileInfo) {
	g := &generation{db: next, meta: meta, file: file}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		next.Close()
		return
	}
	h.retire(g)
}

// Close stops handing out the DB and closes it once no scan holds it.
func (h *DBHolder) Close() {
	h.mu.Lock()
	h.closed = true
	h.retire(nil)
}

// retire makes next (nil: none) the current generation, with h.mu held,
// and releases the lock; the previous one is closed now if no scan holds
// it, else by its last release.
func (h *DBHolder) retire(next *generation) {
	old := h.cur
	h.cur = next
	idle := false
	if old != nil {
		old.retired = true
		idle = old.refs == 0
	}
	h.mu.Unlock()
	if idle {
		closeGeneration(old)
	}
}

func closeGeneration(g *generation) {
	if err := g.db.Close(); err != nil {
		slog.Warn("could not close a replaced vulnerability DB", "path", g.db.Path(), "error", err)
	}
}

// Loaded says whether a DB is there to scan with.
func (h *DBHolder) Loaded() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.cur != nil
}

// Metadata is the metadata.json of the current DB, as read when it was
// loaded (or last refreshed); ok is false when no DB is loaded.
func (h *DBHolder) Metadata() (m db.Metadata, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cur == nil {
		return db.Metadata{}, false
	}
	return h.cur.meta, true
}

// Age is how old the current DB's data is at now (since its UpdatedAt);
// ok is false when no DB is loaded or its build time is unknown.
func (h *DBHolder) Age(now time.Time) (time.Duration, bool) {
	m, ok := h.Metadata()
	if !ok || m.UpdatedAt.IsZero() {
		return 0, false
	}
	return now.Sub(m.UpdatedAt), true
}

// current returns the file identity and metadata of the current DB.
func (h *DBHolder) current() (file os.FileInfo, meta db.Metadata, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cur == nil {
		return nil, db.Metadata{}, false
	}
	return h.cur.file, h.cur.meta, true
}

// setMetadata records newer metadata of the current DB when it is still
// the one opened from file: an install writes metadata.json just after
// renaming the DB file into place, so a refresh can see the new file
// before its metadata.
func (h *DBHolder) setMetadata(file os.FileInfo, meta db.Metadata) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cur != nil && h.cur.file != nil && file != nil && os.SameFile(h.cur.file, file) {
		h.cur.meta = meta
	}
}
