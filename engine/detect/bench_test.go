package detect

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/docker-scan/docker-scan/engine/db"
	"github.com/docker-scan/docker-scan/engine/testenv"
	"github.com/docker-scan/docker-scan/engine/types"
)

// benchDB has 100,000 advisories: 10,000 source packages with 10 each,
// and the details of every vulnerability. Built once per machine in the
// test cache.
func benchDB(b *testing.B) string {
	b.Helper()
	dir, err := testenv.Cached("bench-detect-db", "v1", func(dir string) error {
		return writeBenchDB(filepath.Join(dir, db.DBFile))
	})
	if err != nil {
		b.Fatal(err)
	}
	return filepath.Join(dir, db.DBFile)
}

func writeBenchDB(path string) error {
	return db.WriteDB(path, func(tx *bolt.Tx) error {
		if err := db.PutDataSource(tx, "alpine 3.19", types.DataSource{ID: "alpine", Name: "Alpine Secdb"}); err != nil {
			return err
		}
		for p := range 10000 {
			for a := range 10 {
				id := fmt.Sprintf("CVE-2024-%d", p*10+a)
				adv := map[string]any{"FixedVersion": fmt.Sprintf("1.%d.0-r0", a*2)}
				if err := db.PutAdvisory(tx, "alpine 3.19", fmt.Sprintf("src%d", p), id, adv); err != nil {
					return err
				}
				v := types.Vulnerability{
					Title:          "a title of about the usual length for a vulnerability " + id,
					Description:    "A description that is a few hundred bytes long, as most are in the real DB. It says what is wrong, where, and what an attacker can do with it, sometimes at length.",
					VendorSeverity: map[string]types.Severity{"nvd": types.Severity(a % 5)},
					CVSS:           map[string]types.CVSS{"nvd": {V3Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", V3Score: 9.8}},
					References:     []string{"https://example.org/" + id},
				}
				if err := db.PutVulnerability(tx, id, v); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// BenchmarkDetect matches 1,000 packages (from 500 source packages, as
// binaries share sources) against the 100,000-advisory DB.
func BenchmarkDetect(b *testing.B) {
	path := benchDB(b)
	start := time.Now()
	d, err := db.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(time.Since(start).Microseconds()), "open-µs")
	defer d.Close()
	var pkgs []types.Package
	for i := range 1000 {
		src := fmt.Sprintf("src%d", i*17%10000/2*2)
		pkgs = append(pkgs, types.Package{Name: fmt.Sprintf("pkg%d", i), Version: "1.9.0-r0", SrcName: src, SrcVersion: "1.9.0-r0"})
	}
	art := artifact("alpine", "3.19.1", pkgs...)
	var found int
	for b.Loop() {
		vs, err := OSPackages(d, art)
		if err != nil {
			b.Fatal(err)
		}
		found = len(vs)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "µs/package")
	b.ReportMetric(float64(found), "findings")
}

// BenchmarkOpen measures opening the DB, which every scan does.
func BenchmarkOpen(b *testing.B) {
	path := benchDB(b)
	for b.Loop() {
		d, err := db.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		d.Close()
	}
}
