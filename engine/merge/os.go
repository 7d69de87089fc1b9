package merge

import (
	"github.com/docker-scan/docker-scan/engine/analyze/ospkg"
	"github.com/docker-scan/docker-scan/engine/types"
)

// releasePreference ranks the files that name the OS: a family's own file
// beats the generic ones, which are only trusted for families that have no
// file of their own.
var releasePreference = []string{
	ospkg.AlpineRelease,
	ospkg.DebianVersion,
	ospkg.EtcOSRelease,
	ospkg.UsrOSRelease,
	ospkg.EtcLSBRelease,
}

// derivedFrom lists families whose images also carry their parent's
// release file (Ubuntu ships etc/debian_version); the generic files then
// tell the truth and the parent's file does not.
var derivedFrom = map[string]string{"ubuntu": "debian"}

func chooseOS(releases map[string]types.OSRelease, dbs map[string]types.PackageDB) types.OS {
	var best *types.OSRelease
	for _, p := range releasePreference {
		if r, ok := releases[p]; ok {
			best = &r
			break
		}
	}
	if best == nil {
		// Distroless Debian images may lack every release file but still
		// carry dpkg's status.d.
		for _, db := range dbs {
			if db.Type == "dpkg" {
				return types.OS{Family: "debian"}
			}
		}
		return types.OS{}
	}
	for _, p := range releasePreference {
		if r, ok := releases[p]; ok && derivedFrom[r.Family] == best.Family {
			return types.OS{Family: r.Family, Name: r.Name}
		}
	}
	return types.OS{Family: best.Family, Name: best.Name}
}
