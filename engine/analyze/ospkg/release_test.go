package ospkg

import (
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
)

func TestRelease(t *testing.T) {
	tests := []struct {
		path, content string
		want          types.OSRelease
	}{
		{"etc/alpine-release", "3.14.10\n", types.OSRelease{FilePath: "etc/alpine-release", Family: "alpine", Name: "3.14.10"}},
		{"etc/debian_version", "12.7\n", types.OSRelease{FilePath: "etc/debian_version", Family: "debian", Name: "12.7"}},
		{EtcLSBRelease, "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\nDISTRIB_CODENAME=jammy\n", types.OSRelease{FilePath: EtcLSBRelease, Family: "ubuntu", Name: "22.04"}},
		{UsrOSRelease, "NAME=\"Red Hat Enterprise Linux\"\nID=\"rhel\"\nVERSION_ID='9.4'\n", types.OSRelease{FilePath: UsrOSRelease, Family: "redhat", Name: "9.4"}},
		{EtcOSRelease, "# comment\nID=wolfi\nVERSION_ID=20230201\n", types.OSRelease{FilePath: EtcOSRelease, Family: "wolfi", Name: "20230201"}},
	}
	for _, tt := range tests {
		res := &types.LayerResult{}
		if !(Release{}).Wants(tt.path, int64(len(tt.content))) {
			t.Fatalf("%s not wanted", tt.path)
		}
		if err := (Release{}).Analyze(tt.path, []byte(tt.content), res); err != nil {
			t.Fatal(err)
		}
		if len(res.OSReleases) != 1 || res.OSReleases[0] != tt.want {
			t.Errorf("%s: got %+v, want %+v", tt.path, res.OSReleases, tt.want)
		}
	}
	res := &types.LayerResult{}
	if err := (Release{}).Analyze(EtcOSRelease, []byte("NAME=nothing useful\n"), res); err != nil || len(res.OSReleases) != 0 {
		t.Errorf("os-release without ID: %+v, %v", res.OSReleases, err)
	}
}
