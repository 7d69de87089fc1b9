package db

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	bolt "go.etcd.io/bbolt"

	"github.com/docker-scan/docker-scan/engine/types"
)

// Red Hat keeps the advisories of every RHEL release (and CentOS, which
// is matched against them) in one bucket; each entry of an advisory names
// the products (CPEs) it applies to, and the "Red Hat CPE" bucket says
// which CPEs a repository (content set) or an image's NVR belongs to.
const (
	RedHatBucket       = "Red Hat"
	redHatCPEBucket    = "Red Hat CPE"
	redHatRepositories = "repository"
	redHatNVRs         = "nvr"
	redHatCPEs         = "cpe"
)

// RedHatAdvisory is one value of the "Red Hat" bucket: the advisories
// filed under one ID for one package. The ID is an RHSA/RHBA (fixed
// vulnerabilities, each entry listing the CVEs it fixes) or a CVE
// (unfixed ones).
type RedHatAdvisory struct {
	ID         string            `json:"-"`
	DataSource *types.DataSource `json:"-"`
	Entries    []RedHatEntry     `json:",omitempty"`
}

// RedHatEntry is one product stream's view of an advisory.
type RedHatEntry struct {
	FixedVersion string       `json:",omitempty"`
	Cves         []RedHatCVE  `json:",omitempty"`
	Arches       []string     `json:",omitempty"`
	Status       types.Status `json:",omitempty"`
	// Affected are indices into the "Red Hat CPE" bucket's cpe list: the
	// products this entry is about.
	Affected []int `json:",omitempty"`
}

// RedHatCVE is a CVE an entry is about, with Red Hat's severity of it for
// that product (it may differ between products).
type RedHatCVE struct {
	ID       string         `json:",omitempty"`
	Severity types.Severity `json:",omitempty"`
}

// RedHatAdvisories returns every advisory filed under pkg (a binary rpm
// name, or "module:stream::name" for a modular one) in the "Red Hat"
// bucket, with the bucket's data source.
func (d *DB) RedHatAdvisories(pkg string) ([]RedHatAdvisory, error) {
	var out []RedHatAdvisory
	err := d.view(func(tx *bolt.Tx) error {
		out = out[:0]
		top := tx.Bucket([]byte(RedHatBucket))
		if top == nil {
			return nil
		}
		pb := top.Bucket([]byte(pkg))
		if pb == nil {
			return nil
		}
		ds, err := dataSource(tx, RedHatBucket)
		if err != nil {
			return err
		}
		return pb.ForEach(func(k, v []byte) error {
			var a RedHatAdvisory
			if err := json.Unmarshal(v, &a); err != nil {
				return fmt.Errorf("advisory %s/%s/%s: %w: %v", RedHatBucket, pkg, k, errBadRecord, err)
			}
			a.ID, a.DataSource = string(k), ds
			out = append(out, a)
			return nil
		})
	})
	return out, err
}

// RedHatCPEIndices returns the CPE indices (sorted, without duplicates)
// that the content sets (repository IDs such as
// "rhel-8-for-x86_64-baseos-rpms") and image NVRs
// ("ubi8-container-8.3-227-x86_64") map to. Names the DB does not know
// map to nothing.
func (d *DB) RedHatCPEIndices(contentSets, nvrs []string) ([]int, error) {
	var out []int
	err := d.view(func(tx *bolt.Tx) error {
		out = out[:0]
		top := tx.Bucket([]byte(redHatCPEBucket))
		if top == nil {
			return nil
		}
		for _, m := range []struct {
			bucket string
			keys   []string
		}{{redHatRepositories, contentSets}, {redHatNVRs, nvrs}} {
			b := top.Bucket([]byte(m.bucket))
			if b == nil {
				continue
			}
			for _, k := range m.keys {
				raw := b.Get([]byte(k))
				if raw == nil {
					continue
				}
				var indices []int
				if err := json.Unmarshal(raw, &indices); err != nil {
					return fmt.Errorf("%s/%s/%s: %w: %v", redHatCPEBucket, m.bucket, k, errBadRecord, err)
				}
				out = append(out, indices...)
			}
		}
		return nil
	})
	slices.Sort(out)
	return slices.Compact(out), err
}

// RedHatCPE returns the CPE name of an index ("" when the DB has none),
// for messages.
func (d *DB) RedHatCPE(index int) (string, error) {
	var cpe string
	err := d.view(func(tx *bolt.Tx) error {
		cpe = ""
		b := tx.Bucket([]byte(redHatCPEBucket))
		if b != nil {
			b = b.Bucket([]byte(redHatCPEs))
		}
		if b == nil {
			return nil
		}
		raw := b.Get([]byte(strconv.Itoa(index)))
		if raw == nil {
			return nil
		}
		if err := json.Unmarshal(raw, &cpe); err != nil {
			return fmt.Errorf("%s/%s/%d: %w: %v", redHatCPEBucket, redHatCPEs, index, errBadRecord, err)
		}
		return nil
	})
	return cpe, err
}

// PutRedHatCPEs stores the "Red Hat CPE" bucket: the CPE names (a CPE's
// index is its position), and which indices each content set and NVR
// maps to.
func PutRedHatCPEs(tx *bolt.Tx, cpes []string, repositories, nvrs map[string][]int) error {
	top, err := tx.CreateBucketIfNotExists([]byte(redHatCPEBucket))
	if err != nil {
		return err
	}
	for _, m := range []struct {
		bucket string
		values map[string][]int
	}{{redHatRepositories, repositories}, {redHatNVRs, nvrs}} {
		b, err := top.CreateBucketIfNotExists([]byte(m.bucket))
		if err != nil {
			return err
		}
		for k, v := range m.values {
			if err := putJSON(b, k, v); err != nil {
				return err
			}
		}
	}
	b, err := top.CreateBucketIfNotExists([]byte(redHatCPEs))
	if err != nil {
		return err
	}
	for i, cpe := range cpes {
		if err := putJSON(b, strconv.Itoa(i), cpe); err != nil {
			return err
		}
	}
	return nil
}
