package merge

import "github.com/docker-scan/docker-scan/engine/types"

// licenseFiles are the licence files of the final filesystem, sorted by
// path, each naming the layer it came from: a file that a later layer
// deletes (a whiteout, an opaque directory above it) is gone, and one
// that a later layer replaces is that layer's. Layers list the licence
// files they classified even when nothing was found in them, so that a
// replacement without a licence hides the file below; those are dropped
// here.
func licenseFiles(layers []*types.LayerResult, deleted *deletions) []types.LicenseFile {
	top := map[string]added[types.LicenseFile]{}
	for i, l := range layers {
		ref := layerRef(l)
		for _, f := range l.Licenses {
			f.Layer = ref
			top[f.FilePath] = added[types.LicenseFile]{f, i}
		}
	}
	var out []types.LicenseFile
	files := visible(top, deleted)
	for _, p := range sortedKeys(files) {
		if f := files[p]; len(f.Findings) > 0 {
			out = append(out, f)
		}
	}
	return out
}
