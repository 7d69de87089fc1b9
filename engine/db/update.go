package db

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofrs/flock"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/klauspost/compress/gzip"

	"github.com/docker-scan/docker-scan/engine/iox"
)

// DefaultRepositories are tried in order: the mirror first, since ghcr.io
// rate-limits anonymous pulls.
var DefaultRepositories = []string{"mirror.gcr.io/aquasec/trivy-db:2", "ghcr.io/aquasecurity/trivy-db:2"}

// Media types of the DB artifact.
const (
	ArtifactConfigMediaType = "application/vnd.aquasec.trivy.config.v1+json"
	LayerMediaType          = "application/vnd.aquasec.trivy.db.layer.v1.tar+gzip"
)

// minDownloadInterval keeps a DB whose NextUpdate has passed but that was
// downloaded less than this long ago: the publisher may be late.
const minDownloadInterval = time.Hour

// Updater keeps the DB in Dir current.
type Updater struct {
	// Dir holds trivy.db and metadata.json (<cache-dir>/db).
	Dir string
	// Repositories are tried in order until one works.
	Repositories []string
	// Insecure allows plain-HTTP and unverified-TLS registries.
	Insecure bool
	// Transport for registry requests; nil means the default.
	Transport http.RoundTripper
	// Progress receives a progress bar when it is a terminal; nil means
	// log lines only.
	Progress io.Writer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (u *Updater) now() time.Time {
	if u.Now != nil {
		return u.Now()
	}
	return time.Now()
}

// DBPath is where the bbolt file lives.
func (u *Updater) DBPath() string { return filepath.Join(u.Dir, DBFile) }

// Due says whether the DB must be downloaded, and why.
func (u *Updater) Due() (bool, string) {
	if _, err := os.Stat(u.DBPath()); err != nil {
		return true, "there is no vulnerability DB yet"
	}
	m, err := ReadMetadata(u.Dir)
	if err != nil {
		return true, "its metadata is unreadable"
	}
	if m.Version != SchemaVersion {
		return true, fmt.Sprintf("it has schema version %d, not %d", m.Version, SchemaVersion)
	}
	now := u.now()
	if now.After(m.NextUpdate) && now.Sub(m.DownloadedAt) > minDownloadInterval {
		return true, fmt.Sprintf("its next update was due at %s", m.NextUpdate.Format(time.RFC3339))
	}
	return false, ""
}

// Ensure makes sure a usable DB is in Dir: it downloads one when there is
// none or it is due, unless skipUpdate. Concurrent callers (in this or
// other processes) wait for one download instead of each making one.
func (u *Updater) Ensure(ctx context.Context, skipUpdate bool) error {
	if skipUpdate {
		if _, err := os.Stat(u.DBPath()); err != nil {
			return fmt.Errorf("no vulnerability DB in %s and downloads are off (--skip-db-update or --offline-scan): download one with `docker scan db update` or import one with `docker scan db import FILE`", u.Dir)
		}
		return nil
	}
	if due, _ := u.Due(); !due {
		return nil
	}
	return u.withLock(ctx, func() error {
		// Another process may have downloaded it while we waited.
		due, why := u.Due()
		if !due {
			return nil
		}
		slog.Info("downloading the vulnerability DB", "reason", why)
		err := u.download(ctx)
		if err == nil {
			return nil
		}
		if _, statErr := os.Stat(u.DBPath()); statErr == nil && ctx.Err() == nil {
			slog.Warn("keeping the current vulnerability DB: the update failed", "error", err)
			return nil
		}
		return err
	})
}

// Update downloads the DB now if it is due, or always with force.
func (u *Updater) Update(ctx context.Context, force bool) error {
	return u.withLock(ctx, func() error {
		if due, why := u.Due(); !due && !force {
			slog.Info("the vulnerability DB is up to date")
			return nil
		} else if due {
			slog.Info("downloading the vulnerability DB", "reason", why)
		}
		return u.download(ctx)
	})
}

func (u *Updater) withLock(ctx context.Context, fn func() error) error {
	if err := os.MkdirAll(u.Dir, 0o755); err != nil {
		return fmt.Errorf("vulnerability DB dir: %w", err)
	}
	lock := flock.New(filepath.Join(u.Dir, ".lock"))
	locked, err := lock.TryLockContext(ctx, 100*time.Millisecond)
	if err != nil || !locked {
		return fmt.Errorf("lock the vulnerability DB dir %s: %w", u.Dir, errors.Join(err, ctx.Err()))
	}
	defer lock.Unlock()
	return fn()
}

// download tries each repository in turn.
func (u *Updater) download(ctx context.Context) error {
	repos := u.Repositories
	if len(repos) == 0 {
		repos = DefaultRepositories
	}
	var failures []string
	for _, repo := range repos {
		err := u.downloadFrom(ctx, repo)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		slog.Warn("vulnerability DB download failed", "repository", repo, "error", oneLine(err))
		failures = append(failures, repo+": "+oneLine(err))
	}
	return fmt.Errorf("could not download the vulnerability DB (%s); import one with `docker scan db import FILE`, or name a reachable mirror with --db-repository", strings.Join(failures, "; "))
}

func (u *Updater) downloadFrom(ctx context.Context, repo string) error {
	var nameOpts []name.Option
	if u.Insecure {
		nameOpts = append(nameOpts, name.Insecure)
	}
	ref, err := name.ParseReference(repo, nameOpts...)
	if err != nil {
		return err
	}
	transport := u.Transport
	if transport == nil {
		transport = remote.DefaultTransport
	}
	img, err := remote.Image(ref,
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(authn.DefaultKeychain),
		remote.WithTransport(transport),
		remote.WithUserAgent("docker-scan"),
		// A rate limit (429) moves on to the next repository at once.
		remote.WithRetryStatusCodes(http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout),
	)
	if err != nil {
		return err
	}
	m, err := img.Manifest()
	if err != nil {
		return err
	}
	var found []string
	for _, l := range m.Layers {
		if string(l.MediaType) != LayerMediaType {
			found = append(found, string(l.MediaType))
			continue
		}
		layer, err := img.LayerByDigest(l.Digest)
		if err != nil {
			return err
		}
		blob, err := layer.Compressed()
		if err != nil {
			return err
		}
		defer blob.Close()
		return u.install(ctx, newProgress(blob, l.Size, u.Progress))
	}
	return fmt.Errorf("not a vulnerability DB artifact: no %s layer (found %s)", LayerMediaType, strings.Join(found, ", "))
}

// install unpacks a DB archive (gzipped tar of trivy.db and
// metadata.json) into temp files in Dir, checks them, and only then
// replaces the current DB. Anything short of that leaves the current DB
// as it was.
func (u *Updater) install(ctx context.Context, archive io.Reader) error {
	zr, err := gzip.NewReader(archive)
	if err != nil {
		return fmt.Errorf("DB archive: %w", err)
	}
	tmp, err := os.CreateTemp(u.Dir, "trivy.db.download-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	var rawMeta []byte
	haveDB := false
	tr := tar.NewReader(zr)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("DB archive: %w", err)
		}
		switch filepath.Base(hdr.Name) {
		case DBFile:
			if _, err := io.Copy(tmp, iox.ContextReader{Ctx: ctx, R: tr}); err != nil {
				return fmt.Errorf("DB archive: %s: %w", DBFile, err)
			}
			haveDB = true
		case MetadataFile:
			if rawMeta, err = io.ReadAll(io.LimitReader(tr, 1<<20)); err != nil {
				return fmt.Errorf("DB archive: %s: %w", MetadataFile, err)
			}
		}
	}
	// Read to the end so that the registry blob's digest is verified.
	if _, err := io.Copy(io.Discard, archive); err != nil {
		return fmt.Errorf("DB archive: %w", err)
	}
	if !haveDB || rawMeta == nil {
		return fmt.Errorf("DB archive lacks %s or %s", DBFile, MetadataFile)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	meta, err := parseMetadata(rawMeta)
	if err != nil {
		return err
	}
	return u.replace(tmp.Name(), meta)
}

// replace checks a complete DB file and moves it into place.
func (u *Updater) replace(tmpDB string, meta Metadata) error {
	if meta.Version != SchemaVersion {
		return fmt.Errorf("the DB has schema version %d; this program reads version %d", meta.Version, SchemaVersion)
	}
	if err := verifyBolt(tmpDB); err != nil {
		return err
	}
	meta.DownloadedAt = u.now().UTC()
	if err := os.Chmod(tmpDB, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmpDB, u.DBPath()); err != nil {
		return err
	}
	if err := WriteMetadata(u.Dir, meta); err != nil {
		return err
	}
	slog.Info("vulnerability DB installed", "updated_at", meta.UpdatedAt.Format(time.RFC3339), "next_update", meta.NextUpdate.Format(time.RFC3339))
	return nil
}

// verifyBolt opens a new DB file as a scan would (bbolt checks its meta
// pages; Open checks the buckets). The archive's checksum has already
// vouched for the bytes, so a full page walk, which takes seconds on the
// real DB, is not repeated here.
func verifyBolt(path string) error {
	d, err := Open(path)
	if err != nil {
		return fmt.Errorf("the new DB is unusable: %w", err)
	}
	return d.Close()
}

// Import installs a DB from a file: a db.tar.gz as published, or a
// trivy.db with its metadata.json beside it.
func (u *Updater) Import(ctx context.Context, file string) error {
	return u.withLock(ctx, func() error {
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		head := make([]byte, 2)
		if _, err := io.ReadFull(f, head); err != nil {
			return fmt.Errorf("%s: not a DB archive or bbolt file", file)
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		if head[0] == 0x1f && head[1] == 0x8b {
			return u.install(ctx, f)
		}
		meta, err := ReadMetadata(filepath.Dir(file))
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: no %s beside it", file, MetadataFile)
		}
		if err != nil {
			return err
		}
		tmp, err := os.CreateTemp(u.Dir, "trivy.db.import-*")
		if err != nil {
			return err
		}
		defer os.Remove(tmp.Name())
		if _, err := io.Copy(tmp, iox.ContextReader{Ctx: ctx, R: f}); err != nil {
			tmp.Close()
			return err
		}
		if err := tmp.Close(); err != nil {
			return err
		}
		return u.replace(tmp.Name(), meta)
	})
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
