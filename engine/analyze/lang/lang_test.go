package lang

import (
	"archive/zip"
	"bytes"
	"maps"
	"reflect"
	"slices"
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
)

func analyze(t *testing.T, a interface {
	Wants(string, int64) bool
	Analyze(string, []byte, *types.LayerResult) error
}, path, content string) []types.Package {
	t.Helper()
	if !a.Wants(path, int64(len(content))) {
		t.Fatalf("%s not wanted", path)
	}
	res := &types.LayerResult{}
	if err := a.Analyze(path, []byte(content), res); err != nil {
		t.Fatal(err)
	}
	var out []types.Package
	for _, db := range res.PackageDBs {
		if db.FilePath != path {
			t.Errorf("db path %s", db.FilePath)
		}
		out = append(out, db.Packages...)
	}
	return out
}

func TestNode(t *testing.T) {
	for name, tt := range map[string]struct {
		path, content string
		want          []types.Package
	}{
		"module": {"app/node_modules/minimist/package.json", `{"name": "minimist", "version": "1.2.0", "description": "parse argument options", "license": "MIT", "main": "index.js"}`,
			[]types.Package{{ID: "minimist@1.2.0", Name: "minimist", Version: "1.2.0", Licenses: []string{"MIT"}, FilePath: "app/node_modules/minimist/package.json"}}},
		"scoped, old license object": {"app/node_modules/@babel/core/package.json", `{"name": "@babel/core", "version": "7.12.3", "license": {"type": "MIT"}}`,
			[]types.Package{{ID: "@babel/core@7.12.3", Name: "@babel/core", Version: "7.12.3", Licenses: []string{"MIT"}, FilePath: "app/node_modules/@babel/core/package.json"}}},
		// An SPDX expression stays whole, as Trivy keeps it.
		"expression": {"srv/package.json", `{"name": "svc", "version": "0.1.0", "license": "(MIT OR Apache-2.0)"}`,
			[]types.Package{{ID: "svc@0.1.0", Name: "svc", Version: "0.1.0", Licenses: []string{"(MIT OR Apache-2.0)"}, FilePath: "srv/package.json"}}},
		"no version": {"app/package.json", `{"name": "private-app", "private": true}`, nil},
		"not json":   {"tmpl/package.json", `{{ .Name }}`, nil},
	} {
		t.Run(name, func(t *testing.T) {
			if got := analyze(t, Node{}, tt.path, tt.content); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
	if (Node{}).Wants("app/node_modules/x/index.js", 10) {
		t.Error("only package.json files are wanted")
	}
}

func TestPython(t *testing.T) {
	metadata := "Metadata-Version: 2.1\nName: urllib3\nVersion: 1.26.5\nSummary: HTTP library with thread-safe connection pooling\nLicense: MIT\nClassifier: License :: OSI Approved :: MIT License\nRequires-Python: >=2.7\n\nurllib3 is a powerful, *user-friendly* HTTP client.\nName: not-a-header\n"
	got := analyze(t, Python{}, "usr/local/lib/python3.11/site-packages/urllib3-1.26.5.dist-info/METADATA", metadata)
	if len(got) != 1 || got[0].ID != "urllib3@1.26.5" || !reflect.DeepEqual(got[0].Licenses, []string{"MIT"}) {
		t.Errorf("dist-info: %+v", got)
	}
	pkgInfo := "Metadata-Version: 1.1\nName: PyYAML\nVersion: 5.3.1\nLicense: UNKNOWN\nClassifier: License :: OSI Approved :: MIT License\n"
	got = analyze(t, Python{}, "usr/lib/python3/dist-packages/PyYAML-5.3.1.egg-info/PKG-INFO", pkgInfo)
	if len(got) != 1 || got[0].Name != "PyYAML" || !reflect.DeepEqual(got[0].Licenses, []string{"MIT"}) {
		t.Errorf("egg-info: %+v", got)
	}
	got = analyze(t, Python{}, "usr/lib/python3/dist-packages/six-1.16.0.egg-info", "Metadata-Version: 1.2\nName: six\nVersion: 1.16.0\nLicense-Expression: MIT\n")
	if len(got) != 1 || got[0].ID != "six@1.16.0" {
		t.Errorf("egg-info file: %+v", got)
	}
	for path, want := range map[string]bool{
		"x/EGG-INFO/PKG-INFO":          true,
		"x/foo.dist-info/RECORD":       false,
		"x/METADATA":                   false,
		"x/foo-1.0.dist-info/METADATA": true,
	} {
		if got := (Python{}).Wants(path, 100); got != want {
			t.Errorf("Wants(%s) = %v", path, got)
		}
	}
}

func FuzzPython(f *testing.F) {
	f.Add("Name: a\nVersion: 1\nLicense: MIT\n\nbody")
	f.Fuzz(func(t *testing.T, content string) {
		res := &types.LayerResult{}
		if err := (Python{}).Analyze("a.dist-info/METADATA", []byte(content), res); err != nil {
			t.Fatal(err)
		}
		for _, db := range res.PackageDBs {
			if db.Packages[0].Name == "" || db.Packages[0].Version == "" {
				t.Fatal("package without name or version")
			}
		}
	})
}

// jar writes a zip archive of files.
func jar(t testing.TB, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range slices.Sorted(maps.Keys(files)) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(files[name])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Log4jJar is shaped like log4j-core-2.14.1.jar: its pom.properties, a
// manifest, and classes.
func Log4jJar(t testing.TB) []byte {
	return jar(t, map[string][]byte{
		"META-INF/MANIFEST.MF": []byte("Manifest-Version: 1.0\r\nBundle-SymbolicName: org.apache.logging.log4j.core\r\nBundle-Version: 2.14.1\r\n"),
		"META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties": []byte("#Created by Apache Maven 3.6.3\nversion=2.14.1\ngroupId=org.apache.logging.log4j\nartifactId=log4j-core\n"),
		"org/apache/logging/log4j/core/lookup/JndiLookup.class":             []byte("\xca\xfe\xba\xbe"),
	})
}

func TestJava(t *testing.T) {
	log4j := Log4jJar(t)
	shaded := jar(t, map[string][]byte{
		"META-INF/maven/com.example/app/pom.properties":        []byte("groupId=com.example\nartifactId=app\nversion=1.4.0\n"),
		"META-INF/maven/com.google.guava/guava/pom.properties": []byte("groupId=com.google.guava\nartifactId=guava\nversion=29.0-jre\n"),
		"BOOT-INF/lib/log4j-core-2.14.1.jar":                   log4j,
		"BOOT-INF/lib/osgi-only.jar":                           jar(t, map[string][]byte{"META-INF/MANIFEST.MF": []byte("Bundle-SymbolicName: org.example.osgi;singleton:=true\nBundle-Version: 3.1.0\n")}),
		"BOOT-INF/lib/commons-text-1.9.jar":                    jar(t, map[string][]byte{"x.class": []byte("x")}),
		"BOOT-INF/lib/not-a-zip.jar":                           []byte("truncated"),
	})
	got := analyze(t, Java{}, "srv/app.jar", string(shaded))
	var ids []string
	for _, p := range got {
		ids = append(ids, p.ID)
		if p.FilePath != "srv/app.jar" {
			t.Errorf("%s file path %s", p.ID, p.FilePath)
		}
	}
	want := []string{"com.example:app@1.4.0", "com.google.guava:guava@29.0-jre", "commons-text@1.9", "org.apache.logging.log4j:log4j-core@2.14.1", "org.example.osgi@3.1.0"}
	slices.Sort(ids)
	if !slices.Equal(ids, want) {
		t.Errorf("got %q\nwant %q", ids, want)
	}
	if res := (&types.LayerResult{}); (Java{}).Analyze("broken.jar", []byte("PK\x03\x04garbage"), res) != nil || len(res.PackageDBs) != 0 {
		t.Error("a broken jar must yield nothing, quietly")
	}
}

func FuzzJava(f *testing.F) {
	f.Add(Log4jJar(f))
	f.Fuzz(func(t *testing.T, content []byte) {
		res := &types.LayerResult{}
		if err := (Java{}).Analyze("a.jar", content, res); err != nil {
			t.Fatal(err)
		}
	})
}

func TestRubyPHPDotnetCargo(t *testing.T) {
	gems := analyze(t, Ruby{}, "usr/local/bundle/specifications/rack-2.2.3.gemspec", `# -*- encoding: utf-8 -*-
# stub: rack 2.2.3 ruby lib

Gem::Specification.new do |s|
  s.name = "rack".freeze
  s.version = "2.2.3"
  s.licenses = ["MIT".freeze]
  s.summary = "a modular Ruby webserver interface".freeze
end
`)
	if len(gems) != 1 || gems[0].ID != "rack@2.2.3" || !reflect.DeepEqual(gems[0].Licenses, []string{"MIT"}) {
		t.Errorf("gemspec: %+v", gems)
	}
	for name, content := range map[string]string{
		"composer 1": `[{"name": "guzzlehttp/guzzle", "version": "7.4.2", "license": ["MIT"]}, {"name": "psr/log", "version": "v1.1.4", "license": "MIT"}]`,
		"composer 2": `{"packages": [{"name": "guzzlehttp/guzzle", "version": "7.4.2", "license": ["MIT"]}, {"name": "psr/log", "version": "v1.1.4", "license": "MIT"}], "dev": true}`,
	} {
		got := analyze(t, PHP{}, "var/www/vendor/composer/installed.json", content)
		if len(got) != 2 || got[0].ID != "guzzlehttp/guzzle@7.4.2" || got[1].ID != "psr/log@1.1.4" || got[1].Licenses[0] != "MIT" {
			t.Errorf("%s: %+v", name, got)
		}
	}
	deps := analyze(t, Dotnet{}, "app/Api.deps.json", `{"runtimeTarget": {"name": ".NETCoreApp,Version=v6.0"},
 "libraries": {"Api/1.0.0": {"type": "project"}, "Newtonsoft.Json/12.0.3": {"type": "package", "sha512": "sha512-x"}, "Microsoft.Extensions.Logging/6.0.0": {"type": "package"}}}`)
	if len(deps) != 2 || deps[0].ID != "Microsoft.Extensions.Logging@6.0.0" || deps[1].ID != "Newtonsoft.Json@12.0.3" {
		t.Errorf("deps.json: %+v", deps)
	}
	// With the runtime target's graph, as `dotnet publish` writes it: the
	// packages the application project (the one project nothing depends
	// on) names are direct, the others indirect, as Trivy tells them.
	deps = analyze(t, Dotnet{}, "app/Api.deps.json", `{
  "runtimeTarget": {"name": ".NETCoreApp,Version=v6.0", "signature": ""},
  "compilationOptions": {},
  "targets": {
    ".NETCoreApp,Version=v6.0": {
      "Api/1.0.0": {"dependencies": {"Newtonsoft.Json": "12.0.3", "Api.Core": "1.0.0"}, "runtime": {"Api.dll": {}}},
      "Api.Core/1.0.0": {"dependencies": {"Microsoft.Extensions.Logging": "6.0.0"}, "runtime": {"Api.Core.dll": {}}},
      "Newtonsoft.Json/12.0.3": {"runtime": {"lib/netstandard2.0/Newtonsoft.Json.dll": {"assemblyVersion": "12.0.0.0", "fileVersion": "12.0.3.23909"}}},
      "Microsoft.Extensions.Logging/6.0.0": {"runtime": {"lib/netstandard2.1/Microsoft.Extensions.Logging.dll": {}}}
    }
  },
  "libraries": {
    "Api/1.0.0": {"type": "project", "serviceable": false, "sha512": ""},
    "Api.Core/1.0.0": {"type": "project", "serviceable": false, "sha512": ""},
    "Newtonsoft.Json/12.0.3": {"type": "package", "serviceable": true, "sha512": "sha512-x", "path": "newtonsoft.json/12.0.3", "hashPath": "newtonsoft.json.12.0.3.nupkg.sha512"},
    "Microsoft.Extensions.Logging/6.0.0": {"type": "package", "serviceable": true, "sha512": "sha512-y", "path": "microsoft.extensions.logging/6.0.0", "hashPath": "microsoft.extensions.logging.6.0.0.nupkg.sha512"}
  }
}`)
	if len(deps) != 2 || deps[0].Relationship != types.RelationshipIndirect || !deps[0].Indirect || deps[1].Relationship != types.RelationshipDirect || deps[1].Indirect {
		t.Errorf("deps.json relationships: %+v", deps)
	}
	crates := analyze(t, Cargo{}, "src/app/Cargo.lock", `# This file is automatically @generated by Cargo.
version = 3

[[package]]
name = "app"
version = "0.1.0"
dependencies = [
 "smallvec",
]

[[package]]
name = "smallvec"
version = "1.6.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "fe0f37c9e8f3c5a4a66ad655a93c74daac4ad00c441533bf5c6e7990bb42604e"

[metadata]
name = "not-a-package"
`)
	if len(crates) != 2 || crates[0].ID != "app@0.1.0" || crates[1].ID != "smallvec@1.6.0" {
		t.Errorf("Cargo.lock: %+v", crates)
	}
}

func TestConda(t *testing.T) {
	got := analyze(t, Conda{}, "opt/conda/conda-meta/numpy-1.21.2-py39h20f2e39_0.json",
		`{"build": "py39h20f2e39_0", "channel": "https://repo.anaconda.com/pkgs/main/linux-64", "license": "BSD-3-Clause", "name": "numpy", "version": "1.21.2"}`)
	if len(got) != 1 || got[0].ID != "numpy@1.21.2" || got[0].Licenses[0] != "BSD-3-Clause" {
		t.Errorf("conda: %+v", got)
	}
	if (Conda{}).Wants("opt/conda/conda-meta/history", 10) {
		t.Error("conda history wanted")
	}
}
