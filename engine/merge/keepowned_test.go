package merge

import (
	"slices"
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
)

// With KeepOSOwned (comprehensive detection), a language package that an
// OS package installed stays, beside the OS package.
func TestLayersWithKeepOSOwned(t *testing.T) {
	l := layer("sha256:1")
	l.OSReleases = []types.OSRelease{{FilePath: "etc/debian_version", Family: "debian", Name: "12.7"}}
	l.PackageDBs = []types.PackageDB{
		{FilePath: "var/lib/dpkg/status", Type: "dpkg", Packages: []types.Package{pkg("python3-yaml", "6.0-3+b2")}},
		{FilePath: "usr/lib/python3/dist-packages/PyYAML-6.0.egg-info/PKG-INFO", Type: "python-pkg", Packages: []types.Package{{Name: "PyYAML", Version: "6.0"}}},
	}
	l.PackageFacts = []types.PackageFacts{{FilePath: "var/lib/dpkg/info/python3-yaml.list", Type: "dpkg", Package: "python3-yaml",
		InstalledFiles: []string{"usr/lib/python3/dist-packages/PyYAML-6.0.egg-info/PKG-INFO"}}}
	names := func(art types.Artifact) []string {
		var out []string
		for _, db := range art.PackageDBs {
			for _, p := range db.Packages {
				out = append(out, p.Name)
			}
		}
		slices.Sort(out)
		return out
	}
	if got := names(LayersWith([]*types.LayerResult{l}, Options{KeepOSOwned: true})); !slices.Equal(got, []string{"PyYAML", "python3-yaml"}) {
		t.Errorf("kept: %q", got)
	}
	if got := names(Layers([]*types.LayerResult{l})); !slices.Equal(got, []string{"python3-yaml"}) {
		t.Errorf("default: %q", got)
	}
}
