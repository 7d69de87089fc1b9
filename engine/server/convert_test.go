package server

import (
	"archive/tar"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/docker-scan/docker-scan/engine/db/dbtest"
	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/scan"
	"github.com/docker-scan/docker-scan/engine/server/rpc/cache"
	"github.com/docker-scan/docker-scan/engine/server/rpc/common"
	"github.com/docker-scan/docker-scan/engine/server/rpc/scanner"
	"github.com/docker-scan/docker-scan/engine/types"
)

// equateEmpty: JSON (the cache's and the report's encoding) does not tell
// a nil list from an empty one, and neither need the wire.
var equateEmpty = cmpopts.EquateEmpty()

// dirFiles reads a directory tree as layer files.
func dirFiles(t testing.TB, dir string) []imagebuild.File {
	t.Helper()
	var files []imagebuild.File
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files = append(files, imagebuild.File{Path: filepath.ToSlash(rel), Body: string(body)})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func engineImage(t testing.TB, name string, config func(*v1.ConfigFile), layers ...[]imagebuild.File) *types.Image {
	t.Helper()
	var ls []v1.Layer
	for _, files := range layers {
		l, err := imagebuild.Layer(files...)
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
	}
	img, err := imagebuild.Image("amd64", ls...)
	if err != nil {
		t.Fatal(err)
	}
	if config != nil {
		if img, err = imagebuild.WithConfig(img, config); err != nil {
			t.Fatal(err)
		}
	}
	out, err := imagebuild.EngineImage(name, img)
	if err != nil {
		t.Fatal(err)
	}
	v1Images.Store(name, img)
	return out
}

// v1Images are the images engineImage built, by name, for the tests that
// write them out.
var v1Images sync.Map

// demoImage is testdata/demo: an Alpine 3.14.1 base, then apk add curl,
// a Node.js app with an old minimist and a .env with a token; its config
// leaks a key too.
func demoImage(t testing.TB) *types.Image {
	return engineImage(t, "docker-scan-demo:latest", func(c *v1.ConfigFile) {
		c.Config.Env = append(c.Config.Env, "STRIPE_KEY=sk_live_51aB3dE5fG7hI9jK1lM3nO5pQ7")
		c.History = []v1.History{{CreatedBy: "RUN |1 NPM_TOKEN=npm_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5 /bin/sh -c npm ci"}}
	}, dirFiles(t, "../../testdata/demo/layers/1"), dirFiles(t, "../../testdata/demo/layers/2"))
}

const debianStatus = `Package: base-files
Status: install ok installed
Priority: required
Section: admin
Maintainer: Santiago Vila <sanvila@debian.org>
Architecture: amd64
Version: 12.4+deb12u5
Description: Debian base system miscellaneous files

Package: libc6
Status: install ok installed
Priority: optional
Section: libs
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u4
Depends: libgcc-s1
Description: GNU C Library: Shared libraries

Package: python3-yaml
Status: install ok installed
Priority: optional
Section: python
Maintainer: Debian Python Team <team+python@tracker.debian.org>
Architecture: amd64
Source: pyyaml
Version: 6.0-3+b2
Depends: libc6 (>= 2.14), libyaml-0-2, python3 (<< 3.12), python3 (>= 3.11~)
Description: YAML parser and emitter for Python3
`

// debianLayers is a Debian 12 image in three layers: the base (release
// files through a symlink, dpkg's status, file lists and copyright, a
// distribution-owned Python package), an app layer (a Node.js package,
// a Python package of its own, a secret, a whiteout) and a layer that
// resets a directory.
func debianLayers() [][]imagebuild.File {
	return [][]imagebuild.File{{
		{Path: "etc/debian_version", Body: "12.5\n"},
		{Path: "usr/lib/os-release", Body: "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n"},
		{Path: "etc/os-release", Type: tar.TypeSymlink, Linkname: "../usr/lib/os-release"},
		{Path: "var/lib/dpkg/status", Body: debianStatus},
		{Path: "var/lib/dpkg/info/libc6.md5sums", Body: "0123456789abcdef0123456789abcdef  usr/lib/x86_64-linux-gnu/libc.so.6\n"},
		{Path: "var/lib/dpkg/info/python3-yaml.md5sums", Body: "0123456789abcdef0123456789abcdef  usr/lib/python3/dist-packages/PyYAML-6.0.egg-info/PKG-INFO\n"},
		{Path: "usr/share/doc/libc6/copyright", Body: "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nLicense: LGPL-2.1+\n"},
		{Path: "usr/lib/python3/dist-packages/PyYAML-6.0.egg-info/PKG-INFO", Body: "Metadata-Version: 2.1\nName: PyYAML\nVersion: 6.0\nLicense: MIT\n"},
	}, {
		{Path: "srv/app/node_modules/lodash/package.json", Body: `{"name": "lodash", "version": "4.17.20", "license": "MIT"}`},
		{Path: "srv/app/venv/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA", Body: "Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\nLicense: Apache 2.0\nRequires-Dist: idna (<4,>=2.5)\n"},
		{Path: "srv/app/settings.yaml", Body: "db:\n  url: postgres://app:Xq7!pL9wZr@db.internal:5432/app\n"},
		{Path: "tmp/.wh.build.log"},
	}, {
		{Path: "srv/app/cache/.wh..wh..opq"},
		{Path: "srv/app/cache/keep", Body: "x\n"},
	}}
}

func debianImage(t testing.TB) *types.Image {
	return engineImage(t, "debian-app:1", nil, debianLayers()...)
}

// ubuntuESMImage is Ubuntu 22.04 with Ubuntu Pro's esm-infra enabled in a
// layer of its own.
func ubuntuESMImage(t testing.TB) *types.Image {
	return engineImage(t, "ubuntu-esm:1", nil, []imagebuild.File{
		{Path: "etc/debian_version", Body: "bookworm/sid\n"},
		{Path: "etc/os-release", Body: "NAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\nID=ubuntu\nID_LIKE=debian\n"},
		{Path: "var/lib/dpkg/status", Body: debianStatus},
	}, []imagebuild.File{
		{Path: "var/lib/ubuntu-advantage/status.json", Body: `{"services": [{"name": "esm-infra", "status": "enabled"}, {"name": "livepatch", "status": "disabled"}]}`},
	})
}

func scanOptions(t testing.TB) scan.Options {
	opts := scan.DefaultOptions()
	opts.Scanners = []string{scan.ScannerVuln, scan.ScannerSecret}
	opts.DB = dbtest.FixtureDB(t, "../../testdata/db/alpine-3.14.yaml", "../../testdata/db/debian-12.yaml", "../../testdata/db/languages.yaml")
	opts.Now = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	return opts
}

func analyzeImage(t testing.TB, img *types.Image, opts scan.Options) *scan.Analysis {
	t.Helper()
	a, err := scan.Analyze(context.Background(), img, opts)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// viaProto sends m through the binary encoding and protojson, checking
// both give the same message back.
func viaProto[M proto.Message](t testing.TB, m M, fresh func() M) M {
	t.Helper()
	bin, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	fromBin := fresh()
	if err := proto.Unmarshal(bin, fromBin); err != nil {
		t.Fatal(err)
	}
	js, err := protojson.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	fromJSON := fresh()
	if err := protojson.Unmarshal(js, fromJSON); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(fromBin, fromJSON) || !proto.Equal(fromBin, m) {
		t.Fatalf("binary and JSON encodings disagree:\n%s", cmp.Diff(fromBin, fromJSON, protocmpTransform()))
	}
	return fromJSON
}

// protocmpTransform prints protobuf messages through their JSON in
// diffs; go-cmp cannot walk their unexported state.
func protocmpTransform() cmp.Option {
	return cmp.Transformer("protojson", func(m proto.Message) string {
		b, _ := protojson.Marshal(m)
		return string(b)
	})
}

func blobRoundTrip(t testing.TB, l *types.LayerResult) *types.LayerResult {
	t.Helper()
	b := viaProto(t, BlobFromLayer(l), func() *cache.BlobInfo { return &cache.BlobInfo{} })
	got, err := LayerFromBlob(b)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestLayerRoundTripIsLossless(t *testing.T) {
	opts := scanOptions(t)
	for _, img := range []*types.Image{demoImage(t), debianImage(t), ubuntuESMImage(t)} {
		a := analyzeImage(t, img, opts)
		for i, l := range a.Layers {
			got := blobRoundTrip(t, l)
			if d := cmp.Diff(l, got, equateEmpty); d != "" {
				t.Errorf("%s layer %d: round trip changed it (-sent +got):\n%s", img.Name, i, d)
			}
			want, _ := json.Marshal(l)
			gotJSON, _ := json.Marshal(got)
			if string(want) != string(gotJSON) {
				t.Errorf("%s layer %d: cache encodings differ:\n%s\n%s", img.Name, i, want, gotJSON)
			}
		}
	}
}

// TestRealLayersAreRichEnough makes sure the round trip above covers the
// parts of a LayerResult that the wire splits: without it a lossless
// round trip of empty layers would prove little.
func TestRealLayersAreRichEnough(t *testing.T) {
	a := analyzeImage(t, debianImage(t), scanOptions(t))
	base, app, reset := a.Layers[0], a.Layers[1], a.Layers[2]
	if len(base.OSReleases) < 2 || len(base.Symlinks) == 0 || len(base.PackageFacts) == 0 {
		t.Errorf("base layer lacks releases, symlinks or facts: %+v", base)
	}
	var types_ []string
	for _, db := range slices.Concat(base.PackageDBs, app.PackageDBs) {
		types_ = append(types_, db.Type)
	}
	for _, want := range []string{"dpkg", "python-pkg", "node-pkg"} {
		if !slices.Contains(types_, want) {
			t.Errorf("no %s database in %v", want, types_)
		}
	}
	if len(app.Secrets) == 0 || len(app.WhiteoutFiles) == 0 || len(reset.OpaqueDirs) == 0 {
		t.Errorf("app/reset layers lack secrets, whiteouts or opaque dirs: %+v %+v", app, reset)
	}
	if a.Config == nil {
		t.Fatal("no config analysis")
	}
}

func TestBlobFieldsAreTrivys(t *testing.T) {
	a := analyzeImage(t, debianImage(t), scanOptions(t))
	b := BlobFromLayer(a.Layers[0])
	if b.SchemaVersion != TrivyBlobSchemaVersion || b.DiffId != a.Layers[0].DiffID || b.Digest != a.Layers[0].Digest {
		t.Errorf("header = %d %s %s", b.SchemaVersion, b.DiffId, b.Digest)
	}
	if b.Os.GetFamily() != "debian" || b.Os.GetName() != "12.5" {
		t.Errorf("os = %v", b.Os)
	}
	if len(b.PackageInfos) != 1 || b.PackageInfos[0].FilePath != "var/lib/dpkg/status" || len(b.PackageInfos[0].Packages) != 3 {
		t.Fatalf("package_infos = %v", b.PackageInfos)
	}
	libc := b.PackageInfos[0].Packages[1]
	if libc.Name != "libc6" || libc.Version != "2.36" || libc.Release != "9+deb12u4" || libc.SrcName != "glibc" || libc.AnalyzedBy != "dpkg" {
		t.Errorf("libc6 = %v", libc)
	}
	if len(b.Applications) != 1 || b.Applications[0].Type != "python-pkg" {
		t.Errorf("applications = %v", b.Applications)
	}
	ubuntu := analyzeImage(t, ubuntuESMImage(t), scanOptions(t))
	if os := BlobFromLayer(ubuntu.Layers[0]).Os; os.GetFamily() != "ubuntu" || os.GetName() != "22.04" || os.GetExtended() {
		t.Errorf("ubuntu base os = %v", os)
	}
	if os := BlobFromLayer(ubuntu.Layers[1]).Os; os.GetFamily() != "ubuntu" || os.GetName() != "" || !os.GetExtended() {
		t.Errorf("ubuntu esm layer os = %v", os)
	}
}

// TestScanThroughTheWire scans images whose layer results crossed the
// wire, as our client's (with extras) and as a Trivy client's (without):
// the first gives exactly the standalone report, the second the same
// vulnerabilities.
func TestScanThroughTheWire(t *testing.T) {
	opts := scanOptions(t)
	for _, img := range []*types.Image{demoImage(t), debianImage(t), ubuntuESMImage(t)} {
		a := analyzeImage(t, img, opts)
		want, err := scan.Assemble(context.Background(), a, opts)
		if err != nil {
			t.Fatal(err)
		}
		sent := &scan.Analysis{Image: a.Image}
		trivy := &scan.Analysis{Image: a.Image}
		for _, l := range a.Layers {
			b := viaProto(t, BlobFromLayer(l), func() *cache.BlobInfo { return &cache.BlobInfo{} })
			got, err := LayerFromBlob(b)
			if err != nil {
				t.Fatal(err)
			}
			sent.Layers = append(sent.Layers, got)
			b.CustomResources = nil
			got, err = LayerFromBlob(b)
			if err != nil {
				t.Fatal(err)
			}
			trivy.Layers = append(trivy.Layers, got)
		}
		art := viaProto(t, ArtifactFromImage(a.Image, a.Config), func() *cache.ArtifactInfo { return &cache.ArtifactInfo{} })
		sent.Config = ImageConfigFromArtifact(art)
		trivy.Config = sent.Config
		got, err := scan.Assemble(context.Background(), sent, opts)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want, got, equateEmpty); d != "" {
			t.Errorf("%s: report through the wire differs (-standalone +wire):\n%s", img.Name, d)
		}
		fromTrivy, err := scan.Assemble(context.Background(), trivy, opts)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(vulnIDs(want), vulnIDs(fromTrivy)); d != "" {
			t.Errorf("%s: vulnerabilities from Trivy-shaped blobs differ:\n%s", img.Name, d)
		}
		if d := cmp.Diff(want.Metadata.OS, fromTrivy.Metadata.OS); d != "" {
			t.Errorf("%s: OS from Trivy-shaped blobs differs:\n%s", img.Name, d)
		}
		if len(vulnIDs(want)) == 0 && img.Name != "ubuntu-esm:1" {
			t.Errorf("%s: no vulnerabilities: the comparison proves nothing", img.Name)
		}
	}
}

func vulnIDs(rep *types.Report) []string {
	var out []string
	for _, r := range rep.Results {
		for _, v := range r.Vulnerabilities {
			out = append(out, r.Target+" "+v.PkgName+" "+v.InstalledVersion+" "+v.VulnerabilityID+" "+v.Layer.DiffID)
		}
		for _, s := range r.Secrets {
			out = append(out, r.Target+" "+s.RuleID)
		}
	}
	slices.Sort(out)
	return out
}

var goldenOnce = sync.OnceValues(func() (map[string][]types.Result, error) {
	out := map[string][]types.Result{}
	dir := "../../testdata/golden"
	for _, name := range []string{"alpine-3.14-old-packages.json", "alpine-3.14.10.json"} {
		var rep types.Report
		if err := readJSON(filepath.Join(dir, name), &rep); err != nil {
			return nil, err
		}
		out[name] = rep.Results
	}
	var langs []types.Result
	if err := readJSON(filepath.Join(dir, "languages.json"), &langs); err != nil {
		return nil, err
	}
	out["languages.json"] = langs
	var shapes map[string][]types.Result
	if err := readJSON(filepath.Join(dir, "trivy-shape.json"), &shapes); err != nil {
		return nil, err
	}
	for k, v := range shapes {
		out["trivy-shape.json "+k] = v
	}
	return out, nil
})

func readJSON(path string, into any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, into)
}

func resultsRoundTrip(t testing.TB, rep *types.Report) ([]types.Result, *types.OS) {
	t.Helper()
	results, os := ResultsToWire(rep)
	resp := viaProto(t, &scanner.ScanResponse{Os: os, Results: results}, func() *scanner.ScanResponse { return &scanner.ScanResponse{} })
	got, gotOS, err := ResultsFromWire(resp.Results, resp.Os)
	if err != nil {
		t.Fatal(err)
	}
	return got, gotOS
}

func TestGoldenResultsRoundTrip(t *testing.T) {
	golden, err := goldenOnce()
	if err != nil {
		t.Fatal(err)
	}
	vulns := 0
	for name, results := range golden {
		rep := &types.Report{Results: results, Metadata: types.Metadata{OS: &types.OS{Family: "alpine", Name: "3.14.10", EOSL: true}}}
		got, os := resultsRoundTrip(t, rep)
		if d := cmp.Diff(results, got, equateEmpty); d != "" {
			t.Errorf("%s: results changed (-sent +got):\n%s", name, d)
		}
		if *os != *rep.Metadata.OS {
			t.Errorf("%s: os = %+v", name, os)
		}
		for _, r := range results {
			vulns += len(r.Vulnerabilities)
		}
	}
	if vulns < 10 {
		t.Errorf("the golden reports hold %d vulnerabilities: too few to prove the mapping", vulns)
	}
}

// TestReportResultsRoundTrip sends the results of real scans, with every
// kind of finding and the fields only we have, through the wire.
func TestReportResultsRoundTrip(t *testing.T) {
	opts := scanOptions(t)
	for _, img := range []*types.Image{demoImage(t), debianImage(t)} {
		rep, err := scan.Image(context.Background(), img, opts)
		if err != nil {
			t.Fatal(err)
		}
		rep.Results[0].Runtime = "docker"
		rep.Results[0].NotMatched = true
		rep.Results = append(rep.Results, types.Result{Target: "compose.yaml", Class: types.ClassConfig, Type: "compose",
			Misconfigurations: []types.Misconfiguration{
				{ID: "DS-C001", Severity: "HIGH", Title: "privileged", Message: "service web runs privileged", Resolution: "drop privileged", Service: "web", StartLine: 7},
				{ID: "DS-C002", Severity: "", Title: "no severity", Message: "m"},
			}})
		got, os := resultsRoundTrip(t, rep)
		if d := cmp.Diff(rep.Results, got, equateEmpty); d != "" {
			t.Errorf("%s: results changed (-sent +got):\n%s", img.Name, d)
		}
		if d := cmp.Diff(rep.Metadata.OS, os); d != "" {
			t.Errorf("%s: os changed:\n%s", img.Name, d)
		}
	}
}

func TestStripExtras(t *testing.T) {
	rep := &types.Report{Results: []types.Result{{Target: "t", Class: types.ClassOSPkg, Runtime: "podman",
		Packages: []types.Package{{Name: "a", InstalledFiles: []string{"/bin/a"}}}}}}
	results, _ := ResultsToWire(rep)
	if len(results[0].CustomResources) != 1 {
		t.Fatalf("custom resources = %v", results[0].CustomResources)
	}
	StripExtras(results)
	if results[0].CustomResources != nil {
		t.Errorf("left %v", results[0].CustomResources)
	}
	got, _, err := ResultsFromWire(results, nil)
	if err != nil || got[0].Runtime != "" || got[0].Packages[0].InstalledFiles != nil || got[0].Packages[0].Name != "a" {
		t.Errorf("got %+v, %v", got, err)
	}
}

func TestResultsFromTrivyServerSkipOurEcho(t *testing.T) {
	// A Trivy server returns the custom resources of the blobs it was
	// sent as a result of their own.
	data, err := extrasToWire(layerExtras{SchemaVersion: 6})
	if err != nil {
		t.Fatal(err)
	}
	res := []*scanner.Result{
		{Target: "img (alpine 3.20.3)", Class: "os-pkgs", Type: "alpine", Packages: []*common.Package{{Name: "musl", Version: "1.2.5-r0"}}},
		{Class: "custom", CustomResources: []*common.CustomResource{{Type: LayerExtrasType, Data: data}}},
	}
	got, _, err := ResultsFromWire(res, &common.OS{Family: "alpine", Name: "3.20.3"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Class != "os-pkgs" || got[0].Packages[0].Name != "musl" {
		t.Errorf("got %+v", got)
	}
}

func TestOSFromTrivyServerExtended(t *testing.T) {
	_, os, err := ResultsFromWire(nil, &common.OS{Family: "ubuntu", Name: "22.04", Extended: true})
	if err != nil || os.Name != "22.04-ESM" {
		t.Errorf("os = %+v, %v", os, err)
	}
}

func TestScanOptionsRoundTrip(t *testing.T) {
	s := ScanSettings{
		Scanners:            []string{"vuln", "secret"},
		PkgTypes:            []string{"os", "library"},
		Distro:              &types.OS{Family: "alpine", Name: "3.20"},
		IncludeDevDeps:      true,
		PkgRelationships:    []string{"root", "direct"},
		VulnSeveritySources: []string{"nvd", "auto"},
		LicenseFull:         true,
		LicenseCategories:   map[string][]string{"forbidden": {"AGPL-3.0"}},
	}
	w := viaProto(t, ScanOptionsToWire(s), func() *scanner.ScanOptions { return &scanner.ScanOptions{} })
	got, err := ScanOptionsFromWire(w)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(s, got); d != "" {
		t.Errorf("(-sent +got):\n%s", d)
	}
	js, _ := protojson.Marshal(w)
	for _, field := range []string{`"pkgTypes"`, `"includeDevDeps"`, `"vulnSeveritySources"`, `"distro"`} {
		if !strings.Contains(string(js), field) {
			t.Errorf("protojson lacks %s: %s", field, js)
		}
	}
	w.Scanners = make([]string, maxOptionItems+1)
	if _, err := ScanOptionsFromWire(w); err == nil {
		t.Error("a request with too many scanners was accepted")
	}
	w.Scanners = []string{strings.Repeat("x", maxOptionName+1)}
	if _, err := ScanOptionsFromWire(w); err == nil {
		t.Error("an overlong scanner name was accepted")
	}
}

// TestInvalidUTF8TravelsAsJSONKeepsIt: a tar may name files in any bytes;
// the wire (UTF-8 only) carries what the JSON layer cache keeps of them,
// and the caller's layer is left as it was.
func TestInvalidUTF8TravelsAsJSONKeepsIt(t *testing.T) {
	bad := "caf\xe9/\xff\xfe.txt"
	l := &types.LayerResult{DiffID: "sha256:bb", SchemaVersion: 6,
		WhiteoutFiles: []string{"ok", bad},
		PackageDBs:    []types.PackageDB{{FilePath: bad, Type: "node-pkg", Packages: []types.Package{{Name: bad, Version: "1", FilePath: bad, Licenses: []string{bad}}}}},
		Secrets:       []types.SecretFile{{FilePath: bad, Findings: []types.SecretFinding{{RuleID: "r", Match: bad}}}},
	}
	before, _ := json.Marshal(l)
	var want types.LayerResult
	if err := json.Unmarshal(before, &want); err != nil {
		t.Fatal(err)
	}
	got := blobRoundTrip(t, l)
	if d := cmp.Diff(&want, got, equateEmpty); d != "" {
		t.Errorf("(-json +wire):\n%s", d)
	}
	if l.WhiteoutFiles[1] != bad || l.PackageDBs[0].Packages[0].Licenses[0] != bad {
		t.Error("the caller's layer was changed")
	}
	rep := &types.Report{Results: []types.Result{{Target: bad, Class: types.ClassLangPkg, Packages: l.PackageDBs[0].Packages}}}
	var wantRes []types.Result
	b, _ := json.Marshal(rep.Results)
	if err := json.Unmarshal(b, &wantRes); err != nil {
		t.Fatal(err)
	}
	gotRes, _ := resultsRoundTrip(t, rep)
	if d := cmp.Diff(wantRes, gotRes, equateEmpty); d != "" {
		t.Errorf("results (-json +wire):\n%s", d)
	}
}

func TestReportLayersRoundTrip(t *testing.T) {
	want := []types.ReportLayer{{Size: 5827072, Digest: "sha256:5843", DiffID: "sha256:bc27"}, {DiffID: "sha256:1ef6"}}
	resp := viaProto(t, &scanner.ScanResponse{Layers: LayersToWire(want)}, func() *scanner.ScanResponse { return &scanner.ScanResponse{} })
	got, err := LayersFromWire(resp.Layers)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-sent +got):\n%s", d)
	}
	if _, err := LayersFromWire([]*common.Layer{{Size: -1}}); err == nil {
		t.Error("a negative layer size was accepted")
	}
}

// TestLicensesForTrivyClients: a Scan asking for the licence scanner (as a
// Trivy client asks, with its categories) classifies the packages'
// licences with those categories, and the licences go out in the wire's
// fields with Trivy's category enum.
func TestLicensesForTrivyClients(t *testing.T) {
	cats := map[string][]string{"forbidden": {"AGPL-3.0"}, "notice": {"MIT"}, "restricted": {"GPL-2.0"}}
	opts, err := ScanSettings{Scanners: []string{"vuln", "license", "rbac"}, LicenseCategories: cats}.scanOptions()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(opts.Scanners, []string{"vuln", "license"}) || !cmp.Equal(opts.LicenseCategories, cats) {
		t.Errorf("scanners %v, categories %v", opts.Scanners, opts.LicenseCategories)
	}
	if _, err := (ScanSettings{Scanners: []string{"license"}, LicenseCategories: map[string][]string{"banned": {"MIT"}}}).scanOptions(); err == nil {
		t.Error("an unknown licence category is accepted")
	}
	w := resultToWire(&types.Result{Target: "OS Packages", Class: types.ClassLicense, Licenses: []types.DetectedLicense{
		{Severity: "CRITICAL", Category: "forbidden", PkgName: "ghostscript", Name: "AGPL-3.0-or-later", Confidence: 1},
		{Severity: "LOW", Category: "unencumbered", FilePath: "opt/LICENSE", Name: "CC0-1.0", Confidence: 0.97, Link: "https://spdx.org/licenses/CC0-1.0.html"},
		{Severity: "UNKNOWN", Category: "unknown", PkgName: "x", Name: "UNKNOWN", Reason: "none declared"},
	}})
	if len(w.Licenses) != 3 {
		t.Fatalf("%d licences on the wire", len(w.Licenses))
	}
	got := []string{}
	for _, l := range w.Licenses {
		got = append(got, strings.Join([]string{l.Severity.String(), l.Category.String(), l.PkgName + l.FilePath, l.Name, l.Link}, " "))
	}
	want := []string{"CRITICAL FORBIDDEN ghostscript AGPL-3.0-or-later ", "LOW UNENCUMBERED opt/LICENSE CC0-1.0 https://spdx.org/licenses/CC0-1.0.html", "UNKNOWN UNKNOWN x UNKNOWN "}
	if !slices.Equal(got, want) {
		t.Errorf("wire licences %q, want %q", got, want)
	}
	if w.Licenses[1].Confidence < 0.96 || w.Licenses[1].Confidence > 0.98 {
		t.Errorf("confidence %v", w.Licenses[1].Confidence)
	}
}
