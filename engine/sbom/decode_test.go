package sbom

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
)

// trivyDir is Trivy's module in the module cache: its tests' SBOMs are
// real documents Trivy wrote.
const trivyDir = "/root/go/pkg/mod/github.com/aquasecurity/trivy@v0.74.0"

func trivyFile(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(trivyDir, rel))
	if err != nil {
		t.Skipf("Trivy's test SBOMs are not in the module cache: %v", err)
	}
	return b
}

func decodeBytes(t *testing.T, b []byte) *Document {
	t.Helper()
	doc, err := Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func find(t *testing.T, doc *Document, typ, name string) (types.PackageDB, types.Package) {
	t.Helper()
	for _, db := range doc.PackageDBs {
		for _, p := range db.Packages {
			if db.Type == typ && p.Name == name {
				return db, p
			}
		}
	}
	t.Fatalf("no %s package %s in %+v", typ, name, doc.PackageDBs)
	return types.PackageDB{}, types.Package{}
}

// Trivy's CycloneDX and SPDX (JSON and tag-value) of the same CentOS 7
// image read alike: the OS, rpm packages with their source and epoch.
func TestTrivyCentOS(t *testing.T) {
	for _, f := range []string{"centos-7-cyclonedx.json", "centos-7-spdx.json", "centos-7-spdx.txt"} {
		t.Run(f, func(t *testing.T) {
			doc := decodeBytes(t, trivyFile(t, "integration/testdata/fixtures/sbom/"+f))
			if doc.OS != (types.OS{Family: "centos", Name: "7.6.1810"}) {
				t.Errorf("OS = %+v", doc.OS)
			}
			if doc.Metadata.ImageID != "sha256:f1cb7c7d58b73eac859c395882eec49d50651244e342cd6c68a5c7809785f427" || !slices.Equal(doc.Metadata.RepoTags, []string{"ghcr.io/aquasecurity/trivy-test-images:centos-7"}) {
				t.Errorf("metadata = %+v", doc.Metadata)
			}
			db, p := find(t, doc, "rpm", "openssl-libs")
			if len(doc.PackageDBs) != 1 || len(db.Packages) != 2 {
				t.Errorf("package DBs = %+v", doc.PackageDBs)
			}
			if p.ID != "openssl-libs@1.0.2k-16.el7.x86_64" || p.Epoch != 1 || p.Version != "1.0.2k" || p.Release != "16.el7" || p.Arch != "x86_64" {
				t.Errorf("openssl-libs = %+v", p)
			}
			if p.Layer.DiffID != "sha256:89169d87dbe2b72ba42bfbb3579c957322baca28e03a1e558076542a1c1b2b4a" {
				t.Errorf("layer = %+v", p.Layer)
			}
			wantFormat := FormatSPDX
			if strings.Contains(f, "cyclonedx") {
				wantFormat = FormatCycloneDX
				// Only the CycloneDX records the source package apart.
				if p.SrcName != "openssl" || p.SrcEpoch != 1 || p.SrcVersion != "1.0.2k" {
					t.Errorf("source of openssl-libs = %s %d:%s-%s", p.SrcName, p.SrcEpoch, p.SrcVersion, p.SrcRelease)
				}
			}
			if doc.Format != wantFormat {
				t.Errorf("format = %s", doc.Format)
			}
		})
	}
}

// Trivy's SBOM of an image with language packages: one package DB per
// application (lock file, binary), aggregated ecosystems by the file of
// each package.
func TestTrivyApplications(t *testing.T) {
	doc := decodeBytes(t, trivyFile(t, "pkg/sbom/cyclonedx/testdata/happy/bom.json"))
	if doc.OS != (types.OS{Family: "alpine", Name: "3.16.0"}) {
		t.Errorf("OS = %+v", doc.OS)
	}
	got := map[string]int{}
	for _, db := range doc.PackageDBs {
		got[db.Type+" "+db.FilePath] = len(db.Packages)
	}
	want := map[string]int{
		"apk ": 1, "composer app/composer/composer.lock": 2, "gobinary app/gobinary/gobinary": 1,
		"jar app/gradle/target/gradle.lockfile": 1, "jar app/maven/target/child-project-1.0.jar": 1, "node-pkg app/app/package.json": 1,
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%q: %d packages, want %d (all: %v)", k, got[k], n, got)
		}
	}
	_, p := find(t, doc, "composer", "pear/log")
	if p.FilePath != "app/composer/composer.lock" || p.Layer.DiffID != "sha256:3c79e832b1b4891a1cb4a326ef8524e0bd14a2537150ac0e203a5677176c1ca1" {
		t.Errorf("pear/log = %+v", p)
	}
	_, m := find(t, doc, "apk", "musl")
	if m.SrcName != "musl" || m.SrcVersion != "1.2.3-r0" || m.Version != "1.2.3-r0" {
		t.Errorf("musl = %+v", m)
	}
}

// Syft's CycloneDX: the OS from its operating-system component, the
// source package from the upstream qualifier, the epoch from the
// version, language packages by their file.
func TestSyftCycloneDX(t *testing.T) {
	b, err := os.ReadFile("testdata/syft-debian.cdx.json")
	if err != nil {
		t.Fatal(err)
	}
	doc := decodeBytes(t, b)
	if doc.OS != (types.OS{Family: "debian", Name: "12"}) || doc.Format != FormatCycloneDX {
		t.Errorf("OS = %+v, format %s", doc.OS, doc.Format)
	}
	_, libc := find(t, doc, "dpkg", "libc6")
	if libc.SrcName != "glibc" || libc.Version != "2.36" || libc.Release != "9+deb12u4" || libc.SrcVersion != "2.36" || libc.SrcRelease != "9+deb12u4" || libc.Arch != "amd64" {
		t.Errorf("libc6 = %+v", libc)
	}
	if libc.ID != "libc6@2.36-9+deb12u4" || !slices.Equal(libc.Licenses, []string{"GPL-2.0-only", "LGPL-2.1-only"}) {
		t.Errorf("libc6 ID %s licenses %v", libc.ID, libc.Licenses)
	}
	_, bsd := find(t, doc, "dpkg", "bsdutils")
	if bsd.Epoch != 1 || bsd.Version != "2.38.1" || bsd.SrcName != "util-linux" || bsd.ID != "bsdutils@1:2.38.1-5+deb12u1" {
		t.Errorf("bsdutils = %+v", bsd)
	}
	if !slices.Equal(bsd.DependsOn, []string{"libc6@2.36-9+deb12u4"}) {
		t.Errorf("bsdutils depends on %v", bsd.DependsOn)
	}
	db, lodash := find(t, doc, "node-pkg", "lodash")
	if db.FilePath != "usr/src/app/node_modules/lodash/package.json" || lodash.FilePath != db.FilePath || lodash.Version != "4.17.20" {
		t.Errorf("lodash = %+v in %s", lodash, db.FilePath)
	}
	if _, py := find(t, doc, "python-pkg", "PyYAML"); py.ID != "PyYAML@5.3.1" {
		t.Errorf("PyYAML = %+v", py)
	}
}

// Syft's SPDX names no OS package: the distro qualifier does.
func TestSyftSPDX(t *testing.T) {
	b, err := os.ReadFile("testdata/syft-alpine.spdx.json")
	if err != nil {
		t.Fatal(err)
	}
	doc := decodeBytes(t, b)
	if doc.OS != (types.OS{Family: "alpine", Name: "3.14.10"}) || doc.Format != FormatSPDX {
		t.Errorf("OS = %+v, format %s", doc.OS, doc.Format)
	}
	if len(doc.PackageDBs) != 1 || len(doc.PackageDBs[0].Packages) != 3 || doc.Skipped != 0 {
		t.Fatalf("package DBs = %+v (skipped %d)", doc.PackageDBs, doc.Skipped)
	}
	_, ssl := find(t, doc, "apk", "libssl1.1")
	if ssl.SrcName != "openssl" || ssl.SrcVersion != "1.1.1t-r2" || ssl.Version != "1.1.1t-r2" {
		t.Errorf("libssl1.1 = %+v", ssl)
	}
	// DEPENDENCY_OF reads the other way round.
	if _, musl := find(t, doc, "apk", "musl"); !slices.Equal(musl.DependsOn, []string{"libssl1.1@1.1.1t-r2"}) {
		t.Errorf("musl depends on %v", musl.DependsOn)
	}
	if _, bb := find(t, doc, "apk", "busybox"); bb.Digest != "sha1:3a3c1e7b0b6f5e4d3c2b1a09f8e7d6c5b4a39281" {
		t.Errorf("busybox digest %q", bb.Digest)
	}
}

// An in-toto statement, bare (BuildKit's layer) or in a DSSE envelope
// (cosign's), is opened to its predicate.
func TestInToto(t *testing.T) {
	spdx, err := os.ReadFile("testdata/syft-alpine.spdx.json")
	if err != nil {
		t.Fatal(err)
	}
	statement, _ := json.Marshal(map[string]any{
		"_type":         "https://in-toto.io/Statement/v0.1",
		"predicateType": PredicateSPDX,
		"subject":       []map[string]any{{"name": "pkg:docker/app@latest?platform=linux%2Famd64", "digest": map[string]string{"sha256": strings.Repeat("ab", 32)}}},
		"predicate":     json.RawMessage(spdx),
	})
	envelope, _ := json.Marshal(map[string]any{
		"payloadType": "application/vnd.in-toto+json",
		"payload":     base64.StdEncoding.EncodeToString(statement),
		"signatures":  []map[string]string{{"keyid": "", "sig": "MEUCIQ"}},
	})
	for name, b := range map[string][]byte{"statement": statement, "dsse": envelope} {
		doc := decodeBytes(t, b)
		if doc.OS.Family != "alpine" || len(doc.PackageDBs) != 1 {
			t.Errorf("%s: %+v", name, doc)
		}
	}
	provenance, _ := json.Marshal(map[string]any{"_type": "https://in-toto.io/Statement/v0.1", "predicateType": "https://slsa.dev/provenance/v0.2", "predicate": map[string]any{}})
	if _, err := Decode(bytes.NewReader(provenance)); err == nil || !strings.Contains(err.Error(), "provenance") {
		t.Errorf("provenance statement: %v", err)
	}
}

func TestDecodeErrors(t *testing.T) {
	for name, in := range map[string]string{
		"empty":         "  \n",
		"json":          `{"name": "not an sbom"}`,
		"text":          "hello",
		"xml":           `<?xml version="1.0"?><project/>`,
		"bad cyclonedx": `{"bomFormat": "CycloneDX", "components": 3}`,
		"bad spdx":      `{"spdxVersion": "SPDX-2.3", "packages": "x"}`,
		"truncated":     `{"bomFormat": "CycloneDX", "components": [`,
	} {
		doc, err := Decode(strings.NewReader(in))
		if err == nil {
			t.Errorf("%s: no error, got %+v", name, doc)
		}
	}
}

// Components that name each other in a cycle are read once each.
func TestDependencyCycle(t *testing.T) {
	in := `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,
	"components":[
	 {"bom-ref":"app","type":"application","name":"app/package-lock.json","properties":[{"name":"aquasecurity:trivy:Type","value":"npm"}]},
	 {"bom-ref":"a","type":"library","name":"a","version":"1.0.0","purl":"pkg:npm/a@1.0.0"},
	 {"bom-ref":"b","type":"library","name":"b","version":"2.0.0","purl":"pkg:npm/b@2.0.0"}],
	"dependencies":[{"ref":"app","dependsOn":["a"]},{"ref":"a","dependsOn":["b"]},{"ref":"b","dependsOn":["a"]}]}`
	doc := decodeBytes(t, []byte(in))
	db, a := find(t, doc, "node-pkg", "a")
	if db.FilePath != "app/package-lock.json" || len(db.Packages) != 2 || !slices.Equal(a.DependsOn, []string{"b@2.0.0"}) {
		t.Errorf("db %s %d packages; a = %+v", db.FilePath, len(db.Packages), a)
	}
}

func FuzzDecodeSBOM(f *testing.F) {
	for _, p := range []string{"testdata/syft-debian.cdx.json", "testdata/syft-alpine.spdx.json",
		filepath.Join(trivyDir, "integration/testdata/fixtures/sbom/centos-7-spdx.txt"),
		filepath.Join(trivyDir, "integration/testdata/fixtures/sbom/centos-7-cyclonedx.json"),
		filepath.Join(trivyDir, "pkg/sbom/spdx/testdata/happy/bom.json")} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1"><components><component type="library"><name>musl</name><version>1.2.3-r0</version><purl>pkg:apk/alpine/musl@1.2.3-r0?distro=3.16.0</purl></component></components></bom>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		doc, err := Decode(bytes.NewReader(b))
		if err == nil && doc == nil {
			t.Fatal("no document and no error")
		}
	})
}

// SPDX tag-value lists annotations after the packages, each naming its
// package: they are the package's properties as much as JSON's nested
// ones (docker scan's and Trivy's writers put PkgType, SrcName, ... there).
func TestSPDXTagValueAnnotations(t *testing.T) {
	in := `SPDXVersion: SPDX-2.3
DataLicense: CC0-1.0
SPDXID: SPDXRef-DOCUMENT
DocumentName: langs:1
DocumentNamespace: https://docker-scan.invalid/spdx/container_image/langs:1-735b8971
Creator: Tool: docker-scan-0.1.0-dev
Created: 2026-12-02T03:06:06Z

##### Package: src/tool/Cargo.lock

PackageName: src/tool/Cargo.lock
SPDXID: SPDXRef-Application-bd8c15fd71843f09
PackageDownloadLocation: NONE
PrimaryPackagePurpose: APPLICATION
FilesAnalyzed: false

##### Package: langs:1

PackageName: langs:1
SPDXID: SPDXRef-ContainerImage-5583a11d5371843a
PackageDownloadLocation: NONE
PrimaryPackagePurpose: CONTAINER
FilesAnalyzed: false

##### Package: debian

PackageName: debian
SPDXID: SPDXRef-OperatingSystem-6a10605072653aaa
PackageVersion: 12.7
PackageDownloadLocation: NONE
PrimaryPackagePurpose: OPERATING-SYSTEM
FilesAnalyzed: false

##### Package: smallvec

PackageName: smallvec
SPDXID: SPDXRef-Package-b943a729bf9d3e52
PackageVersion: 1.6.0
PackageDownloadLocation: NOASSERTION
FilesAnalyzed: false
ExternalRef: PACKAGE-MANAGER purl pkg:cargo/smallvec@1.6.0

##### Package: libssl3

PackageName: libssl3
SPDXID: SPDXRef-Package-e4b5923847e77eaa
PackageVersion: 3.0.11-1~deb12u2
PackageDownloadLocation: NOASSERTION
FilesAnalyzed: false
PackageSourceInfo: built package from: openssl 3.0.11-1~deb12u2
PackageLicenseDeclared: Apache-2.0
ExternalRef: PACKAGE-MANAGER purl pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12.7

##### Relationships

Relationship: SPDXRef-DOCUMENT DESCRIBES SPDXRef-ContainerImage-5583a11d5371843a
Relationship: SPDXRef-ContainerImage-5583a11d5371843a CONTAINS SPDXRef-OperatingSystem-6a10605072653aaa
Relationship: SPDXRef-OperatingSystem-6a10605072653aaa CONTAINS SPDXRef-Package-e4b5923847e77eaa
Relationship: SPDXRef-ContainerImage-5583a11d5371843a CONTAINS SPDXRef-Application-bd8c15fd71843f09
Relationship: SPDXRef-Application-bd8c15fd71843f09 CONTAINS SPDXRef-Package-b943a729bf9d3e52

##### Annotations

Annotator: Tool: docker-scan-0.1.0-dev
AnnotationDate: 2026-12-02T03:06:06Z
AnnotationType: OTHER
SPDXREF: SPDXRef-ContainerImage-5583a11d5371843a
AnnotationComment: ImageID: sha256:d6704c23387be744e76e555785d2ff65bec5a48fb4f332512af32bc1a9e92c59

Annotator: Tool: docker-scan-0.1.0-dev
AnnotationDate: 2026-12-02T03:06:06Z
AnnotationType: OTHER
SPDXREF: SPDXRef-Application-bd8c15fd71843f09
AnnotationComment: Type: cargo

Annotator: Tool: docker-scan-0.1.0-dev
AnnotationDate: 2026-12-02T03:06:06Z
AnnotationType: OTHER
SPDXREF: SPDXRef-Package-e4b5923847e77eaa
AnnotationComment: PkgID: libssl3@3.0.11-1~deb12u2

Annotator: Tool: docker-scan-0.1.0-dev
AnnotationDate: 2026-12-02T03:06:06Z
AnnotationType: OTHER
SPDXREF: SPDXRef-Package-e4b5923847e77eaa
AnnotationComment: LayerDiffID: sha256:3c79e832b1b4891a1cb4a326ef8524e0bd14a2537150ac0e203a5677176c1ca1
`
	doc := decodeBytes(t, []byte(in))
	if doc.OS != (types.OS{Family: "debian", Name: "12.7"}) || doc.Metadata.ImageID != "sha256:d6704c23387be744e76e555785d2ff65bec5a48fb4f332512af32bc1a9e92c59" {
		t.Errorf("OS %+v, metadata %+v", doc.OS, doc.Metadata)
	}
	db, sv := find(t, doc, "cargo", "smallvec")
	if db.FilePath != "src/tool/Cargo.lock" || sv.FilePath != db.FilePath {
		t.Errorf("smallvec in %q: %+v", db.FilePath, sv)
	}
	_, ssl := find(t, doc, "dpkg", "libssl3")
	if ssl.SrcName != "openssl" || ssl.SrcVersion != "3.0.11" || ssl.SrcRelease != "1~deb12u2" || ssl.Layer.DiffID == "" || ssl.ID != "libssl3@3.0.11-1~deb12u2" {
		t.Errorf("libssl3 = %+v", ssl)
	}
}
