package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/cache"
	"github.com/docker-scan/docker-scan/runtime/daemontest"
)

// layerCacheLog matches the debug line of the cache lookup.
var layerCacheLog = regexp.MustCompile(`DEBUG layer cache hits=(\d+) layers=(\d+)`)

// cacheLookup returns the hits and layers of the scan's cache lookup.
func cacheLookup(t *testing.T, stderr string) (hits, layers string) {
	t.Helper()
	m := layerCacheLog.FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("no layer cache line in the debug log:\n%s", stderr)
	}
	return m[1], m[2]
}

// warnings returns the WARN lines of a log.
func warnings(stderr string) []string {
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.Contains(l, "WARN") {
			out = append(out, l)
		}
	}
	return out
}

// TestRedisCacheCLI scans the demo image twice through a real
// redis-server: the first scan stores every layer's result there, the
// second analyses nothing and reports the same; `clean --scan-cache`
// then removes our keys and only ours.
func TestRedisCacheCLI(t *testing.T) {
	r := daemontest.StartRedis(t)
	dbCache, img := demoCache(t), demoImage(t)
	c := cliRun{viaDocker: true}
	scan := func() scanResult {
		t.Helper()
		res := c.run(t, "image", "--input", img, "--cache-dir", dbCache, "--skip-db-update", "--format", "json", "--debug",
			"--cache-backend", r.URL, "--cache-ttl", "1h")
		if res.exit != 0 {
			t.Fatalf("scan: exit %d\n%s", res.exit, res.stderr)
		}
		return res
	}
	first := scan()
	hits, layers := cacheLookup(t, first.stderr)
	if hits != "0" || layers == "0" {
		t.Fatalf("first scan: %s hits of %s layers", hits, layers)
	}
	stored := r.Keys(t, cache.RedisKeyPrefix+"*")
	if stored == 0 || stored > len(layers)*100 {
		t.Fatalf("%d keys in Redis after the first scan", stored)
	}
	if ttl := r.Do(t, "TTL", mustKey(t, r)); ttl == ":-1" || ttl == ":-2" {
		t.Fatalf("--cache-ttl 1h, yet TTL answers %s", ttl)
	}
	if _, err := os.Stat(filepath.Join(dbCache, cache.FileName)); err == nil {
		t.Fatal("the fs cache file was written with --cache-backend redis://")
	}
	second := scan()
	if hits, layers2 := cacheLookup(t, second.stderr); hits != layers || layers2 != layers {
		t.Fatalf("second scan: %s hits of %s layers, want all %s", hits, layers2, layers)
	}
	if strings.Contains(second.stderr, "analyzing layer") {
		t.Errorf("the second scan analysed a layer:\n%s", second.stderr)
	}
	want, got := findings(parseReport(t, first.stdout)), findings(parseReport(t, second.stdout))
	if len(want) == 0 || !slices.Equal(want, got) {
		t.Fatalf("reports differ or are empty:\nfirst  %v\nsecond %v", want, got)
	}

	// Someone else's keys in the same database stay.
	r.Do(t, "SET", "session:42", "keep")
	r.Do(t, "SET", "fanal::blob::sha256:1", "keep")
	res := c.run(t, "clean", "--scan-cache", "--cache-dir", t.TempDir(), "--cache-backend", r.URL)
	if res.exit != 0 || !strings.Contains(res.stdout, "Removed the scan cache in redis "+r.Addr) {
		t.Fatalf("clean: exit %d\n%s%s", res.exit, res.stdout, res.stderr)
	}
	if n := r.Keys(t, cache.RedisKeyPrefix+"*"); n != 0 {
		t.Fatalf("%d of our keys left after clean", n)
	}
	if n := r.Keys(t, "*"); n != 2 {
		t.Fatalf("clean removed keys that are not ours: %d left of 2", n)
	}
}

func mustKey(t *testing.T, r *daemontest.Redis) string {
	t.Helper()
	k := r.Do(t, "RANDOMKEY")
	if !strings.HasPrefix(k, cache.RedisKeyPrefix) {
		t.Fatalf("RANDOMKEY: %q", k)
	}
	return k
}

// TestRedisDownOneWarning scans with the Redis backend stopped: the scan
// succeeds, with the same report, and says once that the cache is
// unavailable (not once more for the write).
func TestRedisDownOneWarning(t *testing.T) {
	r := daemontest.StartRedis(t)
	r.Stop()
	dbCache, img := demoCache(t), demoImage(t)
	c := cliRun{viaDocker: true}
	base := c.run(t, "image", "--input", img, "--cache-dir", dbCache, "--skip-db-update", "--format", "json", "--cache-backend", "memory")
	if base.exit != 0 {
		t.Fatalf("scan: exit %d\n%s", base.exit, base.stderr)
	}
	down := c.run(t, "image", "--input", img, "--cache-dir", dbCache, "--skip-db-update", "--format", "json", "--cache-backend", "redis://scanner:Sup3rSecret@"+r.Addr)
	if down.exit != 0 {
		t.Fatalf("scan with Redis down: exit %d\n%s", down.exit, down.stderr)
	}
	extra := len(warnings(down.stderr)) - len(warnings(base.stderr))
	cacheWarnings := slices.DeleteFunc(warnings(down.stderr), func(l string) bool { return !strings.Contains(l, "cache") })
	if extra != 1 || len(cacheWarnings) != 1 || !strings.Contains(cacheWarnings[0], "redis "+r.Addr) {
		t.Fatalf("want one warning naming the server, got %d more warnings, about the cache %q:\n%s", extra, cacheWarnings, down.stderr)
	}
	if strings.Contains(down.stderr, "Sup3rSecret") {
		t.Fatalf("the password is in the log:\n%s", down.stderr)
	}
	if want, got := findings(parseReport(t, base.stdout)), findings(parseReport(t, down.stdout)); !slices.Equal(want, got) {
		t.Fatalf("report with Redis down differs:\nwant %v\ngot  %v", want, got)
	}
}

// TestRedisTLSCacheCLI uses a redis-server that speaks TLS only and
// requires a client certificate: rediss:// with --redis-ca, --redis-cert
// and --redis-key works (the second scan hits); without the client
// certificate the scan warns once and goes on.
func TestRedisTLSCacheCLI(t *testing.T) {
	r := daemontest.StartRedisTLS(t)
	dbCache, img := demoCache(t), demoImage(t)
	c := cliRun{viaDocker: true}
	args := []string{"image", "--input", img, "--cache-dir", dbCache, "--skip-db-update", "--format", "json", "--debug"}
	withCert := append(slices.Clone(args), "--cache-backend", r.URL, "--redis-ca", r.TLS.CA, "--redis-cert", r.TLS.ClientCert, "--redis-key", r.TLS.ClientKey)
	first := c.run(t, withCert...)
	if first.exit != 0 {
		t.Fatalf("scan: exit %d\n%s", first.exit, first.stderr)
	}
	_, layers := cacheLookup(t, first.stderr)
	if n := r.Keys(t, cache.RedisKeyPrefix+"*"); n == 0 {
		t.Fatalf("nothing stored over TLS:\n%s", first.stderr)
	}
	// redis:// with --redis-tls and the files: the same server.
	plainURL := "redis://" + r.Addr
	second := c.run(t, append(slices.Clone(args), "--cache-backend", plainURL, "--redis-tls", "--redis-ca", r.TLS.CA, "--redis-cert", r.TLS.ClientCert, "--redis-key", r.TLS.ClientKey)...)
	if hits, _ := cacheLookup(t, second.stderr); second.exit != 0 || hits != layers {
		t.Fatalf("second scan over TLS: exit %d, %s hits of %s\n%s", second.exit, hits, layers, second.stderr)
	}
	noCert := c.run(t, append(slices.Clone(args), "--cache-backend", r.URL, "--redis-ca", r.TLS.CA)...)
	if noCert.exit != 0 || len(warnings(noCert.stderr)) != len(warnings(first.stderr))+1 {
		t.Fatalf("scan without the client certificate: exit %d, want exactly one more warning:\n%s", noCert.exit, noCert.stderr)
	}
}
