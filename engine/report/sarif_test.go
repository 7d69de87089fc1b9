package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/docker-scan/docker-scan/engine/db/dbtest"
	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/report"
	"github.com/docker-scan/docker-scan/engine/scan"
	"github.com/docker-scan/docker-scan/engine/types"
)

// demoFindingsReport scans the demo image (testdata/demo/layers: Alpine
// 3.14.1 with curl, a Node.js app with an old minimist, a .env holding a
// GitHub token) for vulnerabilities and secrets with the fixture DBs, as
// `docker scan image --scanners vuln,secret` does.
func demoFindingsReport(t testing.TB) *types.Report {
	t.Helper()
	return demoScan(t, nil)
}

// demoScan scans the demo image for vulnerabilities and secrets, with
// tune, when set, changing the options.
func demoScan(t testing.TB, tune func(*scan.Options)) *types.Report {
	t.Helper()
	img, err := imagebuild.EngineImage(imagebuild.DemoTag, demoV1Image(t))
	if err != nil {
		t.Fatal(err)
	}
	img.RepoTags = []string{imagebuild.DemoTag}
	opts := scan.DefaultOptions()
	opts.DB = dbtest.FixtureDB(t, "../../testdata/db/alpine-3.14.yaml", "../../testdata/db/languages.yaml")
	opts.Scanners = []string{scan.ScannerVuln, scan.ScannerSecret}
	opts.ListAllPackages = false
	opts.Now = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	if tune != nil {
		tune(&opts)
	}
	rep, err := scan.Image(context.Background(), img, opts)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func demoV1Image(t testing.TB) v1.Image {
	t.Helper()
	var layers []v1.Layer
	for _, dir := range []string{"1", "2"} {
		tarPath := filepath.Join(t.TempDir(), dir+".tar")
		if err := imagebuild.DirTar(filepath.Join("..", "..", "testdata", "demo", "layers", dir), tarPath); err != nil {
			t.Fatal(err)
		}
		l, err := imagebuild.LayerFromFile(tarPath)
		if err != nil {
			t.Fatal(err)
		}
		layers = append(layers, l)
	}
	img, err := imagebuild.Image("amd64", layers...)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

var sarifSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "schemas", "sarif-schema-2.1.0.json"))
	if err != nil {
		return nil, err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	const url = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	if err := c.AddResource(url, doc); err != nil {
		return nil, err
	}
	return c.Compile(url)
})

func validateSARIF(out []byte) error {
	sch, err := sarifSchema()
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
	if err != nil {
		return err
	}
	return sch.Validate(inst)
}

// sarifLog is the part of a SARIF log the tests read.
type sarifLog struct {
	Version string `json:"version"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name    string `json:"name"`
				Version string `json:"version"`
				Rules   []struct {
					ID               string `json:"id"`
					Name             string `json:"name"`
					ShortDescription struct {
						Text string `json:"text"`
					} `json:"shortDescription"`
					HelpURI string `json:"helpUri"`
					Help    struct {
						Text     string `json:"text"`
						Markdown string `json:"markdown"`
					} `json:"help"`
					Properties map[string]any `json:"properties"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Results []struct {
			RuleID    string `json:"ruleId"`
			RuleIndex int    `json:"ruleIndex"`
			Level     string `json:"level"`
			Message   struct {
				Text string `json:"text"`
			} `json:"message"`
			Locations []struct {
				PhysicalLocation struct {
					ArtifactLocation struct {
						URI       string `json:"uri"`
						URIBaseID string `json:"uriBaseId"`
					} `json:"artifactLocation"`
					Region struct {
						StartLine int `json:"startLine"`
						EndLine   int `json:"endLine"`
					} `json:"region"`
				} `json:"physicalLocation"`
				Message struct {
					Text string `json:"text"`
				} `json:"message"`
			} `json:"locations"`
			PartialFingerprints map[string]string `json:"partialFingerprints"`
			Fingerprints        map[string]string `json:"fingerprints"`
		} `json:"results"`
		Properties map[string]any `json:"properties"`
	} `json:"runs"`
}

func writeFormat(t *testing.T, r *types.Report, opts report.Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := report.Write(&buf, r, opts); err != nil {
		t.Fatalf("%s: %v", opts.Format, err)
	}
	return buf.Bytes()
}

func decodeSARIF(t *testing.T, out []byte) sarifLog {
	t.Helper()
	var log sarifLog
	if err := json.Unmarshal(out, &log); err != nil {
		t.Fatalf("SARIF is not JSON: %v", err)
	}
	if len(log.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(log.Runs))
	}
	return log
}

// checkRules: rule IDs are unique, every result points at its own rule,
// and every rule carries GitHub's security-severity as a number in 0-10.
func checkRules(t *testing.T, log sarifLog) {
	t.Helper()
	run := log.Runs[0]
	seen := map[string]bool{}
	for _, r := range run.Tool.Driver.Rules {
		if seen[r.ID] {
			t.Errorf("rule %s listed twice", r.ID)
		}
		seen[r.ID] = true
		s, ok := r.Properties["security-severity"].(string)
		score, err := strconv.ParseFloat(s, 64)
		if !ok || err != nil || score < 0 || score > 10 {
			t.Errorf("rule %s: security-severity %v", r.ID, r.Properties["security-severity"])
		}
		if r.ShortDescription.Text == "" || r.Help.Text == "" || r.Help.Markdown == "" {
			t.Errorf("rule %s lacks a description or help: %+v", r.ID, r)
		}
	}
	for _, res := range run.Results {
		if res.RuleIndex < 0 || res.RuleIndex >= len(run.Tool.Driver.Rules) || run.Tool.Driver.Rules[res.RuleIndex].ID != res.RuleID {
			t.Errorf("result %s: ruleIndex %d does not point at its rule", res.RuleID, res.RuleIndex)
		}
		if len(res.Locations) != 1 || res.Locations[0].PhysicalLocation.Region.StartLine < 1 {
			t.Errorf("result %s: locations %+v", res.RuleID, res.Locations)
		}
		if len(res.PartialFingerprints) == 0 {
			t.Errorf("result %s has no partial fingerprint", res.RuleID)
		}
	}
}

// TestSARIFImage: the SARIF of a real scan of the demo image validates
// against the SARIF 2.1.0 schema, and its rules, levels, scores,
// locations and messages are the findings of the scan.
func TestSARIFImage(t *testing.T) {
	rep := demoFindingsReport(t)
	out := writeFormat(t, rep, report.Options{Format: "sarif", ToolVersion: "1.2.3"})
	if err := validateSARIF(out); err != nil {
		t.Fatalf("not valid SARIF 2.1.0: %v\n%s", err, out)
	}
	log := decodeSARIF(t, out)
	checkRules(t, log)
	run := log.Runs[0]
	if log.Version != "2.1.0" || run.Tool.Driver.Name != "docker-scan" || run.Tool.Driver.Version != "1.2.3" {
		t.Errorf("version %s, driver %s %s", log.Version, run.Tool.Driver.Name, run.Tool.Driver.Version)
	}
	if run.Properties["imageID"] != rep.Metadata.ImageID || run.Properties["imageName"] != rep.ArtifactName {
		t.Errorf("run properties %v", run.Properties)
	}

	// One result per finding of the report, each under the rule of its ID.
	var findings int
	for _, res := range rep.Results {
		findings += len(res.Vulnerabilities) + len(res.Secrets)
	}
	if findings < 30 || len(run.Results) != findings {
		t.Fatalf("%d results for %d findings", len(run.Results), findings)
	}
	rules := map[string]int{}
	for i, r := range run.Tool.Driver.Rules {
		rules[r.ID] = i
	}
	type want struct {
		name, level, score, uri, base, locMsg string
		line                                  int
	}
	for id, w := range map[string]want{
		// busybox in the OS packages: located at the image (its repository,
		// as Trivy names it), HIGH, scored by NVD's CVSS v3 8.8.
		"CVE-2022-28391": {"OsPackageVulnerability", "error", "8.8", "library/docker-scan-demo", "ROOTPATH", "library/docker-scan-demo: busybox@1.33.1-r3", 1},
		// minimist in the app: located at its package.json in the image.
		"CVE-2021-44906": {"LanguageSpecificPackageVulnerability", "error", "", "srv/app/node_modules/minimist/package.json", "ROOTPATH", "srv/app/node_modules/minimist/package.json: minimist@1.2.0", 1},
		"CVE-2020-7598":  {"LanguageSpecificPackageVulnerability", "warning", "", "srv/app/node_modules/minimist/package.json", "ROOTPATH", "", 1},
		// The GitHub token of /srv/app/.env, on its line.
		"github-pat": {"Secret", "error", "9.5", "srv/app/.env", "ROOTPATH", "/srv/app/.env", 3},
	} {
		i, ok := rules[id]
		if !ok {
			t.Errorf("no rule %s", id)
			continue
		}
		r := run.Tool.Driver.Rules[i]
		if r.Name != w.name {
			t.Errorf("%s: rule name %s, want %s", id, r.Name, w.name)
		}
		if w.score != "" && r.Properties["security-severity"] != w.score {
			t.Errorf("%s: security-severity %v, want %s", id, r.Properties["security-severity"], w.score)
		}
		tags, _ := r.Properties["tags"].([]any)
		if len(tags) != 3 || tags[1] != "security" {
			t.Errorf("%s: tags %v", id, tags)
		}
		var hits int
		for _, res := range run.Results {
			if res.RuleID != id {
				continue
			}
			hits++
			loc := res.Locations[0]
			if res.Level != w.level || loc.PhysicalLocation.ArtifactLocation.URI != w.uri || loc.PhysicalLocation.ArtifactLocation.URIBaseID != w.base || loc.PhysicalLocation.Region.StartLine != w.line {
				t.Errorf("%s: level %s at %+v", id, res.Level, loc.PhysicalLocation)
			}
			if w.locMsg != "" && loc.Message.Text != w.locMsg {
				t.Errorf("%s: location message %q, want %q", id, loc.Message.Text, w.locMsg)
			}
		}
		if hits != 1 {
			t.Errorf("%s: %d results, want 1", id, hits)
		}
	}
	// Trivy's message layout, which dashboards parse.
	for _, res := range run.Results {
		if res.RuleID == "CVE-2022-28391" {
			want := "Package: busybox\nInstalled Version: 1.33.1-r3\nVulnerability CVE-2022-28391\nSeverity: HIGH\nFixed Version: 1.33.1-r7\nLink: [CVE-2022-28391](https://avd.aquasec.com/nvd/cve-2022-28391)"
			if res.Message.Text != want {
				t.Errorf("message %q, want %q", res.Message.Text, want)
			}
		}
		if res.RuleID == "github-pat" && strings.Contains(res.Message.Text, "ghp_") {
			t.Errorf("secret message shows the token: %q", res.Message.Text)
		}
	}
	// A CVE that two packages have (libssl1.1 and libcrypto1.1) is one rule
	// with two results.
	var n int
	for _, res := range run.Results {
		if res.RuleID == "CVE-2022-0778" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("CVE-2022-0778: %d results, want 2 (libcrypto1.1, libssl1.1)", n)
	}
}

// TestSARIFFingerprintsStable: two scans of the same image give the same
// fingerprints, and the partial fingerprints, which GitHub tracks alerts
// by, survive a rebuild of the image (a new image ID).
func TestSARIFFingerprintsStable(t *testing.T) {
	fingerprints := func(r *types.Report) (partial, full []string) {
		log := decodeSARIF(t, writeFormat(t, r, report.Options{Format: "sarif"}))
		for _, res := range log.Runs[0].Results {
			partial = append(partial, res.PartialFingerprints["dockerScanFinding/v1"])
			full = append(full, res.Fingerprints["dockerScanReport/v1"])
		}
		return partial, full
	}
	p1, f1 := fingerprints(demoFindingsReport(t))
	p2, f2 := fingerprints(demoFindingsReport(t))
	if strings.Join(p1, ",") != strings.Join(p2, ",") || strings.Join(f1, ",") != strings.Join(f2, ",") {
		t.Fatal("fingerprints differ between two scans of one image")
	}
	uniq := map[string]bool{}
	for _, p := range p1 {
		if p == "" || uniq[p] {
			t.Fatalf("partial fingerprint %q empty or shared by two results", p)
		}
		uniq[p] = true
	}
	rebuilt := demoFindingsReport(t)
	rebuilt.Metadata.ImageID = "sha256:" + strings.Repeat("0", 64)
	rebuilt.ArtifactID = "sha256:" + strings.Repeat("1", 64)
	for i := range rebuilt.Results {
		for j := range rebuilt.Results[i].Vulnerabilities {
			rebuilt.Results[i].Vulnerabilities[j].Fingerprint = "sha256:" + strings.Repeat("2", 64)
		}
	}
	p3, f3 := fingerprints(rebuilt)
	if strings.Join(p1, ",") != strings.Join(p3, ",") {
		t.Error("partial fingerprints change with the image ID")
	}
	if strings.Join(f1, ",") == strings.Join(f3, ",") {
		t.Error("full fingerprints ignore the report's Fingerprint")
	}
}

// TestSARIFSchemaCatchesErrors: the validator rejects what GitHub would:
// the check above is not vacuous.
func TestSARIFSchemaCatchesErrors(t *testing.T) {
	out := writeFormat(t, demoFindingsReport(t), report.Options{Format: "sarif"})
	for _, bad := range []struct{ from, to string }{
		{`"level": "error"`, `"level": "fatal"`},
		{`"startLine": 1`, `"startLine": 0`},
		{`"version": "2.1.0"`, `"version": "2.0.0"`},
	} {
		broken := bytes.Replace(out, []byte(bad.from), []byte(bad.to), 1)
		if bytes.Equal(broken, out) {
			t.Fatalf("%s not in the output", bad.from)
		}
		if validateSARIF(broken) == nil {
			t.Errorf("schema accepts %s", bad.to)
		}
	}
}

// TestSARIFStack: a compose project's SARIF is one run with every image's
// findings, named by image, and the compose file's misconfigurations at
// their lines.
func TestSARIFStack(t *testing.T) {
	rep := demoFindingsReport(t)
	stack := &types.StackReport{
		SchemaVersion: 2,
		ProjectName:   "shop",
		ConfigFiles:   []string{"compose.yaml"},
		Images:        map[string]*types.Report{"docker-scan-demo:latest": rep, "registry.example.com/shop/web:2": rep},
		Misconfigurations: []types.Result{{
			Target: "compose.yaml", Class: types.ClassConfig, Type: "compose",
			Misconfigurations: []types.Misconfiguration{
				{ID: "DSC007", Severity: "MEDIUM", Title: "Service runs as root", Message: "service web runs as root", Resolution: "Set user:.", Service: "web", StartLine: 12},
				{ID: "DSC001", Severity: "HIGH", Title: "Privileged container", Message: "service api is privileged", Service: "api", StartLine: 30},
			},
		}},
	}
	var buf bytes.Buffer
	if err := report.WriteStack(&buf, stack, report.Options{Format: "sarif"}); err != nil {
		t.Fatal(err)
	}
	if err := validateSARIF(buf.Bytes()); err != nil {
		t.Fatalf("not valid SARIF 2.1.0: %v", err)
	}
	log := decodeSARIF(t, buf.Bytes())
	checkRules(t, log)
	run := log.Runs[0]
	var perImage int
	for _, res := range rep.Results {
		perImage += len(res.Vulnerabilities) + len(res.Secrets)
	}
	if len(run.Results) != 2*perImage+2 {
		t.Fatalf("%d results, want %d", len(run.Results), 2*perImage+2)
	}
	fps := map[string]bool{}
	var misconf, web int
	for _, res := range run.Results {
		fps[res.PartialFingerprints["dockerScanFinding/v1"]] = true
		loc := res.Locations[0]
		switch res.RuleID {
		case "DSC007", "DSC001":
			misconf++
			want := map[string]int{"DSC007": 12, "DSC001": 30}[res.RuleID]
			if loc.PhysicalLocation.ArtifactLocation.URI != "compose.yaml" || loc.PhysicalLocation.ArtifactLocation.URIBaseID != "" || loc.PhysicalLocation.Region.StartLine != want {
				t.Errorf("%s at %+v", res.RuleID, loc.PhysicalLocation)
			}
		case "CVE-2021-44906":
			if strings.HasPrefix(loc.Message.Text, "registry.example.com/shop/web:2: ") {
				web++
			}
		}
	}
	if misconf != 2 || web != 1 {
		t.Errorf("%d misconfigurations, %d minimist results of the web image", misconf, web)
	}
	if len(fps) != len(run.Results) {
		t.Errorf("%d distinct partial fingerprints for %d results: the two images' findings collide", len(fps), len(run.Results))
	}
	if run.Properties["composeProject"] != "shop" {
		t.Errorf("properties %v", run.Properties)
	}
}
