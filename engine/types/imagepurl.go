package types

import (
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/package-url/packageurl-go"
)

// ImagePURL is the image's package URL, pkg:oci/NAME@DIGEST with its
// repository and architecture as qualifiers (the PURL spec's oci type, in
// the shape Trivy writes it), from the first repo digest. An image with no
// repo digest (never pushed or pulled) has none: "".
func (m Metadata) ImagePURL() string {
	if len(m.RepoDigests) == 0 {
		return ""
	}
	d, err := name.NewDigest(m.RepoDigests[0])
	if err != nil {
		return ""
	}
	repo := strings.ToLower(d.RepositoryStr())
	if i := strings.LastIndex(repo, "/"); i >= 0 {
		repo = repo[i+1:]
	}
	var q packageurl.Qualifiers
	q = append(q, packageurl.Qualifier{Key: "repository_url", Value: d.Repository.Name()})
	if arch := m.ImageConfig.Architecture; arch != "" {
		q = append(q, packageurl.Qualifier{Key: "arch", Value: arch})
	}
	return packageurl.NewPackageURL(packageurl.TypeOCI, "", repo, d.DigestStr(), q, "").ToString()
}
