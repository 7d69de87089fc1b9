package plugin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/spf13/pflag"

	"github.com/docker-scan/docker-scan/engine/scan"
	"github.com/docker-scan/docker-scan/engine/server"
	"github.com/docker-scan/docker-scan/engine/types"
)

// remoteOptions send scans to a scan server (Trivy's client flags).
type remoteOptions struct {
	url           string
	token         string
	tokenHeader   string
	customHeaders []string
}

func (o *remoteOptions) registerFlags(f *pflag.FlagSet) {
	f.StringVar(&o.url, "server", "", "scan through a scan server (docker scan server, or trivy server) at this URL, e.g. http://scan:4954: the image is analysed here, only layer results are sent, only those the server lacks, and the server's DB is used (none is downloaded here)")
	f.StringVar(&o.token, "token", "", "token the scan server asks for (--server; keep it off the command line: set DOCKER_SCAN_TOKEN)")
	f.StringVar(&o.tokenHeader, "token-header", server.DefaultTokenHeader, "HTTP header the token is sent in (--server)")
	f.StringSliceVar(&o.customHeaders, "custom-headers", nil, "extra HTTP headers for the scan server, as NAME:VALUE (repeatable; --server)")
}

// client is the scan server client the flags ask for; nil without --server.
func (o *remoteOptions) client() (*server.Client, error) {
	if o.url == "" {
		if o.token != "" {
			return nil, errors.New("--token is sent to a scan server: give --server too")
		}
		return nil, nil
	}
	u, err := url.Parse(o.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("bad --server %q: want http://HOST:PORT or https://HOST:PORT", o.url)
	}
	h := http.Header{}
	for _, kv := range o.customHeaders {
		k, v, ok := strings.Cut(kv, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("bad --custom-headers %q: want NAME:VALUE", kv)
		}
		h.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	return &server.Client{URL: o.url, Token: o.token, TokenHeader: o.tokenHeader, Headers: h, Version: Version}, nil
}

// scanImage scans img: here, or through the scan server when there is one.
func (s imageSettings) scanImage(ctx context.Context, img *types.Image, opts scan.Options) (*types.Report, error) {
	if s.remote == nil {
		return scan.Image(ctx, img, opts)
	}
	a, err := scan.Analyze(ctx, img, opts)
	if err != nil {
		return nil, err
	}
	rep, err := s.remote.Scan(ctx, a, opts)
	if err != nil {
		return nil, err
	}
	return scan.Finish(rep, opts), nil
}
