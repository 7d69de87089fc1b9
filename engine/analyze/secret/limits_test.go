package secret

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
)

// awsKey is the i-th of many AWS-key-shaped tokens (none a real key).
func awsKey(i int) string {
	const base32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	var b strings.Builder
	b.WriteString("AKIAZ7QW3RT5Y")
	for k := range 7 {
		b.WriteByte(base32[i>>(5*k)&31])
	}
	return b.String()
}

// TestLongLineKeepsSnippet: a secret deep in a long line is shown in a
// bounded snippet around it, masked, never with the whole line.
func TestLongLineKeepsSnippet(t *testing.T) {
	s := scanner(t)
	key := awsKey(7)
	line := strings.Repeat("x", 100000) + " aws_access_key_id=" + key + " " + strings.Repeat("y", 100000)
	content := "first\n" + line + "\nlast\n"
	r := s.ScanFile("app/big.txt", []byte(content))
	if len(r.Findings) != 1 {
		t.Fatalf("findings: %d", len(r.Findings))
	}
	f := r.Findings[0]
	if f.StartLine != 2 || f.EndLine != 2 || len(f.Code.Lines) != 4 {
		t.Fatalf("lines %d-%d, code %+v", f.StartLine, f.EndLine, f.Code.Lines)
	}
	cause := f.Code.Lines[1]
	if !cause.IsCause || !cause.Truncated || len(cause.Content) > maxLineLength {
		t.Errorf("cause line: truncated %v, %d bytes", cause.Truncated, len(cause.Content))
	}
	if !strings.Contains(cause.Content, "aws_access_key_id="+strings.Repeat("*", len(key))) || strings.Contains(fmt.Sprint(f), key[4:]) {
		t.Errorf("the snippet must show the masked key: %q", cause.Content)
	}
	if f.Match != strings.TrimSpace(cause.Content) {
		t.Errorf("match %q", f.Match)
	}
}

// TestEverySecretMasked: a finding's context lines mask the file's other
// secrets too, not only its own.
func TestEverySecretMasked(t *testing.T) {
	s := scanner(t)
	a, b := awsKey(1), "ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
	fs := s.Scan("app/.env", []byte("A="+a+"\nB="+b+"\n"))
	if len(fs) != 2 {
		t.Fatalf("findings: %+v", fs)
	}
	for _, f := range fs {
		for _, l := range f.Code.Lines {
			if strings.Contains(l.Content, a[4:]) || strings.Contains(l.Content, b[4:]) {
				t.Errorf("%s shows a secret on line %d: %q", f.RuleID, l.Number, l.Content)
			}
		}
	}
}

// TestFindingsPerFileCap: past MaxFindingsPerFile, the first ones are
// reported and the result says the rest are not.
func TestFindingsPerFileCap(t *testing.T) {
	s := scanner(t)
	var b strings.Builder
	for i := range 150 {
		fmt.Fprintf(&b, "key%d = %s\n", i, awsKey(i))
	}
	r := s.ScanFile("app/keys.txt", []byte(b.String()))
	if len(r.Findings) != MaxFindingsPerFile || !r.Truncated || r.Incomplete {
		t.Fatalf("%d findings, truncated %v, incomplete %v", len(r.Findings), r.Truncated, r.Incomplete)
	}
	for i, f := range r.Findings {
		if f.StartLine != i+1 {
			t.Fatalf("finding %d on line %d: the first lines come first", i, f.StartLine)
		}
	}
	if want := "more than 100 secrets; the rest are not reported"; r.Issue() != want {
		t.Errorf("issue %q", r.Issue())
	}
	if r := s.ScanFile("app/one.txt", []byte("k = "+awsKey(1)+"\n")); r.Issue() != "" {
		t.Errorf("one secret is no issue: %q", r.Issue())
	}
}

// TestRegexBudget: a file dense with every rule's keywords is searched in
// part, within its budget, and says so.
func TestRegexBudget(t *testing.T) {
	s := scanner(t)
	for _, in := range adversarial(4) {
		r := s.ScanFile("app/data.txt", []byte(in.content))
		// Every keyword on one line puts every rule's window over all
		// of it; one keyword a line gives each rule small windows.
		wantIncomplete := in.name == "every-keyword"
		if r.Incomplete != wantIncomplete {
			t.Errorf("%s: incomplete %v", in.name, r.Incomplete)
		}
	}
}

// TestSecretAcrossPieces: a window longer than a piece still finds a
// secret that a cut between pieces goes through, once and whole.
func TestSecretAcrossPieces(t *testing.T) {
	s := scanner(t)
	key := awsKey(3)
	for _, at := range []int{pieceSize - 30, pieceSize - 10, pieceSize, pieceSize + 5, 2*pieceSize - pieceOverlap - 7} {
		// "akia " all along the line makes one window over all of it.
		filler := strings.Repeat("akia ", at/5+1)
		content := filler[:at-1] + " " + key + " " + strings.Repeat("akia ", 30000) + "\n"
		fs := s.Scan("app/x.txt", []byte(content))
		if len(fs) != 1 || fs[0].RuleID != "aws-access-key-id" {
			t.Errorf("key at %d: %d findings", at, len(fs))
			continue
		}
		if !strings.Contains(fs[0].Match, strings.Repeat("*", len(key))) {
			t.Errorf("key at %d: match %q", at, fs[0].Match)
		}
	}
}

func TestScanFileContextCancelled(t *testing.T) {
	s := scanner(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.ScanFileContext(ctx, "app/.env", []byte("k = "+awsKey(1)+"\n")); err == nil {
		t.Error("a cancelled scan must return the context's error")
	}
}

// TestLayerCap: a layer reports at most MaxFindingsPerLayer secrets, then
// records one issue and searches no further files.
func TestLayerCap(t *testing.T) {
	a, err := NewAnalyzer(nil)
	if err != nil {
		t.Fatal(err)
	}
	res := &types.LayerResult{}
	n := 0
	for f := range 15 {
		var b strings.Builder
		for range 100 {
			fmt.Fprintf(&b, "k = %s\n", awsKey(n))
			n++
		}
		if err := a.Analyze(fmt.Sprintf("app/%02d.txt", f), []byte(b.String()), res); err != nil {
			t.Fatal(err)
		}
	}
	total := 0
	for _, sf := range res.Secrets {
		total += len(sf.Findings)
	}
	if total != MaxFindingsPerLayer || len(res.Secrets) != 10 {
		t.Errorf("%d findings in %d files", total, len(res.Secrets))
	}
	if len(res.Issues) != 1 || !strings.Contains(res.Issues[0].Reason, "secrets in the layer") {
		t.Errorf("issues: %+v", res.Issues)
	}
}

// TestLocateAgainstNaive checks the one-pass line finder against
// splitting the content.
func TestLocateAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 9))
	for range 500 {
		var b strings.Builder
		for range rng.IntN(40) {
			b.WriteByte("ab\n"[rng.IntN(3)])
		}
		content := b.String()
		if content == "" {
			continue
		}
		var offsets []int
		for range 1 + rng.IntN(4) {
			offsets = append(offsets, rng.IntN(len(content)))
		}
		lines := strings.Split(content, "\n")
		starts := []int{0}
		for i, c := range content {
			if c == '\n' {
				starts = append(starts, i+1)
			}
		}
		got := locate([]byte(content), offsets)
		for _, off := range offsets {
			l := got[off]
			n := strings.Count(content[:off], "\n") + 1
			if l.number != n {
				t.Fatalf("%q at %d: line %d, want %d", content, off, l.number, n)
			}
			for k := 0; k <= contextLines; k++ {
				wantStart, wantEnd := -1, -1
				if n-k >= 1 {
					wantStart = starts[n-k-1]
				}
				if n+k <= len(lines) {
					wantEnd = starts[n+k-1] + len(lines[n+k-1])
				}
				if l.starts[k] != wantStart || l.ends[k] != wantEnd {
					t.Fatalf("%q at %d, k=%d: start %d end %d, want %d %d", content, off, k, l.starts[k], l.ends[k], wantStart, wantEnd)
				}
			}
		}
	}
}
