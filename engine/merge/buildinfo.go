package merge

import (
	"github.com/docker-scan/docker-scan/engine/families"
	"github.com/docker-scan/docker-scan/engine/types"
)

// attachBuildInfo gives each OS package the build info (Red Hat content
// sets and image NVR) of the layer that introduced it, as Trivy does: the
// layer's own; for the base layer, which Red Hat builds leave without one,
// the second layer's; for a layer built on top of a Red Hat image, the
// nearest lower layer's that has one. Images without build info are left
// as they are.
func attachBuildInfo(dbs []types.PackageDB, layers []*types.LayerResult) {
	layerOf := map[types.LayerRef]int{}
	found := false
	for i, l := range layers {
		ref := types.LayerRef{Digest: l.Digest, DiffID: l.DiffID}
		if _, ok := layerOf[ref]; !ok {
			layerOf[ref] = i
		}
		found = found || l.BuildInfo != nil
	}
	if !found {
		return
	}
	for _, db := range dbs {
		if !families.IsOSPackageType(db.Type) {
			continue
		}
		for i := range db.Packages {
			p := &db.Packages[i]
			if at, ok := layerOf[p.Layer]; ok && p.BuildInfo == nil {
				p.BuildInfo = buildInfoFor(at, layers)
			}
		}
	}
}

// buildInfoFor is the build info that applies to packages of layer at.
func buildInfoFor(at int, layers []*types.LayerResult) *types.BuildInfo {
	if bi := layers[at].BuildInfo; bi != nil {
		return bi
	}
	if at == 0 {
		if len(layers) > 1 {
			return layers[1].BuildInfo
		}
		return nil
	}
	for i := at - 1; i >= 0; i-- {
		if bi := layers[i].BuildInfo; bi != nil {
			return bi
		}
	}
	return nil
}
