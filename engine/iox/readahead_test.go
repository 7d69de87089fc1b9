package iox

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"runtime"
	"testing"
	"testing/iotest"
	"time"
)

// TestReadAhead: the bytes come through unchanged in any read sizes, the
// source's error arrives after its bytes, and Close stops the goroutine
// and closes the source, also mid-stream.
func TestReadAhead(t *testing.T) {
	data := make([]byte, 1<<18+12345)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	for _, size := range []int{1, 4096, 1 << 16} {
		r := ReadAhead(io.NopCloser(iotest.OneByteReader(bytes.NewReader(data))), size, 3)
		got, err := io.ReadAll(iotest.HalfReader(r))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("chunk %d: %d bytes, err %v", size, len(got), err)
		}
		r.Close()
	}

	boom := errors.New("boom")
	r := ReadAhead(io.NopCloser(io.MultiReader(bytes.NewReader(data[:5000]), iotest.ErrReader(boom))), 4096, 2)
	got, err := io.ReadAll(r)
	if !errors.Is(err, boom) || !bytes.Equal(got, data[:5000]) {
		t.Fatalf("%d bytes, err %v; want 5000 and boom", len(got), err)
	}
	r.Close()

	before := runtime.NumGoroutine()
	closed := make(chan struct{})
	src := &closeNotifier{Reader: bytes.NewReader(data), closed: closed}
	r = ReadAhead(src, 4096, 2)
	buf := make([]byte, 100)
	if _, err := r.Read(buf); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-closed:
	default:
		t.Fatal("the source was not closed")
	}
	if _, err := r.Read(buf); err == nil {
		t.Error("read after Close succeeded")
	}
	for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > before && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after Close, %d before", n, before)
	}
}

type closeNotifier struct {
	io.Reader
	closed chan struct{}
}

func (c *closeNotifier) Close() error { close(c.closed); return nil }
