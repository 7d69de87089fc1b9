package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/docker-scan/docker-scan/engine/types"
)

// RedisKeyPrefix comes before every layer key this program writes to
// Redis. Standalone scans, clients and servers all use it, so that every
// replica behind a load balancer reads what any of them stored; Clear
// removes keys with this prefix and nothing else.
const RedisKeyPrefix = "docker-scan::layer::"

// MaxRedisValue is the largest entry that is stored or read. A layer
// result is far smaller (package lists, secret findings); a bigger value
// is somebody else's data or damage, and reading it whole would let one
// key take the scanner's memory.
const MaxRedisValue = 64 << 20

// Timeouts when the redis URL does not set its own (dial_timeout,
// read_timeout, write_timeout query parameters).
const (
	redisDialTimeout = 5 * time.Second
	redisIOTimeout   = 30 * time.Second
	// redisCallTimeout bounds one Get, Put, or one batch of Clear, even
	// when the caller's context has no deadline.
	redisCallTimeout = time.Minute
)

// redisClearBatch is how many keys one SCAN step asks for and one UNLINK
// removes.
const redisClearBatch = 1000

// Redis keeps results in a Redis server shared by many scanners. Reads and
// writes are pipelined: one round trip per Get and per Put.
type Redis struct {
	client *redis.Client
	// where names the server in errors: host:port and db, never the
	// password.
	where  string
	TTL    time.Duration
	Schema int
	// MaxValue caps the size of one entry (default MaxRedisValue).
	MaxValue int
	// CallTimeout bounds each call (default one minute).
	CallTimeout time.Duration

	now        func() time.Time
	tooBigOnce sync.Once
}

// NewRedis returns a cache on the server that opts describes (see
// RedisOptions for URLs), for results of schema. The connection is made on
// first use.
func NewRedis(opts *redis.Options, schema int, ttl time.Duration) *Redis {
	o := *opts
	if o.DialTimeout == 0 {
		o.DialTimeout = redisDialTimeout
	}
	if o.ReadTimeout == 0 {
		o.ReadTimeout = redisIOTimeout
	}
	if o.WriteTimeout == 0 {
		o.WriteTimeout = redisIOTimeout
	}
	// A server that is down must fail a call at once, not after go-redis's
	// defaults of five dials and three retries with back-off: a scan goes
	// on without the cache, it does not wait for it.
	if o.MaxRetries == 0 {
		o.MaxRetries = 1
	}
	if o.DialerRetries == 0 {
		o.DialerRetries = 1
	}
	// Deadlines come from the context of each call (callContext), which
	// always has one.
	o.ContextTimeoutEnabled = true
	// RESP2 works with every Redis-compatible server (Redis before 6,
	// KeyDB, Valkey, managed services); this cache needs nothing of
	// RESP3, nor the client-name and maintenance handshakes that older
	// servers answer with errors.
	if o.Protocol == 0 {
		o.Protocol = 2
	}
	o.DisableIdentity = true
	o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	routeRedisLogs()
	return &Redis{
		client:      redis.NewClient(&o),
		where:       fmt.Sprintf("redis %s db %d", o.Addr, o.DB),
		TTL:         ttl,
		Schema:      schema,
		MaxValue:    MaxRedisValue,
		CallTimeout: redisCallTimeout,
		now:         time.Now,
	}
}

var redisLogsOnce sync.Once

// routeRedisLogs sends go-redis's own messages (a failed dial, a pool
// retry) to the debug log: they would otherwise go to stderr, on top of the
// one warning a scan prints when the cache is down.
func routeRedisLogs() {
	redisLogsOnce.Do(func() { redis.SetLogger(redisLogger{}) })
}

type redisLogger struct{}

func (redisLogger) Printf(ctx context.Context, format string, v ...any) {
	slog.DebugContext(ctx, "redis client: "+strings.TrimSpace(fmt.Sprintf(format, v...)))
}

func (c *Redis) callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	d := c.CallTimeout
	if d <= 0 {
		d = redisCallTimeout
	}
	return context.WithTimeout(ctx, d)
}

func (c *Redis) clock() time.Time {
	if c.now == nil {
		return time.Now()
	}
	return c.now()
}

func (c *Redis) maxValue() int {
	if c.MaxValue <= 0 {
		return MaxRedisValue
	}
	return c.MaxValue
}

// wrap names the server in an error of the client.
func (c *Redis) wrap(op string, err error) error {
	return fmt.Errorf("%s: %s: %w", c.where, op, err)
}

// Get reads every key in one pipeline. Each read is a GETRANGE of at most
// MaxValue+1 bytes, so that a huge value costs no more than that to find
// out it is too big; a value too big, corrupt, of another schema, expired
// or of another type (WRONGTYPE) is a miss. Errors are for a server that
// cannot be reached or answered wrong.
func (c *Redis) Get(ctx context.Context, keys []string) (map[string]*types.LayerResult, error) {
	out := map[string]*types.LayerResult{}
	if len(keys) == 0 {
		return out, nil
	}
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	limit := int64(c.maxValue())
	cmds := make([]*redis.StringCmd, len(keys))
	_, err := c.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.GetRange(ctx, RedisKeyPrefix+k, 0, limit)
		}
		return nil
	})
	if err != nil && !isWrongType(err) {
		return nil, c.wrap("read", err)
	}
	now := c.clock()
	for i, cmd := range cmds {
		raw, err := cmd.Result()
		if err != nil {
			if isWrongType(err) {
				continue // a key of ours holding a list, say: damage
			}
			return nil, c.wrap("read", err)
		}
		if r := c.value(raw, now); r != nil {
			out[keys[i]] = r
		}
	}
	return out, nil
}

// value decodes one stored value: nil for a miss. GETRANGE answers "" for
// a missing key.
func (c *Redis) value(raw string, now time.Time) *types.LayerResult {
	if raw == "" || len(raw) > c.maxValue() {
		return nil
	}
	return decode([]byte(raw), c.TTL, now, c.Schema)
}

// isWrongType tells the one error of a single key (it holds another type
// than a string) from those of the server or the connection (NOAUTH,
// NOPERM, LOADING, a reset connection), which fail the whole call.
func isWrongType(err error) bool {
	var re redis.Error
	return errors.As(err, &re) && redis.HasErrorPrefix(err, "WRONGTYPE")
}

// Put writes every result in one pipeline, each with TTL as its expiry
// when there is one, so that Redis itself forgets old entries. A result
// whose encoding is bigger than MaxValue is left out (a WARN says so once).
func (c *Redis) Put(ctx context.Context, results map[string]*types.LayerResult) error {
	if len(results) == 0 {
		return nil
	}
	now := c.clock()
	values := make(map[string][]byte, len(results))
	for k, r := range results {
		raw, err := encode(r, now)
		if err != nil {
			return fmt.Errorf("cache: %w", err)
		}
		if len(raw) > c.maxValue() {
			c.tooBigOnce.Do(func() {
				slog.Warn("a layer result is too big for the Redis cache; it is analysed again next time", "bytes", len(raw), "limit", c.maxValue())
			})
			continue
		}
		values[k] = raw
	}
	if len(values) == 0 {
		return nil
	}
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	// go-redis reads a negative expiry of -1 as KEEPTTL: no TTL is none.
	expiry := max(c.TTL, 0)
	_, err := c.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for k, raw := range values {
			p.Set(ctx, RedisKeyPrefix+k, raw, expiry)
		}
		return nil
	})
	if err != nil {
		return c.wrap("write", err)
	}
	return nil
}

// Clear removes every key with RedisKeyPrefix, in batches (SCAN, then
// UNLINK, which frees memory in the background). Other keys in the same
// database are left alone: the database may be shared.
func (c *Redis) Clear(ctx context.Context) error {
	var cursor uint64
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		next, err := c.clearStep(ctx, cursor)
		if err != nil {
			return c.wrap("clear", err)
		}
		if next == 0 {
			return nil
		}
		cursor = next
	}
}

// clearStep removes one batch and returns the cursor of the next (0: done).
func (c *Redis) clearStep(ctx context.Context, cursor uint64) (uint64, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	keys, next, err := c.client.Scan(ctx, cursor, RedisKeyPrefix+"*", redisClearBatch).Result()
	if err != nil {
		return 0, err
	}
	if len(keys) > 0 {
		if err := c.client.Unlink(ctx, keys...).Err(); err != nil {
			return 0, err
		}
	}
	return next, nil
}

// Close closes the connections.
func (c *Redis) Close() error { return c.client.Close() }

// String names the server, without credentials.
func (c *Redis) String() string { return c.where }
