package iox

import (
	"math"
	"testing"
)

func TestHumanSize(t *testing.T) {
	for n, want := range map[int64]string{
		0:             "0 B",
		1023:          "1023 B",
		1024:          "1.0 KiB",
		1638:          "1.6 KiB",
		8 << 20:       "8.0 MiB",
		830 << 20:     "830.0 MiB",
		1 << 30:       "1.0 GiB",
		3 << 40:       "3.0 TiB",
		math.MaxInt64: "8.0 EiB",
	} {
		if got := HumanSize(n); got != want {
			t.Errorf("HumanSize(%d) = %q, want %q", n, got, want)
		}
	}
}
