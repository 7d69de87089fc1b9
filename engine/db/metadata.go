package db

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/docker-scan/docker-scan/engine/boltguard"
	"github.com/docker-scan/docker-scan/engine/iox"
)

// SchemaVersion is the DB format version this program reads.
const SchemaVersion = 2

// File names inside the DB directory.
const (
	DBFile       = "trivy.db"
	MetadataFile = "metadata.json"
)

// Metadata is metadata.json beside the bbolt file.
type Metadata struct {
	Version      int
	NextUpdate   time.Time
	UpdatedAt    time.Time
	DownloadedAt time.Time
}

// ReadMetadata reads dir/metadata.json; a missing file is fs.ErrNotExist.
func ReadMetadata(dir string) (Metadata, error) {
	raw, err := os.ReadFile(filepath.Join(dir, MetadataFile))
	if err != nil {
		return Metadata{}, err
	}
	return parseMetadata(raw)
}

func parseMetadata(raw []byte) (Metadata, error) {
	var m Metadata
	if err := json.Unmarshal(raw, &m); err != nil {
		return Metadata{}, fmt.Errorf("metadata.json: %w", err)
	}
	return m, nil
}

// WriteMetadata writes dir/metadata.json atomically.
func WriteMetadata(dir string, m Metadata) error {
	raw, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return iox.WriteFileAtomic(filepath.Join(dir, MetadataFile), raw)
}

// Status describes the DB in a directory, for `docker scan db status`.
type Status struct {
	Dir      string
	Present  bool
	Metadata Metadata
	Size     int64
	// Damage says what is wrong with a DB file that is present but
	// cannot be read (as far as a look at its header tells).
	Damage string
}

// ReadStatus reports on the DB in dir.
func ReadStatus(dir string) (Status, error) {
	s := Status{Dir: dir}
	info, err := os.Stat(filepath.Join(dir, DBFile))
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, err
	}
	s.Present, s.Size = true, info.Size()
	if err := boltguard.Header(filepath.Join(dir, DBFile)); err != nil {
		s.Damage = oneLine(err)
	}
	m, err := ReadMetadata(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return s, err
	}
	s.Metadata = m
	return s, nil
}
