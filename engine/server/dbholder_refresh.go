package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/docker-scan/docker-scan/engine/db"
)

// DefaultDBRefreshInterval is how often the server looks for a newer DB,
// as Trivy's server does.
const DefaultDBRefreshInterval = time.Hour

// minRefreshWait keeps the loop from spinning when the publisher's next
// update time has passed but the DB is not due yet (it was downloaded
// moments ago).
const minRefreshWait = time.Minute

// Refresher keeps the DB of a DBHolder current without disturbing the
// scans that use it.
//
// An install (engine/db.Updater) writes the new DB to a temp file and
// renames it over trivy.db. A DB that is open keeps its file (its inode
// and mmap) until it is closed, so the new file is downloaded and opened
// in the same directory while the old one still answers; the old file's
// space is freed when the holder closes it. No directory per generation
// is needed.
type Refresher struct {
	Holder  *DBHolder
	Updater *db.Updater
	// Interval between checks; 0 means DefaultDBRefreshInterval. The
	// loop also wakes when the publisher's next update is due, if that
	// comes sooner.
	Interval time.Duration
	// SkipUpdate never downloads; a DB installed in Updater.Dir by other
	// means (`docker scan db import`) is still picked up.
	SkipUpdate bool
	// Metrics counts refreshes; nil counts nothing.
	Metrics *Metrics
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu sync.Mutex
}

func (r *Refresher) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Refresher) interval() time.Duration {
	if r.Interval > 0 {
		return r.Interval
	}
	return DefaultDBRefreshInterval
}

// Run refreshes until ctx ends. A failed refresh logs one line and the
// current DB goes on serving.
func (r *Refresher) Run(ctx context.Context) {
	failed := false
	for {
		t := time.NewTimer(r.wait(failed))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		err := r.Refresh(ctx)
		if ctx.Err() != nil {
			return
		}
		failed = err != nil
		if failed {
			slog.Warn("vulnerability DB refresh failed; still serving the current DB", "error", refreshErrLine(err), "next_try_in", r.interval().String())
		}
	}
}

// wait is how long Run sleeps before the next refresh: the interval, or
// less when the publisher's next update comes sooner (not after a
// failure: the publisher's schedule does not make a broken registry
// work sooner).
func (r *Refresher) wait(failed bool) time.Duration {
	d := r.interval()
	if failed || r.SkipUpdate {
		return d
	}
	if m, ok := r.Holder.Metadata(); ok && !m.NextUpdate.IsZero() {
		if until := m.NextUpdate.Sub(r.now()); until > 0 && until < d {
			d = until
		}
	}
	return max(d, min(minRefreshWait, r.interval()))
}

// Refresh downloads a newer DB when one is due (unless SkipUpdate), and
// swaps in the DB installed in the directory when it is not the one the
// holder serves. On any failure the holder keeps its DB.
func (r *Refresher) Refresh(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	err := r.refresh(ctx)
	r.Metrics.dbRefreshed(err)
	return err
}

func (r *Refresher) refresh(ctx context.Context) error {
	if !r.SkipUpdate {
		if due, why := r.Updater.Due(); due {
			slog.Info("refreshing the vulnerability DB", "reason", why)
			if err := r.Updater.Update(ctx, false); err != nil {
				return err
			}
		}
	}
	path := r.Updater.DBPath()
	// The file is looked at before it is opened: if another install
	// renames a file over it in between, the next refresh sees a file it
	// has not served and opens it again, which is harmless.
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("the vulnerability DB: %w", err)
	}
	meta, metaErr := db.ReadMetadata(r.Updater.Dir)
	served, servedMeta, ok := r.Holder.current()
	if ok && served != nil && os.SameFile(served, fi) {
		if metaErr == nil && meta != servedMeta {
			r.Holder.setMetadata(fi, meta)
		}
		return nil
	}
	if metaErr != nil {
		return fmt.Errorf("the new vulnerability DB's metadata: %w", metaErr)
	}
	if meta.Version != db.SchemaVersion {
		return fmt.Errorf("the new vulnerability DB has schema version %d; this server reads version %d", meta.Version, db.SchemaVersion)
	}
	next, err := db.Open(path)
	if err != nil {
		return fmt.Errorf("open the new vulnerability DB: %w", err)
	}
	r.Holder.swap(next, meta, fi)
	slog.Info("serving a new vulnerability DB", "path", path, "updated_at", dbTimeString(meta.UpdatedAt), "next_update", dbTimeString(meta.NextUpdate))
	return nil
}

func dbTimeString(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func refreshErrLine(err error) string {
	if err == nil {
		return ""
	}
	return strings.Join(strings.Fields(err.Error()), " ")
}

// ErrNoDB is what a scan gets when the server has no DB loaded.
var ErrNoDB = errors.New("the server has no vulnerability DB loaded")
