package scan

import (
	"fmt"
	"slices"

	"github.com/docker-scan/docker-scan/engine/types"
)

// RuntimeReport is the scan of one reference in one runtime, or why the
// runtime had nothing to scan.
type RuntimeReport struct {
	Runtime string
	Report  *types.Report
	Err     error
}

// JoinRuntimes makes one report of the scans of one reference in several
// runtimes: every result is tagged with its runtime, and Runtimes says
// what each runtime holds and what its image has that another's lacks.
func JoinRuntimes(ref string, reports []RuntimeReport) *types.Report {
	out := &types.Report{SchemaVersion: types.SchemaVersion, ArtifactName: ref, ArtifactType: types.ArtifactTypeContainerImage}
	pkgs := map[string][]string{}
	vulns := map[string][]string{}
	var found []string
	for _, rr := range reports {
		ri := types.RuntimeImage{Runtime: rr.Runtime}
		if rr.Err != nil || rr.Report == nil {
			if rr.Err != nil {
				ri.Error = rr.Err.Error()
			}
			out.Runtimes = append(out.Runtimes, ri)
			continue
		}
		r := rr.Report
		if len(found) == 0 {
			out.CreatedAt, out.Metadata = r.CreatedAt, r.Metadata
		}
		found = append(found, rr.Runtime)
		ri.ImageID, ri.RepoTags, ri.RepoDigests = r.Metadata.ImageID, r.Metadata.RepoTags, r.Metadata.RepoDigests
		out.Runtimes = append(out.Runtimes, ri)
		for _, res := range r.Results {
			res.Runtime = rr.Runtime
			res.Target = fmt.Sprintf("[%s] %s", rr.Runtime, res.Target)
			out.Results = append(out.Results, res)
			for _, p := range res.Packages {
				pkgs[rr.Runtime] = append(pkgs[rr.Runtime], p.ID)
			}
			for _, v := range res.Vulnerabilities {
				vulns[rr.Runtime] = append(vulns[rr.Runtime], v.VulnerabilityID+" in "+v.PkgID)
			}
		}
	}
	// What each runtime's image has that some other runtime's lacks.
	for i := range out.Runtimes {
		ri := &out.Runtimes[i]
		if ri.ImageID == "" {
			continue
		}
		for _, other := range found {
			if other == ri.Runtime {
				continue
			}
			ri.PackagesOnlyHere = appendMissing(ri.PackagesOnlyHere, pkgs[ri.Runtime], pkgs[other])
			ri.VulnerabilitiesOnlyHere = appendMissing(ri.VulnerabilitiesOnlyHere, vulns[ri.Runtime], vulns[other])
		}
	}
	return out
}

// appendMissing adds to dst the items of have that want lacks, once each.
func appendMissing(dst, have, want []string) []string {
	for _, h := range have {
		if !slices.Contains(want, h) && !slices.Contains(dst, h) {
			dst = append(dst, h)
		}
	}
	slices.Sort(dst)
	return dst
}
