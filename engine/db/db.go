// Package db reads the vulnerability DB (the trivy-db v2 format: a bbolt
// file plus metadata.json), downloads it as an OCI artifact, and builds
// fixture DBs for tests and the demo.
package db

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/docker-scan/docker-scan/engine/boltguard"
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

// DB is an open vulnerability DB, read-only. It is safe for concurrent
// use.
type DB struct {
	h    *boltguard.Handle
	bolt *bolt.DB
	path string
	// damaged is set by the first lookup that found a damaged page; every
	// later lookup returns it without touching the file again.
	damaged atomic.Pointer[DamagedError]
}

// DamagedError says that the DB file cannot be read, and what to do.
type DamagedError struct {
	Path  string
	Cause error
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("the vulnerability DB is damaged (%s: %s): run `docker scan db update --force` (or `docker scan db import FILE`)", e.Path, oneLine(e.Cause))
}

func (e *DamagedError) Unwrap() error { return e.Cause }

// Open opens the bbolt file at path read-only. Several processes may read
// one DB at once; a download replaces the file by renaming, so readers
// keep their open copy. A damaged file (empty, truncated, not bbolt, bad
// pages) is a *DamagedError.
func Open(path string) (*DB, error) {
	h, err := boltguard.Open(path, 0o444, &bolt.Options{ReadOnly: true, Timeout: 10 * time.Second}, true)
	if err != nil {
		h.Close()
		if errors.Is(err, boltguard.ErrCorrupt) {
			return nil, &DamagedError{Path: path, Cause: err}
		}
		return nil, fmt.Errorf("open vulnerability DB %s: %w", path, err)
	}
	d := &DB{h: h, bolt: h.DB, path: path}
	if err := d.check(); err != nil {
		d.Close()
		var de *DamagedError
		if errors.As(err, &de) {
			return nil, err
		}
		return nil, fmt.Errorf("vulnerability DB %s: %w", path, err)
	}
	return d, nil
}

// check refuses files that are bbolt but not a vulnerability DB.
func (d *DB) check() error {
	return d.view(func(tx *bolt.Tx) error {
		if tx.Bucket([]byte(vulnerabilityBucket)) == nil {
			return errors.New("not a vulnerability DB: it has no vulnerability bucket")
		}
		return nil
	})
}

// view runs a read transaction in which a damaged page is an error, never
// a crash.
func (d *DB) view(fn func(tx *bolt.Tx) error) error {
	if de := d.damaged.Load(); de != nil {
		return de
	}
	err := boltguard.Run(func() error { return d.bolt.View(fn) })
	if boltguard.Faulted(err) || errors.Is(err, errBadRecord) {
		de := &DamagedError{Path: d.path, Cause: err}
		if d.damaged.CompareAndSwap(nil, de) && boltguard.Faulted(err) {
			d.h.Release()
		}
		return d.damaged.Load()
	}
	if de := d.damaged.Load(); err != nil && de != nil {
		// Another lookup found the damage and released the file while
		// this one was starting.
		return de
	}
	return err
}

// errBadRecord marks a record that is not what the DB format stores: the
// file is damaged, not the scan's input.
var errBadRecord = errors.New("bad record")

// Close releases the DB. A DB found damaged was released already (see
// boltguard.Abandon).
func (d *DB) Close() error {
	if de := d.damaged.Load(); de != nil && boltguard.Faulted(de.Cause) {
		return nil
	}
	return d.h.Close()
}

// Path is the file the DB was opened from.
func (d *DB) Path() string { return d.path }

// Advisories returns every advisory for pkg in the bucket of platform
// (e.g. "alpine 3.19"), with the bucket's data source filled in where the
// advisory has none of its own.
func (d *DB) Advisories(platform, pkg string) ([]Advisory, error) {
	var out []Advisory
	err := d.view(func(tx *bolt.Tx) error {
		out = out[:0]
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
				return fmt.Errorf("advisory %s/%s/%s: %w: %v", platform, pkg, k, errBadRecord, err)
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

// HasPlatform reports whether the DB has a bucket for platform. A damaged
// DB reports true, so that the caller's next lookup returns the damage
// instead of the scan going on as if the platform were unknown.
func (d *DB) HasPlatform(platform string) bool {
	found := false
	err := d.view(func(tx *bolt.Tx) error {
		found = tx.Bucket([]byte(platform)) != nil
		return nil
	})
	return found || err != nil
}

// Vulnerability returns the details of a vulnerability; ok is false when
// the DB has none.
func (d *DB) Vulnerability(id string) (v types.Vulnerability, ok bool, err error) {
	err = d.view(func(tx *bolt.Tx) error {
		ok = false
		raw := tx.Bucket([]byte(vulnerabilityBucket)).Get([]byte(id))
		if raw == nil {
			return nil
		}
		ok = true
		if err := json.Unmarshal(raw, &v); err != nil {
			return fmt.Errorf("vulnerability %s: %w: %v", id, errBadRecord, err)
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
		return nil, fmt.Errorf("data source of %s: %w: %v", bucket, errBadRecord, err)
	}
	return &ds, nil
}

// AdvisoriesByPrefix returns the advisories for pkg in every bucket whose
// name starts with prefix (language ecosystems have one bucket per data
// source: "npm::GitHub Security Advisory npm", "npm::Node.js Ecosystem
// Security Working Group", ...).
func (d *DB) AdvisoriesByPrefix(prefix, pkg string) ([]Advisory, error) {
	var buckets []string
	err := d.view(func(tx *bolt.Tx) error {
		buckets = buckets[:0]
		c := tx.Cursor()
		for k, _ := c.Seek([]byte(prefix)); k != nil && bytes.HasPrefix(k, []byte(prefix)); k, _ = c.Next() {
			buckets = append(buckets, string(k))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
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
