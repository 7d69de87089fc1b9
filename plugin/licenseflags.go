package plugin

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/spf13/pflag"

	"github.com/docker-scan/docker-scan/engine/licensing"
	"github.com/docker-scan/docker-scan/engine/scan"
	"github.com/docker-scan/docker-scan/engine/types"
)

// licenseCategoryFlags are the categories a user may re-list (Trivy's
// license.<category> config keys), in the order of their severity.
var licenseCategoryFlags = []string{
	types.LicenseCategoryForbidden, types.LicenseCategoryRestricted, types.LicenseCategoryReciprocal,
	types.LicenseCategoryNotice, types.LicenseCategoryPermissive, types.LicenseCategoryUnencumbered,
}

// defaultLicenseConfidence is the least confidence of a licence found in
// a text, as in Trivy.
const defaultLicenseConfidence = 0.9

// licenseOptions are the flags of the licence scanner.
type licenseOptions struct {
	full       bool
	confidence float64
	ignored    []string
	// categories[c] re-lists category c; set[c]: the flag was given.
	categories map[string]*[]string
	set        map[string]*bool
}

func (o *licenseOptions) registerFlags(f *pflag.FlagSet) {
	f.BoolVar(&o.full, "license-full", false, "with --scanners license, also look for licence texts in files (LICENSE, COPYING, NOTICE, copyright files naming no licence, headers of source files in language package directories) and classify them; slower")
	f.Float64Var(&o.confidence, "license-confidence-level", defaultLicenseConfidence, "with --license-full, the least confidence (0 to 1) of a licence text match that is reported")
	f.StringSliceVar(&o.ignored, "ignored-licenses", nil, "licences (SPDX IDs or names as reported) whose findings do not count; repeatable")
	o.categories, o.set = map[string]*[]string{}, map[string]*bool{}
	defaults := licensing.DefaultCategories()
	for _, cat := range licenseCategoryFlags {
		list, set := new([]string), new(bool)
		o.categories[cat], o.set[cat] = list, set
		name := "license-" + cat
		f.StringSliceVar(list, name, nil, fmt.Sprintf("licences classified %s (severity %s), replacing the built-in list of %d (Trivy's config key license.%s); text://REGEX entries classify licences given as text", cat, licensing.Severity(cat), len(defaults[cat]), cat))
		f.Lookup(name).DefValue = "" // the built-in list, not "[]"
		recordSet(f.Lookup(name), set)
	}
}

// apply puts the licence settings into the scan options.
func (o *licenseOptions) apply(s *scan.Options) error {
	if o.confidence < 0 || o.confidence > 1 {
		return fmt.Errorf("--license-confidence-level %v: want a number above 0 and at most 1", o.confidence)
	}
	if o.confidence == 0 {
		o.confidence = defaultLicenseConfidence
	}
	on := false
	for _, name := range s.Scanners {
		on = on || name == scan.ScannerLicense
	}
	if o.full && !on {
		// A warning, not an error: a trivy.yaml may set license.full
		// for the scans that add the licence scanner.
		slog.Warn("--license-full has no effect without the licence scanner: add --scanners license")
	}
	cats := map[string][]string{}
	for _, cat := range licenseCategoryFlags {
		if set := o.set[cat]; set != nil && *set {
			cats[cat] = trimAll(*o.categories[cat])
		}
	}
	if err := licensing.CheckCategories(cats); err != nil {
		return fmt.Errorf("--license-<category>: %w", err)
	}
	if len(cats) > 0 {
		s.LicenseCategories = cats
	}
	s.LicenseFull, s.LicenseConfidence = o.full, o.confidence
	s.Policy.IgnoredLicenses = trimAll(o.ignored)
	return nil
}

func trimAll(list []string) []string {
	var out []string
	for _, v := range list {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
