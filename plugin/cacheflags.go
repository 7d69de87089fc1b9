package plugin

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/pflag"

	"github.com/docker-scan/docker-scan/engine/analyze"
	"github.com/docker-scan/docker-scan/engine/cache"
)

// cacheOptions are the layer-cache flags, Trivy's names: the scan commands
// and `clean` share them (and a server command can).
type cacheOptions struct {
	backend   string
	ttl       time.Duration
	redisTLS  bool
	redisCA   string
	redisCert string
	redisKey  string
}

func (o *cacheOptions) registerFlags(f *pflag.FlagSet) {
	o.registerBackendFlags(f)
	f.DurationVar(&o.ttl, "cache-ttl", 0, "forget cached layer results older than this (0 keeps them until \"docker scan clean --scan-cache\"); Redis expires them itself")
}

// registerBackendFlags adds the flags that say where the cache is, without
// --cache-ttl (which `clean` has no use for).
func (o *cacheOptions) registerBackendFlags(f *pflag.FlagSet) {
	f.StringVar(&o.backend, "cache-backend", "fs", "where layer results are kept between scans: fs (a file in the cache dir, shared by concurrent scans), memory (this scan only), "+
		"or a Redis server that many machines and scan servers share: redis://[USER:PASSWORD@]HOST:PORT[/DB], or rediss://... for TLS "+
		"(keep a password off the command line: set DOCKER_SCAN_CACHE_BACKEND). With Redis unreachable the scan warns once and goes on without the cache")
	f.BoolVar(&o.redisTLS, "redis-tls", false, "talk TLS to a redis:// cache backend, verifying it with the system's CAs (rediss:// and the --redis-* files turn TLS on too)")
	f.StringVar(&o.redisCA, "redis-ca", "", "PEM file of the CA that signed the Redis server's certificate (TLS)")
	f.StringVar(&o.redisCert, "redis-cert", "", "PEM client certificate for a Redis server that asks for one (TLS; with --redis-key)")
	f.StringVar(&o.redisKey, "redis-key", "", "PEM key of --redis-cert")
}

// openOptions are what cache.Open needs, for results of schema kept in dir.
func (o *cacheOptions) openOptions(dir string, schema int) cache.OpenOptions {
	return cache.OpenOptions{
		Dir: dir, Schema: schema, TTL: o.ttl,
		TLS: o.redisTLS, CAFile: o.redisCA, CertFile: o.redisCert, KeyFile: o.redisKey,
	}
}

// clearRedis removes docker scan's layer results from the Redis backend
// (and nothing else in it).
func (o *cacheOptions) clearRedis(ctx context.Context, w io.Writer) error {
	c, err := cache.Open(o.backend, o.openOptions("", analyze.ResultSchemaVersion))
	if err != nil {
		return err
	}
	defer cache.Close(c)
	if err := c.Clear(ctx); err != nil {
		return fmt.Errorf("clean the scan cache: %w", err)
	}
	fmt.Fprintf(w, "Removed the scan cache in %v.\n", c)
	return nil
}
