package report_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/docker-scan/docker-scan/engine/report"
	"github.com/docker-scan/docker-scan/engine/types"
)

// composeMisconfigs is the result of the compose checks on a real-shaped
// compose file.
func composeMisconfigs() types.Result {
	return types.Result{
		Target: "compose.yaml", Class: types.ClassConfig, Type: "compose",
		Misconfigurations: []types.Misconfiguration{
			{ID: "DSC007", Severity: "MEDIUM", Title: "Service runs as root", Message: `service "web" runs as root`, Resolution: `Set user: to a non-root UID (user: "1000:1000").`, Service: "web", StartLine: 12},
			{ID: "DSC001", Severity: "HIGH", Title: "Privileged container", Message: `service "api" is privileged`, Resolution: "Remove privileged: true.", Service: "api", StartLine: 30},
		},
	}
}

// templateReport is the demo image's scan plus a compose file's
// misconfigurations: every kind of finding a template ranges over.
func templateReport(t *testing.T) *types.Report {
	t.Helper()
	rep := demoFindingsReport(t)
	rep.Results = append(rep.Results, composeMisconfigs())
	return rep
}

type findingCounts struct{ vulns, secrets, misconfs int }

func countFindings(r *types.Report) findingCounts {
	var c findingCounts
	for _, res := range r.Results {
		c.vulns += len(res.Vulnerabilities)
		c.secrets += len(res.Secrets)
		c.misconfs += len(res.Misconfigurations)
	}
	return c
}

func renderTemplate(t *testing.T, r *types.Report, tmpl string) string {
	t.Helper()
	var buf bytes.Buffer
	opts := report.Options{Format: "template", Template: tmpl, ToolVersion: "1.2.3", Now: time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)}
	if err := report.Write(&buf, r, opts); err != nil {
		t.Fatalf("render %s: %v", tmpl, err)
	}
	return buf.String()
}

// trivyContrib is the contrib directory of Trivy 0.74 in the module cache.
func trivyContrib(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Skipf("go env GOMODCACHE: %v", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "github.com", "aquasecurity", "trivy@v0.74.0", "contrib")
	if _, err := os.Stat(filepath.Join(dir, "junit.tpl")); err != nil {
		t.Skipf("Trivy's templates are not in the module cache: %v", err)
	}
	return dir
}

// TestTrivyContribTemplates: the templates Trivy ships render our
// results unchanged, and what they render is well formed and complete.
func TestTrivyContribTemplates(t *testing.T) {
	dir := trivyContrib(t)
	rep := templateReport(t)
	c := countFindings(rep)
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_ACCOUNT_ID", "123456789012")

	t.Run("junit", func(t *testing.T) {
		out := renderTemplate(t, rep, "@"+filepath.Join(dir, "junit.tpl"))
		var doc struct {
			Suites []struct {
				Name  string `xml:"name,attr"`
				Cases []struct {
					Name    string    `xml:"name,attr"`
					Failure *struct{} `xml:"failure"`
				} `xml:"testcase"`
			} `xml:"testsuite"`
		}
		if err := xml.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("not XML: %v\n%s", err, out)
		}
		var cases, failures int
		for _, s := range doc.Suites {
			for _, tc := range s.Cases {
				cases++
				if tc.Failure != nil {
					failures++
				}
			}
		}
		if want := c.vulns + c.secrets + c.misconfs; cases != want || failures != want {
			t.Errorf("%d test cases, %d failures; want %d", cases, failures, want)
		}
	})
	t.Run("html", func(t *testing.T) {
		out := renderTemplate(t, rep, "@"+filepath.Join(dir, "html.tpl"))
		doc, err := html.Parse(strings.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		rows := 0
		for n := range doc.Descendants() {
			if n.Type == html.ElementNode && n.Data == "tr" && strings.HasPrefix(attr(n, "class"), "severity-") {
				rows++
			}
		}
		if want := c.vulns + c.misconfs; rows != want {
			t.Errorf("%d finding rows, want %d", rows, want)
		}
		if !strings.Contains(out, "2024-06-01 12:00:00") {
			t.Error("now is not the report time")
		}
	})
	for _, tc := range []struct {
		file  string
		count func(any) int
		want  int
	}{
		{"gitlab.tpl", func(v any) int { return len(v.(map[string]any)["vulnerabilities"].([]any)) }, c.vulns},
		{"gitlab-codequality.tpl", func(v any) int { return len(v.([]any)) }, c.vulns + c.misconfs + c.secrets},
		{"asff.tpl", func(v any) int { return len(v.(map[string]any)["Findings"].([]any)) }, c.vulns + c.misconfs + c.secrets},
	} {
		t.Run(tc.file, func(t *testing.T) {
			rep := rep
			if tc.file == "asff.tpl" {
				// asff.tpl writes a misconfiguration's Resolution into a
				// JSON string unescaped: Trivy's own output breaks on a
				// quote there too, and our compose checks quote values.
				rep = withoutQuotedResolutions(rep)
			}
			out := renderTemplate(t, rep, "@"+filepath.Join(dir, tc.file))
			var v any
			if err := json.Unmarshal([]byte(out), &v); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, out)
			}
			if got := tc.count(v); got != tc.want {
				t.Errorf("%d findings, want %d", got, tc.want)
			}
		})
	}
}

func withoutQuotedResolutions(r *types.Report) *types.Report {
	c := *r
	c.Results = slices.Clone(r.Results)
	for i := range c.Results {
		ms := slices.Clone(c.Results[i].Misconfigurations)
		for j := range ms {
			ms[j].Resolution = strings.ReplaceAll(ms[j].Resolution, `"`, "")
		}
		c.Results[i].Misconfigurations = ms
	}
	return &c
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// The JUnit XML schema (Ant's, which Jenkins, GitLab and Azure read): the
// elements and the attributes each may carry.
var junitAttrs = map[string][]string{
	"testsuites": {"name", "time", "tests", "failures", "errors", "disabled"},
	"testsuite":  {"name", "tests", "failures", "errors", "skipped", "disabled", "time", "timestamp", "hostname", "id", "package", "file"},
	"properties": {},
	"property":   {"name", "value"},
	"testcase":   {"name", "classname", "time", "assertions", "status", "file", "line"},
	"failure":    {"message", "type"},
	"error":      {"message", "type"},
	"skipped":    {"message"},
	"system-out": {},
	"system-err": {},
}

var junitNumeric = map[string]bool{"tests": true, "failures": true, "errors": true, "skipped": true, "disabled": true, "id": true, "time": true}

type junitTestsuites struct {
	XMLName  xml.Name         `xml:"testsuites"`
	Tests    int              `xml:"tests,attr"`
	Failures int              `xml:"failures,attr"`
	Suites   []junitTestsuite `xml:"testsuite"`
}

type junitTestsuite struct {
	Name       string `xml:"name,attr"`
	Tests      int    `xml:"tests,attr"`
	Failures   int    `xml:"failures,attr"`
	Properties []struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	} `xml:"properties>property"`
	Cases []junitTestcase `xml:"testcase"`
}

type junitTestcase struct {
	Name      string `xml:"name,attr"`
	Classname string `xml:"classname,attr"`
	Failure   *struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	} `xml:"failure"`
}

// parseJUnit reads JUnit XML strictly: only the schema's elements and
// attributes, numbers where it wants numbers, then the document.
func parseJUnit(t *testing.T, out string) junitTestsuites {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(out))
	d.Strict = true
	var stack []string
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not XML: %v", err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			allowed, ok := junitAttrs[el.Name.Local]
			if !ok {
				t.Fatalf("element <%s> is not in the JUnit schema", el.Name.Local)
			}
			if len(stack) == 0 && el.Name.Local != "testsuites" {
				t.Fatalf("root <%s>, want <testsuites>", el.Name.Local)
			}
			for _, a := range el.Attr {
				if !slices.Contains(allowed, a.Name.Local) {
					t.Errorf("<%s %s=...> is not in the JUnit schema", el.Name.Local, a.Name.Local)
				}
				if junitNumeric[a.Name.Local] && el.Name.Local != "property" {
					if _, err := strconv.ParseFloat(a.Value, 64); err != nil {
						t.Errorf("<%s %s=%q>: not a number", el.Name.Local, a.Name.Local, a.Value)
					}
				}
			}
			stack = append(stack, el.Name.Local)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
	var doc junitTestsuites
	if err := xml.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestJUnitTemplate: contrib/junit.tpl gives JUnit XML that the schema
// accepts, one failing test case per finding, counts that add up.
func TestJUnitTemplate(t *testing.T) {
	rep := templateReport(t)
	// A target without findings is one passing test case.
	rep.Results = append(rep.Results, types.Result{Target: "Python", Class: types.ClassLangPkg, Type: "python-pkg"})
	// Text that must be escaped.
	rep.Results[0].Vulnerabilities[0].Title = `<b>"quoted" & more</b>`
	c := countFindings(rep)
	doc := parseJUnit(t, renderTemplate(t, rep, "@../../contrib/junit.tpl"))

	findings := c.vulns + c.secrets + c.misconfs
	if doc.Tests != findings+1 || doc.Failures != findings {
		t.Errorf("testsuites tests=%d failures=%d, want %d and %d", doc.Tests, doc.Failures, findings+1, findings)
	}
	if len(doc.Suites) != len(rep.Results) {
		t.Fatalf("%d suites for %d results", len(doc.Suites), len(rep.Results))
	}
	var cases, failures int
	for i, s := range doc.Suites {
		res := rep.Results[i]
		if s.Name != res.Target {
			t.Errorf("suite %d named %q, want %q", i, s.Name, res.Target)
		}
		n := len(res.Vulnerabilities) + len(res.Secrets) + len(res.Misconfigurations)
		var f int
		for _, tc := range s.Cases {
			if tc.Failure != nil {
				f++
			}
		}
		if s.Failures != n || f != n || s.Tests != len(s.Cases) {
			t.Errorf("suite %s: tests=%d failures=%d, %d cases with %d failures; want %d failures", s.Name, s.Tests, s.Failures, len(s.Cases), f, n)
		}
		cases += len(s.Cases)
		failures += f
	}
	if cases != findings+1 || failures != findings {
		t.Errorf("%d cases, %d failures", cases, failures)
	}
	first := doc.Suites[0].Cases[0]
	if first.Failure == nil || first.Failure.Message != `<b>"quoted" & more</b>` || first.Failure.Type != rep.Results[0].Vulnerabilities[0].Severity {
		t.Errorf("first case %+v", first)
	}
	// The secret's case shows the masked match, never the token.
	for _, s := range doc.Suites {
		for _, tc := range s.Cases {
			if tc.Failure != nil && strings.Contains(tc.Failure.Text, "GITHUB_TOKEN=") && !strings.Contains(tc.Failure.Text, "****") {
				t.Errorf("secret shown: %q", tc.Failure.Text)
			}
		}
	}
}

// TestHTMLTemplate: contrib/html.tpl is HTML with a row for every
// finding, and a hostile finding neither injects markup nor links.
func TestHTMLTemplate(t *testing.T) {
	rep := templateReport(t)
	v := &rep.Results[0].Vulnerabilities[0]
	v.Title = `<script>alert("x")</script>`
	v.PrimaryURL = `javascript:alert(1)`
	out := renderTemplate(t, rep, "@../../contrib/html.tpl")
	doc, err := html.Parse(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for _, res := range rep.Results {
		for _, v := range res.Vulnerabilities {
			want["vulnerability "+v.VulnerabilityID+" "+v.PkgName]++
		}
		for _, s := range res.Secrets {
			want["secret "+s.RuleID]++
		}
		for _, m := range res.Misconfigurations {
			want["misconfiguration "+m.ID]++
		}
	}
	got := map[string]int{}
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		switch {
		case n.Data == "script":
			t.Error("a finding injected a <script>")
		case n.Data == "a" && strings.HasPrefix(attr(n, "href"), "javascript:"):
			t.Error("a javascript: link")
		case n.Data == "tr" && attr(n, "class") == "vulnerability":
			got["vulnerability "+attr(n, "data-id")+" "+attr(n, "data-package")]++
		case n.Data == "tr" && attr(n, "class") == "secret":
			got["secret "+attr(n, "data-rule")]++
		case n.Data == "tr" && attr(n, "class") == "misconfiguration":
			got["misconfiguration "+attr(n, "data-id")]++
		}
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s: %d rows, want %d", k, got[k], n)
		}
	}
	if len(got) != len(want) {
		t.Errorf("rows %v, want %v", got, want)
	}
	if !strings.Contains(out, "&lt;script&gt;") {
		t.Error("the hostile title is not shown escaped")
	}
}

// TestTemplateFunctions: the functions Trivy's templates call, over real
// findings.
func TestTemplateFunctions(t *testing.T) {
	rep := templateReport(t)
	out := renderTemplate(t, rep, `{{ range . }}{{ range .Vulnerabilities }}{{ if eq .VulnerabilityID "CVE-2022-28391" }}`+
		`{{ (index .CVSS (sourceID "nvd")).V3Score }}|{{ index .VendorSeverity (sourceID "nvd") }}|{{ .Vulnerability.Severity | toLower }}|{{ endWithPeriod .Title }}{{ end }}{{ end }}{{ end }}`+
		`|{{ appVersion }}|{{ now | date "2006-01-02" }}|{{ getCurrentTime }}|{{ escapeXML "<a&b>" }}|{{ escapeString "<a&b>" }}|{{ toPathUri "app:1 (alpine 3.20.3)" }}|{{ toSarifErrorLevel "MEDIUM" }}|{{ toSarifRuleName "lang-pkgs" }}|{{ upper "x" }}{{ nindent 2 "y" }}`)
	want := "8.8|HIGH|high|busybox: remote attackers may execute arbitrary code if netstat is used.|1.2.3|2024-06-01|2024-06-01T12:00:00Z|&lt;a&amp;b&gt;|&lt;a&amp;b&gt;|app:1|warning|LanguageSpecificPackageVulnerability|X\n  y"
	if out != want {
		t.Errorf("got  %q\nwant %q", out, want)
	}
	// The fields Trivy's results have and ours lack are there, empty.
	out = renderTemplate(t, rep, `{{ range . }}{{ if .MisconfSummary }}{{ .MisconfSummary.Failures }}{{ range .Misconfigurations }} {{ .Type }}/{{ .Status }}/{{ .CauseMetadata.StartLine }}{{ end }}{{ end }}{{ len .Licenses }}{{ end }}`)
	if out != "0002 Docker Compose/FAIL/12 Docker Compose/FAIL/300" {
		t.Errorf("Trivy's fields: %q", out)
	}
}

// TestTemplateErrors: a template that cannot be read, parsed or run is
// one clear error naming the file and line, and writes nothing.
func TestTemplateErrors(t *testing.T) {
	rep := templateReport(t)
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return "@" + p
	}
	for _, tc := range []struct{ name, template, want string }{
		{"missing file", "@" + filepath.Join(dir, "nope.tpl"), "nope.tpl: no such file"},
		{"directory", "@" + dir, "is a directory"},
		{"too large", write("big.tpl", strings.Repeat("x", 1<<20+1)), "larger than 1024 KiB"},
		{"empty", "", "needs --template"},
		{"parse", write("bad.tpl", "line one\n{{ range . }}\n{{ .Target \n"), "bad.tpl:3"},
		{"unknown function", write("fn.tpl", "\n\n{{ frobnicate . }}"), "fn.tpl:3"},
		{"execute", write("exec.tpl", "{{ range . }}\n{{ .NoSuchField }}{{ end }}"), "exec.tpl:2"},
		{"recursion", `{{ define "a" }}{{ template "a" . }}{{ end }}{{ template "a" . }}`, `"a" calls itself`},
		{"mutual recursion", `{{ define "a" }}{{ if . }}{{ template "b" . }}{{ end }}{{ end }}{{ define "b" }}{{ range . }}{{ template "a" . }}{{ end }}{{ end }}{{ template "a" . }}`, "calls itself"},
		{"huge repeat", "{{ repeat 1000000000 \"x\" }}", "more than"},
		{"huge until", "{{ range until 1000000000 }}{{ end }}", "more than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := report.Write(&buf, rep, report.Options{Format: "template", Template: tc.template})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one naming %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes before failing", buf.Len())
			}
		})
	}
	if err := report.ValidateTemplate("@../../contrib/junit.tpl"); err != nil {
		t.Errorf("ValidateTemplate(junit.tpl): %v", err)
	}
	if err := report.ValidateTemplate("{{ .Target "); err == nil {
		t.Error("ValidateTemplate accepts a broken template")
	}
}

// TestTemplateStack: a compose project's template gets every image's
// results, each target naming its image, then the compose files'.
func TestTemplateStack(t *testing.T) {
	rep := demoFindingsReport(t)
	stack := &types.StackReport{
		ProjectName:       "shop",
		Images:            map[string]*types.Report{"docker-scan-demo:latest": rep, "registry.example.com/shop/web:2": rep},
		Misconfigurations: []types.Result{composeMisconfigs()},
	}
	var buf bytes.Buffer
	if err := report.WriteStack(&buf, stack, report.Options{Format: "template", Template: `{{ range . }}{{ .Target }}|{{ len .Vulnerabilities }}{{ len .Secrets }}{{ len .Misconfigurations }}{{ "\n" }}{{ end }}`}); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, ref := range []string{"docker-scan-demo:latest", "registry.example.com/shop/web:2"} {
		for _, res := range rep.Results {
			target := ref + ": " + res.Target
			if strings.HasPrefix(res.Target, ref) {
				target = res.Target
			}
			want = append(want, target+"|"+strconv.Itoa(len(res.Vulnerabilities))+strconv.Itoa(len(res.Secrets))+"0")
		}
	}
	want = append(want, "compose.yaml|002")
	if got := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n"); !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// FuzzTemplate: any template text, over a real-shaped report, renders or
// fails with an error; it never panics.
func FuzzTemplate(f *testing.F) {
	for _, p := range []string{"../../contrib/junit.tpl", "../../contrib/html.tpl"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(string(b))
		}
	}
	for _, s := range []string{
		`{{ range . }}{{ .Target }}{{ range .Vulnerabilities }}{{ .VulnerabilityID }} {{ escapeXML .Title }}{{ end }}{{ end }}`,
		`{{ (index . 0).Target }}`,
		`{{ range . }}{{ (index .Vulnerabilities 5).PkgName }}{{ end }}`,
		`{{ randInt 1 1 }}`,
		`{{ repeat -1 "x" }}`,
		`{{ seq 1 2 1000000000 }}`,
		`{{ untilStep 0 1000000000 1 }}`,
		`{{ define "a" }}{{ template "a" . }}{{ end }}{{ template "a" . }}`,
		`{{ index .CVSS (sourceID "nvd") }}`,
		`{{ range . }}{{ range .Misconfigurations }}{{ .CauseMetadata.Occurrences }}{{ end }}{{ end }}`,
	} {
		f.Add(s)
	}
	rep := &types.Report{Results: []types.Result{
		{Target: "app:1 (alpine 3.20.3)", Class: types.ClassOSPkg, Type: "alpine", Vulnerabilities: []types.DetectedVulnerability{{
			VulnerabilityID: "CVE-2024-0001", PkgName: "musl", InstalledVersion: "1.2.4-r2", FixedVersion: "1.2.4-r3",
			PrimaryURL: "https://avd.aquasec.com/nvd/cve-2024-0001",
			Vulnerability: types.Vulnerability{Title: "musl: <overflow>", Severity: "HIGH",
				CVSS: map[string]types.CVSS{"nvd": {V3Score: 7.5, V3Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}}},
		}}},
		{Target: "/app/.env", Class: types.ClassSecret, Secrets: []types.SecretFinding{{RuleID: "github-pat", Severity: "CRITICAL", Title: "GitHub token", StartLine: 2, EndLine: 2, Match: "TOKEN=****"}}},
		composeMisconfigs(),
	}}
	f.Fuzz(func(t *testing.T, text string) {
		if strings.HasPrefix(text, "@") || len(text) > 4096 {
			return // a path, not a template; or longer than the fuzzer needs
		}
		var buf bytes.Buffer
		_ = report.Write(&buf, rep, report.Options{Format: "template", Template: text})
	})
}
