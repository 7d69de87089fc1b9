package db

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"

	bolt "go.etcd.io/bbolt"
	"go.yaml.in/yaml/v3"

	"github.com/docker-scan/docker-scan/engine/types"
)

// A fixture is a YAML file that describes DB content in the DB's own
// terms, for tests and the demo:
//
//	data-sources:
//	  alpine 3.14: {ID: alpine, Name: Alpine Secdb, URL: https://secdb.alpinelinux.org/}
//	advisories:
//	  alpine 3.14:              # platform or ecosystem bucket
//	    musl:                   # package
//	      CVE-2020-28928: {FixedVersion: 1.2.2_pre2-r0}
//	vulnerabilities:
//	  CVE-2020-28928: {Title: ..., Severity: MEDIUM, VendorSeverity: {nvd: MEDIUM}}
//
// Status and severities may be written as names (will_not_fix, HIGH); they
// are stored as the integers the DB format uses.
//
// Red Hat advisories (bucket "Red Hat") are stored as the DB has them:
// Entries, each with the CVEs it is about and the products (CPEs) it
// applies to, under an RHSA ID (fixed) or a CVE ID (unfixed); the
// "red-hat-cpe" section writes the "Red Hat CPE" bucket. An entry may name
// its CPEs (AffectedCPEList), which are stored as their indices in the
// fixture's cpe list, or give the indices (Affected):
//
//	red-hat-cpe:
//	  cpe: [cpe:/o:redhat:enterprise_linux:8::baseos, cpe:/a:redhat:enterprise_linux:8::appstream]
//	  repository: {rhel-8-for-x86_64-baseos-rpms: [0], rhel-8-for-x86_64-appstream-rpms: [1]}
//	  nvr: {ubi8-container-8.3-227-x86_64: [0, 1]}
//	advisories:
//	  Red Hat:
//	    openssl-libs:
//	      RHSA-2023:1405:
//	        Entries:
//	          - FixedVersion: 1:1.1.1k-9.el8_7
//	            Arches: [aarch64, x86_64]
//	            AffectedCPEList: [cpe:/o:redhat:enterprise_linux:8::baseos]
//	            Cves: [{ID: CVE-2023-0286, Severity: HIGH}]
//	      CVE-2024-2511:
//	        Entries:
//	          - {Status: will_not_fix, Affected: [0], Cves: [{Severity: LOW}]}
type fixture struct {
	DataSources     map[string]map[string]any            `yaml:"data-sources"`
	Advisories      map[string]map[string]map[string]any `yaml:"advisories"`
	Vulnerabilities map[string]map[string]any            `yaml:"vulnerabilities"`
	RedHatCPE       *redHatCPEFixture                    `yaml:"red-hat-cpe"`
}

// redHatCPEFixture is the "Red Hat CPE" bucket of a fixture.
type redHatCPEFixture struct {
	CPE        []string         `yaml:"cpe"`
	Repository map[string][]int `yaml:"repository"`
	NVR        map[string][]int `yaml:"nvr"`
}

// BuildFixtureDB writes dir/trivy.db from fixture files, and
// dir/metadata.json from meta.
func BuildFixtureDB(dir string, meta Metadata, fixtureFiles ...string) error {
	var fixtures []fixture
	for _, f := range fixtureFiles {
		raw, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		var fx fixture
		if err := yaml.Unmarshal(raw, &fx); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		fixtures = append(fixtures, fx)
	}
	err := WriteDB(filepath.Join(dir, DBFile), func(tx *bolt.Tx) error {
		for _, fx := range fixtures {
			if err := fx.put(tx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return WriteMetadata(dir, meta)
}

func (fx fixture) put(tx *bolt.Tx) error {
	for bucket, ds := range fx.DataSources {
		b, err := tx.CreateBucketIfNotExists([]byte(dataSourceBucket))
		if err != nil {
			return err
		}
		if err := putJSON(b, bucket, ds); err != nil {
			return err
		}
	}
	for platform, pkgs := range fx.Advisories {
		for pkg, vulns := range pkgs {
			for id, adv := range vulns {
				a, err := normalize(adv, true)
				if err == nil {
					err = fx.normalizeEntries(a)
				}
				if err != nil {
					return fmt.Errorf("advisory %s/%s/%s: %w", platform, pkg, id, err)
				}
				if err := PutAdvisory(tx, platform, pkg, id, a); err != nil {
					return err
				}
			}
		}
	}
	if c := fx.RedHatCPE; c != nil {
		if err := PutRedHatCPEs(tx, c.CPE, c.Repository, c.NVR); err != nil {
			return err
		}
	}
	for id, v := range fx.Vulnerabilities {
		n, err := normalize(v, false)
		if err != nil {
			return fmt.Errorf("vulnerability %s: %w", id, err)
		}
		if err := PutVulnerability(tx, id, n); err != nil {
			return err
		}
	}
	return nil
}

// normalize turns status and severity names into the DB's integers. An
// advisory's Severity is an integer; a vulnerability's (deprecated)
// Severity stays a name.
func normalize(v any, advisory bool) (any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		if v == nil {
			return map[string]any{}, nil
		}
		return nil, fmt.Errorf("want a mapping, got %T", v)
	}
	if s, ok := m["Status"].(string); ok {
		st, err := types.ParseStatus(s)
		if err != nil {
			return nil, err
		}
		m["Status"] = int(st)
	}
	if s, ok := m["Severity"].(string); ok && advisory {
		sev, err := types.ParseSeverity(s)
		if err != nil {
			return nil, err
		}
		m["Severity"] = int(sev)
	}
	if vs, ok := m["VendorSeverity"].(map[string]any); ok {
		for k, s := range vs {
			if name, ok := s.(string); ok {
				sev, err := types.ParseSeverity(name)
				if err != nil {
					return nil, err
				}
				vs[k] = int(sev)
			}
		}
	}
	return m, nil
}

// normalizeEntries normalises the Entries of an advisory (Red Hat,
// Oracle, Rocky) as advisories, their Cves' severities, and turns
// AffectedCPEList names into indices of the fixture's cpe list.
func (fx fixture) normalizeEntries(adv any) error {
	m, _ := adv.(map[string]any)
	entries, ok := m["Entries"].([]any)
	if !ok {
		return nil
	}
	for i, e := range entries {
		n, err := normalize(e, true)
		if err != nil {
			return fmt.Errorf("entry %d: %w", i, err)
		}
		entry := n.(map[string]any)
		if cves, ok := entry["Cves"].([]any); ok {
			for j, c := range cves {
				if cves[j], err = normalize(c, true); err != nil {
					return fmt.Errorf("entry %d, cve %d: %w", i, j, err)
				}
			}
		}
		if names, ok := entry["AffectedCPEList"].([]any); ok {
			var indices []int
			for _, name := range names {
				at := -1
				if fx.RedHatCPE != nil {
					at = slices.Index(fx.RedHatCPE.CPE, fmt.Sprint(name))
				}
				if at < 0 {
					return fmt.Errorf("entry %d: CPE %v is not in the fixture's red-hat-cpe list", i, name)
				}
				indices = append(indices, at)
			}
			delete(entry, "AffectedCPEList")
			entry["Affected"] = indices
		}
		entries[i] = entry
	}
	return nil
}

// WriteDB creates a new bbolt file at path and fills it; it is written
// beside path and renamed into place when complete.
func WriteDB(path string, fill func(tx *bolt.Tx) error) error {
	tmp := path + ".partial"
	os.Remove(tmp)
	b, err := bolt.Open(tmp, 0o644, &bolt.Options{NoSync: true})
	if err != nil {
		return err
	}
	err = b.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists([]byte(vulnerabilityBucket)); err != nil {
			return err
		}
		return fill(tx)
	})
	if cerr := b.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

// PutAdvisory stores an advisory (any JSON-marshalable value) for a
// package in a platform or ecosystem bucket.
func PutAdvisory(tx *bolt.Tx, platform, pkg, vulnID string, adv any) error {
	top, err := tx.CreateBucketIfNotExists([]byte(platform))
	if err != nil {
		return err
	}
	pb, err := top.CreateBucketIfNotExists([]byte(pkg))
	if err != nil {
		return err
	}
	return putJSON(pb, vulnID, adv)
}

// PutVulnerability stores the details of a vulnerability.
func PutVulnerability(tx *bolt.Tx, id string, v any) error {
	b, err := tx.CreateBucketIfNotExists([]byte(vulnerabilityBucket))
	if err != nil {
		return err
	}
	return putJSON(b, id, v)
}

// PutDataSource records which data source a bucket comes from.
func PutDataSource(tx *bolt.Tx, bucket string, ds types.DataSource) error {
	b, err := tx.CreateBucketIfNotExists([]byte(dataSourceBucket))
	if err != nil {
		return err
	}
	return putJSON(b, bucket, ds)
}

func putJSON(b *bolt.Bucket, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put([]byte(key), raw)
}

// FixtureFiles lists the *.yaml files of a directory, sorted.
func FixtureFiles(dir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	sort.Strings(files)
	return files, err
}
