package merge

import (
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
)

func dockerfileResult(path, id string) types.Result {
	return types.Result{Target: path, Class: types.ClassConfig, Type: "dockerfile",
		MisconfSummary:    &types.MisconfSummary{Successes: 1, Failures: 1},
		Misconfigurations: []types.Misconfiguration{{ID: id, Status: "FAIL"}}}
}

// TestMisconfigurationsOfTheFinalFilesystem: a Dockerfile a later layer
// deletes is gone, one it replaces is the later one, each finding names
// its layer.
func TestMisconfigurationsOfTheFinalFilesystem(t *testing.T) {
	layers := []*types.LayerResult{
		{DiffID: "sha256:a", Digest: "sha256:ga", Misconfigurations: []types.Result{
			dockerfileResult("src/Dockerfile", "DS-0001"), dockerfileResult("old/Dockerfile", "DS-0002"), dockerfileResult("keep/Dockerfile", "DS-0005")}},
		{DiffID: "sha256:b", Digest: "sha256:b", WhiteoutFiles: []string{"old"}, Misconfigurations: []types.Result{
			dockerfileResult("src/Dockerfile", "DS-0029")}},
	}
	art := Layers(layers)
	if len(art.Misconfigurations) != 2 {
		t.Fatalf("results %+v", art.Misconfigurations)
	}
	keep, src := art.Misconfigurations[0], art.Misconfigurations[1]
	if keep.Target != "keep/Dockerfile" || *keep.Misconfigurations[0].Layer != (types.LayerRef{Digest: "sha256:ga", DiffID: "sha256:a"}) {
		t.Errorf("keep: %+v %+v", keep, keep.Misconfigurations[0].Layer)
	}
	if src.Target != "src/Dockerfile" || src.Misconfigurations[0].ID != "DS-0029" || *src.Misconfigurations[0].Layer != (types.LayerRef{DiffID: "sha256:b"}) {
		t.Errorf("src: %+v %+v", src, src.Misconfigurations[0].Layer)
	}
	// The layer results themselves are not changed (they may be cached).
	if layers[0].Misconfigurations[0].Misconfigurations[0].Layer != nil {
		t.Error("merge wrote into a layer result")
	}
}
