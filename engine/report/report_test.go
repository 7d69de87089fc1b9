package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
)

func sampleReport() *types.Report {
	v := func(pkg, ver, id, sev string, status types.Status, fixed, title string) types.DetectedVulnerability {
		return types.DetectedVulnerability{
			VulnerabilityID: id, PkgName: pkg, InstalledVersion: ver, FixedVersion: fixed, Status: status,
			PrimaryURL:    "https://avd.aquasec.com/nvd/" + strings.ToLower(id),
			Vulnerability: types.Vulnerability{Title: title, Severity: sev},
		}
	}
	return &types.Report{
		SchemaVersion: 2, ArtifactName: "alpine:3.14", ArtifactType: "container_image",
		Metadata: types.Metadata{OS: &types.OS{Family: "alpine", Name: "3.14.10", EOSL: true}},
		Results: []types.Result{{
			Target: "alpine:3.14 (alpine 3.14.10)", Class: "os-pkgs", Type: "alpine",
			Vulnerabilities: []types.DetectedVulnerability{
				v("busybox", "1.33.1-r8", "CVE-2022-48174", "CRITICAL", types.StatusFixed, "1.33.1-r9", "busybox: stack overflow vulnerability in ash.c leads to arbitrary code execution"),
				v("libcrypto1.1", "1.1.1t-r2", "CVE-2023-2650", "MEDIUM", types.StatusFixed, "1.1.1u-r0", "openssl: Possible DoS translating ASN.1 object identifiers"),
				v("libcrypto1.1", "1.1.1t-r2", "CVE-2023-3446", "MEDIUM", types.StatusFixed, "1.1.1u-r0", "openssl: Excessive time spent checking DH keys and parameters"),
				v("libcrypto1.1", "1.1.1t-r2", "CVE-2023-0466", "LOW", types.StatusAffected, "", "openssl: Certificate policy check not enabled"),
			},
		}},
	}
}

func TestTable(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, sampleReport(), Options{Format: "table"}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"alpine:3.14 (alpine 3.14.10)\n============================\n",
		"Total: 4 (UNKNOWN: 0, LOW: 1, MEDIUM: 2, HIGH: 0, CRITICAL: 1)",
		"WARNING: alpine 3.14.10 is no longer supported",
		"│ busybox      │ CVE-2022-48174 │ CRITICAL │ fixed    │ 1.33.1-r8         │ 1.33.1-r9     │",
		// Titles wrap at 60 columns.
		"│ busybox: stack overflow vulnerability in ash.c leads to    │\n",
		"│ arbitrary code execution                                   │\n",
		"https://avd.aquasec.com/nvd/cve-2022-48174",
		// The second libcrypto1.1 row merges the package, severity, status,
		// installed and fixed version cells with the first.
		"│              ├────────────────┤          │          │                   │               ├",
		// The third differs in severity, status and fixed version.
		"│              ├────────────────┼──────────┼──────────┤                   ├───────────────┼",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("colours without Color")
	}
	// Every line of a table is as wide as its top border.
	top := 0
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.HasPrefix(line, "┌") {
			top = len([]rune(line))
		}
		if strings.HasPrefix(line, "│") || strings.HasPrefix(line, "├") || strings.HasPrefix(line, "└") {
			if n := len([]rune(line)); n != top {
				t.Errorf("ragged table line (%d runes, top %d): %s", n, top, line)
			}
		}
	}
	buf.Reset()
	Write(&buf, sampleReport(), Options{Format: "table", Color: true})
	if !strings.Contains(buf.String(), "\x1b[31mCRITICAL\x1b[0m") {
		t.Error("no colour with Color")
	}
}

func TestTitleCut(t *testing.T) {
	v := types.DetectedVulnerability{Vulnerability: types.Vulnerability{Title: "one two three four five six seven eight nine ten eleven twelve thirteen"}}
	if got := title(v); got != "one two three four five six seven eight nine ten eleven\ntwelve..." {
		t.Errorf("title = %q", got)
	}
}

func TestJSONFields(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, sampleReport(), Options{Format: "json"}); err != nil {
		t.Fatal(err)
	}
	var generic map[string]any
	if err := json.Unmarshal(buf.Bytes(), &generic); err != nil {
		t.Fatal(err)
	}
	v := generic["Results"].([]any)[0].(map[string]any)["Vulnerabilities"].([]any)[0].(map[string]any)
	for _, field := range []string{"VulnerabilityID", "PkgName", "InstalledVersion", "FixedVersion", "Status", "Severity", "Title", "PrimaryURL"} {
		if _, ok := v[field]; !ok {
			t.Errorf("JSON finding lacks %s: %v", field, v)
		}
	}
	if v["Status"] != "fixed" {
		t.Errorf("Status = %v, want the name", v["Status"])
	}
	if generic["Metadata"].(map[string]any)["OS"].(map[string]any)["EOSL"] != true {
		t.Error("EOSL missing")
	}
}
