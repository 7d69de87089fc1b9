package families

import (
	"strings"
	"time"

	"github.com/docker-scan/docker-scan/engine/types"
)

// Extended is the extended-support variant of a family's releases: when
// the image says it is enabled, the OS version is reported and matched
// with Suffix ("22.04" becomes "22.04-ESM", whose advisories are in the
// "ubuntu 22.04-ESM" bucket).
type Extended struct {
	// StatusFile says whether extended support is enabled; the release
	// analyzer reads it and records an OSRelease for it when it is.
	StatusFile string
	// Service is the service whose status must be "enabled".
	Service string
	Suffix  string
}

// ubuntuESM: Ubuntu Pro's client keeps the services' state in
// status.json; "esm-infra" is Expanded Security Maintenance for the main
// archive.
var ubuntuESM = Extended{StatusFile: "var/lib/ubuntu-advantage/status.json", Service: "esm-infra", Suffix: "-ESM"}

// ExtendedByStatusFile is the family whose extended-support status file
// path is.
func ExtendedByStatusFile(path string) (OSFamily, bool) {
	for _, f := range osFamilies {
		if f.Extended != nil && f.Extended.StatusFile == path {
			return f, true
		}
	}
	return OSFamily{}, false
}

// WithExtended returns os with its version suffixed when releases (by
// path, as merged) hold an extended-support record of os's family.
func WithExtended(os types.OS, releases map[string]types.OSRelease) types.OS {
	f, ok := ByName(os.Family)
	if !ok || f.Extended == nil || os.Name == "" || strings.HasSuffix(os.Name, f.Extended.Suffix) {
		return os
	}
	if r, ok := releases[f.Extended.StatusFile]; ok && r.Family == os.Family {
		os.Name += f.Extended.Suffix
	}
	return os
}

// MatchedVersion is the version whose advisories are matched at now. An
// extended version ("22.04-ESM") whose release has no end-of-life date
// of its own, while the base release is still supported, is matched as
// the base release: the extended bucket only fills up once standard
// support ends.
func (f OSFamily) MatchedVersion(version string, now time.Time) string {
	if f.Extended == nil {
		return version
	}
	base, ok := strings.CutSuffix(version, f.Extended.Suffix)
	if !ok {
		return version
	}
	if _, known := eolDates[f.Name][f.Release(version)]; known {
		return version
	}
	if end, ok := eolDates[f.Name][f.Release(base)]; ok && now.Before(end) {
		return base
	}
	return version
}

// Package flavours of families with Flavours.
const (
	FlavourNormal  = "normal"
	FlavourKsplice = "ksplice"
	FlavourFIPS    = "fips"
)

// Flavour is the build flavour an Oracle Linux release string names:
// "2.17-157.ksplice1.el7_3.4" is a Ksplice build, "3.6.16-4.0.1.el8_fips"
// a FIPS build, anything else a normal one. Advisories apply only to
// packages of their own flavour.
func Flavour(release string) string {
	r := strings.ToLower(release)
	if strings.HasSuffix(r, "_fips") {
		return FlavourFIPS
	}
	for _, part := range strings.Split(r, ".") {
		if strings.HasPrefix(part, "ksplice") {
			return FlavourKsplice
		}
	}
	return FlavourNormal
}
