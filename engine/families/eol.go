package families

import (
	_ "embed"
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"
)

// eol.yaml is data a new release of the DB can refresh, not code.
//
//go:embed eol.yaml
var eolYAML []byte

// eolDates maps family -> release -> end of support.
var eolDates = mustParseEOL(eolYAML)

func mustParseEOL(raw []byte) map[string]map[string]time.Time {
	dates, err := parseEOL(raw)
	if err != nil {
		panic(fmt.Sprintf("embedded eol.yaml: %v", err))
	}
	return dates
}

func parseEOL(raw []byte) (map[string]map[string]time.Time, error) {
	var doc map[string]map[string]string
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	out := map[string]map[string]time.Time{}
	for family, releases := range doc {
		out[family] = map[string]time.Time{}
		for release, date := range releases {
			t, err := time.Parse(time.DateOnly, date)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", family, release, err)
			}
			out[family][release] = t
		}
	}
	return out, nil
}
