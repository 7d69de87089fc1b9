// Package dbtest publishes vulnerability DBs the way the real one is
// published, as an OCI artifact with the real media types, to an
// in-process registry on 127.0.0.1, for download and update tests.
package dbtest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/docker-scan/docker-scan/engine/db"
)

// Archive packs dir/trivy.db and dir/metadata.json as the published
// db.tar.gz.
func Archive(dir string) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, f := range []string{db.MetadataFile, db.DBFile} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			return nil, err
		}
		if err := tw.WriteHeader(&tar.Header{Name: f, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(b); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Push publishes a db.tar.gz at ref as a DB artifact and returns the
// digest of its layer.
func Push(ref string, archive []byte) (string, error) {
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		return "", err
	}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), db.ArtifactConfigMediaType)
	layer := static.NewLayer(archive, db.LayerMediaType)
	img, err = mutate.Append(img, mutate.Addendum{Layer: layer, MediaType: db.LayerMediaType})
	if err != nil {
		return "", err
	}
	digest, err := layer.Digest()
	if err != nil {
		return "", err
	}
	return digest.String(), remote.Write(r, img)
}

// Registry is an in-process registry with switches for the failures a DB
// download must survive.
type Registry struct {
	*httptest.Server
	// Host is host:port, for references.
	Host string

	mu       sync.Mutex
	tooMany  map[string]bool // repository path -> answer 429
	truncate map[string]bool // blob digest -> cut the download in half
	blobGets atomic.Int64
}

// NewRegistry starts a registry on 127.0.0.1; Close stops it.
func NewRegistry() *Registry {
	r := &Registry{tooMany: map[string]bool{}, truncate: map[string]bool{}}
	inner := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		limited := false
		for repo := range r.tooMany {
			if strings.HasPrefix(req.URL.Path, "/v2/"+repo+"/") {
				limited = true
			}
		}
		truncate := false
		for digest := range r.truncate {
			if strings.HasSuffix(req.URL.Path, "/blobs/"+digest) {
				truncate = true
			}
		}
		r.mu.Unlock()
		if limited {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"errors":[{"code":"TOOMANYREQUESTS","message":"rate limit exceeded"}]}`)
			return
		}
		isBlobGet := req.Method == http.MethodGet && strings.Contains(req.URL.Path, "/blobs/sha256:")
		if isBlobGet {
			r.blobGets.Add(1)
		}
		if isBlobGet && truncate {
			rec := httptest.NewRecorder()
			inner.ServeHTTP(rec, req)
			body := rec.Body.Bytes()
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			w.Write(body[:len(body)/2])
			// Cut the connection short, as a dropped download does.
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close()
				}
			}
			return
		}
		inner.ServeHTTP(w, req)
	}))
	r.Host = strings.TrimPrefix(r.Server.URL, "http://")
	return r
}

// RateLimit makes every request for repository (e.g. "aquasec/trivy-db")
// answer 429 TOOMANYREQUESTS.
func (r *Registry) RateLimit(repository string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tooMany[repository] = true
}

// Truncate makes downloads of the blob with digest stop halfway.
func (r *Registry) Truncate(digest string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.truncate[digest] = true
}

// BlobGets counts blob downloads so far.
func (r *Registry) BlobGets() int64 { return r.blobGets.Load() }
