package compose

import (
	"os"
	"testing"

	"github.com/docker-scan/docker-scan/engine/analyze"
)

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// secretAnalyzers are the built-in secret rules.
func secretAnalyzers(t testing.TB) []analyze.Analyzer {
	t.Helper()
	a, err := analyze.SecretAnalyzers(nil)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
