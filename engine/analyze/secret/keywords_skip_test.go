package secret

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// builtinKeywords are the distinct keywords of the built-in rules.
func builtinKeywords() []string {
	var words []string
	seen := map[string]bool{}
	for _, d := range builtinRules {
		for _, k := range d.keywords {
			if k = strings.ToLower(k); !seen[k] {
				seen[k] = true
				words = append(words, k)
			}
		}
	}
	return words
}

// hitsOf lists the hits of scan, in the order reported.
func hitsOf(scan func([]byte, func(int32, int)), content []byte) []string {
	var out []string
	scan(content, func(w int32, end int) { out = append(out, fmt.Sprintf("%d@%d", w, end)) })
	return out
}

// The skipping scan reports exactly the hits of the plain automaton, in
// the same order: on random text over the keywords' own bytes (keyword
// prefixes next to each other, overlapping keywords, cuts at every
// length), on the keywords themselves in both cases, and on real files.
func TestKeywordSkipSameAsPlainScan(t *testing.T) {
	for _, words := range [][]string{
		builtinKeywords(),
		{"he", "she", "his", "hers", "ghp_", "akia", "aa", "sk", "key-", "-us", "ab", "abc", "bcd", "cdab"},
	} {
		m := newKeywordMatcher(words)
		if m.starts == nil {
			t.Fatal("no skip table for keywords of two bytes or more")
		}
		var alphabet []byte
		for _, w := range words {
			alphabet = append(alphabet, w...)
			alphabet = append(alphabet, strings.ToUpper(w)...)
		}
		alphabet = append(alphabet, " \n\x00\xff"...)
		rng := rand.New(rand.NewPCG(18, 1))
		check := func(content []byte) {
			t.Helper()
			got, want := hitsOf(m.scan, content), hitsOf(m.scanAll, content)
			if !slices.Equal(got, want) {
				t.Fatalf("%q: skipping scan %v, plain scan %v", content, got, want)
			}
		}
		for range 3000 {
			b := make([]byte, rng.IntN(80))
			for i := range b {
				b[i] = alphabet[rng.IntN(len(alphabet))]
			}
			check(b)
			// Whole keywords glued together and with random bytes.
			var s []byte
			for range rng.IntN(8) {
				w := words[rng.IntN(len(words))]
				if rng.IntN(2) == 0 {
					w = strings.ToUpper(w)
				}
				s = append(s, w[:1+rng.IntN(len(w))]...)
				if rng.IntN(3) == 0 {
					s = append(s, alphabet[rng.IntN(len(alphabet))])
				}
			}
			for cut := 0; cut <= len(s); cut++ {
				check(s[:cut])
				check(s[cut:])
			}
		}
	}
	// Real text: this package's own sources and rule table.
	m := newKeywordMatcher(builtinKeywords())
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := hitsOf(m.scan, b), hitsOf(m.scanAll, b); !slices.Equal(got, want) {
			t.Fatalf("%s: skipping scan found %d hits, plain scan %d", f, len(got), len(want))
		}
	}
}

// A keyword of one byte turns skipping off; the hits stay right.
func TestKeywordOneByteNoSkip(t *testing.T) {
	m := newKeywordMatcher([]string{"ab", "x"})
	if m.starts != nil {
		t.Fatal("skip table with a keyword of one byte")
	}
	if got := hitsOf(m.scan, []byte("xabX")); !slices.Equal(got, []string{"1@1", "0@3", "1@4"}) {
		t.Fatalf("hits %v", got)
	}
}
