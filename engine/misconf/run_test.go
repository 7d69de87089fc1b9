package misconf

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
)

func TestRunTrivyShape(t *testing.T) {
	src := "FROM alpine\nRUN apk add \\\n    curl\nUSER root\n"
	df, err := ParseDockerfile("app/Dockerfile", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	everyRun := Check{
		ID: "DS-9002", AVDID: "AVD-DS-9002", Aliases: []string{"DS902"}, Type: TypeDockerfile,
		Title: "t", Description: "d", Resolution: "r", Severity: "LOW", References: []string{"https://example.com/x"},
		Dockerfile: func(df *Dockerfile) []Failure {
			var fs []Failure
			for _, c := range commandsOf(df, "run") {
				fs = append(fs, Failure{Message: "run " + c.Value[0], StartLine: c.StartLine, EndLine: c.EndLine})
				fs = append(fs, Failure{Message: "run " + c.Value[0], StartLine: c.StartLine, EndLine: c.EndLine})
			}
			return fs
		},
	}
	wholeFile := Check{ID: "DS-9001", AVDID: "AVD-DS-9001", Aliases: []string{"DS901"}, Type: TypeDockerfile, Severity: "HIGH",
		Dockerfile: func(*Dockerfile) []Failure { return []Failure{{Message: "whole file"}} }}
	passing := Check{ID: "DS-9003", Type: TypeDockerfile, Dockerfile: func(*Dockerfile) []Failure { return nil }}
	otherKind := Check{ID: "DSC001", Type: TypeCompose}

	res := Run(df, []Check{everyRun, passing, wholeFile, otherKind})
	if res.Target != "app/Dockerfile" || res.Class != types.ClassConfig || res.Type != "dockerfile" {
		t.Errorf("result header %q %q %q", res.Target, res.Class, res.Type)
	}
	if *res.MisconfSummary != (types.MisconfSummary{Successes: 1, Failures: 2}) {
		t.Errorf("summary %+v", *res.MisconfSummary)
	}
	if len(res.Misconfigurations) != 2 {
		t.Fatalf("%d findings, want 2 (sorted by AVDID, duplicates dropped): %+v", len(res.Misconfigurations), res.Misconfigurations)
	}
	if m := res.Misconfigurations[0]; m.ID != "DS-9001" || m.CauseMetadata.StartLine != 0 || len(m.CauseMetadata.Code.Lines) != 0 {
		t.Errorf("first finding %+v, want DS-9001 without lines", m)
	}
	want := types.Misconfiguration{
		Type: "Dockerfile Security Check", ID: "DS-9002", AVDID: "AVD-DS-9002", Title: "t", Description: "d",
		Message: "run apk add     curl", Namespace: "builtin.dockerfile.DS902", Query: "data.builtin.dockerfile.DS902.deny",
		Resolution: "r", Severity: "LOW", PrimaryURL: "https://avd.aquasec.com/misconfig/ds-9002",
		References: []string{"https://example.com/x", "https://avd.aquasec.com/misconfig/ds-9002"}, Status: "FAIL",
		CauseMetadata: types.CauseMetadata{Provider: "Dockerfile", Service: "general", StartLine: 2, EndLine: 3,
			Code: types.Code{Lines: []types.CodeLine{
				{Number: 2, Content: `RUN apk add \`, IsCause: true, FirstCause: true},
				{Number: 3, Content: "    curl", IsCause: true, LastCause: true},
			}}},
	}
	if got := res.Misconfigurations[1]; !reflect.DeepEqual(got, want) {
		t.Errorf("finding\n got %+v\nwant %+v", got, want)
	}
	if len(everyRun.References) != 1 {
		t.Errorf("Run changed the check's References: %q", everyRun.References)
	}
}

func TestCodeExcerptTruncated(t *testing.T) {
	var lines []string
	for i := 1; i <= 14; i++ {
		lines = append(lines, fmt.Sprintf("line %d", i))
	}
	code := codeExcerpt(lines, 2, 14)
	if len(code.Lines) != 10 {
		t.Fatalf("%d lines, want 10", len(code.Lines))
	}
	if l := code.Lines[9]; !l.Truncated || l.Number != 11 || l.Content != "" || l.IsCause {
		t.Errorf("last line %+v, want a bare truncation marker numbered 11", l)
	}
	if l := code.Lines[8]; !l.LastCause || l.Number != 10 || !strings.HasSuffix(l.Content, "10") {
		t.Errorf("line 9 %+v, want the last cause", l)
	}
	if !code.Lines[0].FirstCause || code.Lines[0].Number != 2 {
		t.Errorf("first line %+v", code.Lines[0])
	}
	if c := codeExcerpt(lines, 20, 21); len(c.Lines) != 0 {
		t.Errorf("lines past the end: %+v", c.Lines)
	}
}
