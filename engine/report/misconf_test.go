package report_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode"

	"github.com/docker-scan/docker-scan/engine/report"
	"github.com/docker-scan/docker-scan/engine/types"
)

// dockerfileResult is a Dockerfile's result as the checks give it: a
// one-line cause, a cause over three lines, a finding about the whole
// file (no lines), and a check with no page of its own.
func dockerfileResult() types.Result {
	return types.Result{
		Target: "app/Dockerfile", Class: types.ClassConfig, Type: "dockerfile",
		MisconfSummary: &types.MisconfSummary{Successes: 24, Failures: 3},
		Misconfigurations: []types.Misconfiguration{
			{
				Type: "Dockerfile Security Check", ID: "DS-0001", AVDID: "AVD-DS-0001", Title: "':latest' tag used",
				Description: "A FROM without a pinned tag builds from whatever was pushed last.",
				Message:     "Specify a tag in the 'FROM' statement for image 'alpine'", Severity: "MEDIUM",
				PrimaryURL: "https://avd.aquasec.com/misconfig/ds-0001", Status: "FAIL",
				CauseMetadata: types.CauseMetadata{Provider: "Dockerfile", Service: "general", StartLine: 1, EndLine: 1, Code: types.Code{Lines: []types.CodeLine{
					{Number: 1, Content: "FROM alpine:latest", IsCause: true, FirstCause: true, LastCause: true},
				}}},
			},
			{
				Type: "Dockerfile Security Check", ID: "DS-0002", Title: "Image user should not be 'root'",
				Description: "Processes of the image run as root.", Message: "Specify at least 1 USER command in Dockerfile with non-root user as argument",
				Severity: "HIGH", PrimaryURL: "https://avd.aquasec.com/misconfig/ds-0002", Status: "FAIL",
			},
			{
				Type: "Dockerfile Security Check", ID: "DS-0029", Title: "'apt-get' missing '--no-install-recommends'",
				Description: "Recommended packages widen the image.", Message: "'--no-install-recommends' flag is missed: 'apt-get update && apt-get install -y curl'",
				Severity: "HIGH", PrimaryURL: "https://avd.aquasec.com/misconfig/ds-0029", Status: "FAIL",
				CauseMetadata: types.CauseMetadata{StartLine: 3, EndLine: 5, Code: types.Code{Lines: []types.CodeLine{
					{Number: 3, Content: "RUN apt-get update \\", IsCause: true, FirstCause: true},
					{Number: 4, Content: " && apt-get install -y \\", IsCause: true},
					{Number: 5, Content: "    curl", IsCause: true, LastCause: true},
				}}},
			},
		},
	}
}

// TestMisconfigTable: a config file's block has Trivy's layout: heading,
// tests and failures by severity, then each failure with its message,
// description, link, place and code, the cause marked.
func TestMisconfigTable(t *testing.T) {
	rep := &types.Report{SchemaVersion: 2, ArtifactName: ".", ArtifactType: types.ArtifactTypeFilesystem, Results: []types.Result{dockerfileResult()}}
	out := string(writeFormat(t, rep, report.Options{Format: "table", TableModes: []string{"detailed"}}))
	want := `
app/Dockerfile (dockerfile)
===========================
Tests: 27 (SUCCESSES: 24, FAILURES: 3)
Failures: 3 (UNKNOWN: 0, LOW: 0, MEDIUM: 1, HIGH: 2, CRITICAL: 0)

DS-0001 (MEDIUM): Specify a tag in the 'FROM' statement for image 'alpine'
════════════════════════════════════════
A FROM without a pinned tag builds from whatever was pushed last.

See https://avd.aquasec.com/misconfig/ds-0001
────────────────────────────────────────
 app/Dockerfile:1
────────────────────────────────────────
   1 [ FROM alpine:latest
────────────────────────────────────────


DS-0002 (HIGH): Specify at least 1 USER command in Dockerfile with non-root user as argument
════════════════════════════════════════
Processes of the image run as root.

See https://avd.aquasec.com/misconfig/ds-0002
────────────────────────────────────────


DS-0029 (HIGH): '--no-install-recommends' flag is missed: 'apt-get update && apt-get install -y curl'
════════════════════════════════════════
Recommended packages widen the image.

See https://avd.aquasec.com/misconfig/ds-0029
────────────────────────────────────────
 app/Dockerfile:3-5
────────────────────────────────────────
   3 ┌ RUN apt-get update \
   4 │  && apt-get install -y \
   5 └     curl
────────────────────────────────────────


`
	if out != want {
		t.Errorf("table:\n%s\nwant:\n%s", out, want)
	}

	// The summary lists the file with its count, under Trivy's column.
	out = string(writeFormat(t, rep, report.Options{Format: "table", Scanners: []string{}}))
	if !strings.Contains(out, "│ app/Dockerfile │ dockerfile │         3         │") {
		t.Errorf("summary row missing:\n%s", out)
	}
}

// TestMisconfigTableCleanAndOrigin: a file that passed every check has no
// block (the summary lists it); a finding of an image's config names its
// history step; a check with no link shows its fix.
func TestMisconfigTableCleanAndOrigin(t *testing.T) {
	clean := types.Result{Target: "Dockerfile", Class: types.ClassConfig, Type: "dockerfile", MisconfSummary: &types.MisconfSummary{Successes: 27}}
	image := types.Result{Target: "Dockerfile", Class: types.ClassConfig, Type: "dockerfile", MisconfSummary: &types.MisconfSummary{Successes: 26, Failures: 1},
		Misconfigurations: []types.Misconfiguration{{
			ID: "DS-0031", Severity: "CRITICAL", Message: "Possible exposure of secret env \"DB_PASSWORD\" in ENV", Status: "FAIL",
			Layer:         &types.LayerRef{CreatedBy: "ENV DB_PASSWORD=hunter2"},
			CauseMetadata: types.CauseMetadata{StartLine: 4, EndLine: 4, Code: types.Code{Lines: []types.CodeLine{{Number: 4, Content: "ENV DB_PASSWORD=hunter2", IsCause: true, FirstCause: true, LastCause: true}}}},
		}, {
			ID: "USR-1", Severity: "LOW", Message: "custom", Resolution: "Do the other thing.", Status: "FAIL",
		}}}
	rep := &types.Report{ArtifactName: "app:1", Results: []types.Result{clean, image}}
	out := string(writeFormat(t, rep, report.Options{Format: "table", TableModes: []string{"detailed"}}))
	if strings.Count(out, "Dockerfile (dockerfile)") != 1 {
		t.Errorf("want one block, for the file with failures:\n%s", out)
	}
	for _, want := range []string{
		" Dockerfile:4 (history step: ENV DB_PASSWORD=hunter2)\n",
		"Failures: 2 (UNKNOWN: 0, LOW: 1, MEDIUM: 0, HIGH: 0, CRITICAL: 1)",
		"USR-1 (LOW): custom\n════════════════════════════════════════\nFix: Do the other thing.\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("lacks %q:\n%s", want, out)
		}
	}
}

// TestMisconfigTableHostile: text from a file or a custom check reaches
// the terminal printable and bounded.
func TestMisconfigTableHostile(t *testing.T) {
	res := dockerfileResult()
	m := &res.Misconfigurations[0]
	m.Message = "bad\x1b[2Jmessage\rhidden"
	m.Description = strings.Repeat("line\n", 10_000)
	m.CauseMetadata.Code.Lines[0].Content = "FROM \x1b]0;title\x07alpine" + strings.Repeat("x", 1<<20)
	for i := range 500 {
		m.CauseMetadata.Code.Lines = append(m.CauseMetadata.Code.Lines, types.CodeLine{Number: i + 2, Content: "RUN x"})
	}
	rep := &types.Report{Results: []types.Result{res}}
	out := string(writeFormat(t, rep, report.Options{Format: "table", TableModes: []string{"detailed"}}))
	if strings.ContainsFunc(out, func(r rune) bool { return unicode.IsControl(r) && r != '\n' }) {
		t.Error("a control character reached the table")
	}
	if len(out) > 64<<10 {
		t.Errorf("%d bytes of table for one finding: not bounded", len(out))
	}
	if !strings.Contains(out, `bad\x1b[2Jmessage\x0dhidden`) {
		t.Errorf("the message is not shown escaped:\n%.2000s", out)
	}
}

// TestMisconfigSARIF: a Dockerfile finding is located at its file and
// lines, under the scanned directory; its rule links the check's page.
func TestMisconfigSARIF(t *testing.T) {
	rep := &types.Report{SchemaVersion: 2, ArtifactName: "/src/project", ArtifactType: types.ArtifactTypeFilesystem, Results: []types.Result{dockerfileResult()}}
	out := writeFormat(t, rep, report.Options{Format: "sarif"})
	if err := validateSARIF(out); err != nil {
		t.Fatalf("not valid SARIF 2.1.0: %v", err)
	}
	log := decodeSARIF(t, out)
	checkRules(t, log)
	run := log.Runs[0]
	want := map[string][2]int{"DS-0001": {1, 1}, "DS-0002": {1, 1}, "DS-0029": {3, 5}}
	if len(run.Results) != len(want) {
		t.Fatalf("%d results, want %d", len(run.Results), len(want))
	}
	for _, res := range run.Results {
		loc := res.Locations[0].PhysicalLocation
		lines := want[res.RuleID]
		if loc.ArtifactLocation.URI != "app/Dockerfile" || loc.ArtifactLocation.URIBaseID != "ROOTPATH" || loc.Region.StartLine != lines[0] || loc.Region.EndLine != lines[1] {
			t.Errorf("%s at %+v, want app/Dockerfile lines %v", res.RuleID, loc, lines)
		}
	}
	for _, r := range run.Tool.Driver.Rules {
		if !strings.HasPrefix(r.HelpURI, "https://avd.aquasec.com/misconfig/ds-") {
			t.Errorf("rule %s links %q", r.ID, r.HelpURI)
		}
	}
	var base struct {
		Runs []struct {
			OriginalURIBaseIDs map[string]struct {
				URI string `json:"uri"`
			} `json:"originalUriBaseIds"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(out, &base); err != nil {
		t.Fatal(err)
	}
	if got := base.Runs[0].OriginalURIBaseIDs["ROOTPATH"].URI; got != "file:///src/project/" {
		t.Errorf("ROOTPATH is %q, want file:///src/project/", got)
	}
}

// FuzzMisconfigTable: any text in a finding renders without panicking,
// printable.
func FuzzMisconfigTable(f *testing.F) {
	f.Add("DS-0001", "msg", "desc\nmore", "FROM x", "HIGH", 1, 1, true)
	f.Add("", "", "", "", "", 0, -3, false)
	f.Fuzz(func(t *testing.T, id, msg, desc, code, sev string, start, end int, cause bool) {
		res := types.Result{Target: "Dockerfile", Class: types.ClassConfig, Type: "dockerfile", Misconfigurations: []types.Misconfiguration{{
			ID: id, Message: msg, Description: desc, Severity: sev, Resolution: desc, Layer: &types.LayerRef{CreatedBy: code},
			CauseMetadata: types.CauseMetadata{StartLine: start, EndLine: end, Code: types.Code{Lines: []types.CodeLine{
				{Number: start, Content: code, IsCause: cause, FirstCause: cause},
				{Number: end, Truncated: !cause, IsCause: cause, LastCause: cause},
			}}},
		}}}
		var buf bytes.Buffer
		if err := report.Write(&buf, &types.Report{Results: []types.Result{res}}, report.Options{Format: "table"}); err != nil {
			t.Fatal(err)
		}
		if strings.ContainsFunc(buf.String(), func(r rune) bool { return unicode.IsControl(r) && r != '\n' }) {
			t.Errorf("control character in %q", buf.String())
		}
	})
}
