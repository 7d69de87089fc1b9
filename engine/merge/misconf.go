package merge

import (
	"slices"

	"github.com/docker-scan/docker-scan/engine/types"
)

// misconfigurations are the checked config files of the final
// filesystem, sorted by path, each finding naming its layer. Unlike a
// secret, which stays in the layer that holds it, a Dockerfile a later
// layer deletes is gone from the image, and one a later layer replaces
// is the later one: Trivy's rule too.
func misconfigurations(layers []*types.LayerResult, deleted *deletions) []types.Result {
	top := map[string]added[types.Result]{}
	for i, l := range layers {
		ref := layerRef(l)
		for _, r := range l.Misconfigurations {
			r.Misconfigurations = slices.Clone(r.Misconfigurations)
			for j := range r.Misconfigurations {
				lr := ref
				r.Misconfigurations[j].Layer = &lr
			}
			top[r.Target] = added[types.Result]{r, i}
		}
	}
	var out []types.Result
	for _, p := range sortedKeys(visible(top, deleted)) {
		out = append(out, top[p].value)
	}
	return out
}
