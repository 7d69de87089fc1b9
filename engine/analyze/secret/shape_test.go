package secret

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestShapeOf(t *testing.T) {
	for _, c := range []struct {
		re          string
		keywords    []string
		fromKeyword bool
		maxLen      int
	}{
		{`\b(?P<secret>ghp_[A-Za-z0-9]{36})\b`, []string{"ghp_"}, true, 40},
		{`\b(?P<secret>(?:A3T[A-Z0-9]|AKIA|ASIA)[A-Z2-7]{16})\b`, []string{"akia", "asia", "a3t"}, true, 20},
		// Keywords are compared without case, as the automaton finds them.
		{`(?i)aws_?(?:secret)?_?key[ \t]*=`, []string{"aws"}, true, -1},
		{`(?i:telegram|\btg_|bot_?token)[^\n]{0,8}?x`, []string{"telegram", "tg_", "bot_token", "bottoken"}, true, 4*9 + 8*4 + 1},
		// The keyword comes after the start, or not every branch starts
		// with one, or the start can be empty.
		{`\b(?P<secret>[a-f0-9]{32}-us\d{1,2})\b`, []string{"-us"}, false, 37},
		{`(?:foo|bar)x+`, []string{"foo"}, false, -1},
		{`x?foo`, []string{"foo"}, false, 4},
		{`(?:foo)?`, []string{"foo"}, false, 3},
		// A keyword longer than what the regex puts at the start.
		{`ab[0-9]`, []string{"abc"}, false, 3},
	} {
		got := shapeOf(regexp.MustCompile(c.re), c.keywords)
		if got != (matchShape{fromKeyword: c.fromKeyword, maxLen: c.maxLen}) {
			t.Errorf("%s: %+v, want fromKeyword %v maxLen %d", c.re, got, c.fromKeyword, c.maxLen)
		}
	}
}

// Every match of a built-in rule whose shape says so starts at one of its
// keywords and is no longer than the bound: on its own sample and near
// miss, and on its samples in the labelled corpus.
func TestShapeOfBuiltinRules(t *testing.T) {
	s := builtinScanner(t)
	narrowed := 0
	for i, r := range s.rules {
		shape := s.shapes[i]
		if !shape.fromKeyword {
			continue
		}
		narrowed++
		texts := []string{r.Example, r.NearMiss}
		for _, sm := range append(contextsFor(r), nearMissesFor(r)...) {
			texts = append(texts, sm.content)
		}
		for _, text := range texts {
			for _, m := range r.Regex.FindAllStringIndex(text, -1) {
				if !hasKeywordPrefix(text[m[0]:], r.Keywords) {
					t.Errorf("rule %s: match %q does not start with a keyword", r.ID, text[m[0]:m[1]])
				}
				if shape.maxLen >= 0 && m[1]-m[0] > shape.maxLen {
					t.Errorf("rule %s: match %q longer than %d", r.ID, text[m[0]:m[1]], shape.maxLen)
				}
			}
		}
	}
	// The provider rules are the ones that gain; most have a prefix.
	if narrowed < len(s.rules)/2 {
		t.Fatalf("%d of %d rules searched from their keywords", narrowed, len(s.rules))
	}
}

func builtinScanner(t testing.TB) *Scanner {
	t.Helper()
	rules, err := BuiltinRules()
	if err != nil {
		t.Fatal(err)
	}
	return NewScanner(rules, BuiltinAllowRules())
}

// wideScanner is s with every window as wide as the line (the scanner
// before windows were narrowed to the matches' shapes).
func wideScanner(t testing.TB) *Scanner {
	s := builtinScanner(t)
	for i := range s.shapes {
		s.shapes[i] = matchShape{maxLen: -1}
	}
	return s
}

// longLine puts each sample in the middle of one long line of code-like
// text, with other keyword hits around it, as minified code and source
// maps have them.
func longLine(content string) string {
	filler := strings.Repeat(`var task=ask(disk);mask.key-1;EAAAAAAA,AAAA;sk=1;`, 24)
	return filler + strings.ReplaceAll(content, "\n", ";") + filler + "\n" + content
}

// Narrowed windows find what whole-line windows find: on the labelled
// corpus as it is, in long lines, and on this package's sources.
func TestNarrowWindowsSameFindings(t *testing.T) {
	narrow, wide := builtinScanner(t), wideScanner(t)
	check := func(name, path, content string) {
		t.Helper()
		got, want := narrow.ScanFile(path, []byte(content)), wide.ScanFile(path, []byte(content))
		got.masks, want.masks = nil, nil
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: narrowed windows found %d, whole lines %d:\n%+v\n%+v", name, len(got.Findings), len(want.Findings), got.Findings, want.Findings)
		}
	}
	found := 0
	for i, sm := range corpusSamples(narrow) {
		check(sm.name, sm.path, sm.content)
		// A long line costs whole-line windows a millisecond: a
		// sample of the corpus.
		if i%5 == 0 {
			check(sm.name+"/long-line", sm.path, longLine(sm.content))
		}
		found += len(narrow.Scan(sm.path, []byte(sm.content)))
	}
	if found == 0 {
		t.Fatal("the corpus found nothing")
	}
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		check(f, "app/"+f, string(b))
	}
	for _, in := range adversarial(4096) {
		check(in.name, "app/data.txt", in.content)
	}
}

// FuzzNarrowWindows: for any content, narrowed windows report the
// findings of whole-line windows.
func FuzzNarrowWindows(f *testing.F) {
	narrow, wide := builtinScanner(f), wideScanner(f)
	for _, r := range narrow.rules[:40] {
		f.Add("app/.env", r.Example)
		f.Add("app/x.js", longLine(r.Example))
	}
	f.Fuzz(func(t *testing.T, path, content string) {
		got, want := narrow.ScanFile(path, []byte(content)), wide.ScanFile(path, []byte(content))
		got.masks, want.masks = nil, nil
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("narrowed windows %+v, whole lines %+v", got.Findings, want.Findings)
		}
	})
}

// The directory memo answers as the allow rules' regexes do, whatever
// order directories come in (a child before its parent, siblings, deep
// trees under a matching one).
func TestDirMemoInheritsMatches(t *testing.T) {
	allow := BuiltinAllowRules()
	s := NewScanner(nil, allow)
	if s.dirs.inherit == 0 {
		t.Fatal("no allow rule's matches are inherited")
	}
	for i, a := range allow {
		if a.dirOnly && s.dirs.inherit&(1<<i) == 0 {
			t.Errorf("allow rule %s: its matches are not inherited", a.ID)
		}
	}
	dirs := []string{
		"usr/share/nodejs/@babel/core/lib/config/files/",
		"usr/share/nodejs/",
		"usr/lib/python3/dist-packages/django/contrib/auth/",
		"usr/lib/python3/dist-packages/",
		"usr/lib/python3.11/test/support/",
		"usr/lib/python3.11/",
		"usr/share/doc/git/contrib/",
		"usr/share/docs/",
		"app/node_modules/pg/lib/",
		"app/node_modules/pg/test/unit/",
		"app/src/",
		"opt/java/openjdk/lib/",
		"opt/javax/",
		"usr/local/lib/go/src/net/http/testdata/certs/",
		"usr/local/lib/go/src/net/http/",
		"etc/ssl/certs/",
		"etc/ssl/",
		"",
		"srv/site-packages-old/",
		"srv/x.jar/META-INF/",
	}
	for _, order := range [][]string{dirs, reversed(dirs)} {
		s := NewScanner(nil, allow)
		for _, dir := range order {
			p := dir + "file.txt"
			got := s.dirs.matches(allow, p)
			var want uint64
			for i, a := range allow {
				if a.Path != nil && (a.dirOnly && a.Path.MatchString(dir) || a.baseOnly && a.Path.MatchString("file.txt")) {
					want |= 1 << i
				}
			}
			if got != want {
				t.Errorf("%s: memo %b, regexes %b", p, got, want)
			}
		}
	}
	// A path deeper than any tar holds is matched whole, not level by
	// level.
	deep := strings.Repeat("a/", 1<<16) + "node_modules/x/"
	tp := slices.IndexFunc(allow, func(a AllowRule) bool { return a.ID == thirdPartyAllow.ID })
	if got := NewScanner(nil, allow).dirs.matches(allow, deep+"f.js"); got&(1<<tp) == 0 {
		t.Errorf("deep path: memo %b", got)
	}
	if inheritable(regexp.MustCompile(`(?:^|/)tests?$`)) || inheritable(regexp.MustCompile(`/lib\b`)) {
		t.Error("a regex that looks past its match is taken as inheritable")
	}
}

func reversed(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

// The analyzer does not ask the walker for files whose every finding an
// allow rule drops, and asks for the rest.
func TestWantsSkipsAllowedPaths(t *testing.T) {
	a, err := NewAnalyzer(nil)
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]bool{
		"usr/share/doc/git/README.md":                  false,
		"var/lib/dpkg/status":                          false,
		"usr/share/locale/de/LC_MESSAGES/git.mo":       false,
		"app/README.md":                                false,
		"app/.env":                                     true,
		"usr/lib/python3/dist-packages/django/conf.py": false, // the distribution's code
		"usr/local/lib/python3.11/site-packages/x.py":  true,  // provider rules still search it
		"app/node_modules/pg/lib/client.js":            true,
		"etc/ssl/private/server.key":                   true,
		"root/.aws/credentials":                        true,
	} {
		if got := a.Wants(p, 100); got != want {
			t.Errorf("Wants(%s) = %v, want %v", p, got, want)
		}
	}
	if a.Wants("app/.env", 0) || a.Wants("app/big.log", MaxFileSize+1) {
		t.Error("Wants an empty or an oversized file")
	}
	// What Wants turns down, Scan finds nothing in anyway.
	content := []byte(fmt.Sprintf("token: ghp_%s\n", synth("wants", alnum, 36)))
	if len(a.scanner().Scan("app/.env", content)) == 0 || len(a.scanner().Scan("usr/share/doc/x/README", content)) != 0 {
		t.Fatal("the sample is not found where it should be, or found where it should not")
	}
}
