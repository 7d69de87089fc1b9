package policy

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
	"github.com/docker-scan/docker-scan/engine/vex"
)

var demoDigest = "sha256:" + strings.Repeat("a", 64)

// demoImageReport is the demo image's findings (testdata/demo), pulled
// from a registry so that it has a pkg:oci package URL.
func demoImageReport() *types.Report {
	f := func(pkg, version, purl, id, sev string) types.DetectedVulnerability {
		return types.DetectedVulnerability{VulnerabilityID: id, PkgID: pkg + "@" + version, PkgName: pkg, InstalledVersion: version,
			PkgIdentifier: types.Identifier{PURL: purl, UID: pkg}, Vulnerability: types.Vulnerability{Severity: sev}}
	}
	apk := func(pkg, version, id, sev string) types.DetectedVulnerability {
		return f(pkg, version, "pkg:apk/alpine/"+pkg+"@"+version+"?arch=x86_64&distro=3.14.1", id, sev)
	}
	rep := &types.Report{
		ArtifactName: "registry.example.com/team/demo:1.0",
		Metadata:     types.Metadata{RepoDigests: []string{"registry.example.com/team/demo@" + demoDigest}, OS: &types.OS{Family: "alpine", Name: "3.14.1"}},
		Results: []types.Result{
			{Target: "registry.example.com/team/demo:1.0 (alpine 3.14.1)", Class: types.ClassOSPkg, Type: "alpine", Vulnerabilities: []types.DetectedVulnerability{
				apk("busybox", "1.33.1-r3", "CVE-2022-28391", "HIGH"),
				apk("busybox", "1.33.1-r3", "CVE-2021-42374", "MEDIUM"),
				apk("libcrypto1.1", "1.1.1k-r0", "CVE-2022-0778", "HIGH"),
				apk("libssl1.1", "1.1.1k-r0", "CVE-2022-0778", "HIGH"),
				apk("zlib", "1.2.11-r3", "CVE-2022-37434", "CRITICAL"),
				apk("zlib", "1.2.11-r3", "CVE-2018-25032", "HIGH"),
			}},
			{Target: "Node.js", Class: types.ClassLangPkg, Type: "node-pkg", Vulnerabilities: []types.DetectedVulnerability{
				f("minimist", "1.2.0", "pkg:npm/minimist@1.2.0", "CVE-2021-44906", "CRITICAL"),
				f("minimist", "1.2.0", "pkg:npm/minimist@1.2.0", "CVE-2020-7598", "MEDIUM"),
			}},
		},
	}
	return rep
}

func loadVEX(t *testing.T, names ...string) *vex.Set {
	t.Helper()
	var paths []string
	for _, n := range names {
		paths = append(paths, filepath.Join("..", "vex", "testdata", n))
	}
	set, err := vex.LoadFiles(paths)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func left(rep *types.Report) []string {
	var out []string
	for _, res := range rep.Results {
		for _, v := range res.Vulnerabilities {
			out = append(out, v.PkgName+"/"+v.VulnerabilityID)
		}
	}
	return out
}

func modified(rep *types.Report) []string {
	var out []string
	for _, res := range rep.Results {
		for _, m := range res.ModifiedFindings {
			out = append(out, m.Finding.PkgName+"/"+m.Finding.VulnerabilityID+" "+m.Status+" "+m.Source)
		}
	}
	return out
}

// TestFilterVEX: VEX takes out what each document suppresses, after the
// severity filter (a finding filtered out by severity is not listed as
// suppressed); --show-suppressed keeps them in ModifiedFindings; the exit
// code counts only what is left.
func TestFilterVEX(t *testing.T) {
	rep := demoImageReport()
	Filter(rep, Options{Now: now, Severities: []types.Severity{types.SeverityCritical, types.SeverityHigh},
		VEX: loadVEX(t, "openvex.json", "cyclonedx-vex.json", "csaf-vex.json"), ShowSuppressed: true})
	wantLeft := []string{"zlib/CVE-2022-37434"}
	if got := left(rep); !slices.Equal(got, wantLeft) {
		t.Errorf("left %q, want %q", got, wantLeft)
	}
	const dir = "../vex/testdata/"
	wantModified := []string{
		"busybox/CVE-2022-28391 not_affected CycloneDX VEX file: " + dir + "cyclonedx-vex.json",
		"libcrypto1.1/CVE-2022-0778 not_affected CSAF VEX file: " + dir + "csaf-vex.json",
		"libssl1.1/CVE-2022-0778 not_affected OpenVEX file: " + dir + "openvex.json",
		"zlib/CVE-2018-25032 fixed CycloneDX VEX file: " + dir + "cyclonedx-vex.json",
		"minimist/CVE-2021-44906 fixed OpenVEX file: " + dir + "openvex.json",
	}
	if got := modified(rep); !slices.Equal(got, wantModified) {
		t.Errorf("suppressed\n got %q\nwant %q", got, wantModified)
	}
	if code := ExitCode(rep, ExitOptions{ExitCode: 1}); code != 1 {
		t.Errorf("a finding is left: exit %d, want 1", code)
	}

	// Without --show-suppressed the findings are dropped all the same.
	rep = demoImageReport()
	Filter(rep, Options{Now: now, VEX: loadVEX(t, "openvex.json")})
	if got := modified(rep); len(got) != 0 {
		t.Errorf("ModifiedFindings without --show-suppressed: %q", got)
	}
	if got := left(rep); len(got) != 6 || slices.Contains(got, "libssl1.1/CVE-2022-0778") || !slices.Contains(got, "libcrypto1.1/CVE-2022-0778") {
		t.Errorf("left %q", got)
	}
}

// TestVEXSuppressesEverything: a document that says the image is not
// affected by each vulnerability found leaves nothing, and --exit-code 1
// exits 0.
func TestVEXSuppressesEverything(t *testing.T) {
	rep := demoImageReport()
	var stmts []string
	for _, id := range []string{"CVE-2022-28391", "CVE-2021-42374", "CVE-2022-0778", "CVE-2022-37434", "CVE-2018-25032", "CVE-2021-44906", "CVE-2020-7598"} {
		stmts = append(stmts, `{"vulnerability":{"name":"`+id+`"},"products":[{"@id":"pkg:oci/demo@`+demoDigest+`"}],"status":"not_affected","justification":"vulnerable_code_not_in_execute_path"}`)
	}
	p := filepath.Join(t.TempDir(), "all.openvex.json")
	doc := `{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://demo.example.com/vex/all","author":"Demo Corp","timestamp":"2024-05-02T09:30:00Z","version":1,"statements":[` + strings.Join(stmts, ",") + `]}`
	if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := vex.LoadFiles([]string{p})
	if err != nil {
		t.Fatal(err)
	}
	if code := ExitCode(demoImageReport(), ExitOptions{ExitCode: 1}); code != 1 {
		t.Fatalf("without VEX: exit %d, want 1", code)
	}
	Filter(rep, Options{Now: now, VEX: set, ShowSuppressed: true})
	if got := left(rep); len(got) != 0 {
		t.Errorf("left %q", got)
	}
	if got := modified(rep); len(got) != 8 {
		t.Errorf("want the 8 findings listed as suppressed, got %q", got)
	}
	if code := ExitCode(rep, ExitOptions{ExitCode: 1}); code != 0 {
		t.Errorf("everything suppressed: exit %d, want 0", code)
	}
}
