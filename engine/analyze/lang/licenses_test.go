package lang

import (
	"archive/zip"
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
)

// licensesOf analyzes one file and gives each package's licences by ID.
func licensesOf(t *testing.T, a interface {
	Analyze(string, []byte, *types.LayerResult) error
}, path string, content []byte) map[string][]string {
	t.Helper()
	res := &types.LayerResult{}
	if err := a.Analyze(path, content, res); err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, db := range res.PackageDBs {
		for _, p := range db.Packages {
			id := p.ID
			if id == "" {
				id = p.Name + "@" + p.Version
			}
			out[id] = p.Licenses
		}
	}
	return out
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/licences/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func checkLicenses(t *testing.T, what string, got map[string][]string, id string, want []string) {
	t.Helper()
	l, ok := got[id]
	if !ok {
		t.Errorf("%s: no package %s in %q", what, id, got)
		return
	}
	if !slices.Equal(l, want) {
		t.Errorf("%s: %s licences %q, want %q", what, id, l, want)
	}
}

// Real metadata (testdata/licences/README), with the licences Trivy
// v0.74.0 reports for the same files unless said otherwise.
func TestLicensesRealFiles(t *testing.T) {
	for _, c := range []struct {
		analyzer interface {
			Analyze(string, []byte, *types.LayerResult) error
		}
		file, path, id string
		want           []string
	}{
		// The old "licenses" array: Trivy v0.74 reads only "license" and
		// reports no licence; the package says MIT.
		{Node{}, "async-0.2.10.package.json", "app/node_modules/async/package.json", "async@0.2.10", []string{"MIT"}},
		// "MIT/X11" is how npm packages of the time named MIT (Expat);
		// Trivy v0.74 keeps the string.
		{Node{}, "optimist-0.6.1.package.json", "app/node_modules/optimist/package.json", "optimist@0.6.1", []string{"MIT"}},
		// Classifiers "Apache Software License" and "BSD License" win
		// over "License: BSD-3-Clause OR Apache-2.0".
		{Python{}, "cryptography-38.0.4.METADATA", "usr/lib/python3/dist-packages/cryptography-38.0.4.dist-info/METADATA", "cryptography@38.0.4", []string{"Apache-2.0", "BSD-3-Clause"}},
		// License "Expat (MIT/X11)" and the MIT classifier.
		{Python{}, "dbus_python-1.3.2.PKG-INFO", "usr/lib/python3/dist-packages/dbus_python-1.3.2.egg-info/PKG-INFO", "dbus-python@1.3.2", []string{"MIT"}},
		// No classifier: "License: GNU GPL".
		{Python{}, "python_apt-2.6.0.PKG-INFO", "usr/lib/python3/dist-packages/python_apt-2.6.0.egg-info/PKG-INFO", "python-apt@2.6.0", []string{"GPL-2.0-only"}},
		// No License field, the MIT classifier.
		{Python{}, "setuptools-66.1.1.PKG-INFO", "usr/lib/python3/dist-packages/setuptools-66.1.1.egg-info/PKG-INFO", "setuptools@66.1.1", []string{"MIT"}},
		// "License: LGPL v3", but the classifier (GNU Library or Lesser
		// General Public License (LGPL)) counts, as in Trivy.
		{Python{}, "lazr.uri-1.0.6.PKG-INFO", "usr/lib/python3/dist-packages/lazr.uri-1.0.6.egg-info/PKG-INFO", "lazr.uri@1.0.6", []string{"LGPL-2.1-only"}},
		// pom.xml <license><name>Apache 2.0</name>.
		{Java{}, "error-prone-type-annotations.jar", "usr/share/java/error-prone-type-annotations.jar", "com.google.errorprone:error_prone_type_annotations@2.18.0", []string{"Apache-2.0"}},
		// No pom: the package from Bundle-SymbolicName, the licence from
		// Bundle-License: http://www.apache.org/licenses/LICENSE-2.0.txt.
		{Java{}, "guice-multibindings.jar", "usr/share/java/guice-multibindings.jar", "com.google.inject@4.2.3", []string{"Apache-2.0"}},
	} {
		got := licensesOf(t, c.analyzer, c.path, readTestdata(t, c.file))
		checkLicenses(t, c.file, got, c.id, c.want)
	}
}

func TestNodeLicenseShapes(t *testing.T) {
	for in, want := range map[string][]string{
		`"license": "Apache 2.0"`:                               {"Apache-2.0"},
		`"license": "(MIT OR Apache-2.0)"`:                      {"(MIT OR Apache-2.0)"},
		`"license": {"type": "BSD", "url": "http://x"}`:         {"BSD-3-Clause"},
		`"license": [{"type": "MIT"}, {"type": "GPL-2.0"}]`:     {"MIT", "GPL-2.0-only"},
		`"licenses": [{"type": "MIT"}, {"type": "Apache-2.0"}]`: {"MIT", "Apache-2.0"},
		`"licenses": ["ISC"]`:                                   {"ISC"},
		`"license": "", "licenses": [{"type": "MIT"}]`:          {"MIT"},
		`"license": "ISC", "licenses": [{"type": "MIT"}]`:       {"ISC"},
		`"license": 7`: nil,
		`"license": [{"type": ""}, {"url": "x"}]`: nil,
	} {
		got := licensesOf(t, Node{}, "app/node_modules/p/package.json", []byte(`{"name": "p", "version": "1.0.0", `+in+`}`))
		checkLicenses(t, in, got, "p@1.0.0", want)
	}
}

func TestPythonLicenseChoice(t *testing.T) {
	head := "Metadata-Version: 2.1\nName: p\nVersion: 1.0\n"
	for in, want := range map[string][]string{
		// PEP 639's expression first.
		"License-Expression: MIT\nLicense: BSD\nClassifier: License :: OSI Approved :: Apache Software License\n": {"MIT"},
		// Then the classifiers; "OSI Approved" alone names none.
		"License: BSD\nClassifier: License :: OSI Approved :: Apache Software License\nClassifier: License :: OSI Approved\n": {"Apache-2.0"},
		"License: BSD\nClassifier: License :: OSI Approved\n":                                                                 {"BSD-3-Clause"},
		// Old setuptools' placeholder is kept, as Trivy keeps it (the
		// licence scanner calls it unknown).
		"License: UNKNOWN\n": {"UNKNOWN"},
		// A licence text folded over continuation lines is one text.
		"License: Copyright (c) 2010 The Authors\n        Permission is hereby granted, free of charge,\n": {"text://Copyright (c) 2010 The Authors Permission is hereby granted, free of charge,"},
		"license: MIT\n":  {"MIT"}, // keys are case-insensitive
		"Summary: none\n": nil,
	} {
		got := licensesOf(t, Python{}, "x/p-1.0.dist-info/METADATA", []byte(head+in+"\nLicense: GPL-3.0 (in the description)\n"))
		checkLicenses(t, in, got, "p@1.0", want)
	}
}

func TestRubyPHPCondaLicenses(t *testing.T) {
	gem := "Gem::Specification.new do |s|\n  s.name = \"json\".freeze\n  s.version = \"2.6.3\"\n  s.licenses = [\"Ruby\".freeze, \"BSD-2-Clause\".freeze]\nend\n"
	checkLicenses(t, "gemspec", licensesOf(t, Ruby{}, "usr/lib/ruby/gems/3.1.0/specifications/json-2.6.3.gemspec", []byte(gem)), "json@2.6.3", []string{"Ruby", "BSD-2-Clause"})
	composer := `{"packages": [{"name": "a/list", "version": "1.0.0", "license": ["MIT", "GPL-2.0-or-later"]}, {"name": "a/string", "version": "1.0.0", "license": "LGPL-2.1+, BSD-3-Clause"}]}`
	got := licensesOf(t, PHP{}, "app/vendor/composer/installed.json", []byte(composer))
	checkLicenses(t, "composer list", got, "a/list@1.0.0", []string{"MIT", "GPL-2.0-or-later"})
	checkLicenses(t, "composer string", got, "a/string@1.0.0", []string{"LGPL-2.1-or-later", "BSD-3-Clause"})
	conda := `{"name": "numpy", "version": "1.26.4", "license": "BSD 3-Clause"}`
	checkLicenses(t, "conda", licensesOf(t, Conda{}, "opt/conda/conda-meta/numpy-1.26.4-py311_0.json", []byte(conda)), "numpy@1.26.4", []string{"BSD-3-Clause"})
}

// zipOf is an archive of these entries, in this order.
func zipOf(t testing.TB, entries ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for i := 0; i+1 < len(entries); i += 2 {
		f, err := w.Create(entries[i])
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte(entries[i+1]))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func pom(licences ...string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="ISO-8859-1"?><project><licenses>`)
	for _, l := range licences {
		b.WriteString("<license>" + l + "</license>")
	}
	b.WriteString("</licenses></project>")
	return b.String()
}

func TestJavaLicenses(t *testing.T) {
	shaded := zipOf(t,
		"META-INF/MANIFEST.MF", "Manifest-Version: 1.0\nBundle-License: MIT\n",
		"META-INF/maven/org.a/a/pom.properties", "groupId=org.a\nartifactId=a\nversion=1.0\n",
		"META-INF/maven/org.a/a/pom.xml", pom("<name>The Apache Software License, Version 2.0</name>"),
		"META-INF/maven/org.b/b/pom.properties", "groupId=org.b\nartifactId=b\nversion=2.0\n",
		"META-INF/maven/org.b/b/pom.xml", pom("<url>https://opensource.org/licenses/MIT</url>", "<name></name><url>https://example.com/our-terms</url>"),
	)
	got := licensesOf(t, Java{}, "app/shaded.jar", shaded)
	// Each package takes its own pom's licences; the manifest's are the
	// archive's, ambiguous between two packages, so nobody's.
	checkLicenses(t, "shaded", got, "org.a:a@1.0", []string{"Apache-2.0"})
	checkLicenses(t, "shaded", got, "org.b:b@2.0", []string{"MIT"})

	bundle := zipOf(t,
		"META-INF/MANIFEST.MF", "Manifest-Version: 1.0\nBundle-SymbolicName: org.c;singleton:=true\nBundle-Version: 3.1\nBundle-License: <<EXTERNAL>>, \"Apache-2.0\";link=\"https://www.apache.org/licenses/LICENSE-2.0\";description=\"Apache License, Version 2.0\", https://www.eclipse.org/legal/epl-2.0, Our own terms;link=https://example.com\n\nName: org/c/inner/\nBundle-License: GPL-3.0\n",
	)
	checkLicenses(t, "bundle", licensesOf(t, Java{}, "app/c.jar", bundle), "org.c@3.1", []string{"Apache-2.0", "EPL-2.0"})

	jenkins := zipOf(t,
		"META-INF/MANIFEST.MF", "Manifest-Version: 1.0\nImplementation-Title: git\nImplementation-Version: 5.2\nPlugin-License-Name: MIT License\nBundle-License: GPL-2.0\n",
	)
	checkLicenses(t, "jenkins plugin", licensesOf(t, Java{}, "plugins/git.jpi.jar", jenkins), "git@5.2", []string{"MIT"})

	// A nested jar keeps its own pom's licences; the outer pom of the
	// same coordinates does not override them.
	inner := zipOf(t,
		"META-INF/maven/org.d/d/pom.properties", "groupId=org.d\nartifactId=d\nversion=4.0\n",
		"META-INF/maven/org.d/d/pom.xml", pom("<name>BSD-2-Clause</name>"),
	)
	outer := zipOf(t,
		"META-INF/maven/org.e/e/pom.properties", "groupId=org.e\nartifactId=e\nversion=5.0\n",
		"META-INF/maven/org.d/d/pom.xml", pom("<name>GPL-3.0</name>"),
		"BOOT-INF/lib/d-4.0.jar", string(inner),
	)
	got = licensesOf(t, Java{}, "app/boot.jar", outer)
	checkLicenses(t, "nested", got, "org.d:d@4.0", []string{"BSD-2-Clause"})
	checkLicenses(t, "nested", got, "org.e:e@5.0", nil)
}

func TestPomLicenseNamesBroken(t *testing.T) {
	for _, in := range []string{"", "<project><licenses><license><name>MIT", "not xml", `<?xml version="1.0" encoding="x-unknown"?><project/>`} {
		if got := pomLicenseNames([]byte(in)); got != nil {
			t.Errorf("pomLicenseNames(%q) = %q, want none", in, got)
		}
	}
	var many strings.Builder
	for range maxLicensesPerPom + 10 {
		many.WriteString("<license><name>MIT</name></license>")
	}
	if got := pomLicenseNames([]byte("<project><licenses>" + many.String() + "</licenses></project>")); len(got) != maxLicensesPerPom {
		t.Errorf("%d names, want the bound %d", len(got), maxLicensesPerPom)
	}
}

func FuzzPomLicenseNames(f *testing.F) {
	f.Add([]byte(pom("<name>Apache 2.0</name><url>http://www.apache.org/licenses/LICENSE-2.0.txt</url>")))
	f.Add([]byte(`<?xml version="1.0" encoding="windows-1252"?><project><licenses><license><name>caf\xe9</name></license></licenses></project>`))
	f.Fuzz(func(t *testing.T, content []byte) {
		if got := pomLicenseNames(content); len(got) > maxLicensesPerPom {
			t.Fatalf("%d names", len(got))
		}
	})
}

func FuzzManifestLicenses(f *testing.F) {
	f.Add([]byte("Manifest-Version: 1.0\nBundle-License: \"Apache-2.0\";link=\"https://www.apache.org/licenses/LICENSE-2.0\", MIT\n"))
	f.Add([]byte("Plugin-License-Name: MIT\nPlugin-License-Name-2: \"x\\\"y\"\n"))
	f.Fuzz(func(t *testing.T, content []byte) {
		if got := manifestLicenses(manifestMainSection(content)); len(got) > maxBundleLicenses+len(content) {
			t.Fatalf("%d names", len(got))
		}
	})
}
