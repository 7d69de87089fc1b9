package detect

import (
	"cmp"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"

	"github.com/docker-scan/docker-scan/engine/db"
	"github.com/docker-scan/docker-scan/engine/types"
)

// Red Hat and CentOS packages are matched against the one "Red Hat"
// bucket, whose advisories have one entry per product stream, each naming
// its products as CPEs. An image's products are the CPEs its content sets
// (the repositories its packages were installed from, which Red Hat
// images record in root/buildinfo) and its build's NVR map to; an image
// that records none (CentOS, a RHEL image built elsewhere) is taken to use
// its release's default repositories. Only entries about those products
// apply. This is how Trivy matches them, and these rules follow it:
// unfixed entries are reported with their status, several fixes of one CVE
// are reported once (the newest fix, all advisory IDs), a noarch package
// is affected whatever arches an entry names, and packages of known
// third-party rebuilds (Remi's) are not matched.

// redHatDefaultContentSets are the repositories of a release assumed for
// packages without build info; %s is the architecture (RHEL 8 onwards
// names it in the repository). Trivy's table has 6 to 9 (with x86_64);
// 10 follows the same pattern.
var redHatDefaultContentSets = map[string][]string{
	"6":  {"rhel-6-server-rpms", "rhel-6-server-extras-rpms"},
	"7":  {"rhel-7-server-rpms", "rhel-7-server-extras-rpms"},
	"8":  {"rhel-8-for-%s-baseos-rpms", "rhel-8-for-%s-appstream-rpms"},
	"9":  {"rhel-9-for-%s-baseos-rpms", "rhel-9-for-%s-appstream-rpms"},
	"10": {"rhel-10-for-%s-baseos-rpms", "rhel-10-for-%s-appstream-rpms"},
}

// redHatThirdPartyReleases are release suffixes of rebuilds whose
// versions do not follow Red Hat's, so that Red Hat's advisories would
// be wrong for them.
var redHatThirdPartyReleases = []string{".remi"}

// redHatMatcher matches the packages of one Red Hat or CentOS image.
type redHatMatcher struct {
	db *db.DB
	// defaults are the content sets of packages without build info.
	defaults []string
	release  string
	// products caches the CPE indices of content sets and NVRs.
	products   map[string][]int
	advisories map[string][]db.RedHatAdvisory
}

func newRedHatMatcher(d *db.DB, art types.Artifact) *redHatMatcher {
	release, _, _ := strings.Cut(art.OS.Name, ".")
	return &redHatMatcher{
		db:         d,
		release:    release,
		defaults:   defaultContentSets(release, imageArch(art)),
		products:   map[string][]int{},
		advisories: map[string][]db.RedHatAdvisory{},
	}
}

// defaultContentSets are the release's default repositories for x86_64
// (Trivy's), and for the image's architecture when it is another.
func defaultContentSets(release, arch string) []string {
	var out []string
	for _, a := range []string{"x86_64", arch} {
		for _, s := range redHatDefaultContentSets[release] {
			if strings.Contains(s, "%s") {
				s = fmt.Sprintf(s, a)
			}
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

// imageArch is the architecture most of the image's packages are built
// for ("" when none says).
func imageArch(art types.Artifact) string {
	count := map[string]int{}
	best := ""
	for _, pdb := range art.PackageDBs {
		for _, p := range pdb.Packages {
			if p.Arch == "" || p.Arch == "noarch" {
				continue
			}
			count[p.Arch]++
			if c := count[p.Arch]; c > count[best] || c == count[best] && p.Arch < best {
				best = p.Arch
			}
		}
	}
	return best
}

// productsOf returns the CPE indices of the products a package comes
// from: those of its layer's build info, else the release's defaults.
func (r *redHatMatcher) productsOf(p types.Package) ([]int, error) {
	sets, nvrs := r.defaults, []string(nil)
	if bi := p.BuildInfo; bi != nil {
		sets = bi.ContentSets
		if bi.Nvr != "" {
			nvrs = []string{bi.Nvr + "-" + bi.Arch}
		}
	}
	key := strings.Join(sets, "\x00") + "\x01" + strings.Join(nvrs, "\x00")
	if indices, ok := r.products[key]; ok {
		return indices, nil
	}
	indices, err := r.db.RedHatCPEIndices(sets, nvrs)
	if err != nil {
		return nil, err
	}
	if len(indices) == 0 {
		// Trivy fails the scan here; the packages are reported as not
		// matched instead, never as clean.
		err := fmt.Errorf("%w: the DB knows no Red Hat product (CPE) of the content sets %q, NVR %q", ErrNotMatched, sets, nvrs)
		if len(sets) == 0 && len(nvrs) == 0 {
			err = fmt.Errorf("%w: no default Red Hat repositories for release %q", ErrNotMatched, r.release)
		}
		slog.Warn("Red Hat packages not matched", "package", p.Name, "reason", err)
		return nil, err
	}
	slog.Debug("Red Hat products", "content_sets", sets, "nvrs", nvrs, "cpe_indices", indices)
	r.products[key] = indices
	return indices, nil
}

func (r *redHatMatcher) advisoriesOf(name string) ([]db.RedHatAdvisory, error) {
	advs, ok := r.advisories[name]
	if !ok {
		var err error
		if advs, err = r.db.RedHatAdvisories(name); err != nil {
			return nil, err
		}
		r.advisories[name] = advs
	}
	return advs, nil
}

// redHatFinding is a vulnerability of one package while its entries are
// gathered.
type redHatFinding struct {
	adv      db.Advisory
	severity types.Severity
}

// match returns the vulnerabilities of one package.
func (r *redHatMatcher) match(m *matcher, p types.Package) ([]types.DetectedVulnerability, error) {
	if p.Name == "gpg-pubkey" || slices.ContainsFunc(redHatThirdPartyReleases, func(s string) bool { return strings.HasSuffix(p.Release, s) }) {
		return nil, nil
	}
	name := p.Name
	if p.Modularitylabel != "" {
		name = modularName(name, p.Modularitylabel)
	}
	advs, err := r.advisoriesOf(name)
	if err != nil || len(advs) == 0 {
		return nil, err
	}
	products, err := r.productsOf(p)
	if err != nil {
		return nil, err
	}
	// As Trivy: per CVE, the entry with the newest fix among those of the
	// image's products and arch (an unfixed entry counts as the oldest),
	// under that entry's advisory ID alone; then reported if it is
	// unfixed or newer than what is installed.
	byID := map[string]*redHatFinding{}
	var order []string
	for _, a := range advs {
		for _, e := range a.Entries {
			if !intersects(products, e.Affected) {
				continue
			}
			if len(e.Arches) > 0 && p.Arch != "noarch" && !slices.Contains(e.Arches, p.Arch) {
				continue
			}
			if e.Status == types.StatusNotAffected {
				continue
			}
			fixed := trimZeroEpoch(e.FixedVersion)
			for _, cve := range e.Cves {
				id, vendorIDs := a.ID, []string(nil)
				if !strings.HasPrefix(a.ID, "CVE-") {
					id, vendorIDs = cve.ID, []string{a.ID}
				}
				if id == "" {
					continue
				}
				candidate := redHatFinding{adv: db.Advisory{VulnerabilityID: id, DataSource: a.DataSource, FixedVersion: fixed,
					VendorIDs: vendorIDs, Status: e.Status}, severity: cve.Severity}
				f, seen := byID[id]
				if !seen {
					byID[id] = &candidate
					order = append(order, id)
					continue
				}
				if fixed == "" {
					continue
				}
				if f.adv.FixedVersion == "" {
					*f = candidate
				} else if newer, err := m.less(f.adv.FixedVersion, fixed); err == nil && newer {
					*f = candidate
				}
			}
		}
	}
	installed := p.FullVersion()
	kept := order[:0]
	for _, id := range order {
		f := byID[id]
		if f.adv.FixedVersion == "" {
			f.adv.Status = cmp.Or(f.adv.Status, types.StatusAffected)
			kept = append(kept, id)
			continue
		}
		vulnerable, err := m.less(installed, f.adv.FixedVersion)
		if err != nil {
			slog.Debug("version not comparable; advisory skipped", "package", p.Name, "vulnerability", id, "error", err)
			continue
		}
		if vulnerable {
			f.adv.Status = types.StatusFixed
			kept = append(kept, id)
		}
	}
	order = kept
	out := make([]types.DetectedVulnerability, 0, len(order))
	for _, id := range order {
		f := byID[id]
		v, err := m.vulnerability(p, f.adv, f.adv.Status)
		if err != nil {
			return nil, err
		}
		// Red Hat rates each CVE per product: that rating is the
		// finding's, and Red Hat's in its vendor severities (of a CVE
		// the DB has a record of, as Trivy).
		v.Severity, v.SeveritySource = f.severity.String(), "redhat"
		if m.details[f.adv.VulnerabilityID] != nil {
			v.VendorSeverity = maps.Clone(v.VendorSeverity)
			if v.VendorSeverity == nil {
				v.VendorSeverity = map[string]types.Severity{}
			}
			v.VendorSeverity["redhat"] = f.severity
		}
		out = append(out, v)
	}
	return out, nil
}

// intersects reports whether two sorted-or-not small index lists share
// an element.
func intersects(a, b []int) bool {
	for _, x := range b {
		if slices.Contains(a, x) {
			return true
		}
	}
	return false
}

// trimZeroEpoch drops a zero epoch ("0:1.2-3" is 1.2-3), as reports show
// versions.
func trimZeroEpoch(v string) string {
	epoch, rest, ok := strings.Cut(v, ":")
	if !ok || epoch == "" || strings.Trim(epoch, "0") != "" {
		return v
	}
	return rest
}
