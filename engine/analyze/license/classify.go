package license

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/github/go-spdx/v2/spdxexp/spdxlicenses"
	classifier "github.com/google/licenseclassifier/v2"
	"github.com/google/licenseclassifier/v2/assets"

	"github.com/docker-scan/docker-scan/engine/types"
)

// corpus is the classifier with the library's built-in licence texts.
// Building it tokenises and indexes about 430 texts (1.6 to 4.5 s of CPU
// here, and 65 MiB of heap that stays), so it is built on first use only:
// a scan without --license-full never pays for it.
var corpus = sync.OnceValues(func() (*loaded, error) {
	start := time.Now()
	c, err := assets.DefaultClassifier()
	if err != nil {
		return nil, fmt.Errorf("load the licence classifier: %w", err)
	}
	return &loaded{c: c, took: time.Since(start)}, nil
})

type loaded struct {
	// mu serialises Match: it is not safe for concurrent use. The diff it
	// computes against a corpus text appends to sub-slices of that text's
	// token array (go-diff's half-match), which writes to memory that
	// concurrent calls read; the concurrency test finds this under -race.
	mu   sync.Mutex
	c    *classifier.Classifier
	took time.Duration
}

// Load builds the classifier if it is not built yet and says how long
// building it took. Scans call it through the analyzer; a caller that
// knows --license-full is on may call it early, in the background, to
// overlap the load with pulling the image.
func Load() (time.Duration, error) {
	l, err := corpus()
	if err != nil {
		return 0, err
	}
	return l.took, nil
}

// kept are the kinds of match that name a licence. The classifier also
// reports copyright notices ("Copyright"), which name none; Trivy drops
// them too (it matches text from which they were removed).
var kept = map[string]bool{"License": true, "Header": true, "Supplement": true}

// Classify names the licences in text: one finding per licence, with the
// best confidence of its matches, for the matches of at least threshold;
// sorted by name, as Trivy sorts them.
func Classify(text []byte, threshold float64) ([]types.LicenseFinding, error) {
	l, err := corpus()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	matches := l.c.Match(text).Matches
	l.mu.Unlock()
	best := map[string]float64{}
	for _, m := range matches {
		if !kept[m.MatchType] || m.Confidence < threshold || m.Name == "" {
			continue
		}
		best[m.Name] = max(best[m.Name], m.Confidence)
	}
	out := make([]types.LicenseFinding, 0, len(best))
	for name, conf := range best {
		out = append(out, types.LicenseFinding{Name: name, Confidence: conf, Link: Link(name)})
	}
	slices.SortFunc(out, func(a, b types.LicenseFinding) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Link is the SPDX licence list's page of a licence ID (current or
// deprecated: the classifier names GPL-3.0, not GPL-3.0-only), or "" for
// a name the list does not have (LicenseRef-..., the classifier's own
// names such as Business-Source-License-1.1), where Trivy would link a
// page that does not exist.
func Link(id string) string {
	ok, canon := spdxlicenses.IsActiveLicense(id)
	if !ok {
		ok, canon = spdxlicenses.IsDeprecatedLicense(id)
	}
	if !ok {
		return ""
	}
	return "https://spdx.org/licenses/" + canon + ".html"
}
