package cache

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Backends are the names Open accepts, for help texts and errors.
const Backends = "fs, memory, redis://[USER:PASSWORD@]HOST:PORT[/DB] or rediss://... (TLS)"

// OpenOptions is what a cache backend is opened with.
type OpenOptions struct {
	// Dir holds the fs cache's file.
	Dir string
	// Schema is the LayerResult schema version entries must have.
	Schema int
	// TTL is how long an entry is good for (0: until cleared).
	TTL time.Duration
	// Redis TLS: CAFile verifies the server (default: the system's
	// roots); CertFile and KeyFile, given together, are the client's
	// certificate. TLS turns TLS on for a redis:// URL; rediss:// and any
	// of the files turn it on too.
	TLS      bool
	CAFile   string
	CertFile string
	KeyFile  string
	// OutageRetry is how long a Redis cache found down is left alone
	// before it is tried again (0: never, in this process); see Outage.
	OutageRetry time.Duration
}

// Open opens the cache that spec names: "fs" (a file in o.Dir),
// "memory", or a redis:// or rediss:// URL. The TLS options concern Redis
// only; other backends ignore them, as Trivy does. A Redis cache is
// wrapped in an Outage, so that a server that is down costs one warning;
// nothing is dialled before the first Get or Put.
func Open(spec string, o OpenOptions) (Cache, error) {
	switch {
	case spec == "fs" || spec == "":
		if o.Dir == "" {
			return nil, errors.New("the fs cache backend needs a cache dir")
		}
		return NewFS(o.Dir, o.Schema, o.TTL), nil
	case spec == "memory":
		return NewMemory(o.Schema, o.TTL), nil
	case hasScheme(spec, "redis") || hasScheme(spec, "rediss"):
		opts, err := RedisOptions(spec, o)
		if err != nil {
			return nil, err
		}
		return NewOutage(NewRedis(opts, o.Schema, o.TTL), o.OutageRetry), nil
	}
	return nil, fmt.Errorf("unknown --cache-backend %q (choose %s)", redactedSpec(spec), Backends)
}

// IsRedis says whether spec names a Redis backend.
func IsRedis(spec string) bool { return hasScheme(spec, "redis") || hasScheme(spec, "rediss") }

func hasScheme(spec, scheme string) bool {
	return len(spec) >= len(scheme)+3 && strings.EqualFold(spec[:len(scheme)+3], scheme+"://")
}

// RedisOptions turns a redis:// or rediss:// URL and the TLS options into
// the client's options (no host means localhost, no port 6379, as in
// go-redis and Trivy). Its errors never show the password.
func RedisOptions(spec string, o OpenOptions) (*redis.Options, error) {
	u, err := url.Parse(spec)
	if err != nil {
		// url.Error repeats the whole URL, and its reason may quote a
		// piece of it (a bad %-escape in the password): neither is shown.
		return nil, errors.New("bad --cache-backend redis URL: it does not parse as a URL (percent-encode special characters in the user name and password)")
	}
	shown := redactURL(u)
	opts, err := redis.ParseURL(spec)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "redis: ")
		if pw, ok := u.User.Password(); ok && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
		}
		return nil, fmt.Errorf("bad --cache-backend redis URL %s: %s", shown, msg)
	}
	if (o.CertFile == "") != (o.KeyFile == "") {
		return nil, errors.New("--redis-cert and --redis-key go together: a client certificate needs its key")
	}
	useTLS := opts.TLSConfig != nil || o.TLS || o.CAFile != "" || o.CertFile != ""
	if !useTLS {
		return opts, nil
	}
	cfg := opts.TLSConfig
	if cfg == nil {
		cfg = &tls.Config{ServerName: u.Hostname()}
	}
	cfg.MinVersion = tls.VersionTLS12
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("--redis-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--redis-ca %s: no PEM certificate in it", o.CAFile)
		}
		cfg.RootCAs = pool
	}
	if o.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("--redis-cert/--redis-key: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	opts.TLSConfig = cfg
	return opts, nil
}

// redactURL shows u without its password and query (where a password
// does not belong, but may have been put).
func redactURL(u *url.URL) string {
	c := *u
	c.RawQuery, c.ForceQuery, c.Fragment, c.RawFragment = "", false, "", ""
	return c.Redacted()
}

// redactedSpec shows an unknown spec without a password it may carry
// (a URL of a scheme Open does not know).
func redactedSpec(spec string) string {
	if u, err := url.Parse(spec); err == nil && u.Scheme != "" && (u.User != nil || u.RawQuery != "") {
		return redactURL(u)
	}
	if i := strings.LastIndex(spec, "@"); i >= 0 {
		return "xxxxx" + spec[i:]
	}
	return spec
}
