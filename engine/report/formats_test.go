package report

import (
	"slices"
	"testing"
)

// TestFormatsListed: the help's list and the writers' map name the same
// formats, and each has both writers.
func TestFormatsListed(t *testing.T) {
	var names []string
	for name, f := range formats {
		names = append(names, name)
		if f.image == nil || f.stack == nil {
			t.Errorf("format %s lacks a writer", name)
		}
	}
	slices.Sort(names)
	listed := slices.Sorted(slices.Values(Formats))
	if !slices.Equal(names, listed) {
		t.Errorf("formats map %v, Formats %v", names, listed)
	}
}
