package report

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/docker-scan/docker-scan/engine/types"
)

// hostileReport is a report whose every printed field is v.
func hostileReport(v string, rows int) *types.Report {
	r := &types.Report{ArtifactName: v, Results: []types.Result{{Target: v, Class: types.ClassOSPkg}}}
	for range rows {
		r.Results[0].Vulnerabilities = append(r.Results[0].Vulnerabilities, types.DetectedVulnerability{
			VulnerabilityID: v, PkgName: v, InstalledVersion: v, FixedVersion: v, PrimaryURL: v,
			Vulnerability: types.Vulnerability{Title: v, Severity: v},
		})
	}
	return r
}

// checkTerminalSafe fails when out holds a control character other than
// a newline: an escape sequence or a carriage return that a terminal would
// act on.
func checkTerminalSafe(t *testing.T, out string) {
	t.Helper()
	for i, r := range out {
		if r != '\n' && unsafeRune(r) {
			t.Fatalf("raw control character %U at byte %d: %q", r, i, out[max(0, i-20):min(len(out), i+20)])
		}
	}
	if !utf8.ValidString(out) {
		t.Fatal("invalid UTF-8 in the table")
	}
}

func TestTableLongCellsStaySmall(t *testing.T) {
	// The case: a 900 KB version string in 200 rows made a 933 MB
	// table.
	long := strings.Repeat("1.2.3-", 150_000)
	var buf bytes.Buffer
	if err := Write(&buf, hostileReport(long, 200), Options{Format: "table"}); err != nil {
		t.Fatal(err)
	}
	if buf.Len() > 2<<20 {
		t.Errorf("table of 200 rows is %d bytes", buf.Len())
	}
	for _, l := range strings.Split(buf.String(), "\n") {
		limit := maxLineRunes + 1 // a heading: the target, cut
		if strings.HasPrefix(l, "│") || strings.HasPrefix(l, "├") {
			limit = 7*(maxCellWidth+3) + 1
		}
		if width(l) > limit {
			t.Errorf("a line is %d columns wide: %.100s", width(l), l)
			break
		}
	}
	if !strings.Contains(buf.String(), ellipsis) {
		t.Error("the cut is not marked")
	}
}

func TestTableEscapesControlCharacters(t *testing.T) {
	for _, v := range []string{
		"pkg\x1b[2J\x1b[31mred",
		"good\rEVIL",
		"bell\a and \x9b csi",
		"rtl \u202eevil",
		"bad utf8 \xff\xfe",
		"tab\there",
	} {
		var buf bytes.Buffer
		if err := Write(&buf, hostileReport(v, 2), Options{Format: "table"}); err != nil {
			t.Fatal(err)
		}
		checkTerminalSafe(t, buf.String())
	}
	var buf bytes.Buffer
	Write(&buf, hostileReport("a\x1b[31mb", 1), Options{Format: "table"})
	if !strings.Contains(buf.String(), `a\x1b[31mb`) {
		t.Errorf("escape not shown as text:\n%s", buf.String())
	}
}

func TestTablePackagesAndSecretsEscaped(t *testing.T) {
	v := "x\x1b]0;title\a\ry"
	r := &types.Report{ArtifactName: v, Results: []types.Result{
		{Target: v, Class: types.ClassOSPkg, Packages: []types.Package{{Name: v, Version: v, SrcName: v, Licenses: []string{v}}}},
		{Target: v, Class: types.ClassSecret, Secrets: []types.SecretFinding{{RuleID: v, Category: v, Title: v, Severity: v,
			Code: types.Code{Lines: []types.CodeLine{{Number: 1, Content: v, IsCause: true}}}}}},
	}}
	var buf bytes.Buffer
	if err := Write(&buf, r, Options{Format: "table", PackagesOnly: true}); err != nil {
		t.Fatal(err)
	}
	checkTerminalSafe(t, buf.String())
}

func TestCellWrapsWideRunes(t *testing.T) {
	c := cell(strings.Repeat("漢", 100))
	for _, l := range strings.Split(c, "\n") {
		if width(l) > maxCellWidth {
			t.Errorf("line of %d columns", width(l))
		}
	}
	if strings.Count(c, "漢") != 100 {
		t.Error("wrapping lost runes")
	}
}

func FuzzTable(f *testing.F) {
	for _, s := range []string{"", "busybox", "a\nb\nc", "\x1b[31m", "\r", "漢字", strings.Repeat("x", 5000), "\xff", "\u202e", "e\u0301"} {
		f.Add(s, s, uint8(3))
	}
	f.Fuzz(func(t *testing.T, a, b string, rows uint8) {
		r := hostileReport(a, int(rows%8)+1)
		for i := range r.Results[0].Vulnerabilities {
			r.Results[0].Vulnerabilities[i].InstalledVersion = b
		}
		r.Results = append(r.Results, types.Result{Target: b, Class: types.ClassSecret, Secrets: []types.SecretFinding{{Title: a, Code: types.Code{Lines: []types.CodeLine{{Content: b}}}}}})
		var buf bytes.Buffer
		if err := Write(&buf, r, Options{Format: "table"}); err != nil {
			t.Fatal(err)
		}
		checkTerminalSafe(t, buf.String())
		// Each printed field is bounded whatever its length, so the table
		// is too: a constant per row, plus escapes at most 6 bytes per
		// input byte.
		limit := (int(rows%8)+2)*64<<10 + 6*(len(a)+len(b))
		if buf.Len() > limit {
			t.Errorf("table of %d bytes from %d input bytes", buf.Len(), len(a)+len(b))
		}
	})
}

// BenchmarkTableLongCells is the table: a 900 KB version in 200
// rows (933 MB of table and 2.6 GB of memory before cells were bounded).
func BenchmarkTableLongCells(b *testing.B) {
	r := hostileReport(strings.Repeat("1.2.3-", 150_000), 200)
	b.ReportAllocs()
	for range b.N {
		var n countingWriter
		if err := Write(&n, r, Options{Format: "table"}); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(n), "bytes/table")
	}
}

type countingWriter int

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}
