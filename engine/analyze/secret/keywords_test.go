package secret

import (
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
)

// naive finds keywords the slow way, for checking the automaton.
func naive(words []string, content string) []string {
	var out []string
	lc := strings.ToLower(content)
	for i := range lc {
		for _, w := range words {
			if strings.HasPrefix(lc[i:], w) {
				out = append(out, w+"@"+itoa(i+len(w)))
			}
		}
	}
	sort.Strings(out)
	return out
}

func itoa(i int) string {
	return strings.TrimSpace(strings.Repeat(" ", 0) + string(rune('0'+i%10)) + "/" + string(rune('a'+i/10%26)))
}

func TestKeywordMatcherAgainstNaive(t *testing.T) {
	words := []string{"he", "she", "his", "hers", "ghp_", "akia", "a", "aa", "sk", "key-", "-us"}
	m := newKeywordMatcher(words)
	rng := rand.New(rand.NewPCG(7, 7))
	alphabet := "aAhHsSeErRgGpP_kKiIyY-uU xz"
	for range 300 {
		var b strings.Builder
		for range rng.IntN(60) {
			b.WriteByte(alphabet[rng.IntN(len(alphabet))])
		}
		content := b.String()
		var got []string
		m.scan([]byte(content), func(w int32, end int) { got = append(got, words[w]+"@"+itoa(end)) })
		sort.Strings(got)
		if want := naive(words, content); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("%q: got %v, want %v", content, got, want)
		}
	}
}

func BenchmarkKeywordMatcher(b *testing.B) {
	var words []string
	seen := map[string]bool{}
	for _, d := range builtinRules {
		for _, k := range d.keywords {
			if !seen[k] {
				seen[k] = true
				words = append(words, k)
			}
		}
	}
	m := newKeywordMatcher(words)
	for name, line := range map[string]string{
		"prose":         "The quick brown fox jumps over the lazy dog, then rests by the river bank.\n",
		"keyword-dense": "The quick brown fox jumps over the lazy dog; task disk key-value http://example.org/ password rules.\n",
	} {
		text := []byte(strings.Repeat(line, 80000))
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				n := 0
				m.scan(text, func(int32, int) { n++ })
			}
		})
	}
}
