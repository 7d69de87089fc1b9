package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
)

// cleanLanguages is sampleReport with a clean OS, a vulnerable Node.js
// target, a clean Python target and a file with a secret.
func cleanLanguages() *types.Report {
	r := sampleReport()
	r.Metadata.OS.EOSL = false
	r.Results[0].Vulnerabilities = nil
	vuln := sampleReport().Results[0].Vulnerabilities[0]
	vuln.PkgName = "minimist"
	r.Results = append(r.Results,
		types.Result{Target: "Node.js", Class: types.ClassLangPkg, Type: "node-pkg", Vulnerabilities: []types.DetectedVulnerability{vuln}},
		types.Result{Target: "Python", Class: types.ClassLangPkg, Type: "python-pkg"},
		types.Result{Target: "/app/.env", Class: types.ClassSecret, Secrets: []types.SecretFinding{{RuleID: "github-pat", Severity: "CRITICAL", Title: "GitHub Personal Access Token", StartLine: 1}}},
	)
	return r
}

func TestSummaryThenOnlyTargetsWithFindings(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, cleanLanguages(), Options{Format: "table", Scanners: []string{"vuln", "secret"}}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"\nReport Summary\n==============\n\n┌",
		"│            Target            │    Type    │ Vulnerabilities │ Secrets │\n",
		"│ alpine:3.14 (alpine 3.14.10) │   alpine   │        0        │    -    │\n",
		"│ Node.js                      │  node-pkg  │        1        │    -    │\n",
		"│ Python                       │ python-pkg │        0        │    -    │\n",
		"│ /app/.env                    │    text    │        -        │    1    │\n",
		"Legend:\n- '-': Not scanned\n- '0': Clean (no security findings detected)\n",
		"\nNode.js\n=======\nTotal: 1 (UNKNOWN: 0, LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 1)\n",
		"\n/app/.env (secrets)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q", want)
		}
	}
	for _, unwanted := range []string{"Total: 0", "\nPython\n", "(alpine 3.14.10)\n====", "Misconfigurations"} {
		if strings.Contains(out, unwanted) {
			t.Errorf("table has %q", unwanted)
		}
	}
	if strings.Index(out, "Report Summary") > strings.Index(out, "Node.js\n===") {
		t.Error("the summary is not first")
	}
}

func TestSummaryModeAndEOSL(t *testing.T) {
	var buf bytes.Buffer
	// An OS past its end of life keeps its section, clean or not, for the
	// warning.
	r := cleanLanguages()
	r.Metadata.OS.EOSL = true
	if err := Write(&buf, r, Options{Format: "table"}); err != nil {
		t.Fatal(err)
	}
	if out := buf.String(); !strings.Contains(out, "(alpine 3.14.10)\n============================\nWARNING: alpine 3.14.10 is no longer supported") {
		t.Errorf("no OS section with the warning:\n%s", out)
	}
	buf.Reset()
	if err := Write(&buf, cleanLanguages(), Options{Format: "table", TableModes: []string{"summary"}}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, "│ Node.js                      │  node-pkg  │        1        │    -    │") || strings.Contains(out, "Total:") {
		t.Errorf("summary mode:\n%s", out)
	}
	buf.Reset()
	if err := Write(&buf, cleanLanguages(), Options{Format: "table", TableModes: []string{"detailed"}}); err != nil {
		t.Fatal(err)
	}
	out = buf.String()
	if strings.Contains(out, "Report Summary") || !strings.Contains(out, "Node.js\n=======\nTotal: 1") || strings.Contains(out, "Total: 0") {
		t.Errorf("detailed mode:\n%s", out)
	}
	// Without the secret scanner, no Secrets column.
	buf.Reset()
	r = cleanLanguages()
	r.Results = r.Results[:3]
	Write(&buf, r, Options{Format: "table", Scanners: []string{"vuln"}})
	if out := buf.String(); !strings.Contains(out, "│ Python                       │ python-pkg │        0        │\n") {
		t.Errorf("vuln-only summary:\n%s", out)
	}
}

// A compose report keeps its table of services, and each image gets the
// summary and sections an image scan gets.
func TestStackImagesHaveSummaries(t *testing.T) {
	clean := cleanLanguages()
	clean.Results = []types.Result{clean.Results[0], clean.Results[2]} // the OS and Python, both clean
	r := &types.StackReport{
		ProjectName: "shop",
		Services: map[string]types.ServiceResult{
			"web": {Image: "web:1", ImageID: "sha256:aaaaaaaaaaaaaaaa", Vulnerabilities: map[string]int{"CRITICAL": 1}, Secrets: 1},
			"db":  {Image: "db:1", ImageID: "sha256:bbbbbbbbbbbbbbbb", Pass: true},
		},
		Images: map[string]*types.Report{"web:1": cleanLanguages(), "db:1": clean},
	}
	var buf bytes.Buffer
	if err := WriteStack(&buf, r, Options{Format: "table", Scanners: []string{"vuln", "secret"}}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if n := strings.Count(out, "\nReport Summary\n"); n != 2 {
		t.Errorf("%d image summaries, want 2:\n%s", n, out)
	}
	if strings.Contains(out, "Total: 0") || !strings.Contains(out, "\nNode.js\n=======\nTotal: 1") {
		t.Errorf("sections:\n%s", out)
	}
	if i := strings.Index(out, "│ Service │"); i < 0 || i > strings.Index(out, "Report Summary") {
		t.Errorf("the services table is not first:\n%s", out)
	}
}
