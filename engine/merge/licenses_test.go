package merge

import (
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
)

func licenseFile(typ, path string, names ...string) types.LicenseFile {
	f := types.LicenseFile{Type: typ, FilePath: path}
	for _, n := range names {
		f.Findings = append(f.Findings, types.LicenseFinding{Name: n, Confidence: 1})
	}
	return f
}

// TestLicenseFilesOfTheFinalFilesystem: a licence file a later layer
// deletes (a whiteout of it or of a directory above it, an opaque
// directory) is gone; one it replaces is the later layer's, and is gone
// when the replacement has no licence; every file names its layer; the
// list is sorted by path.
func TestLicenseFilesOfTheFinalFilesystem(t *testing.T) {
	layers := []*types.LayerResult{
		{DiffID: "sha256:a", Digest: "sha256:ga", Licenses: []types.LicenseFile{
			licenseFile(types.LicenseTypeFile, "opt/mit/LICENSE", "MIT"),
			licenseFile(types.LicenseTypeFile, "opt/gone/LICENSE", "GPL-3.0"),
			licenseFile(types.LicenseTypeFile, "opt/dir/sub/COPYING", "GPL-2.0"),
			licenseFile(types.LicenseTypeFile, "opt/opaque/LICENSE", "BSD-3-Clause"),
			licenseFile(types.LicenseTypeFile, "opt/replaced/LICENSE", "MIT"),
			licenseFile(types.LicenseTypeFile, "opt/emptied/LICENSE", "Apache-2.0"),
			licenseFile(types.LicenseTypeHeader, "app/node_modules/x/index.js", "MIT"),
		}},
		{DiffID: "sha256:b", Digest: "sha256:gb",
			WhiteoutFiles: []string{"opt/gone/LICENSE", "opt/dir"},
			OpaqueDirs:    []string{"opt/opaque"},
			Licenses: []types.LicenseFile{
				licenseFile(types.LicenseTypeFile, "opt/replaced/LICENSE", "Apache-2.0"),
				// Classified, nothing found: it hides the Apache-2.0 below.
				licenseFile(types.LicenseTypeFile, "opt/emptied/LICENSE"),
				{Type: types.LicenseTypeDpkg, FilePath: "usr/share/doc/zlib1g/copyright", PkgName: "zlib1g",
					Findings: []types.LicenseFinding{{Name: "Zlib", Confidence: 0.98}}},
			}},
	}
	art := Layers(layers)
	a := types.LayerRef{Digest: "sha256:ga", DiffID: "sha256:a"}
	b := types.LayerRef{Digest: "sha256:gb", DiffID: "sha256:b"}
	want := []struct {
		path, name string
		layer      types.LayerRef
	}{
		{"app/node_modules/x/index.js", "MIT", a},
		{"opt/mit/LICENSE", "MIT", a},
		{"opt/replaced/LICENSE", "Apache-2.0", b},
		{"usr/share/doc/zlib1g/copyright", "Zlib", b},
	}
	if len(art.Licenses) != len(want) {
		t.Fatalf("got %d files, want %d: %+v", len(art.Licenses), len(want), art.Licenses)
	}
	for i, w := range want {
		got := art.Licenses[i]
		if got.FilePath != w.path || len(got.Findings) != 1 || got.Findings[0].Name != w.name || got.Layer != w.layer {
			t.Errorf("file %d: got %+v, want %s %s in %v", i, got, w.path, w.name, w.layer)
		}
	}
	if art.Licenses[3].PkgName != "zlib1g" || art.Licenses[3].Type != types.LicenseTypeDpkg {
		t.Errorf("copyright file: %+v", art.Licenses[3])
	}
	// The layer results themselves are not changed (they may be cached).
	if layers[0].Licenses[0].Layer != (types.LayerRef{}) {
		t.Error("merge wrote into a layer result")
	}
}
