package misconf

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown/builtins"
	"github.com/open-policy-agent/opa/v1/types"
	"mvdan.cc/sh/v3/syntax"
)

// regoInputCache keeps the input document of the last Dockerfile seen:
// the runner applies every check to one file in turn, so the document is
// built once per file, not once per check.
type regoInputCache struct {
	mu    sync.Mutex
	df    *Dockerfile
	input ast.Value
}

func (c *regoInputCache) get(df *Dockerfile) ast.Value {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.df != df || c.input == nil {
		c.df, c.input = df, dockerfileInput(df)
	}
	return c.input
}

// dockerfileInput is the `input` document of a Dockerfile check, in the
// shape Trivy gives it: {"Stages": [{"Name", "Commands": [{"Cmd",
// "SubCmd", "Flags", "Value", "Original", "JSON", "Stage", "Path",
// "StartLine", "EndLine"}]}]}. Built as an AST value directly: no JSON
// round trip per file.
func dockerfileInput(df *Dockerfile) ast.Value {
	stages := make([]*ast.Term, 0, len(df.Stages))
	for _, st := range df.Stages {
		cmds := make([]*ast.Term, 0, len(st.Commands))
		for _, c := range st.Commands {
			cmds = append(cmds, ast.ObjectTerm(
				ast.Item(ast.StringTerm("Cmd"), ast.StringTerm(c.Cmd)),
				ast.Item(ast.StringTerm("SubCmd"), ast.StringTerm(c.SubCmd)),
				ast.Item(ast.StringTerm("Flags"), stringsTerm(c.Flags)),
				ast.Item(ast.StringTerm("Value"), stringsTerm(c.Value)),
				ast.Item(ast.StringTerm("Original"), ast.StringTerm(c.Original)),
				ast.Item(ast.StringTerm("JSON"), ast.BooleanTerm(c.JSON)),
				ast.Item(ast.StringTerm("Stage"), ast.IntNumberTerm(c.Stage)),
				ast.Item(ast.StringTerm("Path"), ast.StringTerm(c.Path)),
				ast.Item(ast.StringTerm("StartLine"), ast.IntNumberTerm(c.StartLine)),
				ast.Item(ast.StringTerm("EndLine"), ast.IntNumberTerm(c.EndLine)),
			))
		}
		stages = append(stages, ast.ObjectTerm(
			ast.Item(ast.StringTerm("Name"), ast.StringTerm(st.Name)),
			ast.Item(ast.StringTerm("Commands"), ast.ArrayTerm(cmds...)),
		))
	}
	return ast.NewObject(ast.Item(ast.StringTerm("Stages"), ast.ArrayTerm(stages...)))
}

func stringsTerm(ss []string) *ast.Term {
	terms := make([]*ast.Term, len(ss))
	for i, s := range ss {
		terms[i] = ast.StringTerm(s)
	}
	return ast.ArrayTerm(terms...)
}

// evalRegoCheck runs one prepared rule on one input. Each value the rule
// produces is one Failure; an evaluation error is one Failure with Error
// set (the runner reports it as an analysis issue).
func evalRegoCheck(pq rego.PreparedEvalQuery, input ast.Value, ns, rule string) []Failure {
	ctx, cancel := context.WithTimeout(context.Background(), regoEvalTimeout)
	defer cancel()
	rs, err := pq.Eval(ctx, rego.EvalParsedInput(input))
	if err != nil {
		return []Failure{{Error: fmt.Sprintf("custom check data.%s.%s: %s", ns, rule, firstLine(err.Error()))}}
	}
	var out []Failure
	for _, r := range rs {
		for _, e := range r.Expressions {
			values, ok := e.Value.([]any)
			if !ok {
				values = []any{e.Value}
			}
			for _, v := range values {
				f := regoFailure(v)
				if f.Message == "" {
					f.Message = fmt.Sprintf("Rego check rule: %s.%s", ns, rule)
				}
				out = append(out, f)
			}
		}
	}
	return out
}

// regoFailure reads one deny value as Trivy does: a string is the message;
// an object (result.new's, or one with "msg") gives the message and the
// lines; an array may hold one of each; anything else is a bare deny.
func regoFailure(v any) Failure {
	switch v := v.(type) {
	case string:
		return Failure{Message: strings.TrimSpace(v)}
	case map[string]any:
		return failureFromCause(v)
	case []any:
		var f Failure
		msg := ""
		for _, item := range v {
			switch item := item.(type) {
			case map[string]any:
				f = failureFromCause(item)
			case string:
				msg = item
			}
		}
		f.Message = strings.TrimSpace(msg)
		return f
	}
	return Failure{Message: "Rego check resulted in DENY"}
}

func failureFromCause(cause map[string]any) Failure {
	f := Failure{StartLine: lineNumber(cause["startline"]), EndLine: lineNumber(cause["endline"])}
	if msg, ok := cause["msg"]; ok && msg != nil {
		f.Message = strings.TrimSpace(fmt.Sprint(msg))
	}
	if f.StartLine < 0 || f.EndLine < 0 {
		f.StartLine, f.EndLine = 0, 0
	}
	return f
}

func lineNumber(v any) int {
	var n int64
	switch v := v.(type) {
	case json.Number:
		n, _ = v.Int64()
	case string:
		n, _ = strconv.ParseInt(v, 10, 64)
	case float64:
		n = int64(v)
	case int:
		n = int64(v)
	}
	if n > 1<<31 {
		return 0
	}
	return int(n)
}

// The built-ins Trivy adds to Rego that Dockerfile checks call.
var (
	resultNewDecl = &rego.Function{
		Name: "result.new",
		Decl: types.NewFunction(types.Args(types.S, types.A), types.A),
	}
	shParseCommandsDecl = &rego.Function{
		Name:    "sh.parse_commands",
		Decl:    types.NewFunction(types.Args(types.S), types.NewArray(nil, types.NewArray(nil, types.S))),
		Memoize: true,
	}
)

// regoBuiltinDecls declares the built-ins to the compiler (type checks).
func regoBuiltinDecls() []*ast.Builtin {
	var out []*ast.Builtin
	for _, f := range []*rego.Function{resultNewDecl, shParseCommandsDecl} {
		out = append(out, &ast.Builtin{Name: f.Name, Decl: f.Decl})
	}
	return out
}

// regoBuiltinImpls gives the evaluator their implementations.
func regoBuiltinImpls() []func(*rego.Rego) {
	return []func(*rego.Rego){
		rego.Function2(resultNewDecl, func(_ rego.BuiltinContext, msg, cause *ast.Term) (*ast.Term, error) {
			return resultNew(msg, cause), nil
		}),
		rego.Function1(shParseCommandsDecl, func(_ rego.BuiltinContext, s *ast.Term) (*ast.Term, error) {
			str, err := builtins.StringOperand(s.Value, 1)
			if err != nil {
				return nil, err
			}
			cmds, err := shParseCommands(string(str))
			if err != nil {
				return nil, err
			}
			out := make([]*ast.Term, len(cmds))
			for i, words := range cmds {
				out[i] = stringsTerm(words)
			}
			return ast.ArrayTerm(out...), nil
		}),
	}
}

// resultNew is result.new(msg, cause): the finding's message with where it
// is. The cause is the Dockerfile instruction the check blames (its
// StartLine, EndLine and Path are read), or an object carrying those keys
// in lower case, or, for other kinds of input, an object with a
// __defsec_metadata object that does; anything else gives no location.
// The object has the keys Trivy's has, so checks that read them work.
func resultNew(msg, cause *ast.Term) *ast.Term {
	fields := map[string]*ast.Term{
		"msg":          msg,
		"startline":    ast.IntNumberTerm(0),
		"endline":      ast.IntNumberTerm(0),
		"filepath":     ast.StringTerm(""),
		"sourceprefix": ast.StringTerm(""),
		"fskey":        ast.StringTerm(""),
		"resource":     ast.StringTerm(""),
		"explicit":     ast.BooleanTerm(false),
		"managed":      ast.BooleanTerm(true),
		"parent":       ast.NullTerm(),
	}
	src, _ := cause.Value.(ast.Object)
	if src != nil {
		if md := src.Get(ast.StringTerm("__defsec_metadata")); md != nil {
			src, _ = md.Value.(ast.Object)
		}
	}
	if src != nil {
		copyField := func(dst string, keys ...string) {
			for _, k := range keys {
				if v := src.Get(ast.StringTerm(k)); v != nil {
					fields[dst] = v
				}
			}
		}
		copyField("startline", "startline", "StartLine")
		copyField("endline", "endline", "EndLine")
		copyField("filepath", "filepath", "Path")
		copyField("sourceprefix", "sourceprefix")
		copyField("explicit", "explicit")
		copyField("managed", "managed")
		copyField("fskey", "fskey")
		copyField("resource", "resource")
		if p := src.Get(ast.StringTerm("parent")); p != nil {
			parent := resultNew(nil, p)
			if obj, ok := parent.Value.(ast.Object); ok {
				fields["parent"] = ast.NewTerm(obj)
			}
		}
	}
	if msg == nil {
		delete(fields, "msg")
	}
	items := make([][2]*ast.Term, 0, len(fields))
	for _, k := range sortedKeys(fields) {
		items = append(items, ast.Item(ast.StringTerm(k), fields[k]))
	}
	return ast.ObjectTerm(items...)
}

// maxShellCommand bounds sh.parse_commands: RUN lines come from images
// nobody vetted.
const maxShellCommand = 1 << 20

// shParseCommands is sh.parse_commands(s): the simple commands of a shell
// script, in order, each as its words written as in the source (quotes
// kept): "apt-get update && apt-get install -y curl" is [["apt-get",
// "update"], ["apt-get", "install", "-y", "curl"]].
func shParseCommands(s string) ([][]string, error) {
	if len(s) > maxShellCommand {
		return nil, fmt.Errorf("shell command longer than %d KiB", maxShellCommand>>10)
	}
	file, err := syntax.NewParser().Parse(strings.NewReader(s), "")
	if err != nil {
		return nil, err
	}
	printer := syntax.NewPrinter()
	var cmds [][]string
	var sb strings.Builder
	syntax.Walk(file, func(n syntax.Node) bool {
		call, ok := n.(*syntax.CallExpr)
		if !ok || len(call.Args) == 0 {
			return true
		}
		words := make([]string, 0, len(call.Args))
		for _, w := range call.Args {
			if lit := w.Lit(); lit != "" {
				words = append(words, lit)
				continue
			}
			sb.Reset()
			if err := printer.Print(&sb, w); err != nil {
				continue
			}
			words = append(words, sb.String())
		}
		cmds = append(cmds, words)
		return true
	})
	return cmds, nil
}
