package merge

import (
	"slices"
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
)

func pkg(name, version string) types.Package {
	return types.Package{ID: name + "@" + version, Name: name, Version: version, SrcName: name, SrcVersion: version, Arch: "x86_64"}
}

func layer(diffID string) *types.LayerResult {
	return &types.LayerResult{DiffID: diffID, Digest: "sha256:d" + diffID[len("sha256:"):]}
}

func TestLayersWhiteoutsAndAttribution(t *testing.T) {
	l1 := layer("sha256:1")
	l1.OSReleases = []types.OSRelease{{FilePath: "etc/alpine-release", Family: "alpine", Name: "3.19.1"}}
	l1.PackageDBs = []types.PackageDB{{FilePath: "lib/apk/db/installed", Type: "apk", Packages: []types.Package{pkg("musl", "1.2.4-r2"), pkg("busybox", "1.36.1-r15"), pkg("zlib", "1.3.1-r0")}}}

	// apk upgrade busybox, del zlib, add curl: the whole database is rewritten.
	l2 := layer("sha256:2")
	l2.PackageDBs = []types.PackageDB{{FilePath: "lib/apk/db/installed", Type: "apk", Packages: []types.Package{pkg("musl", "1.2.4-r2"), pkg("busybox", "1.36.1-r16"), pkg("curl", "8.5.0-r0")}}}

	art := Layers([]*types.LayerResult{l1, l2})
	if art.OS != (types.OS{Family: "alpine", Name: "3.19.1"}) {
		t.Errorf("os = %+v", art.OS)
	}
	got := map[string]string{}
	for _, p := range art.PackageDBs[0].Packages {
		got[p.ID] = p.Layer.DiffID
	}
	want := map[string]string{"musl@1.2.4-r2": "sha256:1", "busybox@1.36.1-r16": "sha256:2", "curl@8.5.0-r0": "sha256:2"}
	if len(got) != len(want) {
		t.Fatalf("packages %v, want %v", got, want)
	}
	for id, l := range want {
		if got[id] != l {
			t.Errorf("%s from layer %q, want %q", id, got[id], l)
		}
	}
	if p := art.PackageDBs[0].Packages[0]; p.Identifier.PURL != "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=3.19.1" {
		t.Errorf("purl = %s", p.Identifier.PURL)
	}
}

// An OS package is attributed to the first layer that listed it, in any
// database of its manager, as Trivy attributes them: a database deleted and
// re-created with the same package, or converted to another format at
// another path, does not re-introduce it.
func TestLayersOSPackageKeepsFirstLayer(t *testing.T) {
	l1 := layer("sha256:1")
	l1.PackageDBs = []types.PackageDB{{FilePath: "var/lib/dpkg/status", Type: "dpkg", Packages: []types.Package{pkg("bash", "5.2-1")}}}
	l2 := layer("sha256:2")
	l2.WhiteoutFiles = []string{"var/lib/dpkg"} // rm -rf /var/lib/dpkg
	l3 := layer("sha256:3")
	l3.PackageDBs = l1.PackageDBs
	art := Layers([]*types.LayerResult{l1, l2, l3})
	if len(art.PackageDBs) != 1 || art.PackageDBs[0].Packages[0].Layer.DiffID != "sha256:1" {
		t.Fatalf("a database deleted and re-created with the same package must keep its first layer: %+v", art.PackageDBs)
	}
	// rpm's Packages converted to rpmdb.sqlite in layer 2, with one
	// package updated.
	r1 := layer("sha256:1")
	r1.PackageDBs = []types.PackageDB{{FilePath: "var/lib/rpm/Packages", Type: "rpm", Packages: []types.Package{
		{Name: "bash", Version: "4.4.20", Release: "1.el8_4"}, {Name: "openssl-libs", Epoch: 1, Version: "1.1.1k", Release: "7.el8_6"}}}}
	r2 := layer("sha256:2")
	r2.WhiteoutFiles = []string{"var/lib/rpm/Packages"}
	r2.PackageDBs = []types.PackageDB{{FilePath: "var/lib/rpm/rpmdb.sqlite", Type: "rpm", Packages: []types.Package{
		{Name: "bash", Version: "4.4.20", Release: "1.el8_4"}, {Name: "openssl-libs", Epoch: 1, Version: "1.1.1k", Release: "12.el8_9"}}}}
	art = Layers([]*types.LayerResult{r1, r2})
	if len(art.PackageDBs) != 1 || len(art.PackageDBs[0].Packages) != 2 {
		t.Fatalf("converted rpm database: %+v", art.PackageDBs)
	}
	for _, p := range art.PackageDBs[0].Packages {
		want := map[string]string{"bash": "sha256:1", "openssl-libs": "sha256:2"}[p.Name]
		if p.Layer.DiffID != want {
			t.Errorf("%s %s from layer %s, want %s", p.Name, p.FullVersion(), p.Layer.DiffID, want)
		}
	}
	art = Layers([]*types.LayerResult{l1, l2})
	if len(art.PackageDBs) != 0 {
		t.Fatalf("whiteout of the directory left %+v", art.PackageDBs)
	}
	if art.OS.Detected() {
		t.Errorf("os = %+v, want none", art.OS)
	}
}

func TestLayersOpaqueDir(t *testing.T) {
	l1 := layer("sha256:1")
	l1.PackageDBs = []types.PackageDB{
		{FilePath: "var/lib/dpkg/status.d/base-files", Type: "dpkg", Packages: []types.Package{pkg("base-files", "12.4")}},
		{FilePath: "var/lib/dpkg/status.d/tzdata", Type: "dpkg", Packages: []types.Package{pkg("tzdata", "2024a")}},
	}
	l1.PackageFacts = []types.PackageFacts{{FilePath: "usr/share/doc/base-files/copyright", Type: "dpkg", Package: "base-files", Licenses: []string{"GPL"}}}
	l2 := layer("sha256:2")
	l2.OpaqueDirs = []string{"var/lib/dpkg/status.d"}
	l2.PackageDBs = []types.PackageDB{{FilePath: "var/lib/dpkg/status.d/netbase", Type: "dpkg", Packages: []types.Package{pkg("netbase", "6.4")}}}
	l2.PackageFacts = []types.PackageFacts{{FilePath: "var/lib/dpkg/info/netbase.list", Type: "dpkg", Package: "netbase", InstalledFiles: []string{"etc/services"}}}

	art := Layers([]*types.LayerResult{l1, l2})
	var names []string
	for _, db := range art.PackageDBs {
		for _, p := range db.Packages {
			names = append(names, p.Name)
			if !slices.Equal(p.InstalledFiles, []string{"etc/services"}) {
				t.Errorf("%s files = %q", p.Name, p.InstalledFiles)
			}
		}
	}
	if !slices.Equal(names, []string{"netbase"}) {
		t.Errorf("packages = %q, want netbase only", names)
	}
	// No release file, but dpkg's status.d: a distroless Debian.
	if art.OS.Family != "debian" {
		t.Errorf("os = %+v", art.OS)
	}
}

func TestChooseOS(t *testing.T) {
	rel := func(p, f, n string) types.OSRelease { return types.OSRelease{FilePath: p, Family: f, Name: n} }
	tests := []struct {
		name string
		in   []types.OSRelease
		want types.OS
	}{
		{"alpine file beats os-release", []types.OSRelease{rel("etc/os-release", "alpine", "3.20.3"), rel("etc/alpine-release", "alpine", "3.20.3")}, types.OS{Family: "alpine", Name: "3.20.3"}},
		{"debian_version is more precise", []types.OSRelease{rel("etc/os-release", "debian", "12"), rel("etc/debian_version", "debian", "12.7")}, types.OS{Family: "debian", Name: "12.7"}},
		{"ubuntu carries debian_version", []types.OSRelease{rel("etc/debian_version", "debian", "bookworm/sid"), rel("etc/os-release", "ubuntu", "24.04"), rel("etc/lsb-release", "ubuntu", "24.04")}, types.OS{Family: "ubuntu", Name: "24.04"}},
		{"generic os-release", []types.OSRelease{rel("usr/lib/os-release", "redhat", "9.4")}, types.OS{Family: "redhat", Name: "9.4"}},
	}
	for _, tt := range tests {
		m := map[string]types.OSRelease{}
		for _, r := range tt.in {
			m[r.FilePath] = r
		}
		if got := chooseOS(m, nil); got != tt.want {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestDebianPURL(t *testing.T) {
	// dpkg's 1:4.13+dfsg1-1+b1 as the analyzer splits it.
	p := types.Package{ID: "passwd@1:4.13+dfsg1-1+b1", Name: "passwd", Version: "4.13+dfsg1", Release: "1+b1", Epoch: 1, Arch: "amd64"}
	dbs := []types.PackageDB{{Type: "dpkg", FilePath: "var/lib/dpkg/status", Packages: []types.Package{p}}}
	setIdentifiers(dbs, types.OS{Family: "debian", Name: "12.7"})
	got := dbs[0].Packages[0].Identifier.PURL
	want := "pkg:deb/debian/passwd@4.13%2Bdfsg1-1%2Bb1?arch=amd64&distro=debian-12.7&epoch=1"
	if got != want {
		t.Errorf("purl = %s, want %s", got, want)
	}
}

func TestLanguagePackagesOwnedByDpkgAreDropped(t *testing.T) {
	l := layer("sha256:1")
	l.OSReleases = []types.OSRelease{{FilePath: "etc/debian_version", Family: "debian", Name: "12.7"}}
	l.PackageDBs = []types.PackageDB{
		{FilePath: "var/lib/dpkg/status", Type: "dpkg", Packages: []types.Package{pkg("python3-yaml", "6.0-3+b2")}},
		{FilePath: "usr/lib/python3/dist-packages/PyYAML-6.0.egg-info/PKG-INFO", Type: "python-pkg", Packages: []types.Package{{Name: "PyYAML", Version: "6.0"}}},
		{FilePath: "usr/local/lib/python3.11/site-packages/urllib3-1.26.5.dist-info/METADATA", Type: "python-pkg", Packages: []types.Package{{Name: "urllib3", Version: "1.26.5"}}},
		{FilePath: "app/node_modules/@babel/core/package.json", Type: "node-pkg", Packages: []types.Package{{Name: "@babel/core", Version: "7.12.3"}}},
	}
	l.PackageFacts = []types.PackageFacts{{FilePath: "var/lib/dpkg/info/python3-yaml.list", Type: "dpkg", Package: "python3-yaml",
		InstalledFiles: []string{"usr/lib/python3/dist-packages/PyYAML-6.0.egg-info", "usr/lib/python3/dist-packages/PyYAML-6.0.egg-info/PKG-INFO"}}}
	art := Layers([]*types.LayerResult{l})
	var got []string
	for _, db := range art.PackageDBs {
		for _, p := range db.Packages {
			got = append(got, p.Name+" "+p.Identifier.PURL)
		}
	}
	want := []string{
		"@babel/core pkg:npm/%40babel/core@7.12.3",
		"urllib3 pkg:pypi/urllib3@1.26.5",
		"python3-yaml pkg:deb/debian/python3-yaml@6.0-3%2Bb2?arch=x86_64&distro=debian-12.7",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

// A dpkg upgrade that changes only the Debian revision (a security update:
// 2.36-9+deb12u4 to 2.36-9+deb12u7) is a new package, from the new layer.
func TestLayersAttributionSeesTheRelease(t *testing.T) {
	libc := func(release string) types.Package {
		return types.Package{ID: "libc6@2.36-" + release, Name: "libc6", Version: "2.36", Release: release, Arch: "amd64"}
	}
	l1, l2 := layer("sha256:1"), layer("sha256:2")
	l1.PackageDBs = []types.PackageDB{{FilePath: "var/lib/dpkg/status", Type: "dpkg", Packages: []types.Package{libc("9+deb12u4"), pkg("bash", "5.2.15-2+b2")}}}
	l2.PackageDBs = []types.PackageDB{{FilePath: "var/lib/dpkg/status", Type: "dpkg", Packages: []types.Package{libc("9+deb12u7"), pkg("bash", "5.2.15-2+b2")}}}
	art := Layers([]*types.LayerResult{l1, l2})
	got := map[string]string{}
	for _, p := range art.PackageDBs[0].Packages {
		got[p.ID] = p.Layer.DiffID
	}
	if got["libc6@2.36-9+deb12u7"] != "sha256:2" || got["bash@5.2.15-2+b2"] != "sha256:1" {
		t.Errorf("layers = %v", got)
	}
}

// UIDs tell apart one library at two paths, stay the same from one run to
// the next, and do not depend on the layer.
func TestPackageUIDs(t *testing.T) {
	lodash := types.Package{ID: "lodash@4.17.20", Name: "lodash", Version: "4.17.20"}
	a, b := lodash, lodash
	a.FilePath, b.FilePath = "app/node_modules/lodash/package.json", "srv/node_modules/lodash/package.json"
	l1 := layer("sha256:1")
	l1.PackageDBs = []types.PackageDB{
		{FilePath: a.FilePath, Type: "node-pkg", Packages: []types.Package{a}},
		{FilePath: b.FilePath, Type: "node-pkg", Packages: []types.Package{b}},
	}
	art := Layers([]*types.LayerResult{l1})
	pa, pb := art.PackageDBs[0].Packages[0], art.PackageDBs[1].Packages[0]
	if pa.Identifier.PURL != pb.Identifier.PURL {
		t.Fatalf("the two copies should share a PURL: %s, %s", pa.Identifier.PURL, pb.Identifier.PURL)
	}
	if pa.Identifier.UID == pb.Identifier.UID || len(pa.Identifier.UID) != 16 || len(pb.Identifier.UID) != 16 {
		t.Errorf("UIDs %q, %q: want two different 16-hex-digit UIDs", pa.Identifier.UID, pb.Identifier.UID)
	}
	// The same package found in another layer keeps its UID.
	l2 := layer("sha256:2")
	l2.PackageDBs = l1.PackageDBs[:1]
	again := Layers([]*types.LayerResult{l2}).PackageDBs[0].Packages[0]
	if again.Identifier.UID != pa.Identifier.UID || again.Layer.DiffID != "sha256:2" {
		t.Errorf("UID %s from layer %s, want %s", again.Identifier.UID, again.Layer.DiffID, pa.Identifier.UID)
	}
	// A pinned value: the UID of a package must not change between
	// versions of the scanner without a reason (dashboards key on it).
	if pa.Identifier.UID != "a1b848b80c17bf7d" {
		t.Errorf("UID of %s = %s", a.FilePath, pa.Identifier.UID)
	}
}

// A layer stored uncompressed (docker save) has a blob digest equal to
// its DiffID: Trivy reports the DiffID alone, and so do we; a compressed
// blob's digest is kept.
func TestLayerRefLeavesOutUncompressedDigest(t *testing.T) {
	l1 := &types.LayerResult{DiffID: "sha256:1", Digest: "sha256:1"}
	l1.PackageDBs = []types.PackageDB{{FilePath: "lib/apk/db/installed", Type: "apk", Packages: []types.Package{pkg("musl", "1.2.4-r2")}}}
	l1.Secrets = []types.SecretFile{{FilePath: "app/.env", Findings: []types.SecretFinding{{RuleID: "aws-access-key-id"}}}}
	art := Layers([]*types.LayerResult{l1})
	if got := art.PackageDBs[0].Packages[0].Layer; got != (types.LayerRef{DiffID: "sha256:1"}) {
		t.Errorf("package layer %+v", got)
	}
	if got := art.Secrets[0].Findings[0].Layer; got != (types.LayerRef{DiffID: "sha256:1"}) {
		t.Errorf("secret layer %+v", got)
	}
	l2 := layer("sha256:2")
	l2.PackageDBs = l1.PackageDBs
	if got := Layers([]*types.LayerResult{l2}).PackageDBs[0].Packages[0].Layer; got != (types.LayerRef{Digest: "sha256:d2", DiffID: "sha256:2"}) {
		t.Errorf("compressed layer %+v", got)
	}
}
