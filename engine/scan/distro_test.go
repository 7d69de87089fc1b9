package scan

import (
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
)

func TestParseDistro(t *testing.T) {
	good := map[string]types.OS{
		"alpine/3.20":  {Family: "alpine", Name: "3.20"},
		"alpine/edge":  {Family: "alpine", Name: "edge"},
		"debian/12":    {Family: "debian", Name: "12"},
		"ubuntu/22.04": {Family: "ubuntu", Name: "22.04"},
	}
	for in, want := range good {
		if got, err := ParseDistro(in); err != nil || got != want {
			t.Errorf("%s: %+v, %v", in, got, err)
		}
	}
	bad := map[string]string{
		"":                   "want FAMILY/VERSION",
		"alpine":             "want FAMILY/VERSION",
		"alpine/":            "want FAMILY/VERSION",
		"/3.20":              "want FAMILY/VERSION",
		"plan9/4":            "unknown OS family \"plan9\" in \"plan9/4\" (choose from alma, alpine, amazon,",
		"Alpine/3.20":        "unknown OS family",
		"alpine/3.20/x":      "bad version",
		"debian/12 bookworm": "bad version",
		"debian/-1":          "bad version",
	}
	for in, want := range bad {
		if _, err := ParseDistro(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
}

func TestUseDistro(t *testing.T) {
	art := types.Artifact{OS: types.OS{Family: "alpine", Name: "3.20.3"}, Repository: &types.Repository{Family: "alpine", Release: "3.20"}}
	useDistro(&art, types.OS{})
	if art.OS.Name != "3.20.3" || art.Repository == nil {
		t.Errorf("no distro changed the artifact: %+v", art)
	}
	useDistro(&art, types.OS{Family: "alpine", Name: "3.14"})
	if art.OS != (types.OS{Family: "alpine", Name: "3.14"}) || art.Repository != nil {
		t.Errorf("distro not used: %+v", art)
	}
}
