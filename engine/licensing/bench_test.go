package licensing

import (
	"fmt"
	"testing"
)

// benchNames is a mix of 1,000 names like those of a scanned image: the
// same few hundred spellings, some of them many times, and some unique.
func benchNames() []string {
	var names []string
	for i := 0; len(names) < 1000; i++ {
		tc := normalizeCases[i%len(normalizeCases)]
		names = append(names, tc.in)
		if i%10 == 0 {
			names = append(names, fmt.Sprintf("Custom Licence %d", i))
		}
	}
	return names[:1000]
}

func BenchmarkNormalize(b *testing.B) {
	names := benchNames()
	b.ReportAllocs()
	for b.Loop() {
		for _, n := range names {
			Normalize(n)
		}
	}
}

func BenchmarkNormalizeUncached(b *testing.B) {
	names := benchNames()
	b.ReportAllocs()
	for b.Loop() {
		for _, n := range names {
			normalize(n)
		}
	}
}

func BenchmarkClassify(b *testing.B) {
	names := benchNames()
	c := NewClassifier(nil)
	b.ReportAllocs()
	for b.Loop() {
		for _, n := range names {
			c.Classify(n)
		}
	}
}
