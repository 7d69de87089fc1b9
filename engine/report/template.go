package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/template"
	"text/template/parse"
	"time"

	"github.com/Masterminds/sprig/v3"

	"github.com/docker-scan/docker-scan/engine/types"
)

// --format template renders the results with a Go text/template, as
// Trivy's --format template does: the template ranges over `.`, the list
// of results, with sprig's functions and Trivy's own (escapeXML,
// escapeString, endWithPeriod, sourceID, appVersion, and the older
// toLower, getEnv, getCurrentTime, toPathUri, toSarifErrorLevel,
// toSarifRuleName, makeRuleMap, indexRule), so that Trivy's templates
// (contrib/junit.tpl, html.tpl, gitlab.tpl, asff.tpl) and the ones users
// wrote for it render unchanged.

const (
	// templateMaxSize caps a template read from a file.
	templateMaxSize = 1 << 20
	// templateMaxOutput caps what a template writes: a template is a
	// program, and one that loops over the findings within loops can
	// write without end.
	templateMaxOutput = 256 << 20
	// templateMaxItems caps the lists and strings that sprig's
	// generators (until, seq, repeat, rand*) make in one call.
	templateMaxItems = 1 << 20
)

func writeTemplate(w io.Writer, r *types.Report, opts Options) error {
	return renderTemplate(w, opts, templateResults(r.Results))
}

// writeStackTemplate renders the results of every image of a compose
// project, each result's target naming its image, then the compose
// files' misconfigurations.
func writeStackTemplate(w io.Writer, r *types.StackReport, opts Options) error {
	var all []types.Result
	for _, ref := range sortedImageRefs(r) {
		rep := r.Images[ref]
		if rep == nil {
			continue
		}
		for _, res := range rep.Results {
			if !strings.HasPrefix(res.Target, ref) {
				res.Target = ref + ": " + res.Target
			}
			all = append(all, res)
		}
	}
	all = append(all, r.Misconfigurations...)
	return renderTemplate(w, opts, templateResults(all))
}

func renderTemplate(w io.Writer, opts Options, data []templateResult) error {
	tmpl, err := parseTemplate(opts)
	if err != nil {
		return err
	}
	out := &cappedBuffer{max: templateMaxOutput}
	if err := tmpl.Execute(out, data); err != nil {
		if errors.Is(err, errTemplateOutput) {
			return fmt.Errorf("template %s: %w", tmpl.Name(), errTemplateOutput)
		}
		return fmt.Errorf("render the report: %w", err)
	}
	_, err = w.Write(out.Bytes())
	return err
}

// ValidateTemplate reads and parses a --template value (the text of a
// template, or @FILE) without rendering it, so that a typo is reported
// before a scan rather than after it.
func ValidateTemplate(spec string) error {
	_, err := parseTemplate(Options{Template: spec})
	return err
}

// parseTemplate reads --template: the template's text, or @FILE. Errors
// name the file and line (text/template's "template: junit.tpl:12: ...").
func parseTemplate(opts Options) (*template.Template, error) {
	text, name := opts.Template, "template"
	if path, ok := strings.CutPrefix(text, "@"); ok {
		b, err := readTemplateFile(path)
		if err != nil {
			return nil, err
		}
		text, name = string(b), filepath.Base(path)
	}
	if strings.TrimSpace(text) == "" {
		return nil, errors.New("--format template needs --template TEXT or --template @FILE")
	}
	tmpl, err := template.New(name).Funcs(templateFuncs(opts)).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("parse the template: %w", err)
	}
	if err := checkNoRecursion(tmpl); err != nil {
		return nil, fmt.Errorf("parse the template: %w", err)
	}
	return tmpl, nil
}

// checkNoRecursion refuses a template that calls itself, directly or
// through others: text/template stops such a call only 100,000 levels
// deep, and a template calling itself twice never ends. Report templates
// have no need for recursion.
func checkNoRecursion(tmpl *template.Template) error {
	calls := map[string][]string{}
	for _, t := range tmpl.Templates() {
		if t.Tree == nil || t.Tree.Root == nil {
			continue
		}
		var walk func(parse.Node)
		walk = func(n parse.Node) {
			switch n := n.(type) {
			case *parse.ListNode:
				if n == nil {
					return
				}
				for _, c := range n.Nodes {
					walk(c)
				}
			case *parse.TemplateNode:
				calls[t.Name()] = append(calls[t.Name()], n.Name)
			case *parse.IfNode:
				walk(n.List)
				walk(n.ElseList)
			case *parse.RangeNode:
				walk(n.List)
				walk(n.ElseList)
			case *parse.WithNode:
				walk(n.List)
				walk(n.ElseList)
			}
		}
		walk(t.Tree.Root)
	}
	const (
		unseen = iota
		onPath
		done
	)
	state := map[string]int{}
	var visit func(name string) error
	visit = func(name string) error {
		switch state[name] {
		case onPath:
			return fmt.Errorf("template %q calls itself; recursion is not supported", name)
		case done:
			return nil
		}
		state[name] = onPath
		for _, callee := range calls[name] {
			if err := visit(callee); err != nil {
				return err
			}
		}
		state[name] = done
		return nil
	}
	for name := range calls {
		if err := visit(name); err != nil {
			return err
		}
	}
	return nil
}

func readTemplateFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read the template: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("read the template: %s is a directory", path)
	}
	b, err := io.ReadAll(io.LimitReader(f, templateMaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read the template %s: %w", path, err)
	}
	if len(b) > templateMaxSize {
		return nil, fmt.Errorf("template %s is larger than %d KiB", path, templateMaxSize>>10)
	}
	return b, nil
}

var errTemplateOutput = fmt.Errorf("the output passes %d MiB", templateMaxOutput>>20)

// cappedBuffer holds the output until the template has run through, so
// that a failing template leaves no half-written report.
type cappedBuffer struct {
	bytes.Buffer
	max int
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	if c.Len()+len(p) > c.max {
		return 0, errTemplateOutput
	}
	return c.Buffer.Write(p)
}

// templateFuncs are sprig's functions plus those Trivy's templates call.
func templateFuncs(opts Options) template.FuncMap {
	funcs := template.FuncMap(sprig.GenericFuncMap())
	now := opts.now()
	funcs["now"] = func() time.Time { return now }
	funcs["escapeXML"] = escapeXML
	funcs["escapeString"] = html.EscapeString
	funcs["endWithPeriod"] = endWithPeriod
	// sourceID names a data source, for index .CVSS (sourceID "nvd").
	funcs["sourceID"] = func(s string) string { return s }
	funcs["appVersion"] = func() string { return opts.ToolVersion }
	// Older Trivy releases' names, still in templates in the wild.
	funcs["toLower"] = strings.ToLower
	funcs["getEnv"] = os.Getenv
	funcs["getCurrentTime"] = func() string { return now.UTC().Format(time.RFC3339Nano) }
	funcs["toPathUri"] = toPathURI
	funcs["toSarifErrorLevel"] = sarifLevel
	funcs["toSarifRuleName"] = func(class string) string {
		if n, ok := sarifRuleNames[class]; ok {
			return n
		}
		return "UnknownIssue"
	}
	funcs["makeRuleMap"] = func() map[string]int { return map[string]int{} }
	funcs["indexRule"] = func(rules map[string]int, id string) bool {
		if _, ok := rules[id]; ok {
			return false
		}
		rules[id] = len(rules)
		return true
	}
	capGenerators(funcs)
	return funcs
}

// capGenerators bounds sprig's functions whose result grows with an
// argument, so that a template cannot ask for gigabytes in one call.
func capGenerators(funcs template.FuncMap) {
	tooMany := fmt.Errorf("more than %d items asked for", templateMaxItems)
	if repeat, ok := funcs["repeat"].(func(int, string) string); ok {
		funcs["repeat"] = func(count int, s string) (string, error) {
			if count > 0 && len(s) > 0 && count > templateMaxItems/len(s) {
				return "", tooMany
			}
			return repeat(count, s), nil
		}
	}
	if until, ok := funcs["until"].(func(int) []int); ok {
		funcs["until"] = func(count int) ([]int, error) {
			if count > templateMaxItems || count < -templateMaxItems {
				return nil, tooMany
			}
			return until(count), nil
		}
	}
	if untilStep, ok := funcs["untilStep"].(func(int, int, int) []int); ok {
		funcs["untilStep"] = func(start, stop, step int) ([]int, error) {
			if step != 0 && (stop-start)/step > templateMaxItems {
				return nil, tooMany
			}
			return untilStep(start, stop, step), nil
		}
	}
	if seq, ok := funcs["seq"].(func(...int) string); ok {
		funcs["seq"] = func(params ...int) (string, error) {
			start, stop, step := 1, 0, 1
			switch len(params) {
			case 1:
				stop = params[0]
			case 2:
				start, stop = params[0], params[1]
			case 3:
				start, step, stop = params[0], params[1], params[2]
			}
			if step != 0 && (stop-start)/step > templateMaxItems || step == 0 && stop-start > templateMaxItems {
				return "", tooMany
			}
			return seq(params...), nil
		}
	}
	for _, name := range []string{"randAlphaNum", "randAlpha", "randAscii", "randNumeric"} {
		if gen, ok := funcs[name].(func(int) string); ok {
			funcs[name] = func(count int) (string, error) {
				if count > templateMaxItems {
					return "", tooMany
				}
				return gen(count), nil
			}
		}
	}
	if gen, ok := funcs["randBytes"].(func(int) (string, error)); ok {
		funcs["randBytes"] = func(count int) (string, error) {
			if count > templateMaxItems {
				return "", tooMany
			}
			return gen(count)
		}
	}
}

func escapeXML(s string) string {
	var b bytes.Buffer
	if err := xml.EscapeText(&b, []byte(s)); err != nil {
		return s
	}
	return b.String()
}

func endWithPeriod(s string) string {
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// toPathURI is the path part of a target: "app:1 (alpine 3.20.3)" gives
// "app:1".
func toPathURI(s string) string {
	return strings.ReplaceAll(osTargetSuffix.ReplaceAllString(s, ""), `\`, "/")
}

// The data a template gets: our results with the fields Trivy's results
// have and ours lack (left zero), so that a template written for Trivy's
// JSON finds every field it names.

type templateResult struct {
	types.Result
	Packages          []templatePackage
	Vulnerabilities   []templateVulnerability
	Secrets           []templateSecret
	Misconfigurations []templateMisconfiguration
	MisconfSummary    *templateMisconfSummary
	Licenses          []templateLicense
	CustomResources   []any
}

type templatePackage struct {
	types.Package
	Dev                bool
	ExternalReferences []any
	Locations          []templateLocation
}

type templateLocation struct {
	StartLine, EndLine int
}

type templateVulnerability struct {
	types.DetectedVulnerability
	Custom any
}

type templateSecret struct {
	types.SecretFinding
	Offset int
}

type templateMisconfSummary struct {
	Successes, Failures int
}

type templateMisconfiguration struct {
	types.Misconfiguration
	Type          string
	AVDID         string
	Description   string
	Namespace     string
	Query         string
	PrimaryURL    string
	References    []string
	Status        string
	Layer         types.LayerRef
	CauseMetadata templateCause
	Traces        []string
}

type templateCause struct {
	Resource, Provider, Service string
	StartLine, EndLine          int
	Code                        types.Code
	Occurrences                 []templateOccurrence
}

type templateOccurrence struct {
	Resource, Filename string
	Location           templateLocation
}

type templateLicense struct {
	Severity, Category, PkgName, FilePath, Name, Text, Link string
	Confidence                                              float64
}

// misconfTypes name the kind of file a check reads, as Trivy's Type does.
var misconfTypes = map[string]string{"compose": "Docker Compose"}

func templateResults(results []types.Result) []templateResult {
	out := make([]templateResult, 0, len(results))
	for _, res := range results {
		t := templateResult{Result: res}
		for _, p := range res.Packages {
			t.Packages = append(t.Packages, templatePackage{Package: p})
		}
		for _, v := range res.Vulnerabilities {
			t.Vulnerabilities = append(t.Vulnerabilities, templateVulnerability{DetectedVulnerability: v})
		}
		for _, s := range res.Secrets {
			t.Secrets = append(t.Secrets, templateSecret{SecretFinding: s})
		}
		kind := misconfTypes[res.Type]
		if kind == "" {
			kind = res.Type
		}
		for _, m := range res.Misconfigurations {
			t.Misconfigurations = append(t.Misconfigurations, templateMisconfiguration{
				Misconfiguration: m,
				Type:             kind,
				AVDID:            m.ID,
				Description:      strings.TrimSpace(endWithPeriod(m.Title) + " " + m.Resolution),
				Status:           "FAIL",
				CauseMetadata:    templateCause{Service: m.Service, StartLine: m.StartLine, EndLine: m.StartLine},
			})
		}
		if res.Class == types.ClassConfig {
			t.MisconfSummary = &templateMisconfSummary{Failures: len(res.Misconfigurations)}
		}
		out = append(out, t)
	}
	return out
}
