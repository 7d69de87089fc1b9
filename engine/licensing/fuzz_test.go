package licensing

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func seedNames(f *testing.F) {
	for _, tc := range normalizeCases {
		f.Add(tc.in)
	}
	for _, s := range []string{
		"(((MIT", "MIT) OR (", "WITH WITH", "A OR B AND C WITH D", "GPL-2+-with-x-exception",
		"Apache License, Version 2.0 or later (ASL)", "a, b or c and d_or_e",
		strings.Repeat("(", 40) + "MIT" + strings.Repeat(")", 40), "GPL-2.0-or-later WITH",
		"\xff\xfe", "ǅ with İ exception",
	} {
		f.Add(s)
	}
}

// timed fails when one call takes far longer than a licence name should.
func timed(t *testing.T, what string, fn func()) {
	start := time.Now()
	fn()
	if d := time.Since(start); d > time.Second {
		t.Errorf("%s took %v", what, d)
	}
}

func FuzzNormalize(f *testing.F) {
	seedNames(f)
	f.Fuzz(func(t *testing.T, name string) {
		var once, twice string
		timed(t, "Normalize", func() { once = Normalize(name) })
		twice = Normalize(once)
		if once != twice {
			t.Errorf("Normalize(%q) = %q, then %q", name, once, twice)
		}
		if utf8.ValidString(name) && !utf8.ValidString(once) {
			t.Errorf("Normalize(%q) = %q: not UTF-8", name, once)
		}
	})
}

func FuzzSplit(f *testing.F) {
	seedNames(f)
	f.Fuzz(func(t *testing.T, field string) {
		timed(t, "Split", func() {
			for _, p := range Split(field) {
				if p == "" {
					t.Errorf("Split(%q): an empty piece", field)
				}
			}
		})
		timed(t, "SplitLax", func() {
			if n := len(SplitLax(field)); n > maxFieldPieces {
				t.Errorf("SplitLax(%q): %d pieces", field, n)
			}
		})
		_ = CustomName(field)
	})
}

func FuzzClassify(f *testing.F) {
	seedNames(f)
	c := NewClassifier(map[string][]string{"notice": {"text://(?i)permission"}})
	f.Fuzz(func(t *testing.T, license string) {
		timed(t, "Classify", func() {
			cat, sev := c.Classify(license)
			if rank(cat) == 0 && cat != "unknown" || sev != Severity(cat) {
				t.Errorf("Classify(%q) = %q %q", license, cat, sev)
			}
			c.Classify(TextPrefix + license)
		})
	})
}
