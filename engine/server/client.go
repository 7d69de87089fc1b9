package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/twitchtv/twirp"
	"google.golang.org/protobuf/proto"

	"github.com/docker-scan/docker-scan/engine/scan"
	"github.com/docker-scan/docker-scan/engine/server/rpc/cache"
	"github.com/docker-scan/docker-scan/engine/server/rpc/scanner"
	"github.com/docker-scan/docker-scan/engine/types"
)

// Client scans through a scan server (ours or Trivy's): the image is
// analysed here, only layer results travel, and only those the server
// lacks.
type Client struct {
	// URL is the server's base URL (http://host:4954).
	URL string
	// Token, when set, is sent in TokenHeader.
	Token string
	// TokenHeader defaults to DefaultTokenHeader.
	TokenHeader string
	// Headers are sent with every request (--custom-headers).
	Headers http.Header
	// Version is ours, sent in ClientHeader.
	Version string
	// Attempts bounds the tries of one request on connection errors and
	// unavailable servers (a replica going down behind a load balancer);
	// 0 means 5.
	Attempts int
	// HTTP defaults to a client with a 10 minute timeout.
	HTTP *http.Client

	once    sync.Once
	cache   cache.Cache
	scanner scanner.Scanner
}

// init makes the Twirp clients, once: one Client serves concurrent scans
// (compose --parallel).
func (c *Client) init() { c.once.Do(c.makeClients) }

func (c *Client) makeClients() {
	base := c.HTTP
	if base == nil {
		base = &http.Client{Timeout: 10 * time.Minute}
	}
	header := c.TokenHeader
	if header == "" {
		header = DefaultTokenHeader
	}
	h := http.Header{}
	for k, v := range c.Headers {
		h[k] = v
	}
	if c.Token != "" {
		h.Set(header, c.Token)
	}
	h.Set(ClientHeader, cmpOr(c.Version, "dev"))
	attempts := c.Attempts
	if attempts <= 0 {
		attempts = 5
	}
	hc := &http.Client{Timeout: base.Timeout, Transport: &retryTransport{next: base.Transport, header: h, attempts: attempts}}
	url := strings.TrimSuffix(c.URL, "/")
	c.cache = cache.NewCacheProtobufClient(url, hc)
	c.scanner = scanner.NewScannerProtobufClient(url, hc)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Scan sends the server what it lacks of a, asks it to detect, and
// returns the report of every finding, to Finish with the user's policy.
func (c *Client) Scan(ctx context.Context, a *scan.Analysis, opts scan.Options) (*types.Report, error) {
	c.init()
	blobs := make([]*cache.BlobInfo, len(a.Layers))
	ids := make([]string, len(a.Layers))
	for i, r := range a.Layers {
		blobs[i] = BlobFromLayer(r)
		ids[i] = a.Keys[i]
		if ids[i] == "" {
			// Not checked against its diffID: named by its content, so
			// that it is never taken for the layer it claims to be.
			id, err := contentID(blobs[i])
			if err != nil {
				return nil, err
			}
			ids[i] = id
		}
	}
	artifact := ArtifactFromImage(a.Image, a.Config)
	artifactID, err := contentID(artifact)
	if err != nil {
		return nil, err
	}
	req := &scanner.ScanRequest{Target: a.Image.Name, ArtifactId: artifactID, BlobIds: ids,
		Options: ScanOptionsToWire(settingsOf(opts))}
	// A second round when the server lost layers between MissingBlobs
	// and Scan (a replica without the shared cache, an expired entry).
	for round := 0; ; round++ {
		if err := c.upload(ctx, artifactID, artifact, ids, blobs); err != nil {
			return nil, err
		}
		resp, err := c.scanner.Scan(ctx, req)
		var te twirp.Error
		if round < 3 && errors.As(err, &te) && te.Code() == twirp.NotFound {
			slog.Debug("the server lost layers; sending them again", "reason", te.Msg())
			continue
		}
		if err != nil {
			return nil, c.explain("scan", err)
		}
		results, os, err := ResultsFromWire(resp.GetResults(), resp.GetOs())
		if err != nil {
			return nil, fmt.Errorf("the server's answer: %w", err)
		}
		var osInfo types.OS
		if os != nil {
			osInfo = *os
		}
		return scan.RemoteReport(a, osInfo, results, opts), nil
	}
}

// upload sends the artifact and the layers the server says it lacks.
func (c *Client) upload(ctx context.Context, artifactID string, artifact *cache.ArtifactInfo, ids []string, blobs []*cache.BlobInfo) error {
	missing, err := c.cache.MissingBlobs(ctx, &cache.MissingBlobsRequest{ArtifactId: artifactID, BlobIds: ids})
	if err != nil {
		return c.explain("ask which layers the server lacks", err)
	}
	if missing.GetMissingArtifact() {
		if _, err := c.cache.PutArtifact(ctx, &cache.PutArtifactRequest{ArtifactId: artifactID, ArtifactInfo: artifact}); err != nil {
			return c.explain("send the image config's findings", err)
		}
	}
	sent := map[string]bool{}
	for i, id := range ids {
		if sent[id] || !slices.Contains(missing.GetMissingBlobIds(), id) {
			continue
		}
		sent[id] = true
		if _, err := c.cache.PutBlob(ctx, &cache.PutBlobRequest{DiffId: id, BlobInfo: blobs[i]}); err != nil {
			return c.explain("send layer "+blobs[i].GetDiffId(), err)
		}
	}
	slog.Debug("layers sent to the server", "sent", len(sent), "layers", len(ids))
	return nil
}

// explain turns a Twirp error into one line a user can act on.
func (c *Client) explain(what string, err error) error {
	var te twirp.Error
	if !errors.As(err, &te) {
		return fmt.Errorf("scan server %s: %s: %w", c.URL, what, err)
	}
	switch te.Code() {
	case twirp.Unauthenticated:
		return fmt.Errorf("scan server %s refused the token (--token, --token-header): %s", c.URL, te.Msg())
	case twirp.BadRoute, twirp.Unimplemented:
		return fmt.Errorf("scan server %s does not serve Trivy's scan API (%s): is the URL a docker-scan or trivy server?", c.URL, te.Msg())
	case twirp.FailedPrecondition:
		return fmt.Errorf("scan server %s and this client are incompatible: %s", c.URL, te.Msg())
	case twirp.ResourceExhausted:
		return fmt.Errorf("scan server %s: %s: request too large: %s", c.URL, what, te.Msg())
	}
	return fmt.Errorf("scan server %s: %s: %s (%s)", c.URL, what, te.Msg(), te.Code())
}

// contentID names a message by the hash of its deterministic encoding.
func contentID(m proto.Message) (string, error) {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("encode for the server: %w", err)
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// settingsOf are the options of a Scan request for opts.
func settingsOf(opts scan.Options) ScanSettings {
	s := ScanSettings{Scanners: opts.Scanners, PkgTypes: opts.PkgTypes}
	if opts.Distro.Family != "" {
		d := opts.Distro
		s.Distro = &d
	}
	if len(s.PkgTypes) == 0 {
		s.PkgTypes = []string{scan.PkgTypeOS, scan.PkgTypeLibrary}
	}
	return s
}

// retryTransport adds the client's headers and tries a request again on a
// connection error or a 502/503/504 (a replica that went away behind a
// load balancer), with a growing pause. Every request of the protocol can
// be repeated: blobs are keyed by content, a scan reads only.
type retryTransport struct {
	next     http.RoundTripper
	header   http.Header
	attempts int
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	next := t.next
	if next == nil {
		next = http.DefaultTransport
	}
	pause := 200 * time.Millisecond
	for attempt := 1; ; attempt++ {
		r := req.Clone(req.Context())
		for k, v := range t.header {
			r.Header[k] = v
		}
		if req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			r.Body = body
		}
		resp, err := next.RoundTrip(r)
		retry := err != nil && req.Context().Err() == nil
		if err == nil {
			switch resp.StatusCode {
			case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
				retry = true
			}
		}
		if !retry || attempt >= t.attempts || req.GetBody == nil && req.Body != nil {
			return resp, err
		}
		if resp != nil {
			resp.Body.Close()
		}
		slog.Debug("scan server request failed; trying again", "url", req.URL.Path, "attempt", attempt, "error", err)
		select {
		case <-req.Context().Done():
			return nil, req.Context().Err()
		case <-time.After(pause):
		}
		pause *= 2
	}
}
