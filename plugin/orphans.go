package plugin

import (
	"log/slog"
	"path/filepath"
	"slices"

	"github.com/docker-scan/docker-scan/engine/analyze"

	"github.com/docker-scan/docker-scan/engine/db"
	"github.com/docker-scan/docker-scan/engine/iox"
	"github.com/docker-scan/docker-scan/runtime"
)

// removeOrphans deletes the temp files that runs killed before they could
// clean up left in the cache dir; files of live runs are locked and stay.
// It never fails a scan: a leftover costs disk, not correctness.
func removeOrphans(g *globalOptions) int64 {
	patterns := append(slices.Clone(runtime.TempFilePatterns), analyze.TempFilePatterns...)
	freed, err := iox.RemoveOrphans(g.tempDir(), patterns...)
	if err != nil {
		slog.Warn("could not remove temp files of an earlier run", "dir", g.tempDir(), "err", err)
	}
	if freed > 0 {
		slog.Info("removed temp files of an earlier run that did not finish", "dir", g.tempDir(), "bytes", freed)
	}
	return freed
}

// removeDBOrphans is removeOrphans for a DB update's temp files.
func removeDBOrphans(g *globalOptions) int64 {
	dir := filepath.Join(g.cacheDir, "db")
	freed, err := iox.RemoveOrphans(dir, db.TempPatterns...)
	if err != nil {
		slog.Warn("could not remove temp files of an earlier DB update", "dir", dir, "err", err)
	}
	if freed > 0 {
		slog.Info("removed temp files of an earlier DB update that did not finish", "dir", dir, "bytes", freed)
	}
	return freed
}
