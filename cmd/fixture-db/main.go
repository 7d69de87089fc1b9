// Command fixture-db builds a vulnerability DB (trivy.db and
// metadata.json, the trivy-db v2 format) from YAML fixtures, for the demo
// and for trying the scanner offline. The fixture format is described in
// engine/db/fixture.go.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/docker-scan/docker-scan/engine/db"
)

func main() {
	out := flag.String("o", "", "output directory (receives trivy.db and metadata.json)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: fixture-db -o DIR FIXTURE.yaml...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *out == "" || flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "fixture-db: "+err.Error())
		os.Exit(1)
	}
	now := time.Now().UTC().Truncate(time.Second)
	meta := db.Metadata{Version: db.SchemaVersion, UpdatedAt: now, NextUpdate: now.Add(24 * time.Hour), DownloadedAt: now}
	if err := db.BuildFixtureDB(*out, meta, flag.Args()...); err != nil {
		fmt.Fprintln(os.Stderr, "fixture-db: "+err.Error())
		os.Exit(1)
	}
}
