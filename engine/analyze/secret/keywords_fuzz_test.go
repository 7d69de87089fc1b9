package secret

import (
	"slices"
	"testing"
)

// FuzzKeywordSkip: for any content, the skipping scan reports the hits of
// the plain automaton, in the same order.
func FuzzKeywordSkip(f *testing.F) {
	m := newKeywordMatcher(builtinKeywords())
	for _, s := range []string{"password=x", "xxsk_live_ghp_AKIAsk", "session segment machine", "q~sk-us\nkey-"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, content []byte) {
		if got, want := hitsOf(m.scan, content), hitsOf(m.scanAll, content); !slices.Equal(got, want) {
			t.Fatalf("%q: skipping scan %v, plain scan %v", content, got, want)
		}
	})
}
