package misconf

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/util"
)

// Custom checks are Rego files written for Trivy: a team's existing
// `.rego` Dockerfile checks run here unchanged. They get what Trivy gives
// them: the Dockerfile as `input` (Stages[].Commands[]), the result.new and
// sh.parse_commands built-ins, the data.lib.docker, data.lib.cmdutil and
// data.lib.path libraries (our own Rego, embedded), schema["dockerfile"]
// for type checks, and data.namespaces. Rego is parsed and compiled once,
// in LoadRegoChecks; a scan without custom checks never touches OPA.

//go:embed rego/*.rego rego/*.json
var regoLibraries embed.FS

// Bounds on what LoadRegoChecks reads: the directories are the user's own,
// but a mistaken path (a home directory) must fail fast, not read for
// minutes.
const (
	maxRegoFiles     = 10_000
	maxRegoFileBytes = 1 << 20
	maxRegoBytes     = 64 << 20
	// regoEvalTimeout bounds one check on one file: a runaway check is an
	// analysis issue, never a hung scan.
	regoEvalTimeout = 30 * time.Second
)

// builtinNamespaces are the top-level packages Trivy always evaluates;
// --check-namespaces adds to them ("user"). A check in any other package
// is loaded (others may import it) but not run.
var builtinNamespaces = []string{"builtin", "defsec", "appshield"}

// LoadRegoChecks reads the custom checks in dirs (directories, searched
// recursively, or single .rego files; *_test.rego and dot files are
// skipped), compiles them once, and returns one Check per enforced rule
// (`deny`, `deny_*`) of each package whose top-level name is in namespaces
// (or builtin), whose input selector is dockerfile or absent, and which is
// not a library. No dirs: no checks, and OPA is not touched.
//
// Errors are one line naming the file: "custom check checks/bad.rego:7:3:
// rego_parse_error: unexpected ...". A check that fails while it runs is
// reported by its Failure's Error, not here.
func LoadRegoChecks(dirs []string, namespaces []string) ([]Check, error) {
	if len(dirs) == 0 {
		return nil, nil
	}
	files, schemaFiles, err := collectRegoFiles(dirs)
	if err != nil {
		return nil, err
	}
	modules := make(map[string]*ast.Module, len(files))
	for _, f := range files {
		m, err := parseRegoModule(f.path, f.src)
		if err != nil {
			return nil, err
		}
		modules[f.path] = m
	}
	libs, err := loadRegoLibraries()
	if err != nil {
		return nil, err
	}
	// A team that vendored Trivy's library (to run `opa test`) keeps its
	// copy: ours for the same package steps aside, as Trivy's embedded one
	// does for a file of the same path.
	for _, m := range modules {
		for key, lib := range libs {
			if lib.Package.Path.Equal(m.Package.Path) {
				delete(libs, key)
			}
		}
	}
	digest := regoDigest(files, namespaces)

	selected := map[string]bool{}
	for _, ns := range slices.Concat(builtinNamespaces, namespaces) {
		if ns = strings.TrimSpace(ns); ns != "" {
			selected[ns] = true
		}
	}
	// A module must compile when it is a library (checks may import it,
	// whatever its package) or a check that would run on Dockerfiles.
	mustCompile := func(m *ast.Module) bool {
		if len(enforcedRules(m)) == 0 {
			return true
		}
		meta := metadataFromAnnotations(m)
		return selected[topNamespace(m)] && (meta == nil || meta.library || meta.appliesToDockerfile())
	}

	compiler, err := compileRegoModules(modules, libs, schemaFiles, mustCompile)
	if err != nil {
		return nil, err
	}
	store := inmem.NewFromObject(map[string]any{"namespaces": moduleNamespaces(compiler.Modules)})

	var checks []Check
	ctx := context.Background()
	shared := &regoInputCache{}
	var skipped []string
	for _, path := range sortedKeys(modules) {
		m, ok := compiler.Modules[path]
		if !ok {
			continue
		}
		if !selected[topNamespace(m)] {
			if len(enforcedRules(m)) > 0 {
				skipped = append(skipped, moduleNamespace(m))
			}
			continue
		}
		meta, err := moduleMetadata(ctx, compiler, store, m)
		if err != nil {
			return nil, fmt.Errorf("custom check %s: metadata: %w", path, err)
		}
		if meta.library || !meta.appliesToDockerfile() {
			continue
		}
		for _, rule := range enforcedRules(m) {
			c, err := newRegoCheck(ctx, compiler, store, shared, m, meta, rule)
			if err != nil {
				return nil, fmt.Errorf("custom check %s: %w", path, err)
			}
			c.Digest = digest
			checks = append(checks, c)
		}
	}
	if len(skipped) > 0 {
		// Trivy skips them silently; a check that never runs deserves a
		// word, since a clean result would be mistaken for a pass.
		slog.Warn("custom checks not run: their package is not in the selected namespaces (--check-namespaces)",
			"count", len(skipped), "example", skipped[0], "namespaces", strings.Join(slices.Concat(builtinNamespaces, namespaces), ","))
	}
	return checks, nil
}

// regoDigest hashes what the loaded checks' behaviour depends on besides
// the binary: every file's path and text, and the namespaces.
func regoDigest(files []regoFile, namespaces []string) string {
	h := sha256.New()
	for _, f := range files {
		fmt.Fprintf(h, "%q %d\n%s\n", f.path, len(f.src), f.src)
	}
	fmt.Fprintf(h, "%q\n", namespaces)
	return hex.EncodeToString(h.Sum(nil))[:16]
}

type regoFile struct {
	path string
	src  string
}

// collectRegoFiles reads the .rego files under dirs and the .json files
// beside them (custom schemas, found by name).
func collectRegoFiles(dirs []string) (files []regoFile, schemas map[string]string, err error) {
	schemas = map[string]string{}
	total := 0
	read := func(path string) (string, error) {
		b, err := readBounded(path, maxRegoFileBytes)
		if err != nil {
			return "", fmt.Errorf("custom check %s: %w", path, err)
		}
		if total += len(b); total > maxRegoBytes {
			return "", fmt.Errorf("custom checks: more than %d MiB of files under %s", maxRegoBytes>>20, strings.Join(dirs, ", "))
		}
		return string(b), nil
	}
	for _, dir := range dirs {
		info, err := os.Stat(dir)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, nil, fmt.Errorf("custom checks: %s: no such file or directory", dir)
			}
			return nil, nil, fmt.Errorf("custom checks: %w", err)
		}
		if !info.IsDir() {
			src, err := read(dir)
			if err != nil {
				return nil, nil, err
			}
			files = append(files, regoFile{path: dir, src: src})
			continue
		}
		err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return fmt.Errorf("custom checks: %w", err)
			}
			name := d.Name()
			if d.IsDir() {
				if path != dir && strings.HasPrefix(name, ".") {
					return fs.SkipDir
				}
				return nil
			}
			if strings.HasPrefix(name, ".") || !d.Type().IsRegular() {
				return nil
			}
			switch {
			case strings.HasSuffix(name, ".rego") && !strings.HasSuffix(name, "_test.rego"):
				if len(files) >= maxRegoFiles {
					return fmt.Errorf("custom checks: more than %d .rego files under %s", maxRegoFiles, dir)
				}
				src, err := read(path)
				if err != nil {
					return err
				}
				files = append(files, regoFile{path: path, src: src})
			case strings.HasSuffix(name, ".json"):
				// Read lazily: only schemas a check names are wanted.
				if _, dup := schemas[strings.TrimSuffix(name, ".json")]; !dup {
					schemas[strings.TrimSuffix(name, ".json")] = path
				}
			}
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
	}
	if len(files) == 0 {
		return nil, nil, fmt.Errorf("custom checks: no .rego files in %s", strings.Join(dirs, ", "))
	}
	return files, schemas, nil
}

func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if info.Size() > limit {
		return nil, fmt.Errorf("larger than %d KiB", limit>>10)
	}
	b := make([]byte, 0, info.Size())
	buf := make([]byte, 32<<10)
	for {
		n, err := f.Read(buf)
		b = append(b, buf[:n]...)
		if int64(len(b)) > limit {
			return nil, fmt.Errorf("larger than %d KiB", limit>>10)
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return b, nil
			}
			return nil, err
		}
	}
}

// parseRegoModule parses a check as Trivy does, in Rego v0 (where `import
// rego.v1` opts into v1 keywords), and falls back to v1 for checks written
// in plain v1. When both fail, the error is the one of the dialect that
// read further: that is the dialect the author wrote.
func parseRegoModule(path, src string) (*ast.Module, error) {
	m0, err0 := ast.ParseModuleWithOpts(path, src, ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV0})
	if err0 == nil {
		return m0, nil
	}
	m1, err1 := ast.ParseModuleWithOpts(path, src, ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1})
	if err1 == nil {
		return m1, nil
	}
	err := err0
	if errorOffset(err1) > errorOffset(err0) {
		err = err1
	}
	return nil, oneLineRegoError(err)
}

func errorOffset(err error) int {
	var errs ast.Errors
	if errors.As(err, &errs) && len(errs) > 0 && errs[0].Location != nil {
		return errs[0].Location.Row<<16 + errs[0].Location.Col
	}
	return 0
}

// oneLineRegoError turns OPA's errors (a parse or compile error list) into
// one line: the first error, located, and how many more there are.
func oneLineRegoError(err error) error {
	var errs ast.Errors
	if !errors.As(err, &errs) || len(errs) == 0 {
		return fmt.Errorf("custom checks: %s", firstLine(err.Error()))
	}
	sort.SliceStable(errs, func(i, j int) bool { return errorLess(errs[i], errs[j]) })
	e := errs[0]
	where := "custom checks"
	if e.Location != nil && e.Location.File != "" {
		where = fmt.Sprintf("custom check %s:%d", e.Location.File, e.Location.Row)
		if e.Location.Col > 0 {
			where += fmt.Sprintf(":%d", e.Location.Col)
		}
	}
	msg := fmt.Sprintf("%s: %s: %s", where, e.Code, firstLine(e.Message))
	if n := len(errs) - 1; n > 0 {
		msg += fmt.Sprintf(" (and %d more)", n)
	}
	return errors.New(msg)
}

func errorLess(a, b *ast.Error) bool {
	if a.Location == nil || b.Location == nil {
		return a.Location != nil
	}
	if a.Location.File != b.Location.File {
		return a.Location.File < b.Location.File
	}
	if a.Location.Row != b.Location.Row {
		return a.Location.Row < b.Location.Row
	}
	return a.Location.Col < b.Location.Col
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// loadRegoLibraries parses the embedded data.lib.* libraries.
func loadRegoLibraries() (map[string]*ast.Module, error) {
	entries, err := fs.Glob(regoLibraries, "rego/*.rego")
	if err != nil {
		return nil, err
	}
	libs := make(map[string]*ast.Module, len(entries))
	for _, name := range entries {
		b, err := regoLibraries.ReadFile(name)
		if err != nil {
			return nil, err
		}
		key := "docker-scan:" + name
		m, err := ast.ParseModuleWithOpts(key, string(b), ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1})
		if err != nil {
			return nil, fmt.Errorf("embedded Rego library %s: %w", name, err)
		}
		libs[key] = m
	}
	return libs, nil
}

// compileRegoModules compiles the user's modules with the libraries. A
// module that fails to compile but would not run on Dockerfiles anyway (a
// Kubernetes check using a built-in we lack, a check outside the selected
// namespaces) is dropped, as Trivy drops broken checks; an error in a
// module that would run is the error of the whole load.
func compileRegoModules(modules, libs map[string]*ast.Module, schemaFiles map[string]string, mustCompile func(*ast.Module) bool) (*ast.Compiler, error) {
	caps := ast.CapabilitiesForThisVersion()
	caps.Builtins = append(slices.Clip(caps.Builtins), regoBuiltinDecls()...)
	for range len(modules) + 1 {
		all := make(map[string]*ast.Module, len(modules)+len(libs))
		for k, m := range libs {
			all[k] = m
		}
		for k, m := range modules {
			all[k] = m
		}
		schemas, err := schemaSetFor(all, schemaFiles)
		if err != nil {
			return nil, err
		}
		c := ast.NewCompiler().
			WithCapabilities(caps).
			WithSchemas(schemas).
			WithUseTypeCheckAnnotations(true)
		c.SetErrorLimit(0)
		c.Compile(all)
		if !c.Failed() {
			return c, nil
		}
		dropped := false
		for _, e := range c.Errors {
			file := ""
			if e.Location != nil {
				file = e.Location.File
			}
			m, ok := modules[file]
			if !ok || mustCompile(m) {
				return nil, oneLineRegoError(c.Errors)
			}
			delete(modules, file)
			dropped = true
		}
		if !dropped {
			return nil, oneLineRegoError(c.Errors)
		}
	}
	return nil, errors.New("custom checks: compile: no progress")
}

// schemaSetFor gives the compiler every schema the modules name:
// schema["dockerfile"] is ours; another name is NAME.json beside the checks
// (as Trivy finds custom schemas), else any document (a check for another
// kind of file must not fail the load of Dockerfile checks).
func schemaSetFor(modules map[string]*ast.Module, schemaFiles map[string]string) (*ast.SchemaSet, error) {
	set := ast.NewSchemaSet()
	set.Put(ast.MustParseRef("schema.input"), map[string]any{})
	for _, path := range sortedKeys(modules) {
		for _, a := range modules[path].Annotations {
			for _, s := range a.Schemas {
				if s.Schema == nil || set.Get(s.Schema) != nil {
					continue
				}
				name, err := s.Schema.Ptr()
				if err != nil || name == "input" {
					continue
				}
				doc, err := loadSchema(name, schemaFiles)
				if err != nil {
					return nil, fmt.Errorf("custom check %s: schema %q: %w", path, name, err)
				}
				set.Put(s.Schema, doc)
			}
		}
	}
	return set, nil
}

func loadSchema(name string, schemaFiles map[string]string) (any, error) {
	var raw []byte
	var err error
	switch file, ok := schemaFiles[name]; {
	case name == "dockerfile":
		raw, err = regoLibraries.ReadFile("rego/dockerfile.json")
	case ok:
		raw, err = readBounded(file, maxRegoFileBytes)
	default:
		return map[string]any{}, nil
	}
	if err != nil {
		return nil, err
	}
	var doc any
	if err := util.UnmarshalJSON(raw, &doc); err != nil {
		return nil, err
	}
	return doc, nil
}

// topNamespace is the first name of a module's package ("user" for
// package user.dockerfile.no_curl).
func topNamespace(m *ast.Module) string {
	ns, _, _ := strings.Cut(moduleNamespace(m), ".")
	return ns
}

// moduleNamespace is the package without "data." ("user.dockerfile.x").
func moduleNamespace(m *ast.Module) string {
	return strings.TrimPrefix(m.Package.Path.String(), "data.")
}

func moduleNamespaces(modules map[string]*ast.Module) []any {
	seen := map[string]bool{}
	var out []any
	for _, path := range sortedKeys(modules) {
		if ns := moduleNamespace(modules[path]); !seen[ns] {
			seen[ns] = true
			out = append(out, ns)
		}
	}
	return out
}

// enforcedRules are the rules whose results are findings: deny and
// deny_*, each once, in the order of the file.
func enforcedRules(m *ast.Module) []string {
	var out []string
	for _, r := range m.Rules {
		name := r.Head.Name.String()
		if len(r.Head.Reference) > 0 {
			name = r.Head.Reference[0].String()
			if v, ok := r.Head.Reference[0].Value.(ast.Var); ok {
				name = string(v)
			}
		}
		if (name == "deny" || strings.HasPrefix(name, "deny_")) && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

// newRegoCheck prepares the query of one rule and wraps it as a Check.
func newRegoCheck(ctx context.Context, compiler *ast.Compiler, store storage.Store, inputs *regoInputCache, m *ast.Module, meta *regoMetadata, rule string) (Check, error) {
	ns := moduleNamespace(m)
	query := "data." + ns + "." + rule
	pq, err := rego.New(
		append(regoBuiltinImpls(),
			rego.Compiler(compiler),
			rego.Store(store),
			rego.Query(query),
		)...,
	).PrepareForEval(ctx)
	if err != nil {
		return Check{}, oneLineRegoError(err)
	}
	c := Check{
		ID:          meta.id,
		AVDID:       meta.avdID,
		Aliases:     meta.aliases,
		Type:        TypeDockerfile,
		Title:       meta.title,
		Description: meta.description,
		Resolution:  meta.resolution,
		Severity:    meta.severity,
		References:  meta.references,
		Namespace:   ns,
		Query:       query,
	}
	c.Dockerfile = func(df *Dockerfile) []Failure {
		if df == nil {
			return nil
		}
		return evalRegoCheck(pq, inputs.get(df), ns, rule)
	}
	return c, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
