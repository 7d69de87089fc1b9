package license

import (
	"bytes"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
)

func testdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCorpusMentionsLicense checks the premise of the prefilter: every
// licence text and header the classifier knows has one of licenseWords,
// so that a text without them can be skipped without losing a match. The
// corpus is read from the library's module source, which the build of
// this test used.
func TestCorpusMentionsLicense(t *testing.T) {
	dir := corpusDir(t)
	n := 0
	for _, category := range []string{"License", "Header"} {
		err := filepath.WalkDir(filepath.Join(dir, category), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			n++
			if !mentionsLicense(b) {
				t.Errorf("%s has none of the licence words", p)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if n < 300 {
		t.Fatalf("only %d corpus texts read", n)
	}
}

// corpusDir is the assets directory of the classifier module the build
// uses, in the module cache.
func corpusDir(t *testing.T) string {
	const mod = "github.com/google/licenseclassifier/v2"
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", mod).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", mod, err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "assets")
}

func TestMentionsLicense(t *testing.T) {
	for text, want := range map[string]bool{
		"Licensed under the Apache License": true,
		"COPYRIGHT (C) 2020":                true,
		"released into the Public Domain":   true,
		"function add(a, b) { return a+b }": false,
		"":                                  false,
	} {
		if got := mentionsLicense([]byte(text)); got != want {
			t.Errorf("mentionsLicense(%q) = %v", text, got)
		}
	}
}

func TestOptions(t *testing.T) {
	for _, bad := range []float64{-0.5, 1.01, math.NaN(), math.Inf(1)} {
		if _, err := NewAnalyzer(Options{Threshold: bad}); err == nil {
			t.Errorf("threshold %v accepted", bad)
		}
	}
	def, err := NewAnalyzer(Options{})
	if err != nil || def.threshold != DefaultThreshold {
		t.Fatalf("default: %v %v", def, err)
	}
	strict, _ := NewAnalyzer(Options{Threshold: 1})
	same, _ := NewAnalyzer(Options{Threshold: 0.9})
	if def.Fingerprint() == strict.Fingerprint() || def.Fingerprint() != same.Fingerprint() {
		t.Errorf("fingerprints: default %q, 1: %q, 0.9: %q", def.Fingerprint(), strict.Fingerprint(), same.Fingerprint())
	}
}

func TestClassifyKnownTexts(t *testing.T) {
	for file, want := range map[string]string{
		"MIT.txt": "MIT", "Apache-2.0.txt": "Apache-2.0", "GPL-3.0.txt": "GPL-3.0", "BSD-3-Clause.txt": "BSD-3-Clause",
	} {
		got, err := Classify(testdata(t, file), DefaultThreshold)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Name != want || got[0].Confidence < DefaultThreshold || got[0].Link != "https://spdx.org/licenses/"+want+".html" {
			t.Errorf("%s: %+v", file, got)
		}
	}
	if got, err := Classify(testdata(t, "english.txt"), DefaultThreshold); err != nil || len(got) != 0 {
		t.Errorf("english: %+v %v", got, err)
	}
}

// TestThresholdFilters: a text that is MIT with a few words changed
// matches below 1; it is kept at 0.9 and dropped at 1.
func TestThresholdFilters(t *testing.T) {
	text := strings.Replace(string(testdata(t, "MIT.txt")), "free of charge, to any person", "for a small fee, to a person", 1)
	loose, _ := Classify([]byte(text), 0.9)
	strict, _ := Classify([]byte(text), 1)
	if len(loose) != 1 || loose[0].Name != "MIT" || loose[0].Confidence >= 1 || len(strict) != 0 {
		t.Errorf("at 0.9: %+v; at 1: %+v", loose, strict)
	}
}

// TestClassifyConcurrent: one classifier serves layers analysed in
// parallel, with the same results as alone. Run with -race: without the
// lock around Match it reports the library's writes (see loaded.mu).
func TestClassifyConcurrent(t *testing.T) {
	texts := [][]byte{testdata(t, "MIT.txt"), testdata(t, "BSD-3-Clause.txt"), testdata(t, "english.txt"), testdata(t, "Apache-2.0.txt")[:3000]}
	want := make([][]types.LicenseFinding, len(texts))
	for i, text := range texts {
		want[i], _ = Classify(text, DefaultThreshold)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i, text := range texts {
				got, err := Classify(text, DefaultThreshold)
				if err != nil || len(got) != len(want[i]) || (len(got) > 0 && got[0] != want[i][0]) {
					t.Errorf("text %d: %+v, alone %+v", i, got, want[i])
				}
			}
		})
	}
	wg.Wait()
}

func TestSPDXTags(t *testing.T) {
	text := []byte("#!/bin/sh\n# SPDX-License-Identifier: GPL-2.0-only\n" +
		"/* SPDX-License-Identifier: MIT OR Apache-2.0 */\r\n" +
		"// SPDX-License-Identifier: not a licence (at all\n" +
		"<!-- SPDX-License-Identifier: LicenseRef-Acme -->\n" +
		"// SPDX-License-Identifier:\n")
	got := spdxTags(text)
	want := []types.LicenseFinding{
		{Name: "GPL-2.0-only", Confidence: 1, Link: "https://spdx.org/licenses/GPL-2.0-only.html"},
		{Name: "MIT OR Apache-2.0", Confidence: 1},
		{Name: "LicenseRef-Acme", Confidence: 1},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("tag %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	many := bytes.Repeat([]byte("// SPDX-License-Identifier: MIT\n"), 1000)
	if n := len(spdxTags(many)); n != maxTags {
		t.Errorf("%d tags from 1000 lines", n)
	}
}

func TestCutAtLine(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"one two\nthree four\nfive", 15, "one two\n"},
		{"onelongwordwithoutbreaks", 8, "onelongw"},
	} {
		if got := string(cutAtLine([]byte(c.in), c.n)); got != c.want {
			t.Errorf("cutAtLine(%q, %d) = %q", c.in, c.n, got)
		}
	}
}

// TestLargeLicenseFileIsCut: a licence file over MaxTextSize is
// classified by its start, and the layer says so.
func TestLargeLicenseFileIsCut(t *testing.T) {
	a, _ := NewAnalyzer(Options{})
	filler := strings.Repeat("Third-party notices follow for the bundled components of this program.\n", MaxTextSize/70+100)
	content := append(testdata(t, "MIT.txt"), filler...)
	res := &types.LayerResult{DiffID: "sha256:l"}
	if err := a.Analyze("opt/big/LICENSE", content, res); err != nil {
		t.Fatal(err)
	}
	if len(res.Licenses) != 1 || len(res.Licenses[0].Findings) != 1 || res.Licenses[0].Findings[0].Name != "MIT" {
		t.Errorf("licenses: %+v", res.Licenses)
	}
	if len(res.Issues) != 1 || !strings.Contains(res.Issues[0].Reason, "only its first 255 KiB") {
		t.Errorf("issues: %+v", res.Issues)
	}
}

// TestLayerBudget: past MaxBytesPerLayer of text, a layer's files are not
// classified and the layer gets one issue; another layer has its own
// budget.
func TestLayerBudget(t *testing.T) {
	a, _ := NewAnalyzer(Options{})
	mit := testdata(t, "MIT.txt")
	res := &types.LayerResult{DiffID: "sha256:full"}
	other := &types.LayerResult{DiffID: "sha256:other"}
	// Most of the budget is taken directly, not through the classifier:
	// room is left for one more licence file, not two.
	for range MaxBytesPerLayer/len(mit) - 1 {
		a.budgets.take(res, len(mit))
	}
	for range 3 {
		if err := a.Analyze("p/LICENSE", mit, res); err != nil {
			t.Fatal(err)
		}
	}
	if len(res.Licenses) != 1 || len(res.Issues) != 1 || !strings.Contains(res.Issues[0].Reason, "32 MiB") {
		t.Errorf("licenses %d, issues %+v", len(res.Licenses), res.Issues)
	}
	if err := a.Analyze("p/LICENSE", mit, other); err != nil || len(other.Licenses) != 1 || len(other.Licenses[0].Findings) != 1 {
		t.Errorf("other layer: %+v %v", other, err)
	}
}
