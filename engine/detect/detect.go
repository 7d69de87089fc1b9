// Package detect matches the packages of an image against the
// vulnerability DB. What it knows of each OS family and language ecosystem
// (bucket, version ordering, source-name rule) is a row of engine/families;
// the matching loops here are the same for all of them.
package detect

import (
	"cmp"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/docker-scan/docker-scan/engine/db"
	"github.com/docker-scan/docker-scan/engine/families"
	"github.com/docker-scan/docker-scan/engine/types"
)

// ErrNotMatched says that the OS packages were not matched: the family's
// advisories are not in any DB the scanner reads, or the DB has no bucket
// for the release. Reports show such packages as not scanned, not clean.
var ErrNotMatched = errors.New("OS packages not matched against the vulnerability DB")

// now is the clock family rules read (tests set it).
var now = time.Now

// OSPackages finds the vulnerabilities of the OS packages of an artifact.
// An OS family the table does not match, or a release the DB has no
// advisories for, is logged and gives ErrNotMatched.
func OSPackages(d *db.DB, art types.Artifact) ([]types.DetectedVulnerability, error) {
	family, ok := families.ByName(art.OS.Family)
	if !ok || !family.Matched() {
		slog.Warn("OS packages of this family are not matched against the vulnerability DB", "family", art.OS.Family)
		return nil, ErrNotMatched
	}
	version := art.OS.Name
	if r := art.Repository; r != nil && r.Family == art.OS.Family && r.Release != "" && r.Release != family.Release(version) {
		// apk installs from the repositories' release: an image whose
		// packages come from a newer branch is matched against that branch.
		slog.Debug("using the package repository's release", "release", r.Release)
		version = r.Release
	}
	// An extended-support version ("20.04-ESM") is matched as its base
	// release while that is still supported.
	version = family.MatchedVersion(version, now())
	bucket := family.BucketFor(version)
	if !d.HasPlatform(bucket) {
		slog.Warn("the vulnerability DB has no advisories for this OS release", "platform", bucket)
		return nil, ErrNotMatched
	}
	m := matcher{db: d, family: family, bucket: bucket, advisories: map[string][]db.Advisory{}, details: map[string]*types.Vulnerability{}, versions: map[string]parsedVersion{}, ordered: map[[2]string]bool{}}
	m.lookup = m.bucketAdvisories
	if family.Advisories == families.RedHatCPE {
		m.redHat = newRedHatMatcher(d, art)
	}
	var (
		out        []types.DetectedVulnerability
		thirdParty []string
	)
	for _, pdb := range art.PackageDBs {
		for _, p := range pdb.Packages {
			if p.ThirdParty() {
				// The distribution's advisories do not describe packages
				// from other vendors' repositories (Trivy skips them too).
				thirdParty = append(thirdParty, p.Name)
				continue
			}
			found, err := m.match(p)
			if err != nil {
				return nil, err
			}
			out = append(out, found...)
		}
	}
	if len(thirdParty) > 0 {
		slog.Debug("third-party packages not matched", "packages", thirdParty)
	}
	Sort(out)
	return out, nil
}

type matcher struct {
	db         *db.DB
	family     families.OSFamily
	bucket     string
	advisories map[string][]db.Advisory
	// details caches the DB's vulnerability records; nil: the DB has
	// none for the ID.
	details map[string]*types.Vulnerability
	// versions caches parsed versions: binaries share their source's
	// version, and advisories share fixed versions.
	versions map[string]parsedVersion
	// ordered caches comparisons: go-apk-version re-tokenises (and
	// allocates) on every Compare.
	ordered map[[2]string]bool
	// lookup finds the advisories filed under a name (the family's
	// Advisories rule).
	lookup func(name string) ([]db.Advisory, error)
	// redHat matches Red Hat and CentOS packages (see redhat.go).
	redHat *redHatMatcher
}

// bucketAdvisories are the advisories filed under name in the release's
// bucket; sources that keep several advisories under one key (per-arch
// Entries) give one each.
func (m *matcher) bucketAdvisories(name string) ([]db.Advisory, error) {
	advs, err := m.db.Advisories(m.bucket, name)
	if err != nil {
		return nil, err
	}
	return flattenEntries(advs), nil
}

// flattenEntries turns an advisory with Entries into one advisory per
// entry, each keeping the parent's ID and data source.
func flattenEntries(advs []db.Advisory) []db.Advisory {
	if !slices.ContainsFunc(advs, func(a db.Advisory) bool { return len(a.Entries) > 0 }) {
		return advs
	}
	var out []db.Advisory
	for _, a := range advs {
		if len(a.Entries) == 0 {
			out = append(out, a)
			continue
		}
		for _, e := range a.Entries {
			e.VulnerabilityID, e.DataSource, e.Entries = a.VulnerabilityID, cmp.Or(e.DataSource, a.DataSource), nil
			if len(e.VendorIDs) == 0 {
				e.VendorIDs = a.VendorIDs
			}
			out = append(out, e)
		}
	}
	return out
}

// modularName is the name rpm-family advisories file a package built in
// a module under: "nodejs:18::npm" for npm with label
// "nodejs:18:8090020231019152822:a75119d5".
func modularName(name, label string) string {
	module, rest, ok := strings.Cut(label, ":")
	if !ok || module == "" {
		return name
	}
	stream, _, _ := strings.Cut(rest, ":")
	if stream == "" {
		return name
	}
	return module + ":" + stream + "::" + name
}

type parsedVersion struct {
	v   families.Version
	err error
}

func (m *matcher) parse(s string) (families.Version, error) {
	p, ok := m.versions[s]
	if !ok {
		p.v, p.err = m.family.ParseVersion(s)
		m.versions[s] = p
	}
	return p.v, p.err
}

// less reports whether installed < fixed.
func (m *matcher) less(installed, fixed string) (bool, error) {
	key := [2]string{installed, fixed}
	if lt, ok := m.ordered[key]; ok {
		return lt, nil
	}
	a, err := m.parse(installed)
	if err != nil {
		return false, err
	}
	b, err := m.parse(fixed)
	if err != nil {
		return false, err
	}
	lt := a.Compare(b) < 0
	m.ordered[key] = lt
	return lt, nil
}

// match returns the vulnerabilities of one package.
func (m *matcher) match(p types.Package) ([]types.DetectedVulnerability, error) {
	if m.redHat != nil {
		return m.redHat.match(m, p)
	}
	name, version := p.Name, p.FullVersion()
	if m.family.SourceNames && p.SrcName != "" {
		name = p.SrcName
		if !m.family.BinaryVersion {
			version = p.FullSrcVersion()
		}
	}
	if m.family.SkipUnlabelledModular && p.Modularitylabel == "" && strings.Contains(p.Release, ".module_el") {
		slog.Debug("modular package without a modularity label not matched", "package", p.Name, "release", p.Release)
		return nil, nil
	}
	if m.family.ModularNames && p.Modularitylabel != "" {
		name = modularName(name, p.Modularitylabel)
	}
	advs, ok := m.advisories[name]
	if !ok {
		var err error
		if advs, err = m.lookup(name); err != nil {
			return nil, err
		}
		m.advisories[name] = advs
	}
	var out []types.DetectedVulnerability
	for _, adv := range advs {
		if len(adv.Arches) > 0 && !slices.Contains(adv.Arches, p.Arch) {
			continue
		}
		// Oracle files normal, Ksplice and FIPS builds of a package under
		// one name: an advisory applies to builds of its own flavour.
		if m.family.Flavours && families.Flavour(adv.FixedVersion) != families.Flavour(p.Release) {
			continue
		}
		if adv.Status == types.StatusNotAffected {
			continue
		}
		status := adv.Status
		if adv.FixedVersion != "" {
			vulnerable, err := m.less(version, adv.FixedVersion)
			if err != nil {
				slog.Debug("version not comparable; advisory skipped", "package", p.Name, "vulnerability", adv.VulnerabilityID, "error", err)
				continue
			}
			if !vulnerable {
				continue
			}
			status = types.StatusFixed
		} else if status == types.StatusUnknown {
			status = types.StatusAffected
		}
		v, err := m.vulnerability(p, adv, status)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (m *matcher) vulnerability(p types.Package, adv db.Advisory, status types.Status) (types.DetectedVulnerability, error) {
	known, ok := m.details[adv.VulnerabilityID]
	if !ok {
		details, found, err := m.db.Vulnerability(adv.VulnerabilityID)
		if err != nil {
			return types.DetectedVulnerability{}, err
		}
		if found {
			known = &details
		}
		m.details[adv.VulnerabilityID] = known
	}
	var details types.Vulnerability
	if known != nil {
		details = *known
	}
	v := types.DetectedVulnerability{
		VulnerabilityID:  adv.VulnerabilityID,
		VendorIDs:        adv.VendorIDs,
		PkgID:            p.ID,
		PkgName:          p.Name,
		PkgIdentifier:    p.Identifier,
		InstalledVersion: p.FullVersion(),
		FixedVersion:     adv.FixedVersion,
		Status:           status,
		Layer:            p.Layer,
		DataSource:       adv.DataSource,
		Vulnerability:    details,
	}
	v.Severity, v.SeveritySource = Severity(adv, details)
	// As Trivy: an ID the DB has no record of gets no link, and an
	// advisory's own severity (Debian's per package) joins the vendor
	// severities of one it has.
	if known != nil {
		v.PrimaryURL = primaryURL(adv.VulnerabilityID, details.References)
		if adv.Severity != types.SeverityUnknown && v.SeveritySource != "" {
			vs := make(map[string]types.Severity, len(details.VendorSeverity)+1)
			maps.Copy(vs, details.VendorSeverity)
			vs[v.SeveritySource] = adv.Severity
			v.VendorSeverity = vs
		}
	}
	return v, nil
}

// Severity picks the severity shown for a finding and says which source
// gave it: the advisory's own; else the vendor severity of the advisory's
// data source; else GitHub's for GHSA IDs; else NVD's; else the DB's
// deprecated severity string; else UNKNOWN.
func Severity(adv db.Advisory, v types.Vulnerability) (string, string) {
	source := ""
	if adv.DataSource != nil {
		source = adv.DataSource.ID
	}
	if adv.Severity != types.SeverityUnknown {
		return adv.Severity.String(), source
	}
	if s, ok := v.VendorSeverity[source]; ok && source != "" {
		return s.String(), source
	}
	if strings.HasPrefix(adv.VulnerabilityID, "GHSA-") {
		if s, ok := v.VendorSeverity["ghsa"]; ok {
			return s.String(), "ghsa"
		}
	}
	if s, ok := v.VendorSeverity["nvd"]; ok {
		return s.String(), "nvd"
	}
	if v.Severity != "" {
		return strings.ToUpper(v.Severity), ""
	}
	return types.SeverityUnknown.String(), ""
}

// primaryURL is the page users open first for a vulnerability.
func primaryURL(id string, refs []string) string {
	lower := strings.ToLower(id)
	switch {
	case strings.HasPrefix(id, "CVE-"):
		return "https://avd.aquasec.com/nvd/" + lower
	case strings.HasPrefix(id, "GHSA-"):
		return "https://github.com/advisories/" + id
	case strings.HasPrefix(id, "RUSTSEC-"):
		return "https://osv.dev/vulnerability/" + id
	case strings.HasPrefix(id, "TEMP-"):
		return "https://security-tracker.debian.org/tracker/" + id
	}
	if len(refs) > 0 {
		return refs[0]
	}
	return ""
}

// Sort orders findings as Trivy does: by package, then installed
// version, then severity (highest first), then ID.
func Sort(vs []types.DetectedVulnerability) {
	slices.SortStableFunc(vs, func(a, b types.DetectedVulnerability) int {
		return cmp.Or(
			cmp.Compare(a.PkgName, b.PkgName),
			cmp.Compare(a.PkgPath, b.PkgPath),
			cmp.Compare(a.InstalledVersion, b.InstalledVersion),
			-cmp.Compare(severityRank(a.Severity), severityRank(b.Severity)),
			cmp.Compare(a.VulnerabilityID, b.VulnerabilityID),
		)
	})
}

func severityRank(name string) int {
	s, _ := types.ParseSeverity(name)
	return int(s)
}
