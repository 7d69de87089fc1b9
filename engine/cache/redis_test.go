package cache

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/docker-scan/docker-scan/engine/testenv"
	"github.com/docker-scan/docker-scan/engine/types"
)

// newMiniRedis starts an in-process Redis and a cache on it.
func newMiniRedis(t *testing.T, ttl time.Duration) (*miniredis.Miniredis, *Redis) {
	t.Helper()
	m := miniredis.RunT(t)
	opts, err := RedisOptions("redis://"+m.Addr()+"/0", OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := NewRedis(opts, 1, ttl)
	t.Cleanup(func() { c.Close() })
	return m, c
}

// roundTrips counts what the client sends: pipelines and single commands
// (but not the handshake of a new connection).
type roundTrips struct{ pipelines, singles atomic.Int64 }

func (r *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }
func (r *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		switch cmd.Name() {
		case "hello", "auth", "select":
		default:
			r.singles.Add(1)
		}
		return next(ctx, cmd)
	}
}
func (r *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { r.pipelines.Add(1); return next(ctx, cmds) }
}

func results(n int) map[string]*types.LayerResult {
	out := map[string]*types.LayerResult{}
	for i := range n {
		k := fmt.Sprintf("sha256:%064d/analyzers-v1", i)
		out[k] = result(fmt.Sprintf("sha256:%064d", i))
	}
	return out
}

func TestRedisKeysAndRoundTrip(t *testing.T) {
	m, c := newMiniRedis(t, 0)
	ctx := context.Background()
	if err := c.Put(ctx, map[string]*types.LayerResult{"a": result("sha256:a"), "b": result("sha256:b")}); err != nil {
		t.Fatal(err)
	}
	keys := m.Keys()
	if strings.Join(keys, ",") != "docker-scan::layer::a,docker-scan::layer::b" {
		t.Fatalf("keys in Redis: %q", keys)
	}
	if m.TTL("docker-scan::layer::a") != 0 {
		t.Fatalf("no --cache-ttl, yet the key expires in %s", m.TTL("docker-scan::layer::a"))
	}
	got, err := c.Get(ctx, []string{"a", "b", "c"})
	if err != nil || len(got) != 2 || got["a"].DiffID != "sha256:a" || got["b"].OSReleases[0].Name != "3.20.3" {
		t.Fatalf("got %+v, %v", got, err)
	}
	// Another process (a server replica) with the same prefix reads them.
	opts, _ := RedisOptions("redis://"+m.Addr(), OpenOptions{})
	other := NewRedis(opts, 1, 0)
	defer other.Close()
	if got, err := other.Get(ctx, []string{"a"}); err != nil || got["a"] == nil {
		t.Fatalf("a second client does not see the entry: %v %v", got, err)
	}
}

func TestRedisTTL(t *testing.T) {
	m, c := newMiniRedis(t, time.Hour)
	ctx := context.Background()
	if err := c.Put(ctx, map[string]*types.LayerResult{"a": result("sha256:a")}); err != nil {
		t.Fatal(err)
	}
	if ttl := m.TTL(RedisKeyPrefix + "a"); ttl != time.Hour {
		t.Fatalf("key expiry %s, want 1h", ttl)
	}
	m.FastForward(59 * time.Minute)
	if got, _ := c.Get(ctx, []string{"a"}); got["a"] == nil {
		t.Fatal("entry gone before its TTL")
	}
	m.FastForward(2 * time.Minute)
	if got, err := c.Get(ctx, []string{"a"}); err != nil || len(got) != 0 {
		t.Fatalf("entry past its TTL: %v %v", got, err)
	}

	// An entry stored without expiry (by a scan without --cache-ttl) is
	// still too old for a reader with a TTL: StoredAt decides.
	keeper := NewRedis(c.client.Options(), 1, 0)
	defer keeper.Close()
	if err := keeper.Put(ctx, map[string]*types.LayerResult{"b": result("sha256:b")}); err != nil {
		t.Fatal(err)
	}
	c.now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	if got, _ := c.Get(ctx, []string{"b"}); len(got) != 0 {
		t.Fatal("an entry older than the reader's TTL is a hit")
	}
}

func TestRedisOneRoundTripPerCall(t *testing.T) {
	m, c := newMiniRedis(t, time.Hour)
	trips := &roundTrips{}
	c.client.AddHook(trips)
	ctx := context.Background()
	in := results(40)
	if err := c.Put(ctx, in); err != nil {
		t.Fatal(err)
	}
	if p, s := trips.pipelines.Load(), trips.singles.Load(); p != 1 || s != 0 {
		t.Fatalf("Put of 40 results: %d pipelines and %d single commands, want 1 and 0", p, s)
	}
	keys := make([]string, 0, len(in)+10)
	for k := range in {
		keys = append(keys, k)
	}
	for i := range 10 {
		keys = append(keys, fmt.Sprintf("missing-%d", i))
	}
	before := m.CommandCount()
	got, err := c.Get(ctx, keys)
	if err != nil || len(got) != 40 {
		t.Fatalf("Get: %d hits, %v", len(got), err)
	}
	if p, s := trips.pipelines.Load(), trips.singles.Load(); p != 2 || s != 0 {
		t.Fatalf("Get of 50 keys: %d pipelines in all and %d single commands, want 2 and 0", p, s)
	}
	if n := m.CommandCount() - before; n != 50 {
		t.Fatalf("Get of 50 keys sent %d commands", n)
	}
}

func TestRedisBadValuesAreMisses(t *testing.T) {
	m, c := newMiniRedis(t, 0)
	c.MaxValue = 4096
	ctx := context.Background()
	if err := c.Put(ctx, map[string]*types.LayerResult{"good": result("sha256:good")}); err != nil {
		t.Fatal(err)
	}
	other := result("sha256:other")
	other.SchemaVersion = 99
	raw, _ := encode(other, time.Now())
	m.Set(RedisKeyPrefix+"schema", string(raw))
	m.Set(RedisKeyPrefix+"corrupt", `{"StoredAt":"2026-01-01T00:00:00Z","Result":{"DiffID":`)
	m.Set(RedisKeyPrefix+"binary", "\x00\xff\xfe garbage")
	m.Lpush(RedisKeyPrefix+"list", "not a string")
	big := result("sha256:big")
	big.OSReleases[0].Name = strings.Repeat("x", 8000)
	raw, _ = encode(big, time.Now())
	m.Set(RedisKeyPrefix+"big", string(raw))

	got, err := c.Get(ctx, []string{"good", "schema", "corrupt", "binary", "list", "big", "absent"})
	if err != nil {
		t.Fatalf("bad values must be misses, not errors: %v", err)
	}
	if len(got) != 1 || got["good"] == nil {
		t.Fatalf("want only the good entry, got %v", got)
	}
}

func TestRedisPutLeavesOutTooBig(t *testing.T) {
	m, c := newMiniRedis(t, 0)
	c.MaxValue = 4096
	big := result("sha256:big")
	big.OSReleases[0].Name = strings.Repeat("x", 8000)
	err := c.Put(context.Background(), map[string]*types.LayerResult{"big": big, "small": result("sha256:small")})
	if err != nil {
		t.Fatal(err)
	}
	if keys := m.Keys(); len(keys) != 1 || keys[0] != RedisKeyPrefix+"small" {
		t.Fatalf("keys after Put: %q, want only the small one", keys)
	}
}

func TestRedisClearOnlyOurKeys(t *testing.T) {
	m, c := newMiniRedis(t, 0)
	ctx := context.Background()
	// More than one SCAN batch of ours, and others' keys around them:
	// Trivy's, an application's, and one that merely resembles ours.
	if err := c.Put(ctx, results(2*redisClearBatch+17)); err != nil {
		t.Fatal(err)
	}
	foreign := []string{"fanal::blob::sha256:1", "session:42", "docker-scan::layerx", "docker-scan::other::a"}
	for _, k := range foreign {
		m.Set(k, "keep")
	}
	if err := c.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	keys := m.Keys()
	if strings.Join(keys, ",") != "docker-scan::layerx,docker-scan::other::a,fanal::blob::sha256:1,session:42" {
		t.Fatalf("after Clear: %q", keys)
	}
}

func TestRedisDownFailsFast(t *testing.T) {
	m := miniredis.RunT(t)
	addr := m.Addr()
	m.Close()
	opts, err := RedisOptions("redis://scanner:Sup3rSecret@"+addr+"/2", OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := NewRedis(opts, 1, 0)
	defer c.Close()
	start := time.Now()
	_, err = c.Get(context.Background(), []string{"a"})
	if err == nil {
		t.Fatal("Get from a stopped server succeeded")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Get took %s to fail", d)
	}
	if strings.Contains(err.Error(), "Sup3rSecret") || !strings.Contains(err.Error(), addr) {
		t.Fatalf("error should name the server and not the password: %v", err)
	}
	if err := c.Put(context.Background(), results(1)); err == nil {
		t.Fatal("Put to a stopped server succeeded")
	}
}

func TestRedisAuth(t *testing.T) {
	m := miniredis.RunT(t)
	m.RequireUserAuth("scanner", "Sup3rSecret")
	ctx := context.Background()
	opts, _ := RedisOptions("redis://scanner:Sup3rSecret@"+m.Addr(), OpenOptions{})
	c := NewRedis(opts, 1, 0)
	defer c.Close()
	if err := c.Put(ctx, results(1)); err != nil {
		t.Fatalf("with the right password: %v", err)
	}
	opts, _ = RedisOptions("redis://scanner:Wr0ngSecret@"+m.Addr(), OpenOptions{})
	bad := NewRedis(opts, 1, 0)
	defer bad.Close()
	_, err := bad.Get(ctx, []string{"a"})
	if err == nil || strings.Contains(err.Error(), "Wr0ngSecret") {
		t.Fatalf("wrong password: want an error without it, got %v", err)
	}
}

func TestRedisTLS(t *testing.T) {
	files := testenv.WriteTLSFiles(t, t.TempDir())
	serverCert, err := tls.LoadX509KeyPair(files.ServerCert, files.ServerKey)
	if err != nil {
		t.Fatal(err)
	}
	caPEM, _ := os.ReadFile(files.CA)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	m := miniredis.NewMiniRedis()
	if err := m.StartTLS(&tls.Config{Certificates: []tls.Certificate{serverCert}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert}); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ctx := context.Background()

	// --redis-tls with redis://, --redis-ca and the client certificate.
	opts, err := RedisOptions("redis://"+m.Addr(), OpenOptions{TLS: true, CAFile: files.CA, CertFile: files.ClientCert, KeyFile: files.ClientKey})
	if err != nil {
		t.Fatal(err)
	}
	c := NewRedis(opts, 1, 0)
	defer c.Close()
	if err := c.Put(ctx, results(3)); err != nil {
		t.Fatalf("TLS with a client certificate: %v", err)
	}
	if got, err := c.Get(ctx, []string{fmt.Sprintf("sha256:%064d/analyzers-v1", 1)}); err != nil || len(got) != 1 {
		t.Fatalf("TLS Get: %v %v", got, err)
	}

	// rediss:// without the client certificate the server requires.
	opts, err = RedisOptions("rediss://"+m.Addr(), OpenOptions{CAFile: files.CA})
	if err != nil {
		t.Fatal(err)
	}
	noCert := NewRedis(opts, 1, 0)
	defer noCert.Close()
	if _, err := noCert.Get(ctx, []string{"a"}); err == nil {
		t.Fatal("a client without a certificate got through")
	}
	// The system's roots do not know the test CA.
	opts, _ = RedisOptions("rediss://"+m.Addr(), OpenOptions{CertFile: files.ClientCert, KeyFile: files.ClientKey})
	untrusted := NewRedis(opts, 1, 0)
	defer untrusted.Close()
	if _, err := untrusted.Get(ctx, []string{"a"}); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("a server certificate from an unknown CA was accepted: %v", err)
	}
}

// TestRedisSilentServerTimesOut: a server that accepts connections and
// never answers (a wrong port, a hung proxy) fails a call within its
// CallTimeout, retries included.
func TestRedisSilentServerTimesOut(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			defer conn.Close() // held open, unanswered, until the test ends
		}
	}()
	opts, _ := RedisOptions("redis://"+l.Addr().String(), OpenOptions{})
	c := NewRedis(opts, 1, 0)
	defer c.Close()
	c.CallTimeout = 300 * time.Millisecond
	start := time.Now()
	if _, err := c.Get(context.Background(), []string{"a"}); err == nil {
		t.Fatal("Get from a silent server succeeded")
	}
	if err := c.Put(context.Background(), results(1)); err == nil {
		t.Fatal("Put to a silent server succeeded")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("two calls with a 300ms limit took %s", d)
	}
}
