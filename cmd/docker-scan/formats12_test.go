package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/testenv"
)

// junitReader is Debian's python3-junitparser (a JUnit/xUnit reader that
// CI tools build on) run over one file: what it read, as JSON. The
// totals are taken twice, as the document states them and as
// junitparser counts them from the test cases.
const junitReader = `
import json, sys
from junitparser import JUnitXml, Failure, Error, Skipped
xml = JUnitXml.fromfile(sys.argv[1])
stated = {"tests": xml.tests, "failures": xml.failures, "errors": xml.errors}
suites = []
for s in xml:
    cases = []
    for c in s:
        res = c.result if isinstance(c.result, list) else ([c.result] if c.result else [])
        cases.append({"name": c.name, "classname": c.classname,
                      "results": [{"kind": type(r).__name__, "message": r.message, "text": r.text} for r in res]})
    suites.append({"name": s.name, "tests": s.tests, "failures": s.failures, "cases": cases})
xml.update_statistics()
counted = {"tests": xml.tests, "failures": xml.failures, "errors": xml.errors}
print(json.dumps({"stated": stated, "counted": counted, "suites": suites}))
`

type junitRead struct {
	Stated, Counted struct{ Tests, Failures, Errors int }
	Suites          []struct {
		Name            string
		Tests, Failures int
		Cases           []struct {
			Name, Classname string
			Results         []struct{ Kind, Message, Text string }
		}
	}
}

func readJUnit(t *testing.T, python, file string) junitRead {
	t.Helper()
	out, err := exec.Command(python, "-c", junitReader, file).CombinedOutput()
	if err != nil {
		t.Fatalf("junitparser refuses %s: %v\n%s", file, err, out)
	}
	var r junitRead
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return r
}

// findingCounts reads a Trivy-shaped JSON report loosely: per target, in
// order, how many findings of each kind it holds.
func findingCounts(t *testing.T, report string) []map[string]any {
	t.Helper()
	var rep struct{ Results []map[string]any }
	if err := json.Unmarshal([]byte(report), &rep); err != nil {
		t.Fatalf("%v\n%s", err, report)
	}
	return rep.Results
}

func listLen(m map[string]any, key string) int {
	l, _ := m[key].([]any)
	return len(l)
}

// TestJUnitTemplateReadByJunitparser: the JUnit XML that
// `--format template --template @contrib/junit.tpl` writes for the demo
// image is read by junitparser, an independent JUnit reader: one suite
// per target, one failing case per finding naming it, the stated totals
// equal to what the reader counts. Trivy's own contrib/junit.tpl, run by
// our binary, is read too.
func TestJUnitTemplateReadByJunitparser(t *testing.T) {
	testenv.E2E(t, "python3-junitparser from Debian's archive")
	python := "/usr/bin/python3"
	haveReader := exec.Command(python, "-c", "import junitparser").Run() == nil
	need(t, haveReader, "Debian's python3-junitparser (apt-get install python3-junitparser)")

	archive := demoImage(t)
	cache := demoCache(t)
	common := []string{"image", "--input", archive, "--cache-dir", cache, "--skip-db-update", "--quiet", "--scanners", "vuln,secret"}
	r := scanCLI(t, append(common, "--format", "json")...)
	if r.exit != 0 {
		t.Fatalf("exit %d: %s", r.exit, r.stderr)
	}
	results := findingCounts(t, r.stdout)
	var findings, vulns, secrets int
	for _, res := range results {
		vulns += listLen(res, "Vulnerabilities")
		secrets += listLen(res, "Secrets")
		findings += listLen(res, "Vulnerabilities") + listLen(res, "Secrets") + listLen(res, "Misconfigurations")
	}
	if vulns < 30 || secrets == 0 {
		t.Fatalf("the demo scan found %d vulnerabilities and %d secrets: the fixture DB is not used", vulns, secrets)
	}

	dir := t.TempDir()
	ours := filepath.Join(dir, "ours.xml")
	if r := scanCLI(t, append(common, "--format", "template", "--template", "@../../contrib/junit.tpl", "--output", ours)...); r.exit != 0 {
		t.Fatalf("junit.tpl: exit %d: %s", r.exit, r.stderr)
	}
	doc := readJUnit(t, python, ours)
	if doc.Stated != doc.Counted || doc.Counted.Failures != findings || doc.Counted.Errors != 0 {
		t.Errorf("totals stated %+v, counted %+v; %d findings", doc.Stated, doc.Counted, findings)
	}
	if len(doc.Suites) != len(results) {
		t.Fatalf("%d suites for %d targets", len(doc.Suites), len(results))
	}
	for i, s := range doc.Suites {
		res := results[i]
		target, _ := res["Target"].(string)
		n := listLen(res, "Vulnerabilities") + listLen(res, "Secrets") + listLen(res, "Misconfigurations")
		var failing []string
		for _, c := range s.Cases {
			for _, x := range c.Results {
				if x.Kind == "Failure" {
					failing = append(failing, c.Name)
				}
			}
		}
		if s.Name != target || s.Failures != n || len(failing) != n || s.Tests != max(n, 1) || len(s.Cases) != max(n, 1) {
			t.Errorf("suite %q (target %q): tests=%d failures=%d, %d cases, %d failing; want %d failures", s.Name, target, s.Tests, s.Failures, len(s.Cases), len(failing), n)
		}
		vv, _ := res["Vulnerabilities"].([]any)
		for j, v := range vv {
			m, _ := v.(map[string]any)
			id, _ := m["VulnerabilityID"].(string)
			pkg, _ := m["PkgName"].(string)
			if j >= len(failing) || !strings.Contains(failing[j], id) || !strings.HasSuffix(failing[j], " in "+pkg) {
				t.Errorf("%s: finding %d (%s in %s) is not case %q", target, j, id, pkg, failing[min(j, len(failing)-1)])
			}
		}
	}

	// Trivy's template: its layout (one suite per target for
	// vulnerabilities, one for misconfigurations, one for secrets), read
	// by the same reader.
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatalf("go env GOMODCACHE: %v", err)
	}
	trivyTpl := filepath.Join(strings.TrimSpace(string(out)), "github.com", "aquasecurity", "trivy@v0.74.0", "contrib", "junit.tpl")
	if _, err := os.Stat(trivyTpl); err != nil {
		t.Logf("Trivy's junit.tpl is not in the module cache, only ours was read: %v", err)
		return
	}
	theirs := filepath.Join(dir, "trivy.xml")
	if r := scanCLI(t, append(common, "--format", "template", "--template", "@"+trivyTpl, "--output", theirs)...); r.exit != 0 {
		t.Fatalf("Trivy's junit.tpl: exit %d: %s", r.exit, r.stderr)
	}
	doc = readJUnit(t, python, theirs)
	var failing int
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			for _, x := range c.Results {
				if x.Kind == "Failure" {
					failing++
				}
			}
		}
	}
	if failing != vulns+secrets || doc.Counted.Failures != vulns+secrets {
		t.Errorf("Trivy's template: %d failing cases (counted %+v), want %d", failing, doc.Counted, vulns+secrets)
	}
}
