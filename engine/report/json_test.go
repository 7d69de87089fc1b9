package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
)

// indentLikeEncoder is what json.Encoder with two-space indenting and no
// HTML escaping writes: the bytes writeJSON must keep producing.
func indentLikeEncoder(t *testing.T, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestWriteJSONSameBytesAsEncoder: the streaming indenter writes exactly
// what json.Encoder writes, for every golden report of the repository and
// for values whose strings hold brackets, quotes, escapes and separators.
func TestWriteJSONSameBytesAsEncoder(t *testing.T) {
	goldens, err := filepath.Glob("../../testdata/golden/*.json")
	if err != nil || len(goldens) == 0 {
		t.Fatalf("no goldens: %v", err)
	}
	for _, g := range goldens {
		raw, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		var rep types.Report
		if err := json.Unmarshal(raw, &rep); err != nil {
			continue // not a report (a stack report, a SARIF file)
		}
		var got bytes.Buffer
		if err := writeJSON(&got, &rep, Options{}); err != nil {
			t.Fatal(err)
		}
		if want := indentLikeEncoder(t, &rep); !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%s: writeJSON differs from json.Encoder", filepath.Base(g))
		}
	}
	tricky := []any{
		map[string]any{"a": "}{][,:\"\\\" \\\\", "b": []any{}, "c": map[string]any{}, "d": []any{[]any{}, map[string]any{"x": []any{1, "]"}}}},
		[]any{"\u2028<&>", nil, true, 1.5e-7, "tab\there", map[string]any{"": ""}},
		"just a string",
		map[string]any{},
		[]any{},
	}
	for _, v := range tricky {
		compact, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		bw := bufio.NewWriter(&got)
		if err := indentTo(bw, compact, "  "); err != nil {
			t.Fatal(err)
		}
		bw.Flush()
		var want bytes.Buffer
		if err := json.Indent(&want, compact, "", "  "); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("%s:\n got %s\nwant %s", compact, got.String(), want.String())
		}
	}
}
