package misconf

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestParseDockerfileTricky(t *testing.T) {
	const path = "../../testdata/misconf/dockerfile/parse/tricky.Dockerfile"
	content, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	df, err := ParseDockerfile("Dockerfile", content)
	if err != nil {
		t.Fatal(err)
	}
	if len(df.Lines) != 22 || df.Lines[3] != "from --platform=$BUILDPLATFORM ${BASE} as build" {
		t.Errorf("Lines: %d lines, line 4 %q", len(df.Lines), df.Lines[3])
	}
	// The global ARG is a stage of its own with no name; it and the
	// first FROM's stage share index 0, as in Trivy's input.
	var names []string
	for _, s := range df.Stages {
		names = append(names, s.Name)
	}
	if want := []string{"", "--platform=$BUILDPLATFORM ${BASE} as build", "scratch"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("stage names %q, want %q", names, want)
	}
	got := map[int]Command{}
	for _, s := range df.Stages {
		for _, c := range s.Commands {
			got[c.StartLine] = c
		}
	}
	want := []Command{
		{Cmd: "arg", Value: []string{"BASE=alpine:3.20"}, Original: "ARG BASE=alpine:3.20", StartLine: 3, EndLine: 3},
		{Cmd: "from", Flags: []string{"--platform=$BUILDPLATFORM"}, Value: []string{"${BASE}", "as", "build"},
			Original: "from --platform=$BUILDPLATFORM ${BASE} as build", StartLine: 4, EndLine: 4},
		// The escape directive makes ` the continuation character.
		// Continuations are joined as written, indentation kept.
		{Cmd: "run", Value: []string{"apk add       curl &&     echo hi"}, Original: "RUN apk add       curl &&     echo hi", StartLine: 5, EndLine: 7},
		// A lone heredoc script: its lines joined as one shell command.
		{Cmd: "run", Value: []string{"apt-get update ; apt-get install -y curl"},
			Original: "RUN <<EOF\napt-get update\napt-get install -y curl\nEOF", StartLine: 8, EndLine: 11},
		{Cmd: "copy", Flags: []string{"--from=build", "--chown=app:app"}, Value: []string{"a", "b", "/dst/"}, JSON: true,
			Original: `COPY --from=build --chown=app:app ["a", "b", "/dst/"]`, StartLine: 12, EndLine: 12},
		{Cmd: "onbuild", SubCmd: "run", Value: []string{"echo", "x"}, JSON: true, Original: `ONBUILD RUN ["echo", "x"]`, StartLine: 13, EndLine: 13},
		{Cmd: "from", Value: []string{"scratch"}, Original: "FROM scratch", Stage: 1, StartLine: 15, EndLine: 15},
		{Cmd: "healthcheck", Flags: []string{"--interval=5s"}, Value: []string{"CMD", "curl -f http://x/ || exit 1"},
			Original: "HEALTHCHECK --interval=5s CMD curl -f http://x/ || exit 1", Stage: 1, StartLine: 16, EndLine: 16},
		{Cmd: "expose", Value: []string{"80/tcp", "22"}, Original: "EXPOSE 80/tcp 22", Stage: 1, StartLine: 18, EndLine: 18},
	}
	for _, w := range want {
		w.Path = "Dockerfile"
		g, ok := got[w.StartLine]
		if !ok {
			t.Errorf("no command at line %d", w.StartLine)
			continue
		}
		if len(g.Flags) == 0 {
			g.Flags = nil
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("line %d:\n got %+v\nwant %+v", w.StartLine, g, w)
		}
	}
}

func TestParseDockerfileHeredocForms(t *testing.T) {
	src := "FROM alpine\n" +
		"RUN <<-EOT\n\tset -e\n\tapk add curl\nEOT\n" + // chomped tabs
		"RUN python3 <<EOT\nprint(1)\nEOT\n" + // a command reading the heredoc
		"RUN <<EOT\n#!/bin/sh\necho hi\nEOT\n" + // shebang: passed as is
		"COPY <<EOT /etc/motd\nhello\nEOT\n"
	df, err := ParseDockerfile("Dockerfile", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	cmds := df.Stages[0].Commands
	if len(cmds) != 5 {
		t.Fatalf("%d commands, want 5", len(cmds))
	}
	for i, want := range []string{
		"set -e ; apk add curl",
		"python3 <<EOT\nprint(1)\nEOT",
		"<<EOT\n#!/bin/sh\necho hi\nEOT",
		"hello", // as Trivy: a lone heredoc's body, whatever the instruction
	} {
		c := cmds[i+1]
		if len(c.Value) != 1 || c.Value[0] != want {
			t.Errorf("%s at line %d: Value %q, want [%q]", c.Cmd, c.StartLine, c.Value, want)
		}
	}
	if c := cmds[1]; c.StartLine != 2 || c.EndLine != 5 {
		t.Errorf("heredoc RUN spans %d-%d, want 2-5", c.StartLine, c.EndLine)
	}
}

func TestParseDockerfileErrors(t *testing.T) {
	for name, src := range map[string]string{
		"empty":          "",
		"comments only":  "# nothing here\n\n",
		"too big":        "FROM alpine\nRUN " + strings.Repeat("x", MaxDockerfileBytes) + "\n",
		"too many lines": "FROM alpine\n" + strings.Repeat("\n", MaxDockerfileLines),
		"bad escape":     "# escape=x\nFROM alpine\n",
	} {
		if df, err := ParseDockerfile("Dockerfile", []byte(src)); err == nil {
			t.Errorf("%s: no error, stages %+v", name, df.Stages)
		} else if !strings.HasPrefix(err.Error(), "dockerfile Dockerfile: ") {
			t.Errorf("%s: error %q does not name the file", name, err)
		}
	}
}
