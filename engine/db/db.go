// Package db reads the vulnerability DB (the trivy-db v2 format: a bbolt
// file plus metadata.json), downloads it as an OCI artifact, and builds
// fixture DBs for tests and the demo.
package db

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/docker-scan/docker-scan/engine/types"
)

// Bucket names of the trivy-db layout.
const (
	vulnerabilityBucket = "vulnerability"
	dataSourceBucket    = "data-source"
)

// Advisory says how one package is affected by one vulnerability, as one
// data source reports it.
type Advisory struct {
	VulnerabilityID    string            `json:"-"`
	FixedVersion       string            `json:",omitempty"`
	AffectedVersion    string            `json:",omitempty"`
	VulnerableVersions []string          `json:",omitempty"`
	PatchedVersions    []string          `json:",omitempty"`
	UnaffectedVersions []string          `json:",omitempty"`
	Status             types.Status      `json:",omitempty"`
	Severity           types.Severity    `json:",omitempty"`
	VendorIDs          []string          `json:",omitempty"`
	Arches             []string          `json:",omitempty"`
	DataSource         *types.DataSource `json:",omitempty"`
	// Entries hold per-architecture advisories of sources (Oracle, Rocky,
	// Red Hat) that store several under one key.
	Entries []Advisory `json:",omitempty"`
}

// DB is an open vulnerability DB, read-only.
type DB struct {
	bolt *bolt.DB
	path string
}

// Open opens the bbolt file at path read-only. Several processes may read
// one DB at once; a download replaces the file by renaming, so readers
// keep their open copy.
func Open(path string) (*DB, error) {
	b, err := bolt.Open(path, 0o444, &bolt.Options{ReadOnly: true, Timeout: 10 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open vulnerability DB %s: %w", path, err)
	}
	d := &DB{bolt: b, path: path}
	if err := d.check(); err != nil {
		b.Close()
		return nil, fmt.Errorf("vulnerability DB %s: %w", path, err)
	}
	return d, nil
}

// check refuses files that are bbolt but not a vulnerability DB.
func (d *DB) check() error {
	return d.bolt.View(func(tx *bolt.Tx) error {
		if tx.Bucket([]byte(vulnerabilityBucket)) == nil {
			return errors.New("not a vulnerability DB: it has no vulnerability bucket")
		}
		return nil
	})
}

// Close releases the DB.
func (d *DB) Close() error { return d.bolt.Close() }

// Path is the file the DB was opened from.
func (d *DB) Path() string { return d.path }

// Advisories returns every advisory for pkg in the bucket of platform
// (e.g. "alpine 3.19"), with the bucket's data source filled in where the
// advisory has none of its own.
func (d *DB) Advisories(platform, pkg string) ([]Advisory, error) {
	var out []Advisory
	err := d.bolt.View(func(tx *bolt.Tx) error {
		top := tx.Bucket([]byte(platform))
		if top == nil {
			return nil
		}
		pb := top.Bucket([]byte(pkg))
		if pb == nil {
			return nil
		}
		ds, err := dataSource(tx, platform)
		if err != nil {
			return err
		}
		return pb.ForEach(func(k, v []byte) error {
			var a Advisory
			if err := json.Unmarshal(v, &a); err != nil {
				return fmt.Errorf("advisory %s/%s/%s: %w", platform, pkg, k, err)
			}
			a.VulnerabilityID = string(k)
			if a.DataSource == nil {
				a.DataSource = ds
			}
			out = append(out, a)
			return nil
		})
	})
	return out, err
}

// HasPlatform reports whether the DB has a bucket for platform.
func (d *DB) HasPlatform(platform string) bool {
	found := false
	_ = d.bolt.View(func(tx *bolt.Tx) error {
		found = tx.Bucket([]byte(platform)) != nil
		return nil
	})
	return found
}

// Vulnerability returns the details of a vulnerability; ok is false when
// the DB has none.
func (d *DB) Vulnerability(id string) (v types.Vulnerability, ok bool, err error) {
	err = d.bolt.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket([]byte(vulnerabilityBucket)).Get([]byte(id))
		if raw == nil {
			return nil
		}
		ok = true
		if err := json.Unmarshal(raw, &v); err != nil {
			return fmt.Errorf("vulnerability %s: %w", id, err)
		}
		return nil
	})
	return v, ok, err
}

func dataSource(tx *bolt.Tx, bucket string) (*types.DataSource, error) {
	b := tx.Bucket([]byte(dataSourceBucket))
	if b == nil {
		return nil, nil
	}
	raw := b.Get([]byte(bucket))
	if raw == nil {
		return nil, nil
	}
	var ds types.DataSource
	if err := json.Unmarshal(bytes.TrimSpace(raw), &ds); err != nil {
		return nil, fmt.Errorf("data source of %s: %w", bucket, err)
	}
	return &ds, nil
}

// AdvisoriesByPrefix returns the advisories for pkg in every bucket whose
// name starts with prefix (language ecosystems have one bucket per data
// source: "npm::GitHub Security Advisory npm", "npm::Node.js Ecosystem
// Security Working Group", ...).
func (d *DB) AdvisoriesByPrefix(prefix, pkg string) ([]Advisory, error) {
	var buckets []string
	_ = d.bolt.View(func(tx *bolt.Tx) error {
		c := tx.Cursor()
		for k, _ := c.Seek([]byte(prefix)); k != nil && bytes.HasPrefix(k, []byte(prefix)); k, _ = c.Next() {
			buckets = append(buckets, string(k))
		}
		return nil
	})
	var out []Advisory
	for _, b := range buckets {
		advs, err := d.Advisories(b, pkg)
		if err != nil {
			return nil, err
		}
		out = append(out, advs...)
	}
	return out, nil
}
