package cache

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// FuzzRedisValue feeds values as another writer to a shared Redis could
// leave them: a miss or an entry of our schema, never a panic.
func FuzzRedisValue(f *testing.F) {
	now := time.Now()
	good, _ := encode(result("sha256:a"), now.Add(-time.Minute))
	f.Add(string(good))
	f.Add(`{"StoredAt":"2026-01-01T00:00:00Z","Result":{"SchemaVersion":1,"OSReleases":[{}]}}`)
	f.Add(`{"StoredAt":"0001-01-01T00:00:00Z","Result":{"SchemaVersion":1}}`)
	f.Add(`{"Result":null}`)
	f.Add("\x00\xff")
	f.Add("")
	c := &Redis{Schema: 1, TTL: time.Hour, MaxValue: 1 << 16}
	f.Fuzz(func(t *testing.T, raw string) {
		r := c.value(raw, now)
		if r == nil {
			return
		}
		if r.SchemaVersion != 1 {
			t.Fatalf("entry of schema %d accepted", r.SchemaVersion)
		}
		if len(raw) > c.MaxValue {
			t.Fatalf("a value of %d bytes accepted over the %d cap", len(raw), c.MaxValue)
		}
	})
}

// FuzzRedisURL opens arbitrary backend specs holding a password: an
// error or options, never a panic, and never the password in an error.
func FuzzRedisURL(f *testing.F) {
	const password = "Qz7pWm3K"
	for _, s := range []string{
		"redis://u:%s@h:6379/0", "rediss://:%s@h", "redis://u:%s@h:6379/x", "redis://u:%s@h:6379?dial_timeout=%s",
		"redis://u:%s%%zz@h", "redis://u:%s@[::1", "memcached://u:%s@h", "redis://h/%s", "redis://u:%s@h:99999999999",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, shape string) {
		if strings.Contains(shape, password) || strings.Count(shape, "%s") == 0 {
			return
		}
		spec := strings.ReplaceAll(shape, "%s", password)
		c, err := Open(spec, OpenOptions{Dir: t.TempDir(), Schema: 1})
		if err == nil {
			Close(c)
			return
		}
		// Only a password is secret: the text where a URL's user info
		// would be (before its last @), and, in a URL that parses, its
		// password part.
		if strings.Count(spec, password) != 1 || strings.Index(spec, password) > strings.LastIndex(spec, "@") {
			return
		}
		if u, perr := url.Parse(spec); perr == nil {
			if pw, _ := u.User.Password(); !strings.Contains(pw, password) {
				return
			}
		}
		if strings.Contains(err.Error(), password) {
			t.Fatalf("%q: the error shows the password: %v", spec, err)
		}
	})
}
