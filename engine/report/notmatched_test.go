package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
)

// An OS whose packages no DB covers (Fedora) is not scanned: the summary
// says "-", never a clean "0".
func TestSummaryNotMatchedOS(t *testing.T) {
	r := cleanLanguages()
	r.Results[0].Target, r.Results[0].Type, r.Results[0].NotMatched = "fedora:40 (fedora 40)", "fedora", true
	var buf bytes.Buffer
	if err := Write(&buf, r, Options{Format: "table", Scanners: []string{"vuln", "secret"}}); err != nil {
		t.Fatal(err)
	}
	if want := "│ fedora:40 (fedora 40) │   fedora   │        -        │    -    │\n"; !strings.Contains(buf.String(), want) {
		t.Errorf("summary lacks %q:\n%s", want, buf.String())
	}
	r.Results[0].NotMatched = false
	buf.Reset()
	if err := Write(&buf, r, Options{Format: "table", Scanners: []string{"vuln", "secret"}}); err != nil {
		t.Fatal(err)
	}
	if want := "│ fedora:40 (fedora 40) │   fedora   │        0        │    -    │\n"; !strings.Contains(buf.String(), want) {
		t.Errorf("a matched clean OS must show 0:\n%s", buf.String())
	}
}

// NotMatched is ours, not Trivy's: the JSON report leaves it out.
func TestNotMatchedNotInJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, &types.Report{Results: []types.Result{{Target: "x", Class: types.ClassOSPkg, NotMatched: true}}}, Options{Format: "json"}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "NotMatched") {
		t.Errorf("JSON has NotMatched:\n%s", buf.String())
	}
}
