package ospkg

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzRPMDB feeds database files to the checks and go-rpmdb: any bytes
// must give packages or an error, never a panic (including one in the
// library's own goroutine, which would end the process), a hang or a
// runaway allocation. Run it with -fuzzminimizetime 1x: minimizing an
// input of 128 KB takes the fuzzer minutes, during which it reports 0
// execs/sec as if something hung.
func FuzzRPMDB(f *testing.F) {
	// Whole databases of megabytes make mutation crawl: the seeds are the
	// BerkeleyDB fixture (94 KB) and the first pages of the others, which
	// hold their headers and first records.
	for _, fx := range rpmFixtures {
		db := gunzipFixture(f, fx.gz)
		f.Add(db[:min(len(db), 128<<10)])
	}
	f.Fuzz(func(t *testing.T, db []byte) {
		dir := t.TempDir()
		p := filepath.Join(dir, "db")
		if err := os.WriteFile(p, db, 0o600); err != nil {
			t.Fatal(err)
		}
		pkgs, err := readRPMDB(p)
		if err == nil {
			rpmPackages(pkgs)
		}
	})
}
