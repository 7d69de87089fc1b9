package scan

import (
	"context"
	"testing"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/vex"
)

// TestVEXParentPackageWithoutPackageList: an OpenVEX statement about the
// package that pulls a vulnerable one in (web, with minimist as its
// subcomponent) suppresses the finding in a scan that does not list
// packages: the packages and their DependsOn stay in the results until
// the policy has run, and are left out of the report after.
func TestVEXParentPackageWithoutPackageList(t *testing.T) {
	layer, err := imagebuild.Layer(
		imagebuild.File{Path: "app/package.json", Body: `{"name":"app","version":"1.0.0","dependencies":{"web":"^1.0.0"}}`},
		imagebuild.File{Path: "app/node_modules/web/package.json", Body: `{"name":"web","version":"1.0.0","dependencies":{"minimist":"^1.2.0"}}`},
		imagebuild.File{Path: "app/node_modules/minimist/package.json", Body: `{"name":"minimist","version":"1.2.0","license":"MIT"}`},
	)
	if err != nil {
		t.Fatal(err)
	}
	v1img, err := imagebuild.Image("amd64", layer)
	if err != nil {
		t.Fatal(err)
	}
	img, err := imagebuild.EngineImage("app:1", v1img)
	if err != nil {
		t.Fatal(err)
	}
	scanWith := func(statementProduct string) (left, suppressed, packages int) {
		t.Helper()
		opts := DefaultOptions()
		opts.Scanners = []string{ScannerVuln}
		opts.ListAllPackages = false
		opts.DB = fixtureDB(t, "../../testdata/db/languages.yaml")
		doc, err := vex.Parse([]byte(`{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://example.com/vex/1","author":"app team","timestamp":"2024-05-02T00:00:00Z","version":1,
"statements":[{"vulnerability":{"name":"CVE-2021-44906"},"products":[{"@id":"`+statementProduct+`","subcomponents":[{"@id":"pkg:npm/minimist"}]}],"status":"not_affected","justification":"vulnerable_code_not_in_execute_path"}]}`), "vex.json")
		if err != nil {
			t.Fatal(err)
		}
		opts.Policy.VEX = &vex.Set{Docs: []*vex.Document{doc}}
		opts.Policy.ShowSuppressed = true
		rep, err := Image(context.Background(), img, opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, res := range rep.Results {
			for _, v := range res.Vulnerabilities {
				if v.VulnerabilityID == "CVE-2021-44906" {
					left++
				}
			}
			suppressed += len(res.ModifiedFindings)
			packages += len(res.Packages)
		}
		return left, suppressed, packages
	}
	if left, suppressed, packages := scanWith("pkg:npm/web@1.0.0"); left != 0 || suppressed != 1 || packages != 0 {
		t.Errorf("statement on the parent: %d findings left, %d suppressed, %d packages listed; want 0, 1, 0", left, suppressed, packages)
	}
	if left, suppressed, _ := scanWith("pkg:npm/other@1.0.0"); left != 1 || suppressed != 0 {
		t.Errorf("statement on an unrelated package: %d left, %d suppressed; want 1, 0", left, suppressed)
	}
}
