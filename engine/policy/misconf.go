package policy

import (
	"strings"

	"github.com/docker-scan/docker-scan/engine/types"
)

// misconfAliases are the other names of a built-in check that ignore
// files written for older Trivy versions use (DS002): the last part of
// the finding's rule namespace (builtin.dockerfile.DS002), which Trivy
// and we name by the check's old ID.
func misconfAliases(m types.Misconfiguration) []string {
	rest, ok := strings.CutPrefix(m.Namespace, "builtin.")
	if !ok {
		return nil
	}
	if i := strings.LastIndexByte(rest, '.'); i >= 0 {
		rest = rest[i+1:]
	}
	if rest == "" || rest == m.ID {
		return nil
	}
	return []string{rest}
}
