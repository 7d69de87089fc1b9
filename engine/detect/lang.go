package detect

import (
	"fmt"
	"slices"
	"strings"

	gem "github.com/aquasecurity/go-gem-version"
	npm "github.com/aquasecurity/go-npm-version/pkg"
	pep440 "github.com/aquasecurity/go-pep440-version"
	genericversion "github.com/aquasecurity/go-version/pkg/version"
	mvn "github.com/masahiro331/go-mvn-version"

	"github.com/docker-scan/docker-scan/engine/db"
	"github.com/docker-scan/docker-scan/engine/merge"
	"github.com/docker-scan/docker-scan/engine/types"
)

// Ecosystem says how to match the packages of one language ecosystem: a
// row of this table, like the OS families above.
type Ecosystem struct {
	// Prefix of the DB buckets of the ecosystem's data sources.
	Prefix string
	// Normalize turns a package name into the name advisories use.
	Normalize func(string) string
	// Matches reports whether version satisfies a constraint set written
	// in the ecosystem's syntax (comma-separated constraints, all must hold).
	Matches func(version, constraints string) (bool, error)
}

// Ecosystems by package-database type.
var Ecosystems = map[string]Ecosystem{
	"node-pkg":    {Prefix: "npm::", Normalize: same, Matches: npmMatches},
	"python-pkg":  {Prefix: "pip::", Normalize: merge.NormalizePyPI, Matches: pep440Matches},
	"jar":         {Prefix: "maven::", Normalize: same, Matches: mavenMatches},
	"gemspec":     {Prefix: "rubygems::", Normalize: same, Matches: gemMatches},
	"composer":    {Prefix: "composer::", Normalize: same, Matches: genericMatches},
	"dotnet-core": {Prefix: "nuget::", Normalize: strings.ToLower, Matches: genericMatches},
	"cargo":       {Prefix: "cargo::", Normalize: same, Matches: genericMatches},
	"gobinary":    {Prefix: "go::", Normalize: same, Matches: genericMatches},
}

func same(s string) string { return s }

func gemMatches(version, constraints string) (bool, error) {
	v, err := gem.NewVersion(version)
	if err != nil {
		return false, err
	}
	c, err := gem.NewConstraints(constraints)
	if err != nil {
		return false, err
	}
	return c.Check(v), nil
}

// genericMatches compares semver-like versions (Composer, NuGet, Cargo).
func genericMatches(version, constraints string) (bool, error) {
	v, err := genericversion.Parse(version)
	if err != nil {
		return false, err
	}
	c, err := genericversion.NewConstraints(constraints)
	if err != nil {
		return false, err
	}
	return c.Check(v), nil
}

func mavenMatches(version, constraints string) (bool, error) {
	v, err := mvn.NewVersion(version)
	if err != nil {
		return false, err
	}
	c, err := mvn.NewConstraints(constraints)
	if err != nil {
		return false, err
	}
	return c.Check(v), nil
}

func npmMatches(version, constraints string) (bool, error) {
	v, err := npm.NewVersion(version)
	if err != nil {
		return false, err
	}
	c, err := npm.NewConstraints(constraints)
	if err != nil {
		return false, err
	}
	return c.Check(v), nil
}

func pep440Matches(version, constraints string) (bool, error) {
	v, err := pep440.Parse(version)
	if err != nil {
		return false, err
	}
	c, err := pep440.NewSpecifiers(constraints)
	if err != nil {
		return false, err
	}
	return c.Check(v), nil
}

// LanguagePackages finds the vulnerabilities of language packages.
func LanguagePackages(d *db.DB, dbs []types.PackageDB) ([]types.DetectedVulnerability, error) {
	var out []types.DetectedVulnerability
	details := map[string]types.Vulnerability{}
	for _, pdb := range dbs {
		eco, ok := Ecosystems[pdb.Type]
		if !ok {
			continue
		}
		for _, p := range pdb.Packages {
			advs, err := d.AdvisoriesByPrefix(eco.Prefix, eco.Normalize(p.Name))
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
func affected(eco Ecosystem, version string, adv db.Advisory) (bool, error) {
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
