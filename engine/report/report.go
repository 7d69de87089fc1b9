// Package report writes scan reports in the formats users ask for.
package report

import (
	"fmt"
	"io"
	"slices"

	"github.com/docker-scan/docker-scan/engine/types"
)

// Formats lists the supported --format values.
var Formats = []string{"table", "json"}

// Options tune the writers.
type Options struct {
	Format string
	// Color paints severities (for terminals).
	Color bool
	// PackagesOnly: no vulnerability scan ran, so the table lists packages.
	PackagesOnly bool
	// Scanners that ran ("vuln", "secret"): the columns of the table
	// summary. Nil infers them from the report.
	Scanners []string
	// TableModes are the parts of a table report: "summary" (one row per
	// target) and "detailed" (each target with findings); nil is both.
	TableModes []string
}

// Write renders r in the chosen format.
func Write(w io.Writer, r *types.Report, opts Options) error {
	switch opts.Format {
	case "json":
		return writeJSON(w, r)
	case "table", "":
		return writeTable(w, r, opts)
	}
	return fmt.Errorf("unknown format %q (choose one of %v)", opts.Format, Formats)
}

// ValidFormat reports whether f is a known format.
func ValidFormat(f string) bool { return slices.Contains(Formats, f) }
