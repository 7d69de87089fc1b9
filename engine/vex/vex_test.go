package vex

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
)

// demoDigest is the image digest the documents in testdata name.
var demoDigest = "sha256:" + strings.Repeat("a", 64)

// finding is a vulnerability of the demo image (testdata/demo), as the
// scanner reports it.
func finding(pkg, version, typ, id string) types.DetectedVulnerability {
	purl := "pkg:apk/alpine/" + pkg + "@" + version + "?arch=x86_64&distro=3.14.1"
	if typ == "npm" {
		purl = "pkg:npm/" + pkg + "@" + version
	}
	return types.DetectedVulnerability{
		VulnerabilityID: id, PkgID: pkg + "@" + version, PkgName: pkg, InstalledVersion: version,
		PkgIdentifier: types.Identifier{PURL: purl, UID: pkg + "-uid"},
		Vulnerability: types.Vulnerability{Severity: "HIGH"},
	}
}

// demoReport is the demo image's findings, pulled from a registry (so
// that it has a pkg:oci package URL).
func demoReport() *types.Report {
	rep := &types.Report{
		ArtifactName: "registry.example.com/team/demo:1.0",
		Metadata:     types.Metadata{RepoDigests: []string{"registry.example.com/team/demo@" + demoDigest}},
	}
	rep.Metadata.ImageConfig.Architecture = "amd64"
	rep.Results = []types.Result{
		{Target: "registry.example.com/team/demo:1.0 (alpine 3.14.1)", Class: types.ClassOSPkg, Type: "alpine", Vulnerabilities: []types.DetectedVulnerability{
			finding("busybox", "1.33.1-r3", "apk", "CVE-2022-28391"),
			finding("busybox", "1.33.1-r3", "apk", "CVE-2021-42374"),
			finding("libcrypto1.1", "1.1.1k-r0", "apk", "CVE-2022-0778"),
			finding("libssl1.1", "1.1.1k-r0", "apk", "CVE-2022-0778"),
			finding("zlib", "1.2.11-r3", "apk", "CVE-2022-37434"),
			finding("zlib", "1.2.11-r3", "apk", "CVE-2018-25032"),
		}},
		{Target: "Node.js", Class: types.ClassLangPkg, Type: "node-pkg", Vulnerabilities: []types.DetectedVulnerability{
			finding("minimist", "1.2.0", "npm", "CVE-2021-44906"),
			finding("minimist", "1.2.0", "npm", "CVE-2020-7598"),
		}},
	}
	return rep
}

// judged lists "PKG CVE STATUS STATEMENT | SOURCE" for each finding
// the set suppresses.
func judged(set *Set, rep *types.Report) []string {
	var out []string
	for i := range rep.Results {
		judge := set.Judge(rep.Metadata, &rep.Results[i])
		for _, v := range rep.Results[i].Vulnerabilities {
			if m, ok := judge(v); ok {
				if m.Finding.VulnerabilityID != v.VulnerabilityID || m.Type != "vulnerability" {
					panic("the finding is not the one judged")
				}
				out = append(out, v.PkgName+" "+v.VulnerabilityID+" "+m.Status+" "+m.Statement+" | "+m.Source)
			}
		}
	}
	return out
}

func load(t *testing.T, name string) *Set {
	t.Helper()
	set, err := LoadFiles([]string{filepath.Join("testdata", name)})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func check(t *testing.T, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("suppressed:\n got %q\nwant %q", got, want)
	}
}

// TestOpenVEX: the image with a subcomponent (libssl1.1, not libcrypto1.1
// with the same CVE), a package by an alias of the finding's ID; not a
// statement a later one overrides, another version, another image's
// digest, or under_investigation.
func TestOpenVEX(t *testing.T) {
	check(t, judged(load(t, "openvex.json"), demoReport()), []string{
		"libssl1.1 CVE-2022-0778 not_affected vulnerable_code_not_in_execute_path | OpenVEX file: testdata/openvex.json",
		"minimist CVE-2021-44906 fixed  | OpenVEX file: testdata/openvex.json",
	})
	// Without a registry digest the image has no package URL: only the
	// statements about packages apply.
	rep := demoReport()
	rep.Metadata.RepoDigests = nil
	check(t, judged(load(t, "openvex.json"), rep), []string{
		"minimist CVE-2021-44906 fixed  | OpenVEX file: testdata/openvex.json",
	})
}

// TestCycloneDXVEX: BOM-Links to a bom-ref that is a package URL or a
// component the VEX lists, and a plain package URL; resolved is fixed,
// false_positive not_affected; exploitable and in_triage do not suppress.
func TestCycloneDXVEX(t *testing.T) {
	check(t, judged(load(t, "cyclonedx-vex.json"), demoReport()), []string{
		"busybox CVE-2022-28391 not_affected code_not_reachable | CycloneDX VEX file: testdata/cyclonedx-vex.json",
		"zlib CVE-2018-25032 fixed Patched in the image's zlib build. | CycloneDX VEX file: testdata/cyclonedx-vex.json",
		"minimist CVE-2020-7598 not_affected minimist is only a dev dependency here. | CycloneDX VEX file: testdata/cyclonedx-vex.json",
	})
}

// TestCSAFVEX: a relationship puts libcrypto1.1 in the image (libssl1.1,
// with the same CVE, stays); a fixed product by its own package URL;
// known_affected does not suppress.
func TestCSAFVEX(t *testing.T) {
	check(t, judged(load(t, "csaf-vex.json"), demoReport()), []string{
		"busybox CVE-2021-42374 fixed The demo build of busybox carries the upstream fix for unlzma. | CSAF VEX file: testdata/csaf-vex.json",
		"libcrypto1.1 CVE-2022-0778 not_affected vulnerable_code_cannot_be_controlled_by_adversary | CSAF VEX file: testdata/csaf-vex.json",
	})
}

// TestSeveralDocuments: each document is consulted; the first that
// suppresses a finding is the one named.
func TestSeveralDocuments(t *testing.T) {
	set, err := LoadFiles([]string{"testdata/csaf-vex.json", "testdata/openvex.json", "testdata/cyclonedx-vex.json"})
	if err != nil {
		t.Fatal(err)
	}
	got := judged(set, demoReport())
	if len(got) != 7 {
		t.Fatalf("want the 7 findings the three documents suppress, got %q", got)
	}
}

// TestOpenVEXOrder: a later statement overrides an earlier one about the
// same vulnerability and product: by timestamp, then document order.
func TestOpenVEXOrder(t *testing.T) {
	doc := func(stmts string) *Set {
		d, err := Parse([]byte(`{"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","author":"a","timestamp":"2024-05-02T00:00:00Z","version":1,"statements":[`+stmts+`]}`), "order.json")
		if err != nil {
			t.Fatal(err)
		}
		return &Set{Docs: []*Document{d}}
	}
	const notAffected = `{"vulnerability":{"name":"CVE-2018-25032"},"products":[{"@id":"pkg:apk/alpine/zlib"}],"status":"not_affected","justification":"inline_mitigations_already_exist"}`
	const affected = `{"vulnerability":{"name":"CVE-2018-25032"},"products":[{"@id":"pkg:apk/alpine/zlib"}],"status":"affected"}`
	const affectedEarlier = `{"vulnerability":{"name":"CVE-2018-25032"},"timestamp":"2024-05-01T00:00:00Z","products":[{"@id":"pkg:apk/alpine/zlib"}],"status":"affected"}`
	zlib := "zlib CVE-2018-25032 not_affected inline_mitigations_already_exist | OpenVEX file: order.json"
	check(t, judged(doc(notAffected+","+affected), demoReport()), nil)
	check(t, judged(doc(affected+","+notAffected), demoReport()), []string{zlib})
	check(t, judged(doc(notAffected+","+affectedEarlier), demoReport()), []string{zlib})
}

// TestDependencyChain: a statement about a package that pulls the
// vulnerable one in, with it as a subcomponent, suppresses the finding
// only when every chain from the image passes such a package.
func TestDependencyChain(t *testing.T) {
	pkg := func(name string, deps ...string) types.Package {
		return types.Package{ID: name + "@1.0", Name: name, Version: "1.0", DependsOn: deps,
			Identifier: types.Identifier{PURL: "pkg:npm/" + name + "@1.0", UID: name + "-uid"}}
	}
	res := types.Result{Target: "app/package-lock.json", Class: types.ClassLangPkg, Type: "npm",
		Packages: []types.Package{pkg("app", "web@1.0", "cli@1.0"), pkg("web", "parser@1.0"), pkg("cli", "parser@1.0"), pkg("parser")},
		Vulnerabilities: []types.DetectedVulnerability{{VulnerabilityID: "CVE-2024-1111", PkgID: "parser@1.0", PkgName: "parser",
			PkgIdentifier: types.Identifier{PURL: "pkg:npm/parser@1.0", UID: "parser-uid"}}},
	}
	statement := func(parent string) string {
		return `{"vulnerability":{"name":"CVE-2024-1111"},"products":[{"@id":"pkg:npm/` + parent + `@1.0","subcomponents":[{"@id":"pkg:npm/parser"}]}],"status":"not_affected","justification":"vulnerable_code_not_in_execute_path"}`
	}
	for _, tc := range []struct {
		stmts      []string
		suppressed bool
	}{
		{[]string{statement("web")}, false},                     // cli still pulls parser in
		{[]string{statement("web"), statement("cli")}, true},    // both chains pass a statement
		{[]string{statement("app")}, true},                      // the only top-level package
		{[]string{statement("parser")}, true},                   // the package itself
		{[]string{statement("other"), statement("cli")}, false}, // web's chain is open
	} {
		d, err := Parse([]byte(`{"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","author":"a","timestamp":"2024-05-02T00:00:00Z","version":1,"statements":[`+strings.Join(tc.stmts, ",")+`]}`), "chain.json")
		if err != nil {
			t.Fatal(err)
		}
		_, got := (&Set{Docs: []*Document{d}}).Judge(types.Metadata{}, &res)(res.Vulnerabilities[0])
		if got != tc.suppressed {
			t.Errorf("%d statements %v: suppressed %v, want %v", len(tc.stmts), tc.stmts, got, tc.suppressed)
		}
	}
	// A cycle no top-level package reaches is taken as reachable: a
	// broken graph never suppresses by accident.
	cyc := res
	cyc.Packages = []types.Package{pkg("a", "b@1.0", "parser@1.0"), pkg("b", "a@1.0"), pkg("web", "parser@1.0"), pkg("parser")}
	d, _ := Parse([]byte(`{"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","author":"a","timestamp":"2024-05-02T00:00:00Z","version":1,"statements":[`+statement("web")+`]}`), "cycle.json")
	if _, got := (&Set{Docs: []*Document{d}}).Judge(types.Metadata{}, &cyc)(cyc.Vulnerabilities[0]); got {
		t.Error("a finding reachable through a cycle was suppressed")
	}
}

func TestIdentifierMatches(t *testing.T) {
	for _, tc := range []struct {
		pattern, target string
		want            bool
	}{
		{"pkg:apk/alpine/busybox", "pkg:apk/alpine/busybox@1.33.1-r3?arch=x86_64&distro=3.14.1", true},
		{"pkg:apk/alpine/busybox@1.33.1-r3?arch=x86_64", "pkg:apk/alpine/busybox@1.33.1-r3?arch=x86_64&distro=3.14.1", true},
		{"pkg:apk/alpine/busybox@1.33.1-r3?arch=aarch64", "pkg:apk/alpine/busybox@1.33.1-r3?arch=x86_64&distro=3.14.1", false},
		{"pkg:apk/alpine/busybox@1.33.1-r4", "pkg:apk/alpine/busybox@1.33.1-r3", false},
		{"pkg:apk/wolfi/busybox", "pkg:apk/alpine/busybox@1.33.1-r3", false},
		{"pkg:deb/debian/busybox", "pkg:apk/alpine/busybox@1.33.1-r3", false},
		{"pkg:deb/ubuntu/libstdc++6@12.3.0-1ubuntu1~22.04", "pkg:deb/ubuntu/libstdc%2B%2B6@12.3.0-1ubuntu1~22.04?arch=amd64&distro=ubuntu-22.04", true},
		{"pkg:oci/demo@sha256%3A" + strings.Repeat("a", 64), "pkg:oci/demo@sha256:" + strings.Repeat("a", 64) + "?arch=amd64&repository_url=registry.example.com%2Fteam%2Fdemo", true},
		{"pkg:oci/demo?repository_url=registry.example.com/team/demo", "pkg:oci/demo@sha256:" + strings.Repeat("a", 64) + "?arch=amd64&repository_url=registry.example.com%2Fteam%2Fdemo", true},
		{"sha256:abc", "sha256:abc", true},
		{"pkg:not a purl", "pkg:apk/alpine/busybox", false},
		{"", "", false},
	} {
		if got := identifierMatches(tc.pattern, tc.target); got != tc.want {
			t.Errorf("identifierMatches(%q, %q) = %v, want %v", tc.pattern, tc.target, got, tc.want)
		}
	}
}

// TestBadDocuments: one line naming the file and what is wrong.
func TestBadDocuments(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ name, body, want string }{
		{"empty.json", "", "empty file"},
		{"truncated.json", `{"@context":"https://openvex.dev/ns/v0.2.0","statements":[`, "not a VEX document"},
		{"sbom.json", `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[]}`, "no vulnerabilities: not a VEX"},
		{"spdx.json", `{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT"}`, "want OpenVEX, CycloneDX VEX or CSAF VEX"},
		{"status.json", `{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":{"name":"CVE-1"},"status":"maybe"}]}`, `status "maybe"`},
		{"novuln.json", `{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"status":"fixed"}]}`, "names no vulnerability"},
		{"type.json", `{"@context":"https://openvex.dev/ns/v0.2.0","statements":{"a":1}}`, "bad OpenVEX document"},
		{"csaf.json", `{"document":{"category":"csaf_security_advisory","csaf_version":"2.0"}}`, "no vulnerabilities: not a VEX"},
		{"state.json", `{"bomFormat":"CycloneDX","specVersion":"1.6","vulnerabilities":[{"id":"CVE-1","analysis":{"state":"maybe"},"affects":[{"ref":"x"}]}]}`, `analysis state "maybe"`},
		{"context.json", `{"@context":"https://www.w3.org/2018/credentials/v1"}`, "is not OpenVEX's"},
		{"array.json", `[1,2]`, "not a VEX document"},
		{"sbom-att.json", `{"_type":"https://in-toto.io/Statement/v1","predicateType":"https://spdx.dev/Document","predicate":{}}`, "predicate is not OpenVEX"},
	} {
		p := filepath.Join(dir, tc.name)
		if err := os.WriteFile(p, []byte(tc.body), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(p)
		if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: got error %v, want one line naming the file and %q", tc.name, err, tc.want)
		}
	}
	if _, err := Load(filepath.Join(dir, "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("missing file: %v", err)
	}
	defer func(n int) { maxDocumentSize = n }(maxDocumentSize)
	maxDocumentSize = 1 << 20
	big := filepath.Join(dir, "big.json")
	// Sparse: a file over the cap costs no disk.
	if err := os.WriteFile(big, []byte(`{"@context":"https://openvex.dev/ns/v0.2.0","x":"`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, int64(maxDocumentSize)+10); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("oversized file: %v", err)
	}
}

// trivyTestdata is Trivy's VEX test documents, from the module cache when
// it holds Trivy's source.
func trivyTestdata(t testing.TB) string {
	dirs, _ := filepath.Glob(filepath.Join(os.Getenv("HOME"), "go/pkg/mod/github.com/aquasecurity/trivy@v0.74.0/pkg/vex/testdata"))
	if gomod := os.Getenv("GOMODCACHE"); gomod != "" {
		more, _ := filepath.Glob(filepath.Join(gomod, "github.com/aquasecurity/trivy@v0.74.0/pkg/vex/testdata"))
		dirs = append(more, dirs...)
	}
	if len(dirs) == 0 {
		t.Skip("Trivy v0.74.0's source is not in the module cache")
	}
	return dirs[0]
}

// TestTrivyDocuments: the documents Trivy's own tests read decide as
// Trivy's tests say they do.
func TestTrivyDocuments(t *testing.T) {
	dir := trivyTestdata(t)
	spring := types.DetectedVulnerability{VulnerabilityID: "CVE-2021-44228", PkgName: "spring-boot",
		PkgIdentifier: types.Identifier{PURL: "pkg:maven/org.springframework.boot/spring-boot@2.6.0"}}
	bash := types.DetectedVulnerability{VulnerabilityID: "CVE-2022-3715", PkgName: "bash",
		PkgIdentifier: types.Identifier{PURL: "pkg:deb/debian/bash@5.2.15-2?arch=amd64&distro=debian-12.1"}}
	debian := types.Metadata{RepoDigests: []string{"debian@sha256:" + strings.Repeat("1", 64)}}
	for _, tc := range []struct {
		file string
		md   types.Metadata
		v    types.DetectedVulnerability
		want bool
	}{
		{"openvex.json", types.Metadata{}, spring, true},
		{"openvex-multiple.json", types.Metadata{}, spring, true}, // not_affected is the later statement
		{"cyclonedx.json", types.Metadata{}, spring, true},
		{"openvex-oci.json", debian, bash, true},
		{"openvex-oci.json", types.Metadata{}, bash, false},
		{"csaf.json", types.Metadata{}, spring, false},
	} {
		set, err := LoadFiles([]string{filepath.Join(dir, tc.file)})
		if err != nil {
			t.Fatal(err)
		}
		res := types.Result{Vulnerabilities: []types.DetectedVulnerability{tc.v}}
		if _, got := set.Judge(tc.md, &res)(tc.v); got != tc.want {
			t.Errorf("%s %s: suppressed %v, want %v", tc.file, tc.v.VulnerabilityID, got, tc.want)
		}
	}
	if _, err := Load(filepath.Join(dir, "unknown.json")); err == nil {
		t.Error("unknown.json ({}) was read as VEX")
	}
}

// FuzzParseVEX: no document makes Parse panic, and what it accepts can be
// judged.
func FuzzParseVEX(f *testing.F) {
	for _, name := range []string{"openvex.json", "cyclonedx-vex.json", "csaf-vex.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	if dir, err := filepath.Glob(filepath.Join(os.Getenv("HOME"), "go/pkg/mod/github.com/aquasecurity/trivy@v0.74.0/pkg/vex/testdata/*.json")); err == nil {
		for _, p := range dir {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
	}
	f.Add([]byte(`{"_type":"https://in-toto.io/Statement/v1","predicateType":"https://openvex.dev/ns/v0.2.0","predicate":{"@context":"https://openvex.dev/ns/v0.2.0","statements":[]}}`))
	f.Add([]byte(`{"payloadType":"application/vnd.in-toto+json","payload":"e30="}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse(data, "fuzz.json")
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error of several lines: %q", err)
			}
			return
		}
		rep := demoReport()
		judged(&Set{Docs: []*Document{d}}, rep)
	})
}
