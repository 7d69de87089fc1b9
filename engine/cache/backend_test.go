package cache

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/docker-scan/docker-scan/engine/testenv"
	"github.com/docker-scan/docker-scan/engine/types"
)

func TestOpenBackends(t *testing.T) {
	dir := t.TempDir()
	c, err := Open("fs", OpenOptions{Dir: dir, Schema: 1, TTL: time.Hour})
	if fs, ok := c.(*FS); err != nil || !ok || fs.Path != filepath.Join(dir, FileName) || fs.TTL != time.Hour {
		t.Fatalf("fs: %#v %v", c, err)
	}
	if _, err := Open("fs", OpenOptions{}); err == nil {
		t.Fatal("fs without a dir opened")
	}
	if c, err := Open("memory", OpenOptions{Schema: 1}); err != nil || c.(*Memory).Schema != 1 {
		t.Fatalf("memory: %#v %v", c, err)
	}
	c, err = Open("redis://127.0.0.1:6390/3", OpenOptions{Schema: 1, TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	r := c.(*Outage).Cache.(*Redis)
	if o := r.client.Options(); o.Addr != "127.0.0.1:6390" || o.DB != 3 || o.TLSConfig != nil || r.TTL != time.Minute {
		t.Fatalf("redis options: %+v", o)
	}
	if err := Close(c); err != nil {
		t.Fatal(err)
	}
}

func TestOpenErrors(t *testing.T) {
	for spec, want := range map[string]string{
		"s3":                                     `unknown --cache-backend "s3" (choose fs, memory, redis://`,
		"memcached://u:Pw1@h":                    `unknown --cache-backend "memcached://u:xxxxx@h"`,
		"FS":                                     `unknown --cache-backend "FS"`,
		"redis://u:Pw1@h:6379/zero":              `bad --cache-backend redis URL redis://u:xxxxx@h:6379/zero: invalid database number: "zero"`,
		"redis://u:Pw1@h:6379/0/1":               `bad --cache-backend redis URL redis://u:xxxxx@h:6379/0/1: invalid URL path`,
		"redis://h:6379?password=Pw1":            `bad --cache-backend redis URL redis://h:6379: unexpected option: password`,
		"redis://u:Pw1%zz@h:6379":                `bad --cache-backend redis URL: it does not parse as a URL`,
		"redis://u:Pw1@h:6379?dial_timeout=soon": `bad --cache-backend redis URL redis://u:xxxxx@h:6379: invalid dial_timeout duration`,
	} {
		_, err := Open(spec, OpenOptions{Dir: t.TempDir()})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", spec, err, want)
			continue
		}
		if strings.Contains(err.Error(), "Pw1") {
			t.Errorf("%s: the error shows the password: %v", spec, err)
		}
	}
}

func TestOpenRedisTLSOptions(t *testing.T) {
	files := testenv.WriteTLSFiles(t, t.TempDir())
	o, err := RedisOptions("rediss://cache.example:6380", OpenOptions{})
	if err != nil || o.TLSConfig == nil || o.TLSConfig.ServerName != "cache.example" || o.TLSConfig.RootCAs != nil {
		t.Fatalf("rediss://: %+v %v", o, err)
	}
	if o, _ := RedisOptions("redis://cache.example:6380", OpenOptions{TLS: true}); o.TLSConfig == nil || o.TLSConfig.ServerName != "cache.example" {
		t.Fatalf("--redis-tls: %+v", o)
	}
	o, err = RedisOptions("redis://cache.example:6380", OpenOptions{CAFile: files.CA, CertFile: files.ClientCert, KeyFile: files.ClientKey})
	if err != nil || o.TLSConfig == nil || o.TLSConfig.RootCAs == nil || len(o.TLSConfig.Certificates) != 1 {
		t.Fatalf("--redis-ca, --redis-cert, --redis-key turn TLS on: %+v %v", o, err)
	}
	if o, _ := RedisOptions("redis://cache.example:6380", OpenOptions{}); o.TLSConfig != nil {
		t.Fatal("plain redis:// uses TLS")
	}
	notPEM := filepath.Join(t.TempDir(), "ca.txt")
	os.WriteFile(notPEM, []byte("not a certificate"), 0o600)
	for name, o := range map[string]OpenOptions{
		"cert without key": {CertFile: files.ClientCert},
		"key without cert": {KeyFile: files.ClientKey},
		"missing CA":       {CAFile: filepath.Join(t.TempDir(), "absent.pem")},
		"CA not PEM":       {CAFile: notPEM},
		"key of a CA":      {CertFile: files.ClientCert, KeyFile: files.ServerKey},
	} {
		if _, err := RedisOptions("redis://h:1", o); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// Other backends ignore the Redis options, as Trivy does.
	if _, err := Open("memory", OpenOptions{TLS: true, CertFile: files.ClientCert}); err != nil {
		t.Fatal(err)
	}
}

// TestOpenRedisDownWarnsOnce is what a scan sees with Redis down: the
// first call fails, the rest are misses and skipped writes.
func TestOpenRedisDownWarnsOnce(t *testing.T) {
	m := miniredis.RunT(t)
	addr := m.Addr()
	m.Close()
	c, err := Open("redis://"+addr, OpenOptions{Schema: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer Close(c)
	ctx := context.Background()
	if _, err := c.Get(ctx, []string{"a"}); err == nil {
		t.Fatal("first Get: no error")
	}
	start := time.Now()
	for range 5 {
		if hits, err := c.Get(ctx, []string{"a"}); err != nil || len(hits) != 0 {
			t.Fatalf("later Get: %v %v", hits, err)
		}
		if err := c.Put(ctx, map[string]*types.LayerResult{"a": result("sha256:a")}); err != nil {
			t.Fatalf("later Put: %v", err)
		}
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Fatalf("calls after the outage took %s: they should not try the server", d)
	}
	if err := c.Clear(ctx); err == nil {
		t.Fatal("Clear of a stopped server succeeded")
	}
}
