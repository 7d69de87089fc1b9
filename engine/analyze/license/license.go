// Package license finds licence texts in the files of a layer and names
// them (--license-full): licence files (LICENSE, COPYING, NOTICE, ...),
// Debian copyright files that name no licence, and the licence headers of
// source files in language package directories. The texts are matched
// against the corpus of github.com/google/licenseclassifier/v2, which is
// loaded once per process, the first time a text is classified.
package license

import (
	"fmt"
	"math"
)

// DefaultThreshold is the confidence a match needs to be reported, as
// Trivy's --license-confidence-level defaults to.
const DefaultThreshold = 0.9

// Options configure the analyzer.
type Options struct {
	// Threshold is the lowest confidence (0 < Threshold <= 1) of a match
	// that is reported; zero means DefaultThreshold. The classifier itself
	// drops matches under 0.8, so a lower threshold acts as 0.8.
	Threshold float64
}

// threshold is the threshold the options ask for, checked.
func (o Options) threshold() (float64, error) {
	t := o.Threshold
	if t == 0 {
		return DefaultThreshold, nil
	}
	if math.IsNaN(t) || t <= 0 || t > 1 {
		return 0, fmt.Errorf("license confidence threshold %v is not in (0, 1]", t)
	}
	return t, nil
}
