package db_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/docker-scan/docker-scan/engine/db"
	"github.com/docker-scan/docker-scan/engine/types"
)

func redHatFixture(t *testing.T, yaml string) (*db.DB, error) {
	t.Helper()
	dir := t.TempDir()
	f := filepath.Join(dir, "redhat.yaml")
	if err := os.WriteFile(f, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := db.BuildFixtureDB(dir, db.Metadata{Version: 2}, f); err != nil {
		return nil, err
	}
	d, err := db.Open(filepath.Join(dir, db.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, nil
}

const redHatYAML = `
data-sources:
  Red Hat: {ID: redhat, Name: Red Hat OVAL v2}
red-hat-cpe:
  cpe: [cpe:/o:redhat:enterprise_linux:8::baseos, cpe:/a:redhat:enterprise_linux:8::appstream, cpe:/a:redhat:rhel_eus:8.1]
  repository:
    rhel-8-for-x86_64-baseos-rpms: [0]
    rhel-8-for-x86_64-appstream-rpms: [1, 0]
  nvr:
    ubi8-container-8.6-754-x86_64: [1, 2]
advisories:
  Red Hat:
    openssl-libs:
      RHSA-2022:5818:
        Entries:
          - FixedVersion: 1:1.1.1k-7.el8_6
            Arches: [s390x, x86_64]
            AffectedCPEList: [cpe:/o:redhat:enterprise_linux:8::baseos, cpe:/a:redhat:rhel_eus:8.1]
            Cves: [{ID: CVE-2022-1292, Severity: MEDIUM}, {ID: CVE-2022-2068, Severity: HIGH}]
      CVE-2024-2511:
        Entries:
          - {Status: will_not_fix, Affected: [1], Cves: [{Severity: LOW}]}
`

func TestRedHatBuckets(t *testing.T) {
	d, err := redHatFixture(t, redHatYAML)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		sets, nvrs []string
		want       []int
	}{
		{[]string{"rhel-8-for-x86_64-baseos-rpms", "rhel-8-for-x86_64-appstream-rpms"}, nil, []int{0, 1}},
		{nil, []string{"ubi8-container-8.6-754-x86_64"}, []int{1, 2}},
		{[]string{"rhel-8-for-x86_64-baseos-rpms"}, []string{"ubi8-container-8.6-754-x86_64"}, []int{0, 1, 2}},
		{[]string{"no-such-repo"}, []string{"-"}, nil},
	} {
		got, err := d.RedHatCPEIndices(tc.sets, tc.nvrs)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%v %v: got %v, %v; want %v", tc.sets, tc.nvrs, got, err, tc.want)
		}
	}
	if cpe, err := d.RedHatCPE(2); err != nil || cpe != "cpe:/a:redhat:rhel_eus:8.1" {
		t.Errorf("CPE 2: %q, %v", cpe, err)
	}
	if cpe, err := d.RedHatCPE(7); err != nil || cpe != "" {
		t.Errorf("CPE 7: %q, %v", cpe, err)
	}

	advs, err := d.RedHatAdvisories("openssl-libs")
	if err != nil || len(advs) != 2 {
		t.Fatalf("advisories: %+v, %v", advs, err)
	}
	// Keys in the bucket's order: CVE-… before RHSA-….
	unfixed, fixed := advs[0], advs[1]
	if unfixed.ID != "CVE-2024-2511" || len(unfixed.Entries) != 1 || unfixed.Entries[0].Status != types.StatusWillNotFix ||
		!slices.Equal(unfixed.Entries[0].Affected, []int{1}) || unfixed.Entries[0].Cves[0] != (db.RedHatCVE{Severity: types.SeverityLow}) {
		t.Errorf("unfixed: %+v", unfixed)
	}
	e := fixed.Entries[0]
	if fixed.ID != "RHSA-2022:5818" || fixed.DataSource == nil || fixed.DataSource.ID != "redhat" || e.FixedVersion != "1:1.1.1k-7.el8_6" ||
		!slices.Equal(e.Affected, []int{0, 2}) || !slices.Equal(e.Arches, []string{"s390x", "x86_64"}) ||
		!slices.Equal(e.Cves, []db.RedHatCVE{{ID: "CVE-2022-1292", Severity: types.SeverityMedium}, {ID: "CVE-2022-2068", Severity: types.SeverityHigh}}) {
		t.Errorf("fixed: %+v", fixed)
	}
	if advs, err := d.RedHatAdvisories("bash"); err != nil || len(advs) != 0 {
		t.Errorf("bash: %+v, %v", advs, err)
	}
	// The generic reader sees the same record with its entries.
	if generic, err := d.Advisories("Red Hat", "openssl-libs"); err != nil || len(generic) != 2 || generic[1].Entries[0].FixedVersion != "1:1.1.1k-7.el8_6" {
		t.Errorf("generic reader: %+v, %v", generic, err)
	}
}

func TestRedHatFixtureUnknownCPE(t *testing.T) {
	bad := strings.Replace(redHatYAML, "AffectedCPEList: [cpe:/o:redhat:enterprise_linux:8::baseos,", "AffectedCPEList: [cpe:/o:redhat:enterprise_linux:9::baseos,", 1)
	if _, err := redHatFixture(t, bad); err == nil || !strings.Contains(err.Error(), "not in the fixture's red-hat-cpe list") {
		t.Errorf("fixture naming an unknown CPE: %v", err)
	}
}

// A record that is not what the format stores is damage, reported as such.
func TestRedHatDamagedRecords(t *testing.T) {
	for name, fill := range map[string]func(tx *bolt.Tx) error{
		"repository": func(tx *bolt.Tx) error {
			return db.PutRedHatCPEs(tx, []string{"cpe:/a:x"}, map[string][]int{"repo": {0}}, nil)
		},
		"advisory": func(tx *bolt.Tx) error {
			return db.PutAdvisory(tx, "Red Hat", "openssl-libs", "RHSA-1", "not an advisory")
		},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), db.DBFile)
			err := db.WriteDB(path, func(tx *bolt.Tx) error {
				if err := fill(tx); err != nil {
					return err
				}
				if b := tx.Bucket([]byte("Red Hat CPE")); b != nil {
					return b.Bucket([]byte("repository")).Put([]byte("repo"), []byte(`{"not": "a list"}`))
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			d, err := db.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			_, err1 := d.RedHatCPEIndices([]string{"repo"}, nil)
			_, err2 := d.RedHatAdvisories("openssl-libs")
			var de *db.DamagedError
			if !errors.As(errors.Join(err1, err2), &de) {
				t.Errorf("got %v, %v; want a DamagedError", err1, err2)
			}
		})
	}
}
