package report_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/docker-scan/docker-scan/engine/report"
	"github.com/docker-scan/docker-scan/engine/types"
)

// TestCosignVuln: the predicate cosign attests with --type vuln: the
// scanner by PURL and version, the JSON report as its result, the scan's
// times.
func TestCosignVuln(t *testing.T) {
	rep := demoFindingsReport(t)
	rep.CreatedAt = time.Date(2024, 6, 1, 11, 59, 0, 0, time.UTC)
	now := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	out := writeFormat(t, rep, report.Options{Format: "cosign-vuln", ToolVersion: "1.2.3", Now: now})

	var p struct {
		Invocation map[string]any `json:"invocation"`
		Scanner    struct {
			URI     string `json:"uri"`
			Version string `json:"version"`
			DB      struct {
				URI     string `json:"uri"`
				Version string `json:"version"`
			} `json:"db"`
			Result json.RawMessage `json:"result"`
		} `json:"scanner"`
		Metadata struct {
			ScanStartedOn  time.Time `json:"scanStartedOn"`
			ScanFinishedOn time.Time `json:"scanFinishedOn"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	for _, k := range []string{"parameters", "uri", "event_id", "builder.id"} {
		if _, ok := p.Invocation[k]; !ok {
			t.Errorf("invocation lacks %s: %v", k, p.Invocation)
		}
	}
	if p.Scanner.URI != "pkg:github/docker-scan/docker-scan@1.2.3" || p.Scanner.Version != "1.2.3" {
		t.Errorf("scanner %s %s", p.Scanner.URI, p.Scanner.Version)
	}
	if !p.Metadata.ScanStartedOn.Equal(rep.CreatedAt) || !p.Metadata.ScanFinishedOn.Equal(now) {
		t.Errorf("metadata %+v", p.Metadata)
	}
	// The result is the JSON report, byte for byte as --format json has it.
	var want bytes.Buffer
	if err := report.Write(&want, rep, report.Options{Format: "json"}); err != nil {
		t.Fatal(err)
	}
	var got, wantV any
	if err := json.Unmarshal(p.Scanner.Result, &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want.Bytes(), &wantV); err != nil {
		t.Fatal(err)
	}
	gotJSON, _ := json.Marshal(got)
	wantJSON, _ := json.Marshal(wantV)
	if !bytes.Equal(gotJSON, wantJSON) {
		t.Error("the predicate's result differs from the JSON report")
	}
	var back types.Report
	if err := json.Unmarshal(p.Scanner.Result, &back); err != nil {
		t.Fatal(err)
	}
	if back.ArtifactName != rep.ArtifactName || len(back.Results) != len(rep.Results) || len(back.Results[0].Vulnerabilities) != len(rep.Results[0].Vulnerabilities) {
		t.Errorf("result %s with %d results", back.ArtifactName, len(back.Results))
	}
}
