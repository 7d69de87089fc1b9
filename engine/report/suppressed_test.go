package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
)

func suppressedReport() *types.Report {
	zlib := types.DetectedVulnerability{VulnerabilityID: "CVE-2022-37434", PkgName: "zlib", InstalledVersion: "1.2.11-r3", FixedVersion: "1.2.12-r2",
		Status: types.StatusFixed, Vulnerability: types.Vulnerability{Severity: "CRITICAL", Title: "zlib: heap-based buffer over-read"}}
	busybox := types.DetectedVulnerability{VulnerabilityID: "CVE-2022-28391", PkgName: "busybox", InstalledVersion: "1.33.1-r3",
		Vulnerability: types.Vulnerability{Severity: "HIGH"}}
	minimist := types.DetectedVulnerability{VulnerabilityID: "CVE-2021-44906", PkgName: "minimist", InstalledVersion: "1.2.0",
		Vulnerability: types.Vulnerability{Severity: "CRITICAL"}}
	return &types.Report{
		ArtifactName: "demo:1.0",
		Results: []types.Result{
			{Target: "demo:1.0 (alpine 3.14.1)", Class: types.ClassOSPkg, Type: "alpine",
				Vulnerabilities: []types.DetectedVulnerability{zlib},
				ModifiedFindings: []types.ModifiedFinding{{Type: "vulnerability", Status: "not_affected", Statement: "code_not_reachable",
					Source: "CycloneDX VEX file: vex.cdx.json", Finding: busybox}}},
			// Every finding of this result was suppressed.
			{Target: "Node.js", Class: types.ClassLangPkg, Type: "node-pkg",
				ModifiedFindings: []types.ModifiedFinding{{Type: "vulnerability", Status: "fixed",
					Source: "OpenVEX file: vex.json", Finding: minimist}}},
		},
	}
}

// TestSuppressedTable: with --show-suppressed each result lists what VEX
// suppressed under its own table, as Trivy prints it, and a result whose
// findings were all suppressed is still shown.
func TestSuppressedTable(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, suppressedReport(), Options{Format: "table", TableModes: []string{"detailed"}, ShowSuppressed: true}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, line := range []string{
		"Suppressed Vulnerabilities (Total: 1)\n=====================================\n",
		"│ Library │ Vulnerability  │ Severity │    Status    │     Statement      │              Source              │",
		"│ busybox │ CVE-2022-28391 │ HIGH     │ not_affected │ code_not_reachable │ CycloneDX VEX file: vex.cdx.json │",
		"\nNode.js\n=======\nTotal: 0 (UNKNOWN: 0, LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 0)\n",
		"│ minimist │ CVE-2021-44906 │ CRITICAL │ fixed  │ N/A       │ OpenVEX file: vex.json │",
	} {
		if !strings.Contains(out, line) {
			t.Errorf("table lacks %q:\n%s", line, out)
		}
	}
	// The suppressed section comes after the result's own table.
	if strings.Index(out, "CVE-2022-37434") > strings.Index(out, "CVE-2022-28391") {
		t.Errorf("the suppressed section precedes the findings:\n%s", out)
	}
	if strings.Count(out, "Suppressed Vulnerabilities") != 2 {
		t.Errorf("want one suppressed section per result:\n%s", out)
	}

	buf.Reset()
	if err := Write(&buf, suppressedReport(), Options{Format: "table", TableModes: []string{"detailed"}}); err != nil {
		t.Fatal(err)
	}
	if out := buf.String(); strings.Contains(out, "Suppressed") || strings.Contains(out, "Node.js") || strings.Contains(out, "CVE-2022-28391") {
		t.Errorf("without --show-suppressed nothing suppressed is shown:\n%s", out)
	}
}
