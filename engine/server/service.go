package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/twitchtv/twirp"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/docker-scan/docker-scan/engine/analyze"
	enginecache "github.com/docker-scan/docker-scan/engine/cache"
	"github.com/docker-scan/docker-scan/engine/licensing"
	"github.com/docker-scan/docker-scan/engine/scan"
	"github.com/docker-scan/docker-scan/engine/server/rpc/cache"
	"github.com/docker-scan/docker-scan/engine/server/rpc/scanner"
	"github.com/docker-scan/docker-scan/engine/types"
)

// ServiceOptions are what the Twirp services of the server work with.
type ServiceOptions struct {
	// DB holds the vulnerability DB that Scan matches with.
	DB *DBHolder
	// Cache keeps what clients sent (PutBlob, PutArtifact) under their
	// keys: layer results as engine/scan stores them, so that a server
	// and standalone scans sharing one Redis share entries.
	Cache enginecache.Cache
	// Metrics, when set, counts scans and cache lookups.
	Metrics *Metrics
}

// Bounds on a request's lists: far above any real image (Docker allows
// 127 layers), far below what would make one request costly.
const (
	maxBlobIDs   = 1024
	maxBlobIDLen = 512
)

// ClientHeader is the header our client sends with its version: results
// for it keep the fields the Trivy wire format lacks (as custom
// resources); other clients get Trivy's fields alone.
const ClientHeader = "Docker-Scan-Client"

// artifactKeyPrefix keeps artifacts (the image config's findings) apart
// from layer results in the one cache.
const artifactKeyPrefix = "artifact/"

type service struct {
	ServiceOptions
	// recent stands in for Cache while it fails.
	recent *recentBlobs
}

// recentLimit bounds the layer results a server keeps in its own memory.
const recentLimit = 4096

// NewServices are the Twirp services of the server, Trivy's Cache and
// Scanner, to mount with NewHandler.
func NewServices(o ServiceOptions) []Service {
	s := &service{ServiceOptions: o, recent: newRecentBlobs(recentLimit)}
	hooks := twirp.ServerHooks{Error: func(ctx context.Context, err twirp.Error) context.Context {
		if err.Code() == twirp.Internal {
			m, _ := twirp.MethodName(ctx)
			slog.Error("request failed", "method", m, "error", err.Msg())
		}
		return ctx
	}}
	return []Service{
		markClients(cache.NewCacheServer(s, twirp.WithServerHooks(&hooks))),
		markClients(scanner.NewScannerServer(s, twirp.WithServerHooks(&hooks))),
	}
}

type ourClientKey struct{}

// markClients notes in the request's context whether the client is ours.
func markClients(next Service) Service {
	return clientMarker{next}
}

type clientMarker struct{ Service }

func (c clientMarker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get(ClientHeader) != "" {
		r = r.WithContext(context.WithValue(r.Context(), ourClientKey{}, true))
	}
	c.Service.ServeHTTP(w, r)
}

func ourClient(ctx context.Context) bool { return ctx.Value(ourClientKey{}) != nil }

func checkKey(key, what string) error {
	if key == "" {
		return twirp.RequiredArgumentError(what)
	}
	if len(key) > maxBlobIDLen {
		return twirp.InvalidArgumentError(what, fmt.Sprintf("over %d bytes", maxBlobIDLen))
	}
	return nil
}

func checkKeys(keys []string, what string) error {
	if len(keys) > maxBlobIDs {
		return twirp.InvalidArgumentError(what, fmt.Sprintf("%d IDs, over the limit of %d", len(keys), maxBlobIDs))
	}
	for _, k := range keys {
		if err := checkKey(k, what); err != nil {
			return err
		}
	}
	return nil
}

// PutArtifact stores the findings in an image's config.
func (s *service) PutArtifact(ctx context.Context, req *cache.PutArtifactRequest) (*emptypb.Empty, error) {
	if err := checkKey(req.GetArtifactId(), "artifact_id"); err != nil {
		return nil, err
	}
	if req.GetArtifactInfo() == nil {
		return nil, twirp.RequiredArgumentError("artifact_info")
	}
	r := ImageConfigFromArtifact(req.GetArtifactInfo())
	r.SchemaVersion = analyze.ResultSchemaVersion
	s.put(ctx, artifactKeyPrefix+req.GetArtifactId(), r)
	return &emptypb.Empty{}, nil
}

// PutBlob stores one layer's results under the client's key for it.
func (s *service) PutBlob(ctx context.Context, req *cache.PutBlobRequest) (*emptypb.Empty, error) {
	if err := checkKey(req.GetDiffId(), "diff_id"); err != nil {
		return nil, err
	}
	if req.GetBlobInfo() == nil {
		return nil, twirp.RequiredArgumentError("blob_info")
	}
	r, err := LayerFromBlob(req.GetBlobInfo())
	if err != nil {
		return nil, twirp.InvalidArgumentError("blob_info", err.Error())
	}
	if r.SchemaVersion != analyze.ResultSchemaVersion {
		return nil, twirp.NewError(twirp.FailedPrecondition, fmt.Sprintf(
			"the client's layer results are of schema %d, this server's of schema %d: run the same docker-scan version on both", r.SchemaVersion, analyze.ResultSchemaVersion))
	}
	s.put(ctx, req.GetDiffId(), r)
	if s.Metrics != nil {
		s.Metrics.BlobsStored(1)
	}
	return &emptypb.Empty{}, nil
}

// MissingBlobs says which of the client's layers and artifact the server
// lacks: those the client must send before Scan.
func (s *service) MissingBlobs(ctx context.Context, req *cache.MissingBlobsRequest) (*cache.MissingBlobsResponse, error) {
	ids := req.GetBlobIds()
	if err := checkKeys(ids, "blob_ids"); err != nil {
		return nil, err
	}
	keys := ids
	artifact := req.GetArtifactId()
	if artifact != "" {
		if err := checkKey(artifact, "artifact_id"); err != nil {
			return nil, err
		}
		keys = append(append([]string(nil), ids...), artifactKeyPrefix+artifact)
	}
	found := s.get(ctx, keys)
	resp := &cache.MissingBlobsResponse{MissingArtifact: artifact != "" && found[artifactKeyPrefix+artifact] == nil}
	for _, id := range ids {
		if found[id] == nil {
			resp.MissingBlobIds = append(resp.MissingBlobIds, id)
		}
	}
	if s.Metrics != nil {
		s.Metrics.BlobsLookedUp(len(ids)-len(resp.MissingBlobIds), len(resp.MissingBlobIds))
	}
	return resp, nil
}

// DeleteBlobs is accepted and does nothing: entries are content-keyed, so
// a stale one is never wrong, and they expire with the cache's TTL.
func (s *service) DeleteBlobs(_ context.Context, req *cache.DeleteBlobsRequest) (*emptypb.Empty, error) {
	if err := checkKeys(req.GetBlobIds(), "blob_ids"); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

// Scan merges the layers the client sent and matches them against the DB:
// every finding, for the client to filter by its own policy.
func (s *service) Scan(ctx context.Context, req *scanner.ScanRequest) (resp *scanner.ScanResponse, err error) {
	start := time.Now()
	defer func() {
		if s.Metrics != nil {
			// The metric tells a cancelled or timed-out scan from a
			// failed one by the context's error, not the Twirp code.
			cause := err
			if err != nil && ctx.Err() != nil {
				cause = ctx.Err()
			}
			s.Metrics.ScanDone(time.Since(start), cause)
		}
	}()
	ids := req.GetBlobIds()
	if err := checkKeys(ids, "blob_ids"); err != nil {
		return nil, err
	}
	if len(req.GetTarget()) > maxBlobIDLen {
		return nil, twirp.InvalidArgumentError("target", fmt.Sprintf("over %d bytes", maxBlobIDLen))
	}
	settings, err := ScanOptionsFromWire(req.GetOptions())
	if err != nil {
		return nil, twirp.InvalidArgumentError("options", err.Error())
	}
	keys := append([]string(nil), ids...)
	if a := req.GetArtifactId(); a != "" {
		if err := checkKey(a, "artifact_id"); err != nil {
			return nil, err
		}
		keys = append(keys, artifactKeyPrefix+a)
	}
	found := s.get(ctx, keys)
	a := &scan.Analysis{Image: &types.Image{Name: req.GetTarget()}}
	var missing []string
	for _, id := range ids {
		r := found[id]
		if r == nil {
			missing = append(missing, id)
			continue
		}
		// Merging writes into the results: each scan gets its own.
		c := *r
		a.Layers = append(a.Layers, &c)
		a.Image.Layers = append(a.Image.Layers, types.Layer{Digest: r.Digest, DiffID: r.DiffID})
	}
	if len(missing) > 0 {
		// Another replica's cache, or an expired entry: the client sends
		// them again and retries.
		return nil, twirp.NewError(twirp.NotFound, fmt.Sprintf("the server does not have layers %s: send them (MissingBlobs, PutBlob) and scan again", strings.Join(missing, ", ")))
	}
	if id := req.GetArtifactId(); id != "" && found[artifactKeyPrefix+id] != nil {
		c := *found[artifactKeyPrefix+id]
		a.Config = &c
	}
	vulnDB, release := s.DB.Acquire()
	defer release()
	opts, err := settings.scanOptions()
	if err != nil {
		return nil, twirp.InvalidArgumentError("options", err.Error())
	}
	if wantsVuln(opts.Scanners) && vulnDB == nil {
		return nil, twirp.NewError(twirp.Unavailable, "the server has no vulnerability DB loaded yet")
	}
	opts.DB = vulnDB
	rep, err := scan.Detect(ctx, a, opts)
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return nil, twirp.NewError(twirp.Canceled, err.Error())
		}
		return nil, twirp.InternalErrorWith(err)
	}
	results, os := ResultsToWire(rep)
	if !ourClient(ctx) {
		StripExtras(results)
	}
	return &scanner.ScanResponse{Os: os, Results: results}, nil
}

// put stores a client's result in the cache, and in the server's memory,
// which stands in while the cache fails.
func (s *service) put(ctx context.Context, key string, r *types.LayerResult) {
	s.recent.put(key, r)
	if err := s.Cache.Put(ctx, map[string]*types.LayerResult{key: r}); ctx.Err() == nil {
		s.cacheError(err)
	}
}

// get looks keys up in the cache and then in the server's memory; a key
// neither has is absent from the map.
func (s *service) get(ctx context.Context, keys []string) map[string]*types.LayerResult {
	found, err := s.Cache.Get(ctx, keys)
	if ctx.Err() == nil {
		// A client that hung up is not a cache outage.
		s.cacheError(err)
	}
	if found == nil {
		found = map[string]*types.LayerResult{}
	}
	s.recent.fill(found, keys)
	return found
}

// cacheError warns of a failed cache call: scans go on with what this
// server holds in memory. A Redis cache returns only the first error of
// an outage (cache.Outage), so an outage is one warning.
func (s *service) cacheError(err error) {
	if err != nil {
		slog.Warn("the layer cache is unavailable; scans go on with the layers this server keeps in memory", "error", err)
	}
}

func wantsVuln(scanners []string) bool {
	for _, s := range scanners {
		if s == scan.ScannerVuln {
			return true
		}
	}
	return false
}

// scanOptions are the engine options of a Scan request: the scanners we
// have (others are left out with a line in the log), every package listed
// (the client drops them unless its user asked), no policy (the client
// applies its own). The licence scanner classifies the packages' licences
// with the client's categories (a Trivy client sends its whole lists); the
// licence files of --license-full are not carried by the blobs, so they
// are classified by our own client only.
func (s ScanSettings) scanOptions() (scan.Options, error) {
	opts := scan.Options{ListAllPackages: true, PkgTypes: s.PkgTypes}
	for _, name := range s.Scanners {
		switch name {
		case scan.ScannerVuln, scan.ScannerSecret, scan.ScannerMisconfig, scan.ScannerLicense:
			opts.Scanners = append(opts.Scanners, name)
		default:
			slog.Debug("scanner not supported by this server; left out", "scanner", name)
		}
	}
	if len(s.LicenseCategories) > 0 {
		if err := licensing.CheckCategories(s.LicenseCategories); err != nil {
			return opts, err
		}
		opts.LicenseCategories = s.LicenseCategories
	}
	for _, t := range s.PkgTypes {
		if t != scan.PkgTypeOS && t != scan.PkgTypeLibrary {
			return opts, fmt.Errorf("unknown package type %q", t)
		}
	}
	if s.Distro != nil {
		opts.Distro = *s.Distro
	}
	return opts, nil
}
