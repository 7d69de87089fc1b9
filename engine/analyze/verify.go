package analyze

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
)

// A layer's result is cached under its diffID, so a diffID that was not
// checked against the bytes read would let one image (a decoy claiming a
// vulnerable layer's diffID) decide what every later scan of another
// image reports. Layer therefore hashes what it reads and fails on a
// mismatch; only results of verified layers may be cached.

// digestCheck hashes bytes as they are read and compares the sum with a
// claimed digest.
type digestCheck struct {
	what    string // "layer" or "layer blob", for the message
	claimed string
	algo    string
	hash.Hash
	// off is set when another check covers the same bytes and claim.
	off bool
}

// newDigestCheck returns a check for a digest in a form it can verify
// (sha256:<64 hex> or sha512:<128 hex>), or nil for an empty, malformed or
// unknown one: there is nothing to compare with.
func newDigestCheck(what, digest string) *digestCheck {
	algo, hexSum, ok := strings.Cut(digest, ":")
	if !ok {
		return nil
	}
	var h hash.Hash
	switch algo {
	case "sha256":
		h = sha256.New()
	case "sha512":
		h = sha512.New()
	default:
		return nil
	}
	if len(hexSum) != 2*h.Size() || strings.ToLower(hexSum) != hexSum {
		return nil
	}
	if _, err := hex.DecodeString(hexSum); err != nil {
		return nil
	}
	return &digestCheck{what: what, claimed: digest, algo: algo, Hash: h}
}

// Verifiable tells whether Layer checks a diffID against the layer's
// content. Only such layers' results may be cached or shared under their
// diffID: any other claim is just a name the image chose.
func Verifiable(diffID string) bool {
	return newDigestCheck("", diffID) != nil
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

// Write hashes p unless the check was turned off.
func (c *digestCheck) Write(p []byte) (int, error) {
	if c.off {
		return len(p), nil
	}
	return c.Hash.Write(p)
}

// verify compares what was hashed with the claim.
func (c *digestCheck) verify() error {
	if c == nil || c.off {
		return nil
	}
	actual := c.algo + ":" + hex.EncodeToString(c.Sum(nil))
	if actual != c.claimed {
		return &DigestError{What: c.what, Claimed: c.claimed, Actual: actual}
	}
	return nil
}
