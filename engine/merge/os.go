package merge

import (
	"github.com/docker-scan/docker-scan/engine/families"
	"github.com/docker-scan/docker-scan/engine/types"
)

// chooseOS picks the OS from the visible release files: a family's own
// file beats the generic ones, which are only trusted for families that
// have no file of their own, unless a derived family's (Ubuntu's
// os-release) sits beside its parent's file (etc/debian_version). An
// image with extended support enabled (Ubuntu Pro's ESM) gets the
// extended version ("22.04-ESM"), as Trivy names it.
func chooseOS(releases map[string]types.OSRelease, dbs map[string]types.PackageDB) types.OS {
	preference := families.ReleaseFiles()
	var best *types.OSRelease
	for _, p := range preference {
		if r, ok := releases[p]; ok {
			best = &r
			break
		}
	}
	if best == nil {
		// Distroless Debian images may lack every release file but still
		// carry dpkg's status.d.
		for _, db := range dbs {
			if m, ok := families.PackageManagerByType(db.Type); ok && m.Fallback != "" {
				return types.OS{Family: m.Fallback}
			}
		}
		return types.OS{}
	}
	for _, p := range preference {
		if r, ok := releases[p]; ok && derivedFrom(r.Family) == best.Family {
			return families.WithExtended(types.OS{Family: r.Family, Name: r.Name}, releases)
		}
	}
	return families.WithExtended(types.OS{Family: best.Family, Name: best.Name}, releases)
}

func derivedFrom(family string) string {
	f, _ := families.ByName(family)
	return f.DerivedFrom
}
