package plugin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/docker-scan/docker-scan/engine/analyze"
	"github.com/docker-scan/docker-scan/engine/cache"
	"github.com/docker-scan/docker-scan/engine/db"
	"github.com/docker-scan/docker-scan/engine/server"
)

// Trivy's server listens on this address by default.
const defaultServerListen = "localhost:4954"

// serverOptions are the flags of `docker scan server`.
type serverOptions struct {
	db    dbOptions
	cache cacheOptions

	listen         string
	token          string
	tokenHeader    string
	refresh        time.Duration
	maxRequestSize string
	requestTimeout time.Duration
	shutdownGrace  time.Duration
}

func newServerCommand(g *globalOptions) *cobra.Command {
	o := &serverOptions{}
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Serve scans to clients: one vulnerability DB for many scanners",
		Long: `Run a scan server: it holds the vulnerability DB and answers the clients
that scan images with --server URL. A client analyses its images itself
(image layers never leave its machine) and sends the server the layer
results the server does not have yet; the server matches them against its
DB and returns the report.

The API is Trivy's (Twirp, protobuf and JSON, the Trivy-Token header):
"trivy image --server URL" works against this server, and
"docker scan image --server URL" works against a "trivy server".

The DB is downloaded at start if needed (as scans do) and refreshed in the
background: every --db-refresh-interval, and when its publisher's next
update is due, a newer DB is downloaded and swapped in while scans go on.
A scan keeps the DB it started with; a failed refresh keeps the current DB.
A DB installed with "docker scan db import" into the same --cache-dir is
picked up at the next refresh.

Several replicas can share a Redis layer cache (--cache-backend
redis://HOST:PORT) behind a load balancer; each holds its own DB.

Endpoints besides the API (no token needed):
  /healthz   200 when a DB is loaded, else 503 (readiness and liveness)
  /version   the server's version and the DB's metadata, as JSON
  /metrics   Prometheus metrics (scans, durations, cache hits, DB age)

On SIGINT or SIGTERM the server stops accepting connections, lets the
requests under way finish (up to --shutdown-grace), closes the DB and the
cache, and exits 0.

Keep the token off the command line: set DOCKER_SCAN_TOKEN (or TRIVY_TOKEN).`,
		Example: `  # Serve on all interfaces with a token, sharing a Redis layer cache
  DOCKER_SCAN_TOKEN=s3cret docker scan server --listen 0.0.0.0:4954 \
      --cache-backend redis://redis:6379

  # Scan against it, with docker scan or with Trivy
  docker scan image --server http://scan-server:4954 --token s3cret alpine:3.20
  trivy image --server http://scan-server:4954 --token s3cret alpine:3.20`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runServer(cmd, g, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", defaultServerListen, "address to listen on, HOST:PORT (0.0.0.0:4954 for every interface)")
	f.StringVar(&o.token, "token", "", "token clients must send (in --token-header) with every API request; empty lets anyone scan")
	f.StringVar(&o.tokenHeader, "token-header", server.DefaultTokenHeader, "HTTP header that carries the token")
	f.DurationVar(&o.refresh, "db-refresh-interval", server.DefaultDBRefreshInterval, "how often to look for a newer vulnerability DB (it is also looked for when the DB's next update is due)")
	f.StringVar(&o.maxRequestSize, "max-request-size", "64MiB", "largest API request body; larger ones are refused (413). A layer's results are kilobytes to a few MiB; the server may hold about three times this per request while it decodes one")
	f.DurationVar(&o.requestTimeout, "request-timeout", server.DefaultRequestTimeout, "longest time to answer one API request")
	f.DurationVar(&o.shutdownGrace, "shutdown-grace", 60*time.Second, "on SIGINT/SIGTERM, how long requests under way may take to finish")
	o.db.register(cmd)
	o.cache.registerFlags(f)
	cmd.AddCommand(newServerHealthcheckCommand())
	return cmd
}

// check validates the flags that cobra cannot.
func (o *serverOptions) check() (maxBody int64, err error) {
	if o.refresh <= 0 {
		return 0, fmt.Errorf("--db-refresh-interval %s: want a positive duration", o.refresh)
	}
	if o.requestTimeout <= 0 {
		return 0, fmt.Errorf("--request-timeout %s: want a positive duration", o.requestTimeout)
	}
	if o.shutdownGrace < 0 {
		return 0, fmt.Errorf("--shutdown-grace %s: want a duration, or 0 to cut requests under way", o.shutdownGrace)
	}
	if o.tokenHeader == "" {
		return 0, errors.New("--token-header must not be empty")
	}
	if _, _, err := net.SplitHostPort(o.listen); err != nil {
		return 0, fmt.Errorf("--listen %q: want HOST:PORT (e.g. 0.0.0.0:4954): %w", o.listen, err)
	}
	maxBody, err = parseSize(o.maxRequestSize)
	if err != nil {
		return 0, fmt.Errorf("--max-request-size: %w", err)
	}
	if maxBody == 0 {
		maxBody = server.DefaultMaxBodyBytes
	}
	return maxBody, nil
}

func (o *serverOptions) offlineOrSkip() bool { return o.db.skipUpdate || o.db.offline }

func runServer(cmd *cobra.Command, g *globalOptions, o *serverOptions) error {
	maxBody, err := o.check()
	if err != nil {
		return usageError(cmd, err)
	}
	cacheOpts := o.cache.openOptions(g.cacheDir, analyze.ResultSchemaVersion)
	// A server outlives a Redis outage: it tries Redis again after a
	// while rather than never.
	cacheOpts.OutageRetry = 30 * time.Second
	layerCache, err := cache.Open(o.cache.backend, cacheOpts)
	if err != nil {
		return usageError(cmd, err)
	}
	defer func() {
		if err := cache.Close(layerCache); err != nil {
			slog.Warn("closing the layer cache", "error", err)
		}
	}()

	ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	// The DB is there before the server listens, so that /healthz says
	// ready only when scans can be answered.
	updater := o.db.updater(g, nil)
	startCtx, cancelStart := withTimeout(ctx, g.timeout)
	err = updater.Ensure(startCtx, o.offlineOrSkip())
	cancelStart()
	if err != nil {
		return err
	}
	first, err := db.Open(updater.DBPath())
	if err != nil {
		return err
	}
	holder := server.NewDBHolder(first)
	defer holder.Close()
	metrics := server.NewMetrics(holder)

	handler := server.NewHandler(server.HandlerOptions{
		Services:       serverServices(holder, layerCache, metrics),
		Token:          o.token,
		TokenHeader:    o.tokenHeader,
		MaxBodyBytes:   maxBody,
		RequestTimeout: o.requestTimeout,
		DB:             holder,
		Metrics:        metrics,
		Version:        Version,
	})
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", o.listen, err)
	}
	srv := server.NewHTTPServer(o.listen, handler, o.requestTimeout)

	refreshCtx, stopRefresh := context.WithCancel(context.Background())
	var refreshing sync.WaitGroup
	refreshing.Go(func() {
		(&server.Refresher{
			Holder:     holder,
			Updater:    updater,
			Interval:   o.refresh,
			SkipUpdate: o.offlineOrSkip(),
			Metrics:    metrics,
		}).Run(refreshCtx)
	})
	defer func() {
		stopRefresh()
		refreshing.Wait()
	}()

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	meta, _ := holder.Metadata()
	slog.Info("scan server listening", "address", "http://"+ln.Addr().String(), "db", updater.DBPath(),
		"db_updated_at", timeOrNone(meta.UpdatedAt), "cache", redactedCacheSpec(o.cache.backend), "token", o.token != "")

	select {
	case err := <-served:
		return fmt.Errorf("serve on %s: %w", o.listen, err)
	case <-ctx.Done():
	}
	// A second signal ends the process at once.
	stop()
	slog.Info("shutting down: no new connections; waiting for the requests under way", "grace", o.shutdownGrace.String())
	stopRefresh()
	graceCtx, cancelGrace := context.WithTimeout(context.Background(), o.shutdownGrace)
	defer cancelGrace()
	if err := srv.Shutdown(graceCtx); err != nil {
		slog.Warn("requests still under way when the grace period ended were cut", "error", err)
		srv.Close()
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		slog.Warn("the server ended with an error", "error", err)
	}
	slog.Info("scan server stopped")
	return nil
}

// serverServices are the Twirp services (Cache and Scanner) the server
// mounts.
func serverServices(holder *server.DBHolder, layerCache cache.Cache, metrics *server.Metrics) []server.Service {
	return server.NewServices(server.ServiceOptions{DB: holder, Cache: layerCache, Metrics: metrics})
}

// redactedCacheSpec names a cache backend without its password.
func redactedCacheSpec(spec string) string {
	if !cache.IsRedis(spec) {
		return spec
	}
	u, err := url.Parse(spec)
	if err != nil {
		return "redis (unparsable URL)"
	}
	return u.Redacted()
}
