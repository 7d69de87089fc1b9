package detect

import (
	"fmt"
	"slices"
	"strings"

	"github.com/docker-scan/docker-scan/engine/db"
	"github.com/docker-scan/docker-scan/engine/families"
	"github.com/docker-scan/docker-scan/engine/types"
)

// LanguagePackages finds the vulnerabilities of language packages.
func LanguagePackages(d *db.DB, dbs []types.PackageDB) ([]types.DetectedVulnerability, error) {
	var out []types.DetectedVulnerability
	details := map[string]types.Vulnerability{}
	for _, pdb := range dbs {
		eco, ok := families.EcosystemByType(pdb.Type)
		if !ok || !eco.Matched() {
			continue
		}
		for _, p := range pdb.Packages {
			if p.Version == "" {
				// A Go binary's unversioned main module: listed, not
				// matched (an advisory without ranges would match it).
				continue
			}
			advs, err := d.AdvisoriesByPrefix(eco.BucketPrefix, eco.Normalize(p.Name))
			if err != nil {
				return nil, err
			}
			for _, adv := range advs {
				hit, err := affected(eco, p.Version, adv)
				if err != nil || !hit {
					continue
				}
				if _, ok := details[adv.VulnerabilityID]; !ok {
					det, _, err := d.Vulnerability(adv.VulnerabilityID)
					if err != nil {
						return nil, err
					}
					details[adv.VulnerabilityID] = det
				}
				v := types.DetectedVulnerability{
					VulnerabilityID: adv.VulnerabilityID, VendorIDs: adv.VendorIDs, PkgID: p.ID, PkgName: p.Name, PkgPath: p.FilePath,
					PkgIdentifier: p.Identifier, InstalledVersion: p.Version, FixedVersion: fixedVersions(adv),
					Status: types.StatusAffected, Layer: p.Layer, DataSource: adv.DataSource, Vulnerability: details[adv.VulnerabilityID],
				}
				if v.FixedVersion != "" {
					v.Status = types.StatusFixed
				}
				v.Severity, v.SeveritySource = Severity(adv, v.Vulnerability)
				v.PrimaryURL = primaryURL(adv.VulnerabilityID, v.References)
				out = append(out, v)
			}
		}
	}
	Sort(out)
	return out, nil
}

// affected: the version is in one of the vulnerable ranges (or there are
// none) and matches no patched or unaffected entry (a plain version there,
// as GitHub's advisories store patched versions, is an exact match); an
// advisory with no ranges at all affects every version.
func affected(eco families.Ecosystem, version string, adv db.Advisory) (bool, error) {
	inAny := func(ranges []string) (bool, error) {
		for _, r := range ranges {
			ok, err := eco.Matches(version, r)
			if err != nil {
				return false, fmt.Errorf("range %q: %w", r, err)
			}
			if ok {
				return true, nil
			}
		}
		return false, nil
	}
	if len(adv.VulnerableVersions) > 0 {
		if ok, err := inAny(adv.VulnerableVersions); err != nil || !ok {
			return false, err
		}
	}
	for _, ranges := range [][]string{adv.PatchedVersions, adv.UnaffectedVersions} {
		if ok, err := inAny(ranges); err != nil || ok {
			return false, err
		}
	}
	return true, nil
}

// fixedVersions is what reports show as FixedVersion: the patched
// versions, else the "<X" bounds of the vulnerable ranges.
func fixedVersions(adv db.Advisory) string {
	var out []string
	if len(adv.PatchedVersions) > 0 {
		for _, p := range adv.PatchedVersions {
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
		return strings.Join(out, ", ")
	}
	for _, r := range adv.VulnerableVersions {
		for _, c := range strings.Split(r, ",") {
			c = strings.TrimSpace(c)
			if strings.HasPrefix(c, "<") && !strings.HasPrefix(c, "<=") {
				if v := strings.TrimSpace(strings.TrimPrefix(c, "<")); !slices.Contains(out, v) {
					out = append(out, v)
				}
			}
		}
	}
	return strings.Join(out, ", ")
}
