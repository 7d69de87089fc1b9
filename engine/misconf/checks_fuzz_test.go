package misconf

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// testdataDockerfiles are the Dockerfiles under testdata, as seeds for the
// fuzz target and the benchmark.
func testdataDockerfiles(tb testing.TB) [][]byte {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join(dockerfileTestdata, "*", "*.Dockerfile"))
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no test Dockerfiles: %v", err)
	}
	var out [][]byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// FuzzDockerfileChecks: any bytes go through ParseDockerfile and, when
// they parse, through every Dockerfile check, without a panic; findings
// stay inside the file.
func FuzzDockerfileChecks(f *testing.F) {
	for _, b := range testdataDockerfiles(f) {
		f.Add(b)
	}
	f.Add([]byte("FROM a\nRUN <<A <<B\nx\nA\ny\nB\n"))
	f.Add([]byte("ONBUILD ONBUILD RUN x\nFROM\nCOPY --from= a\nEXPOSE 99999999999999999999999/tcp\n"))
	f.Add([]byte("ARG A=${B:-c}\nFROM $\nFROM ${\nWORKDIR\nUSER\n"))
	f.Fuzz(func(t *testing.T, content []byte) {
		df, err := ParseDockerfile("Dockerfile", content)
		if err != nil {
			return
		}
		res := Run(df, DockerfileChecks)
		for _, m := range res.Misconfigurations {
			if m.CauseMetadata.StartLine > len(df.Lines) || m.CauseMetadata.EndLine < m.CauseMetadata.StartLine {
				t.Fatalf("%s at lines %d-%d of a %d-line file", m.ID, m.CauseMetadata.StartLine, m.CauseMetadata.EndLine, len(df.Lines))
			}
		}
	})
}

// BenchmarkDockerfileChecks1000 parses and checks 1,000 Dockerfiles made
// from the test files (each varied so no two are the same), and reports
// the time per file.
func BenchmarkDockerfileChecks1000(b *testing.B) {
	seeds := testdataDockerfiles(b)
	files := make([][]byte, 1000)
	for i := range files {
		seed := seeds[i%len(seeds)]
		files[i] = fmt.Appendf(append([]byte{}, seed...), "LABEL n=%d\nRUN echo %d && \\\n    true\n", i, i)
	}
	b.ResetTimer()
	for b.Loop() {
		for _, content := range files {
			df, err := ParseDockerfile("Dockerfile", content)
			if err != nil {
				b.Fatal(err)
			}
			Run(df, DockerfileChecks)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(files)), "ns/file")
}
