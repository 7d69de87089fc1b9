package families_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/docker-scan/docker-scan/engine/"

// allowedImports is which engine packages each engine package may import
// (directly; a package under a listed one counts as listed). The families
// table sits low, so that analysis, merging and matching all read it while
// none of them reaches another: detect does not reach analyze, analyze does
// not reach the DB, only scan joins them.
var allowedImports = map[string][]string{
	"types":      {},
	"iox":        {},
	"boltguard":  {},
	"families":   {"types"},
	"licensing":  {"types"},
	"analyze":    {"families", "iox", "licensing", "misconf", "types"},
	"cache":      {"boltguard", "types"},
	"db":         {"boltguard", "iox", "types"},
	"detect":     {"db", "families", "types"},
	"merge":      {"families", "types"},
	"policy":     {"licensing", "types"},
	"report":     {"families", "licensing", "types"},
	"vex":        {"types"},
	"imagebuild": {"types"},
	"testenv":    {"imagebuild", "iox"},
	"sbom":       {"families", "licensing", "types"},
	"misconf":    {"iox", "types"},
	"scan":       {"analyze", "cache", "db", "detect", "families", "iox", "licensing", "merge", "misconf", "policy", "sbom", "types"},
	// The scan server and its client: the wire format and its mapping,
	// over the pipeline.
	"server": {"analyze", "cache", "db", "families", "iox", "licensing", "merge", "policy", "scan", "types"},
}

func TestEngineImportLayers(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		top, _, _ := strings.Cut(rel, "/")
		allowed, ok := allowedImports[top]
		if !ok {
			t.Errorf("engine/%s has no row in allowedImports: say what it may import", rel)
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			dep, ok := strings.CutPrefix(p, module)
			if !ok {
				continue
			}
			checked++
			depTop, _, _ := strings.Cut(dep, "/")
			if depTop != top && !slices.Contains(allowed, depTop) {
				t.Errorf("engine/%s imports engine/%s: the layering forbids it (allowed: %v)", rel, dep, allowed)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 20 {
		t.Fatalf("only %d engine imports seen: the walk is broken", checked)
	}
}
