package vex

import (
	"strings"

	"github.com/package-url/packageurl-go"
)

// identifierMatches says whether a statement's identifier names target,
// a package URL of the report (a package's, or the image's pkg:oci one).
// Package URLs are compared parsed, as OpenVEX says: type, namespace and
// name must be equal; a statement without a version names every version;
// the statement's qualifiers must all be in the target with the same
// value, and qualifiers it leaves out (arch, distro, repository_url) do
// not matter. Any other identifier (an IRI, a hash) must be equal.
func identifierMatches(pattern, target string) bool {
	if pattern == "" || target == "" {
		return false
	}
	if pattern == target {
		return true
	}
	if !strings.HasPrefix(pattern, "pkg:") || !strings.HasPrefix(target, "pkg:") {
		return false
	}
	p, err := packageurl.FromString(pattern)
	if err != nil {
		return false
	}
	t, err := packageurl.FromString(target)
	if err != nil {
		return false
	}
	switch {
	case !strings.EqualFold(p.Type, t.Type), p.Namespace != t.Namespace, p.Name != t.Name:
		return false
	case p.Version != "" && p.Version != t.Version:
		return false
	case p.Subpath != "" && p.Subpath != t.Subpath:
		return false
	}
	have := t.Qualifiers.Map()
	for k, v := range p.Qualifiers.Map() {
		if got, ok := have[k]; !ok || got != v {
			return false
		}
	}
	return true
}
