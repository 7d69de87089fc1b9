package merge

import (
	"github.com/docker-scan/docker-scan/engine/families"
	"github.com/docker-scan/docker-scan/engine/types"
)

// setPURLs names each package with a PURL; an OS package's distro
// qualifier needs the OS, which only the merged image knows.
func setPURLs(dbs []types.PackageDB, os types.OS) {
	for _, db := range dbs {
		if eco, ok := families.EcosystemByType(db.Type); ok {
			if eco.PURL != nil {
				for i := range db.Packages {
					db.Packages[i].Identifier.PURL = eco.PURL(db.Packages[i])
				}
			}
			continue
		}
		m, ok := families.PackageManagerByType(db.Type)
		if !ok {
			continue
		}
		for i := range db.Packages {
			db.Packages[i].Identifier.PURL = m.PURL(db.Packages[i], os)
		}
	}
}
