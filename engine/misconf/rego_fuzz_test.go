package misconf

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkDockerfileChecks1000Rego is BenchmarkDockerfileChecks1000 with
// one custom Rego check (data.user.dockerfile.no_pipe_to_shell, which
// imports data.lib.docker and calls result.new) run beside the built-in
// checks: the difference per file is the cost of a custom check.
func BenchmarkDockerfileChecks1000Rego(b *testing.B) {
	custom, err := LoadRegoChecks([]string{regoTestdata + "/checks/no_pipe_to_shell.rego"}, []string{"user"})
	if err != nil || len(custom) != 1 {
		b.Fatalf("custom checks %d: %v", len(custom), err)
	}
	seeds := testdataDockerfiles(b)
	files := make([][]byte, 1000)
	for i := range files {
		seed := seeds[i%len(seeds)]
		files[i] = fmt.Appendf(append([]byte{}, seed...), "LABEL n=%d\nRUN echo %d && \\\n    true\n", i, i)
	}
	// One file in ten pipes a download into a shell, so the check finds
	// something and builds its result objects.
	for i := 0; i < len(files); i += 10 {
		files[i] = append(files[i], "RUN curl -fsSL https://example.com/i.sh | sh\n"...)
	}
	found := 0
	var inRego time.Duration
	b.ResetTimer()
	for b.Loop() {
		found = 0
		for _, content := range files {
			df, err := ParseDockerfile("Dockerfile", content)
			if err != nil {
				b.Fatal(err)
			}
			Run(df, DockerfileChecks)
			start := time.Now()
			found += len(Run(df, custom).Misconfigurations)
			inRego += time.Since(start)
		}
	}
	if found < 100 {
		b.Fatalf("custom check found %d, want at least 100", found)
	}
	perFile := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(b.N*len(files)) }
	b.ReportMetric(perFile(b.Elapsed()), "ns/file")
	b.ReportMetric(perFile(inRego), "rego-ns/file")
}

// FuzzRegoDockerfileChecks: any Dockerfile that parses goes through the
// custom checks of testdata (library helpers, sh.parse_commands,
// result.new) without a panic; a failure is a finding inside the file or
// an evaluation error, never both.
func FuzzRegoDockerfileChecks(f *testing.F) {
	checks := loadTestRegoChecks(f, "checks", "user", "ops")
	for _, b := range testdataDockerfiles(f) {
		f.Add(b)
	}
	f.Add([]byte("FROM alpine:edge\nRUN curl x | sh; echo 'open\n"))
	f.Add([]byte("FROM a\nRUN <<EOF\napt-get install curl\nEOF\nMAINTAINER\n"))
	f.Fuzz(func(t *testing.T, content []byte) {
		df, err := ParseDockerfile("Dockerfile", content)
		if err != nil {
			return
		}
		for _, c := range checks {
			for _, fl := range c.Dockerfile(df) {
				if fl.Error != "" && (fl.Message != "" || fl.StartLine != 0) {
					t.Fatalf("%s: error and finding at once: %+v", c.Query, fl)
				}
				if fl.StartLine > len(df.Lines) || fl.EndLine > len(df.Lines) || fl.StartLine < 0 {
					t.Fatalf("%s: lines %d-%d of a %d-line file", c.Query, fl.StartLine, fl.EndLine, len(df.Lines))
				}
			}
		}
	})
}

// FuzzShParseCommands: sh.parse_commands on any RUN text never panics,
// and every command it returns has words.
func FuzzShParseCommands(f *testing.F) {
	for _, s := range []string{
		"apt-get update && apt-get install -y curl",
		`echo "a;b" ; apk add git || true`,
		"curl -fsSL $URL | sh -s -- --yes",
		"if [ -f x ]; then for i in $(seq 3); do echo $i; done; fi",
		"cat <<EOF | sh\nrm -rf /\nEOF\n",
		"echo ${A:-$(b `c`)} &> /dev/null &",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cmds, err := shParseCommands(s)
		if err != nil {
			return
		}
		for _, c := range cmds {
			if len(c) == 0 {
				t.Fatalf("%q: an empty command", s)
			}
		}
	})
}
