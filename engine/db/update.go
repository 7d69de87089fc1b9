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
	bolt "go.etcd.io/bbolt"

	"github.com/docker-scan/docker-scan/engine/boltguard"
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
	if err := boltguard.Header(u.DBPath()); err != nil {
		return true, "the installed one is damaged (" + oneLine(err) + ")"
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
	u.removeOrphans()
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
		return u.install(ctx, newProgress(blob, l.Size, u.Progress), l.Size, "trivy.db.download-*")
	}
	return fmt.Errorf("not a vulnerability DB artifact: no %s layer (found %s)", LayerMediaType, strings.Join(found, ", "))
}

// TempPatterns name the temp files of an install in the DB dir. A run
// killed mid-install leaves them behind; the next install removes them
// (RemoveOrphans), and `clean --all` should too.
var TempPatterns = []string{"trivy.db.download-*", "trivy.db.import-*"}

// Budget of an unpacked DB: real archives inflate about 13 times (800 MB
// from 60 MB), so a ratio of 50 leaves room for growth while a bomb (a
// small gzip of many GB) stops before it fills the disk. The size a
// registry claims for the blob is not trusted past maxDBBudget.
const (
	maxInflateRatio = 50
	minDBBudget     = 512 << 20
	maxDBBudget     = 16 << 30
)

// dbBudget is how many bytes an archive of compressed bytes may unpack to.
func dbBudget(compressed int64) int64 {
	return min(max(compressed*maxInflateRatio, minDBBudget), maxDBBudget)
}

// removeOrphans deletes what killed installs left behind. It runs under
// the dir lock, so no other install of this dir is under way.
func (u *Updater) removeOrphans() {
	freed, err := iox.RemoveOrphans(u.Dir, TempPatterns...)
	if freed > 0 {
		slog.Info("removed the temp files of an interrupted DB install", "dir", u.Dir, "bytes", freed)
	}
	if err != nil {
		slog.Warn("could not remove the temp files of an interrupted DB install", "dir", u.Dir, "error", err)
	}
}

// install unpacks a DB archive (gzipped tar of trivy.db and
// metadata.json) of compressed bytes into temp files in Dir, checks them,
// and only then replaces the current DB. Anything short of that leaves the
// current DB as it was.
func (u *Updater) install(ctx context.Context, archive io.Reader, compressed int64, pattern string) error {
	zr, err := gzip.NewReader(iox.ContextReader{Ctx: ctx, R: archive})
	if err != nil {
		return fmt.Errorf("DB archive: %w", err)
	}
	budget := dbBudget(compressed)
	tmp, err := iox.CreateTemp(u.Dir, pattern)
	if err != nil {
		return err
	}
	defer tmp.Remove()
	out := &iox.BudgetWriter{W: tmp, Max: budget, What: "the unpacked " + DBFile}
	// Entries other than the two files are skipped, but skipping inflates
	// them too: the whole stream is held to the budget (and metadata).
	unpacked := &budgetReader{r: zr, left: budget + 2<<20}
	tr := tar.NewReader(unpacked)
	var rawMeta []byte
	haveDB := false
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("DB archive: %w", archiveError(err, compressed))
		}
		switch filepath.Base(hdr.Name) {
		case DBFile:
			if haveDB {
				return fmt.Errorf("DB archive: it holds %s twice", DBFile)
			}
			if _, err := io.Copy(out, iox.ContextReader{Ctx: ctx, R: tr}); err != nil {
				return fmt.Errorf("DB archive: %s: %w", DBFile, archiveError(err, compressed))
			}
			haveDB = true
		case MetadataFile:
			if rawMeta, err = io.ReadAll(io.LimitReader(tr, 1<<20)); err != nil {
				return fmt.Errorf("DB archive: %s: %w", MetadataFile, archiveError(err, compressed))
			}
		}
	}
	// Read the gzip stream to its end, so that its checksum vouches for
	// what was unpacked (a truncated archive may end after the tar's last
	// entry but before the checksum), and the blob to its end, so that the
	// registry blob's digest is verified.
	if _, err := io.Copy(io.Discard, unpacked); err != nil {
		return fmt.Errorf("DB archive: %w", archiveError(err, compressed))
	}
	if _, err := io.Copy(io.Discard, iox.ContextReader{Ctx: ctx, R: archive}); err != nil {
		return fmt.Errorf("DB archive: %w", err)
	}
	if !haveDB || rawMeta == nil {
		return fmt.Errorf("DB archive lacks %s or %s", DBFile, MetadataFile)
	}
	meta, err := parseMetadata(rawMeta)
	if err != nil {
		return err
	}
	return u.replace(tmp, meta)
}

// archiveError says "truncated" rather than "unexpected EOF".
func archiveError(err error, compressed int64) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("the archive is truncated or damaged (%d bytes): %w", compressed, err)
	}
	if errors.Is(err, iox.ErrBudget) {
		return fmt.Errorf("%w; a real DB unpacks to at most %d times its archive", err, maxInflateRatio)
	}
	return err
}

// budgetReader fails a read past left bytes.
type budgetReader struct {
	r    io.Reader
	left int64
}

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, fmt.Errorf("the unpacked archive is larger than its budget: %w", iox.ErrBudget)
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

// replace checks the complete DB in tmp and moves it into place.
func (u *Updater) replace(tmp *iox.TempFile, meta Metadata) error {
	if meta.Version != SchemaVersion {
		return fmt.Errorf("the DB has schema version %d; this program reads version %d", meta.Version, SchemaVersion)
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	// The temp file's lock would keep bbolt out: the file goes to a name
	// of its own first (still one that RemoveOrphans matches, and we hold
	// the dir lock) and is released.
	candidate := tmp.Name() + ".new"
	if err := os.Rename(tmp.Name(), candidate); err != nil {
		return err
	}
	defer os.Remove(candidate)
	if err := tmp.Remove(); err != nil {
		return err
	}
	if err := Verify(candidate); err != nil {
		return fmt.Errorf("the new DB is unusable: %w", err)
	}
	meta.DownloadedAt = u.now().UTC()
	if err := os.Chmod(candidate, 0o644); err != nil {
		return err
	}
	if err := os.Rename(candidate, u.DBPath()); err != nil {
		return err
	}
	if err := WriteMetadata(u.Dir, meta); err != nil {
		return err
	}
	slog.Info("vulnerability DB installed", "updated_at", meta.UpdatedAt.Format(time.RFC3339), "next_update", meta.NextUpdate.Format(time.RFC3339))
	return nil
}

// Verify reads every page of the DB file at path and runs bbolt's
// consistency check, then the checks of Open: a new DB is installed only
// when every lookup will be able to read it. It takes seconds on the real
// DB, paid once per download or import.
func Verify(path string) error {
	h, err := boltguard.Open(path, 0o444, &bolt.Options{ReadOnly: true, Timeout: 10 * time.Second, PreLoadFreelist: true}, true)
	if err != nil {
		h.Close()
		return err
	}
	if err := boltguard.Verify(h.DB); err != nil {
		if boltguard.Faulted(err) {
			h.Release()
		} else {
			h.Close()
		}
		return err
	}
	if err := h.Close(); err != nil {
		return err
	}
	d, err := Open(path)
	if err != nil {
		var de *DamagedError
		if errors.As(err, &de) {
			return de.Cause
		}
		return err
	}
	return d.Close()
}

// Import installs a DB from a file: a db.tar.gz as published, or a
// trivy.db with its metadata.json beside it.
func (u *Updater) Import(ctx context.Context, file string) error {
	return u.withLock(ctx, func() error {
		u.removeOrphans()
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		head := make([]byte, 2)
		if _, err := io.ReadFull(f, head); err != nil {
			return fmt.Errorf("%s: not a DB archive or bbolt file (it is %d bytes)", file, fi.Size())
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		if head[0] == 0x1f && head[1] == 0x8b {
			if err := u.install(ctx, f, fi.Size(), "trivy.db.import-*"); err != nil {
				return fmt.Errorf("import %s: %w", file, err)
			}
			return nil
		}
		meta, err := ReadMetadata(filepath.Dir(file))
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: no %s beside it", file, MetadataFile)
		}
		if err != nil {
			return err
		}
		tmp, err := iox.CreateTemp(u.Dir, "trivy.db.import-*")
		if err != nil {
			return err
		}
		defer tmp.Remove()
		if _, err := io.Copy(tmp, iox.ContextReader{Ctx: ctx, R: f}); err != nil {
			return err
		}
		if err := u.replace(tmp, meta); err != nil {
			return fmt.Errorf("import %s: %w", file, err)
		}
		return nil
	})
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
