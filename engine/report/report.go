// Package report writes scan reports in the formats users ask for. Each
// format is one writer, in a file of its own, chosen from the formats map.
package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/docker-scan/docker-scan/engine/types"
)

// format is one --format value: how it writes an image's report and a
// compose project's.
type format struct {
	// image writes the report of one image (or SBOM).
	image func(w io.Writer, r *types.Report, opts Options) error
	// stack writes the report of a compose project.
	stack func(w io.Writer, r *types.StackReport, opts Options) error
	// sbom: the format is a bill of materials, so it needs every package
	// (--list-all-pkgs is implied).
	sbom bool
	// noVulnByDefault: without an explicit --scanners the scan only lists
	// packages, as Trivy does for its SBOM formats.
	noVulnByDefault bool
}

// formats are the --format values. Formats lists them in help order.
var formats = map[string]format{
	"table":         {image: writeTable, stack: stackTable},
	"json":          {image: writeJSON, stack: writeStackJSON},
	"sarif":         {image: writeSARIF, stack: writeStackSARIF},
	"cyclonedx":     {image: writeCycloneDXJSON, stack: writeStackCycloneDXJSON, sbom: true, noVulnByDefault: true},
	"cyclonedx-xml": {image: writeCycloneDXXML, stack: writeStackCycloneDXXML, sbom: true, noVulnByDefault: true},
	"spdx":          {image: writeSPDXTagValue, stack: writeStackSPDXTagValue, sbom: true, noVulnByDefault: true},
	"spdx-json":     {image: writeSPDXJSON, stack: writeStackSPDXJSON, sbom: true, noVulnByDefault: true},
	"template":      {image: writeTemplate, stack: writeStackTemplate},
	"github":        {image: writeGitHub, stack: writeStackGitHub, sbom: true},
	"cosign-vuln":   {image: writeCosignVuln, stack: writeStackCosignVuln},
}

// Formats lists the supported --format values.
var Formats = []string{"table", "json", "sarif", "cyclonedx", "cyclonedx-xml", "spdx", "spdx-json", "template", "github", "cosign-vuln"}

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
	// Template is --template: the text of a Go template, or @FILE.
	Template string
	// DependencyTree prints, under each vulnerable package of the table,
	// the packages that pull it in (--dependency-tree).
	DependencyTree bool
	// ShowSuppressed lists the findings VEX statements suppressed, with
	// the statement (--show-suppressed).
	ShowSuppressed bool
	// ToolVersion is docker scan's version, named as the producing tool
	// in SBOMs and SARIF.
	ToolVersion string
	// Now is the creation time written into SBOMs and templates; zero is
	// the time of writing. Tests fix it for stable output.
	Now time.Time
}

func (o Options) now() time.Time {
	if o.Now.IsZero() {
		return time.Now().UTC()
	}
	return o.Now
}

// Write renders r in the chosen format.
func Write(w io.Writer, r *types.Report, opts Options) error {
	if opts.Format == "" {
		opts.Format = "table"
	}
	f, ok := formats[opts.Format]
	if !ok {
		return unknownFormat(opts.Format)
	}
	return f.image(w, r, opts)
}

// WriteStack renders the report of a compose project.
func WriteStack(w io.Writer, r *types.StackReport, opts Options) error {
	if opts.Format == "" {
		opts.Format = "table"
	}
	f, ok := formats[opts.Format]
	if !ok {
		return unknownFormat(opts.Format)
	}
	return f.stack(w, r, opts)
}

func unknownFormat(name string) error {
	return fmt.Errorf("unknown format %q (choose one of %s)", name, strings.Join(Formats, ", "))
}

// ValidFormat reports whether f is a known format.
func ValidFormat(f string) bool { _, ok := formats[f]; return ok }

// IsSBOM reports whether format f is a bill of materials, which lists
// every package whatever --list-all-pkgs says.
func IsSBOM(f string) bool { return formats[f].sbom }

// ScansOnlyPackagesByDefault reports whether format f, without an
// explicit --scanners, lists packages without matching them (Trivy's rule
// for CycloneDX and SPDX: an SBOM, not a vulnerability report).
func ScansOnlyPackagesByDefault(f string) bool { return formats[f].noVulnByDefault }
