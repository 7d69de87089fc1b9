package merge

import (
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
)

// A third-party OS package (NodeSource's nodejs, classed so by the dpkg
// analyzer) gets no files from its .list, as in Trivy: the npm packages
// it installs under usr/lib/node_modules stay in the report; the files of
// the distribution's packages still hide what they own.
func TestThirdPartyOwnsNothing(t *testing.T) {
	l := layer("sha256:1")
	l.OSReleases = []types.OSRelease{{FilePath: "etc/debian_version", Family: "debian", Name: "12.7"}}
	nodejs := pkg("nodejs", "20.11.1-1nodesource1")
	nodejs.Repository.Class = types.RepositoryClassThirdParty
	yaml := pkg("python3-yaml", "6.0-3+b2")
	yaml.Repository.Class = types.RepositoryClassOfficial
	l.PackageDBs = []types.PackageDB{
		{FilePath: "var/lib/dpkg/status", Type: "dpkg", Packages: []types.Package{nodejs, yaml}},
		{FilePath: "usr/lib/node_modules/npm/package.json", Type: "node-pkg", Packages: []types.Package{{Name: "npm", Version: "10.2.4"}}},
		{FilePath: "usr/lib/python3/dist-packages/PyYAML-6.0.egg-info/PKG-INFO", Type: "python-pkg", Packages: []types.Package{{Name: "PyYAML", Version: "6.0"}}},
	}
	l.PackageFacts = []types.PackageFacts{
		{FilePath: "var/lib/dpkg/info/nodejs.list", Type: "dpkg", Package: "nodejs",
			InstalledFiles: []string{"usr/bin/node", "usr/lib/node_modules/npm/package.json"}},
		{FilePath: "var/lib/dpkg/info/python3-yaml.list", Type: "dpkg", Package: "python3-yaml",
			InstalledFiles: []string{"usr/lib/python3/dist-packages/PyYAML-6.0.egg-info/PKG-INFO"}},
	}
	art := Layers([]*types.LayerResult{l})
	kinds := map[string]bool{}
	for _, db := range art.PackageDBs {
		kinds[db.Type] = true
		for _, p := range db.Packages {
			if p.Name == "nodejs" && len(p.InstalledFiles) > 0 {
				t.Errorf("third-party nodejs lists files %q", p.InstalledFiles)
			}
			if p.Name == "python3-yaml" && len(p.InstalledFiles) != 1 {
				t.Errorf("python3-yaml lists files %q", p.InstalledFiles)
			}
		}
	}
	if !kinds["node-pkg"] || kinds["python-pkg"] {
		t.Errorf("package DBs kept: %v; want node-pkg (third-party owner) and not python-pkg", kinds)
	}
}
