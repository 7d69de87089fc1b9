package lang

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
)

// expressManifest is express 4.22.3's package.json as npm installs it,
// cut to the fields read here (its devDependencies are not installed).
const expressManifest = `{
  "name": "express",
  "version": "4.22.3",
  "license": "MIT",
  "dependencies": {"accepts": "~1.3.8", "array-flatten": "1.1.1", "debug": "2.6.9", "send": "~0.19.0"},
  "devDependencies": {"mocha": "^10.7.3", "supertest": "6.3.0"},
  "engines": {"node": ">= 0.10.0"}
}`

// In a layer's result a node package's DependsOn is the names it needs
// at run time: dependencies, optionalDependencies, peerDependencies.
func TestNodeDependencyNames(t *testing.T) {
	for name, tt := range map[string]struct {
		manifest string
		want     []string
	}{
		"express": {expressManifest, []string{"accepts", "array-flatten", "debug", "send"}},
		// ws 8: optional native helpers; a peer dependency of a plugin.
		"optional and peer": {`{"name": "ws", "version": "8.18.0", "peerDependencies": {"bufferutil": "^4.0.1", "utf-8-validate": ">=5.0.2"},
			"peerDependenciesMeta": {"bufferutil": {"optional": true}}, "optionalDependencies": {"@types/node": "*"}}`,
			[]string{"@types/node", "bufferutil", "utf-8-validate"}},
		// npm 1's array form, and names no registry allows.
		"array":     {`{"name": "old", "version": "0.1.0", "dependencies": ["a", "b"]}`, nil},
		"bad names": {`{"name": "x", "version": "1.0.0", "dependencies": {"../../etc": "1", "@scope": "1", "a/b": "1", "@s/../x": "1", ".hidden": "1", "ok": "1", "@s/ok": "1"}}`, []string{"@s/ok", "ok"}},
	} {
		t.Run(name, func(t *testing.T) {
			got := analyze(t, Node{}, "app/node_modules/"+name+"/package.json", tt.manifest)
			if len(got) != 1 || !slices.Equal(got[0].DependsOn, tt.want) {
				t.Errorf("got %+v, want DependsOn %q", got, tt.want)
			}
		})
	}
}

// A Python distribution's DependsOn in a layer's result is the PEP 503
// names of its Requires-Dist, less extras and what is plainly not for
// Linux CPython.
func TestPythonRequiresDist(t *testing.T) {
	// rich 13.3.1's METADATA, as Debian 12's python3-rich installs it.
	rich := "Metadata-Version: 2.1\nName: rich\nVersion: 13.3.1\n" +
		"Requires-Dist: ipywidgets (>=7.5.1,<9) ; extra == \"jupyter\"\n" +
		"Requires-Dist: markdown-it-py (>=2.1.0,<3.0.0)\n" +
		"Requires-Dist: pygments (>=2.14.0,<3.0.0)\n" +
		"Requires-Dist: typing-extensions (>=4.0.0,<5.0) ; python_version < \"3.9\"\n\nbody\nRequires-Dist: not-a-header\n"
	got := analyze(t, Python{}, "usr/lib/python3/dist-packages/rich-13.3.1.dist-info/METADATA", rich)
	if len(got) != 1 || !slices.Equal(got[0].DependsOn, []string{"markdown-it-py", "pygments", "typing-extensions"}) {
		t.Errorf("rich: %+v", got)
	}
	for value, want := range map[string]string{
		"attrs>=17.4.0":                                                        "attrs",
		"markdown-it-py (>=2.1.0,<3.0.0)":                                      "markdown-it-py",
		"Typing_Extensions>=3.7.4;python_version<'3.8'":                        "typing-extensions",
		"zope.interface":                                                       "zope-interface",
		"requests[socks] >= 2.0":                                               "requests",
		"PySocks (!=1.5.7,>=1.5.6) ; extra == 'socks'":                         "",
		"mock; (python_version < \"3\") and extra == \"test\"":                 "",
		"colorama ; sys_platform == \"win32\"":                                 "",
		"pywin32>=226; platform_system == 'Windows'":                           "",
		"appnope; sys_platform == \"darwin\" and python_version >= '3.7'":      "",
		"uvloop; sys_platform != 'win32' and implementation_name == 'cpython'": "uvloop",
		"cffi>=1.12; platform_python_implementation != 'PyPy'":                 "cffi",
		"gevent; os_name == 'posix' or sys_platform == 'win32'":                "gevent",
		"pexpect>4.3; sys_platform != \"win32\"":                               "pexpect",
		"pypy-only; platform_python_implementation == 'PyPy'":                  "",
		"":        "",
		"(>=1.0)": "",
	} {
		got, ok := requiredDistribution(value)
		if got != want || ok != (want != "") {
			t.Errorf("requiredDistribution(%q) = %q, %v; want %q", value, got, ok, want)
		}
	}
}

func FuzzNodeManifest(f *testing.F) {
	f.Add([]byte(expressManifest))
	if b, err := os.ReadFile("../../merge/testdata/npm-express/node_modules/body-parser/package.json"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"name": "x", "version": "1", "dependencies": {"@s/../../y": "1"}, "peerDependencies": []}`))
	f.Fuzz(func(t *testing.T, content []byte) {
		res := &types.LayerResult{}
		if err := (Node{}).Analyze("app/node_modules/x/package.json", content, res); err != nil {
			t.Fatal(err)
		}
		for _, db := range res.PackageDBs {
			p := db.Packages[0]
			if p.Name == "" || p.Version == "" || len(p.DependsOn) > maxNodeDependencies || !slices.IsSorted(p.DependsOn) {
				t.Fatalf("package %+v", p)
			}
			for _, d := range p.DependsOn {
				for _, seg := range strings.Split(d, "/") {
					if seg == "" || seg[0] == '.' || strings.ContainsAny(seg, "\\\x00") {
						t.Fatalf("dependency name %q", d)
					}
				}
				if strings.Count(d, "/") > 1 || strings.Contains(d, "/") != strings.HasPrefix(d, "@") {
					t.Fatalf("dependency name %q", d)
				}
			}
		}
	})
}

func FuzzRequiresDist(f *testing.F) {
	for _, s := range []string{"attrs>=17.4.0", "pyparsing (!=3.0.0,!=3.0.1,!=3.0.2,!=3.0.3,<4,>=2.4.2) ; python_version > \"3.0\"",
		"colorama ; sys_platform == \"win32\"", "mock; (python_version < \"3\") and extra == \"test\"", "a;b==\"c\" and d!=\"e\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		name, ok := requiredDistribution(value)
		if ok && (name == "" || strings.ContainsAny(name, " ;()[]<>=!") || name != strings.ToLower(name)) {
			t.Fatalf("requiredDistribution(%q) = %q", value, name)
		}
	})
}
