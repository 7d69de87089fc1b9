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
	"node-pkg":    {Prefix: "npm::", Normalize: same, Matches: npmRanges},
	"python-pkg":  {Prefix: "pip::", Normalize: merge.NormalizePyPI, Matches: pep440Ranges},
	"jar":         {Prefix: "maven::", Normalize: same, Matches: mavenRanges},
	"gemspec":     {Prefix: "rubygems::", Normalize: same, Matches: gemRanges},
	"composer":    {Prefix: "composer::", Normalize: same, Matches: semverRanges},
	"dotnet-core": {Prefix: "nuget::", Normalize: strings.ToLower, Matches: semverRanges},
	"cargo":       {Prefix: "cargo::", Normalize: same, Matches: semverRanges},
	"rustbinary":  {Prefix: "cargo::", Normalize: same, Matches: semverRanges},
	"gobinary":    {Prefix: "go::", Normalize: same, Matches: semverRanges},
}

// Each ecosystem's own version and range rules, from its library.
var (
	npmRanges    = ranges(npm.NewVersion, func(s string) (npm.Constraints, error) { return npm.NewConstraints(s) })
	pep440Ranges = ranges(pep440.Parse, func(s string) (pep440.Specifiers, error) { return pep440.NewSpecifiers(s) })
	mavenRanges  = ranges(mvn.NewVersion, mvn.NewConstraints)
	gemRanges    = ranges(gem.NewVersion, gem.NewConstraints)
	// semverRanges compares semver-like versions (Composer, NuGet, Cargo, Go).
	semverRanges = ranges(genericversion.Parse, genericversion.NewConstraints)
)

// ranges makes a range check from a library's version and constraint
// parsers.
func ranges[V any, C interface{ Check(V) bool }](version func(string) (V, error), constraints func(string) (C, error)) func(string, string) (bool, error) {
	return func(v, cs string) (bool, error) {
		parsed, err := version(v)
		if err != nil {
			return false, err
		}
		c, err := constraints(cs)
		if err != nil {
			return false, err
		}
		return c.Check(parsed), nil
	}
}

func same(s string) string { return s }

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
