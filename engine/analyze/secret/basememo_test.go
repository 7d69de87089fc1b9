package secret

import "testing"

// Base names decide the base-name allow rules (noise-paths: *.md, lock
// files) the same with or without the memo, and only the names that hold
// one of those rules' literals are remembered: an image's many distinct
// file names do not fill the memo.
func TestBaseNameMemo(t *testing.T) {
	allow := BuiltinAllowRules()
	s := NewScanner(nil, allow)
	paths := []string{
		"app/README.md", "app/docs/guide.rst", "app/index.html", "app/go.sum",
		"app/package-lock.json", "app/main.go", "app/config.yaml", "etc/passwd",
		"app/README.md.bak", "app/mdfile", "app/x.htm", "app/Cargo.lock",
	}
	for _, p := range append(paths, paths...) {
		got := s.dirs.matches(allow, p)
		cut := len(p)
		for cut > 0 && p[cut-1] != '/' {
			cut--
		}
		var want uint64
		for i, a := range allow {
			if a.Path != nil && (a.dirOnly && a.Path.MatchString(p[:cut]) || a.baseOnly && a.Path.MatchString(p[cut:])) {
				want |= 1 << i
			}
		}
		if got != want {
			t.Errorf("%s: memo %b, regexes %b", p, got, want)
		}
	}
	for base := range s.dirs.base {
		switch base {
		case "README.md", "guide.rst", "index.html", "go.sum", "package-lock.json", "README.md.bak", "x.htm", "Cargo.lock":
		default:
			t.Errorf("%q remembered; it holds none of the base-name rules' literals", base)
		}
	}
	if len(s.dirs.base) == 0 {
		t.Error("no base name remembered")
	}
}
