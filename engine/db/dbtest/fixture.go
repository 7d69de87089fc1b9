package dbtest

import (
	"path/filepath"
	"testing"

	"github.com/docker-scan/docker-scan/engine/db"
)

// FixtureDB builds a DB from fixture files (engine/db's YAML) in a temp dir
// of tb and opens it for the test; it is closed when the test ends.
func FixtureDB(tb testing.TB, fixtures ...string) *db.DB {
	tb.Helper()
	dir := tb.TempDir()
	if err := db.BuildFixtureDB(dir, db.Metadata{Version: 2}, fixtures...); err != nil {
		tb.Fatal(err)
	}
	d, err := db.Open(filepath.Join(dir, db.DBFile))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { d.Close() })
	return d
}
