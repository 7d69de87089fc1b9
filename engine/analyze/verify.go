package analyze

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
	"sync"
)

// A layer's result is cached under its diffID, so a diffID that was not
// checked against the bytes read would let one image (a decoy claiming a
// vulnerable layer's diffID) decide what every later scan of another
// image reports. Layer therefore hashes what it reads and fails on a
// mismatch; only results of verified layers may be cached.

// digestCheck hashes bytes as they are read and compares the sum with a
// claimed digest. Hashing runs in a goroutine of its own, fed in chunks:
// SHA-256 costs about as much CPU as gunzip, and on the reader's goroutine
// it would slow every scan by a third; beside it, it uses a core that the
// reader leaves idle (one large layer, a package-only scan).
type digestCheck struct {
	what    string // "layer" or "layer blob", for the message
	claimed string
	algo    string
	h       hash.Hash

	pending *[]byte      // bytes not yet handed to the hasher
	work    chan *[]byte // full chunks for the hasher
	free    chan *[]byte // chunks the hasher is done with
	sum     chan []byte  // the hasher's result, once work is closed
	actual  string       // set by finish
}

// Chunks handed to the hashing goroutine: hashChunks of hashChunkSize
// bytes per check, so a check holds 1 MiB at most.
const (
	hashChunkSize = 256 << 10
	hashChunks    = 4
)

// digestHash returns a hash for a digest in a form that can be verified
// (sha256:<64 hex> or sha512:<128 hex>), or nil for an empty, malformed or
// unknown one: there is nothing to compare with.
func digestHash(digest string) (algo string, h hash.Hash) {
	algo, hexSum, ok := strings.Cut(digest, ":")
	if !ok {
		return "", nil
	}
	switch algo {
	case "sha256":
		h = sha256.New()
	case "sha512":
		h = sha512.New()
	default:
		return "", nil
	}
	if len(hexSum) != 2*h.Size() || strings.ToLower(hexSum) != hexSum {
		return "", nil
	}
	if _, err := hex.DecodeString(hexSum); err != nil {
		return "", nil
	}
	return algo, h
}

// hashChunkPool recycles the chunks of every check: an image of many
// small layers must not allocate a megabyte per layer.
var hashChunkPool = sync.Pool{New: func() any { b := make([]byte, 0, hashChunkSize); return &b }}

// newDigestCheck starts a check of digest, or returns nil when digestHash
// cannot verify it. The check's goroutine runs until finish or verify.
func newDigestCheck(what, digest string) *digestCheck {
	algo, h := digestHash(digest)
	if h == nil {
		return nil
	}
	c := &digestCheck{what: what, claimed: digest, algo: algo, h: h,
		work: make(chan *[]byte, hashChunks), free: make(chan *[]byte, hashChunks), sum: make(chan []byte, 1)}
	for range hashChunks {
		c.free <- hashChunkPool.Get().(*[]byte)
	}
	c.pending = <-c.free
	go func() {
		for b := range c.work {
			c.h.Write(*b)
			*b = (*b)[:0]
			c.free <- b
		}
		c.sum <- c.h.Sum(nil)
	}()
	return c
}

// Verifiable tells whether Layer checks a diffID against the layer's
// content. Only such layers' results may be cached or shared under their
// diffID: any other claim is just a name the image chose.
func Verifiable(diffID string) bool {
	_, h := digestHash(diffID)
	return h != nil
}

// DigestError is a layer whose content does not match the digest its
// image claims for it.
type DigestError struct {
	What    string
	Claimed string
	Actual  string
}

func (e *DigestError) Error() string {
	return fmt.Sprintf("%s %s does not match its digest (the content read is %s): the image is corrupt or was tampered with", e.What, e.Claimed, e.Actual)
}

// Write hands p to the hasher (copied: the caller reuses its buffer).
func (c *digestCheck) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		buf := *c.pending
		k := copy(buf[len(buf):cap(buf)], p)
		*c.pending, p = buf[:len(buf)+k], p[k:]
		if len(*c.pending) == cap(*c.pending) {
			c.work <- c.pending
			c.pending = <-c.free
		}
	}
	return n, nil
}

// finish stops the hasher and keeps its sum; later calls do nothing. Every
// check must be finished, on every path, so that its goroutine ends.
func (c *digestCheck) finish() {
	if c == nil || c.work == nil {
		return
	}
	c.work <- c.pending
	close(c.work)
	c.actual = c.algo + ":" + hex.EncodeToString(<-c.sum)
	for range hashChunks {
		hashChunkPool.Put(<-c.free)
	}
	c.work, c.pending = nil, nil
}

// verify compares what was hashed with the claim.
func (c *digestCheck) verify() error {
	if c == nil {
		return nil
	}
	c.finish()
	if c.actual != c.claimed {
		return &DigestError{What: c.what, Claimed: c.claimed, Actual: c.actual}
	}
	return nil
}
