package merge

import (
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
)

func rpmDB(names ...string) []types.PackageDB {
	var pkgs []types.Package
	for _, n := range names {
		p := pkg(n, "1.0")
		p.Release = "1.el8"
		pkgs = append(pkgs, p)
	}
	return []types.PackageDB{{FilePath: "var/lib/rpm/rpmdb.sqlite", Type: "rpm", Packages: pkgs}}
}

// Packages take the build info of the layer that introduced them, as
// Trivy gives it: an old UBI's base layer has none and shares the second
// layer's; a customer's layer on top shares the nearest Red Hat layer's.
func TestBuildInfoByLayer(t *testing.T) {
	ubi := &types.BuildInfo{ContentSets: []string{"rhel-8-for-x86_64-baseos-rpms", "rhel-8-for-x86_64-appstream-rpms"}, Nvr: "ubi8-container-8.6-754", Arch: "x86_64"}
	python := &types.BuildInfo{ContentSets: []string{"rhel-8-for-x86_64-appstream-rpms"}, Nvr: "python-39-container-1-100", Arch: "x86_64"}
	l0 := layer("sha256:0")
	l0.PackageDBs = rpmDB("bash", "glibc")
	l1 := layer("sha256:1")
	l1.BuildInfo = ubi
	l1.PackageDBs = rpmDB("bash", "glibc", "tzdata")
	l2 := layer("sha256:2")
	l2.PackageDBs = rpmDB("bash", "glibc", "tzdata", "vim-minimal")
	l3 := layer("sha256:3")
	l3.BuildInfo = python
	l3.PackageDBs = rpmDB("bash", "glibc", "tzdata", "vim-minimal", "python39")
	l3.PackageDBs = append(l3.PackageDBs, types.PackageDB{FilePath: "usr/lib/python3.9/site-packages/pip.dist-info/METADATA", Type: "python-pkg", Packages: []types.Package{pkg("pip", "20.2.4")}})

	art := Layers([]*types.LayerResult{l0, l1, l2, l3})
	want := map[string]*types.BuildInfo{"bash": ubi, "glibc": ubi, "tzdata": ubi, "vim-minimal": ubi, "python39": python, "pip": nil}
	n := 0
	for _, db := range art.PackageDBs {
		for _, p := range db.Packages {
			n++
			if w, ok := want[p.Name]; !ok || p.BuildInfo != w {
				t.Errorf("%s (layer %s): build info %+v, want %+v", p.Name, p.Layer.DiffID, p.BuildInfo, w)
			}
		}
	}
	if n != len(want) {
		t.Errorf("%d packages, want %d", n, len(want))
	}

	// Without build info anywhere, packages have none.
	plain := layer("sha256:9")
	plain.PackageDBs = rpmDB("bash")
	if p := Layers([]*types.LayerResult{plain}).PackageDBs[0].Packages[0]; p.BuildInfo != nil {
		t.Errorf("build info %+v from nowhere", p.BuildInfo)
	}
}
