package server

import (
	"fmt"
	"slices"

	"github.com/docker-scan/docker-scan/engine/server/rpc/common"
	"github.com/docker-scan/docker-scan/engine/server/rpc/scanner"
	"github.com/docker-scan/docker-scan/engine/types"
)

// ScanSettings are the options of a scan that travel with a Scan request:
// what the server detects and how. Names are Trivy's: scanners "vuln",
// "secret", "misconfig", "license"; package types "os", "library";
// relationships "root", "workspace", "direct", "indirect", "unknown".
type ScanSettings struct {
	Scanners []string
	PkgTypes []string
	// Distro, when set, replaces the OS found in the image (--distro).
	Distro              *types.OS
	IncludeDevDeps      bool
	PkgRelationships    []string
	VulnSeveritySources []string
	LicenseFull         bool
	// LicenseCategories are license names by category (forbidden,
	// restricted, ...), for the license scanner.
	LicenseCategories map[string][]string
}

// Bounds on the lists of a Scan request's options.
const (
	maxOptionItems = 1024
	maxOptionName  = 256
)

// ScanOptionsToWire is the ScanOptions of a Scan request.
func ScanOptionsToWire(s ScanSettings) *scanner.ScanOptions {
	o := &scanner.ScanOptions{
		Scanners:            s.Scanners,
		PkgTypes:            s.PkgTypes,
		IncludeDevDeps:      s.IncludeDevDeps,
		PkgRelationships:    s.PkgRelationships,
		VulnSeveritySources: s.VulnSeveritySources,
		LicenseFull:         s.LicenseFull,
	}
	if s.Distro != nil && s.Distro.Family != "" {
		o.Distro = &common.OS{Family: s.Distro.Family, Name: s.Distro.Name}
	}
	if len(s.LicenseCategories) > 0 {
		o.LicenseCategories = make(map[string]*scanner.Licenses, len(s.LicenseCategories))
		for c, names := range s.LicenseCategories {
			o.LicenseCategories[c] = &scanner.Licenses{Names: names}
		}
	}
	validUTF8(o.ProtoReflect())
	return o
}

// ScanOptionsFromWire reads a Scan request's options, bounded: a client
// that sends more names than any scan has, or overlong ones, gets an
// error.
func ScanOptionsFromWire(o *scanner.ScanOptions) (ScanSettings, error) {
	if o == nil {
		return ScanSettings{}, nil
	}
	s := ScanSettings{
		Scanners:            o.Scanners,
		PkgTypes:            o.PkgTypes,
		IncludeDevDeps:      o.IncludeDevDeps,
		PkgRelationships:    o.PkgRelationships,
		VulnSeveritySources: o.VulnSeveritySources,
		LicenseFull:         o.LicenseFull,
	}
	lists := map[string][]string{"scanners": o.Scanners, "package types": o.PkgTypes,
		"package relationships": o.PkgRelationships, "severity sources": o.VulnSeveritySources}
	for what, l := range lists {
		if err := checkOptionNames(what, l); err != nil {
			return ScanSettings{}, err
		}
	}
	if d := o.Distro; d != nil && d.Family != "" {
		if err := checkOptionNames("distro", []string{d.Family, d.Name}); err != nil {
			return ScanSettings{}, err
		}
		s.Distro = &types.OS{Family: d.Family, Name: d.Name}
	}
	if len(o.LicenseCategories) > maxOptionItems {
		return ScanSettings{}, fmt.Errorf("scan options: %d license categories, over the limit of %d", len(o.LicenseCategories), maxOptionItems)
	}
	if len(o.LicenseCategories) > 0 {
		s.LicenseCategories = make(map[string][]string, len(o.LicenseCategories))
		for c, l := range o.LicenseCategories {
			names := l.GetNames()
			if err := checkOptionNames("license category "+truncateName(c), append([]string{c}, names...)); err != nil {
				return ScanSettings{}, err
			}
			s.LicenseCategories[c] = names
		}
	}
	return s, nil
}

func checkOptionNames(what string, names []string) error {
	if len(names) > maxOptionItems {
		return fmt.Errorf("scan options: %d %s, over the limit of %d", len(names), what, maxOptionItems)
	}
	if i := slices.IndexFunc(names, func(n string) bool { return len(n) > maxOptionName }); i >= 0 {
		return fmt.Errorf("scan options: %s: a name of %d bytes, over the limit of %d", what, len(names[i]), maxOptionName)
	}
	return nil
}

func truncateName(s string) string {
	if len(s) > maxOptionName {
		return s[:maxOptionName] + "..."
	}
	return s
}
