package scan

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/docker-scan/docker-scan/engine/types"
)

// imageReference picks the repo tag or digest that names the scanned
// image, as Trivy does: the one whose repository is the scanned name's;
// for an archive path (or a name that is no reference), or when none
// matches, the first tag, else the first digest. "" when the image has
// neither.
func imageReference(scanned string, tags, digests []string) name.Reference {
	var refs []name.Reference
	for _, s := range slices.Concat(tags, digests) {
		if r, err := name.ParseReference(s); err == nil {
			refs = append(refs, r)
		}
	}
	if len(refs) == 0 {
		return nil
	}
	switch strings.ToLower(filepath.Ext(scanned)) {
	case ".tar", ".gz", ".gzip", ".tgz":
		return refs[0]
	}
	want, err := name.ParseReference(scanned)
	if err != nil {
		return refs[0]
	}
	for _, r := range refs {
		if r.Name() == want.Name() {
			return r
		}
	}
	return refs[0]
}

// artifactID is the report's ArtifactID: sha256 of "<image ID>:<registry/
// repository>" (the same image under two repositories gets two IDs, under
// two tags one), the image ID itself when there is no reference.
func artifactID(imageID string, ref name.Reference) string {
	if imageID == "" {
		return ""
	}
	if ref == nil {
		return imageID
	}
	return sha256Hex(imageID + ":" + ref.Context().String())
}

// fillFingerprints sets every finding's Fingerprint from the artifact ID,
// its result's target, its package ID and its vulnerability ID.
func fillFingerprints(r *types.Report) {
	for i := range r.Results {
		res := &r.Results[i]
		for j := range res.Vulnerabilities {
			v := &res.Vulnerabilities[j]
			v.Fingerprint = sha256Hex(r.ArtifactID + ":" + res.Target + ":" + v.PkgID + ":" + v.VulnerabilityID)
		}
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])
}
