package cache

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/docker-scan/docker-scan/engine/types"
)

// flaky is a cache that fails while down is set, counting calls.
type flaky struct {
	down  bool
	calls int
	inner *Memory
}

var errDown = errors.New("connection refused")

func (f *flaky) Get(ctx context.Context, keys []string) (map[string]*types.LayerResult, error) {
	f.calls++
	if f.down {
		return nil, errDown
	}
	return f.inner.Get(ctx, keys)
}

func (f *flaky) Put(ctx context.Context, r map[string]*types.LayerResult) error {
	f.calls++
	if f.down {
		return errDown
	}
	return f.inner.Put(ctx, r)
}

func (f *flaky) Clear(ctx context.Context) error { return f.inner.Clear(ctx) }

func TestOutageOneErrorThenSilence(t *testing.T) {
	f := &flaky{inner: NewMemory(1, 0)}
	o := NewOutage(f, 0)
	ctx := context.Background()
	one := map[string]*types.LayerResult{"a": result("sha256:a")}
	if err := o.Put(ctx, one); err != nil {
		t.Fatal(err)
	}
	f.down = true
	// A Put is the first to fail here (a Get may be the first elsewhere):
	// either way only the first failure is returned.
	if err := o.Put(ctx, one); !errors.Is(err, errDown) {
		t.Fatalf("first failure: %v", err)
	}
	calls := f.calls
	f.down = false // back, but a scan's cache stays off: Retry 0
	for range 3 {
		if hits, err := o.Get(ctx, []string{"a"}); err != nil || len(hits) != 0 {
			t.Fatalf("Get during the outage: %v %v", hits, err)
		}
		if err := o.Put(ctx, one); err != nil {
			t.Fatal(err)
		}
	}
	if f.calls != calls {
		t.Fatalf("%d calls reached the cache during the outage", f.calls-calls)
	}
	if !o.Down() {
		t.Fatal("Down() is false during the outage")
	}
}

func TestOutageRetry(t *testing.T) {
	f := &flaky{inner: NewMemory(1, 0), down: true}
	o := NewOutage(f, time.Minute)
	clock := time.Now()
	o.now = func() time.Time { return clock }
	ctx := context.Background()
	if _, err := o.Get(ctx, []string{"a"}); err == nil {
		t.Fatal("first failure not returned")
	}
	clock = clock.Add(30 * time.Second)
	o.Get(ctx, []string{"a"})
	if f.calls != 1 {
		t.Fatalf("tried again before Retry: %d calls", f.calls)
	}
	// After Retry one call tries; still down: no error, wait again.
	clock = clock.Add(31 * time.Second)
	if hits, err := o.Get(ctx, []string{"a"}); err != nil || len(hits) != 0 || f.calls != 2 {
		t.Fatalf("probe while down: %v %v, %d calls", hits, err, f.calls)
	}
	clock = clock.Add(30 * time.Second)
	o.Get(ctx, []string{"a"})
	if f.calls != 2 {
		t.Fatal("a failed probe did not restart the wait")
	}
	// Back: the probe works and the cache is used again.
	f.down = false
	f.inner.Put(ctx, map[string]*types.LayerResult{"a": result("sha256:a")})
	clock = clock.Add(31 * time.Second)
	if hits, err := o.Get(ctx, []string{"a"}); err != nil || hits["a"] == nil || o.Down() {
		t.Fatalf("after recovery: %v %v", hits, err)
	}
	// A new outage is reported again.
	f.down = true
	if err := o.Put(ctx, map[string]*types.LayerResult{"b": result("sha256:b")}); !errors.Is(err, errDown) {
		t.Fatalf("second outage: %v", err)
	}
}

func TestOutageCallerCancelIsNotAnOutage(t *testing.T) {
	f := &flaky{inner: NewMemory(1, 0), down: true}
	o := NewOutage(f, 0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := o.Get(ctx, []string{"a"}); err == nil {
		t.Fatal("no error")
	}
	if o.Down() {
		t.Fatal("a cancelled call marked the cache down")
	}
}
