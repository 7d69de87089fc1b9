package merge

import "github.com/docker-scan/docker-scan/engine/types"

// layerRef names the layer a package or secret comes from, as Trivy's
// JSON does: the digest of the blob as the source stores it, and the
// DiffID. A source that stores layers uncompressed (docker save archives,
// daemon exports) has a blob digest equal to the DiffID; Trivy leaves the
// Digest out then, knowing only the DiffID, and so does this.
func layerRef(l *types.LayerResult) types.LayerRef {
	ref := types.LayerRef{Digest: l.Digest, DiffID: l.DiffID}
	if ref.Digest == ref.DiffID {
		ref.Digest = ""
	}
	return ref
}
