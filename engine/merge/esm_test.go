package merge

import (
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
)

// Ubuntu Pro images with ESM enabled are reported (and matched) as
// "22.04-ESM"; deleting the status file, or an image of another family
// that carries one, leaves the version alone.
func TestUbuntuESMVersion(t *testing.T) {
	base := layer("sha256:1")
	base.OSReleases = []types.OSRelease{{FilePath: "etc/os-release", Family: "ubuntu", Name: "22.04"}, {FilePath: "etc/debian_version", Family: "debian", Name: "bookworm/sid"}}
	pro := layer("sha256:2")
	pro.OSReleases = []types.OSRelease{{FilePath: "var/lib/ubuntu-advantage/status.json", Family: "ubuntu"}}
	if got := Layers([]*types.LayerResult{base, pro}).OS; got != (types.OS{Family: "ubuntu", Name: "22.04-ESM"}) {
		t.Errorf("ESM enabled: %+v", got)
	}
	if got := Layers([]*types.LayerResult{base}).OS; got != (types.OS{Family: "ubuntu", Name: "22.04"}) {
		t.Errorf("no ESM: %+v", got)
	}
	off := layer("sha256:3")
	off.WhiteoutFiles = []string{"var/lib/ubuntu-advantage"}
	if got := Layers([]*types.LayerResult{base, pro, off}).OS; got.Name != "22.04" {
		t.Errorf("status file deleted: %+v", got)
	}
	deb := layer("sha256:4")
	deb.OSReleases = []types.OSRelease{{FilePath: "etc/debian_version", Family: "debian", Name: "12.7"}}
	if got := Layers([]*types.LayerResult{deb, pro}).OS; got != (types.OS{Family: "debian", Name: "12.7"}) {
		t.Errorf("debian with a stray ubuntu status file: %+v", got)
	}
}
