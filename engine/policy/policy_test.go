package policy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker-scan/docker-scan/engine/types"
)

var now = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)

func vuln(id, sev string, status types.Status, fixed string) types.DetectedVulnerability {
	return types.DetectedVulnerability{
		VulnerabilityID: id, PkgName: "libssl3", FixedVersion: fixed, Status: status,
		PkgIdentifier: types.Identifier{PURL: "pkg:apk/alpine/libssl3@3.1.4-r5?arch=x86_64&distro=3.19.1"},
		Vulnerability: types.Vulnerability{Severity: sev},
	}
}

func report() *types.Report {
	return &types.Report{
		Metadata: types.Metadata{OS: &types.OS{Family: "alpine", Name: "3.19.1"}},
		Results: []types.Result{{Vulnerabilities: []types.DetectedVulnerability{
			vuln("CVE-2024-0001", "CRITICAL", types.StatusFixed, "3.1.5-r0"),
			vuln("CVE-2024-0002", "CRITICAL", types.StatusAffected, ""),
			vuln("CVE-2024-0003", "HIGH", types.StatusFixed, "3.1.5-r0"),
			vuln("CVE-2024-0004", "LOW", types.StatusWillNotFix, ""),
			vuln("CVE-2024-0005", "MEDIUM", types.StatusFixDeferred, ""),
		}}},
	}
}

func ids(r *types.Report) string {
	var out []string
	for _, v := range r.Results[0].Vulnerabilities {
		out = append(out, strings.TrimPrefix(v.VulnerabilityID, "CVE-2024-"))
	}
	return strings.Join(out, ",")
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFiltersAndExitCode(t *testing.T) {
	plain, err := LoadIgnoreFile(writeFile(t, ".trivyignore", "# accepted risks\nCVE-2024-0001\nCVE-2024-0003 exp:2026-01-01 # expired: counts again\n\n"), true)
	if err != nil {
		t.Fatal(err)
	}
	critical := []types.Severity{types.SeverityCritical}
	tests := []struct {
		name     string
		opts     Options
		want     string
		exitWant int
	}{
		{"no filter", Options{}, "0001,0002,0003,0004,0005", 1},
		{"severity", Options{Severities: critical}, "0001,0002", 1},
		{"ignore unfixed", Options{IgnoreUnfixed: true}, "0001,0003", 1},
		{"ignore status", Options{IgnoreStatuses: []types.Status{types.StatusWillNotFix, types.StatusFixDeferred}}, "0001,0002,0003", 1},
		{"ignore file", Options{Ignore: plain}, "0002,0003,0004,0005", 1},
		{"critical and unfixed ignored", Options{Severities: critical, IgnoreUnfixed: true}, "0001", 1},
		// The only fixed CRITICAL is in the ignore file: nothing left, exit 0.
		{"critical, unfixed and ignore file", Options{Severities: critical, IgnoreUnfixed: true, Ignore: plain}, "", 0},
		{"critical and ignore file", Options{Severities: critical, Ignore: plain}, "0002", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := report()
			tt.opts.Now = now
			Filter(r, tt.opts)
			if got := ids(r); got != tt.want {
				t.Errorf("kept %s, want %s", got, tt.want)
			}
			if got := ExitCode(r, ExitOptions{ExitCode: 1}); got != tt.exitWant {
				t.Errorf("exit code %d, want %d", got, tt.exitWant)
			}
			if got := ExitCode(r, ExitOptions{}); got != 0 {
				t.Errorf("exit code %d without --exit-code", got)
			}
		})
	}
}

func TestExitOnEOL(t *testing.T) {
	r := report()
	r.Results[0].Vulnerabilities = nil
	if got := ExitCode(r, ExitOptions{ExitCode: 1, ExitOnEOL: 3}); got != 0 {
		t.Errorf("supported OS: exit %d", got)
	}
	r.Metadata.OS.EOSL = true
	if got := ExitCode(r, ExitOptions{ExitCode: 1, ExitOnEOL: 3}); got != 3 {
		t.Errorf("EOL OS: exit %d, want 3", got)
	}
	r = report()
	r.Metadata.OS.EOSL = true
	if got := ExitCode(r, ExitOptions{ExitCode: 1, ExitOnEOL: 3}); got != 1 {
		t.Errorf("findings come first: exit %d, want 1", got)
	}
}

func TestYAMLIgnoreFile(t *testing.T) {
	f, err := LoadIgnoreFile(writeFile(t, ".trivyignore.yaml", `
vulnerabilities:
  - id: CVE-2024-0001
    statement: fixed by our WAF rule
  - id: CVE-2024-0002
    purls: ["pkg:apk/alpine/libssl3@3.1.4-r5"]
    expired_at: 2027-01-01
  - id: CVE-2024-0003
    purls: ["pkg:apk/alpine/libcrypto3"]
  - id: CVE-2024-0004
    paths: ["usr/lib/**"]
  - id: CVE-2024-0005
    expired_at: 2025-01-01
secrets:
  - id: aws-access-key-id
`), true)
	if err != nil {
		t.Fatal(err)
	}
	r := report()
	r.Results[0].Vulnerabilities[3].PkgPath = "usr/lib/python3/dist-packages/x/METADATA"
	Filter(r, Options{Ignore: f, Now: now})
	// 0003's purl names another package; 0005's entry has expired.
	if got := ids(r); got != "0003,0005" {
		t.Errorf("kept %s, want 0003,0005", got)
	}
	if len(f.Secrets) != 1 {
		t.Errorf("secrets = %+v", f.Secrets)
	}
}

func TestIgnoreFileErrors(t *testing.T) {
	if f, err := LoadIgnoreFile(filepath.Join(t.TempDir(), ".trivyignore"), false); f != nil || err != nil {
		t.Errorf("a missing default ignore file is no error: %v %v", f, err)
	}
	if _, err := LoadIgnoreFile(filepath.Join(t.TempDir(), "named"), true); err == nil {
		t.Error("a missing named ignore file must be an error")
	}
	for name, content := range map[string]string{
		"bad.trivyignore":       "CVE-2024-0001 exp:tomorrow\n",
		"bad.yaml":              "vulnerabilities: [\n",
		"noid.trivyignore.yaml": "vulnerabilities:\n  - statement: no id\n",
	} {
		if _, err := LoadIgnoreFile(writeFile(t, name, content), true); err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: want a one-line error, got %v", name, err)
		}
	}
}
