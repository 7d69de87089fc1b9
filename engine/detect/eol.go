package detect

import (
	_ "embed"
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"
)

//go:embed eol.yaml
var eolYAML []byte

// eolDates maps family -> release -> end of support.
var eolDates = mustParseEOL(eolYAML)

func mustParseEOL(raw []byte) map[string]map[string]time.Time {
	var doc map[string]map[string]string
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		panic(fmt.Sprintf("embedded eol.yaml: %v", err))
	}
	out := map[string]map[string]time.Time{}
	for family, releases := range doc {
		out[family] = map[string]time.Time{}
		for release, date := range releases {
			t, err := time.Parse(time.DateOnly, date)
			if err != nil {
				panic(fmt.Sprintf("embedded eol.yaml: %s %s: %v", family, release, err))
			}
			out[family][release] = t
		}
	}
	return out
}

// EndOfLife reports whether an OS version was past its end of support at
// now. Unknown releases are not reported as ended.
func EndOfLife(family, version string, now time.Time) bool {
	f, ok := Families[family]
	if !ok {
		return false
	}
	end, ok := eolDates[family][f.Release(version)]
	return ok && now.After(end)
}
