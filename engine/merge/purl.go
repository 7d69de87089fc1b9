package merge

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"strconv"

	"github.com/docker-scan/docker-scan/engine/families"
	"github.com/docker-scan/docker-scan/engine/types"
)

// setIdentifiers names each package with a PURL and a UID; an OS
// package's distro qualifier needs the OS, which only the merged image
// knows.
func setIdentifiers(dbs []types.PackageDB, os types.OS) {
	for _, db := range dbs {
		// A type no table row names keeps the PURL its analyzer gave.
		var purl func(types.Package) string
		if eco, ok := families.EcosystemByType(db.Type); ok {
			purl = eco.PURL
		} else if m, ok := families.PackageManagerByType(db.Type); ok {
			purl = func(p types.Package) string { return m.PURL(p, os) }
		}
		for i := range db.Packages {
			p := &db.Packages[i]
			if purl != nil {
				p.Identifier.PURL = purl(*p)
			}
			p.Identifier.UID = packageUID(db, *p)
		}
	}
}

// packageUID tells apart packages that share a PURL: the same library
// vendored at two paths, or listed by two package databases. Like Trivy's
// UID it is 64 bits of hash, printed in hex, over what the analyzer found
// (the package's names and versions) and the file it was found in, not
// over the layer: a package is the same package whichever layer put it
// there. Each fact is length-prefixed so that no two lists of facts hash
// the same bytes.
func packageUID(db types.PackageDB, p types.Package) string {
	h := fnv.New64a()
	var n [binary.MaxVarintLen64]byte
	for _, s := range []string{
		db.Type, db.FilePath, p.FilePath,
		p.ID, p.Name, strconv.Itoa(p.Epoch), p.Version, p.Release, p.Arch,
		p.SrcName, strconv.Itoa(p.SrcEpoch), p.SrcVersion, p.SrcRelease, p.Modularitylabel,
	} {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(s)))])
		h.Write([]byte(s))
	}
	return fmt.Sprintf("%016x", h.Sum64())
}
