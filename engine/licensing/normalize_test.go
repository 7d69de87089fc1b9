package licensing

import (
	"strings"
	"testing"
)

// Licence names as real metadata spells them, by where they come from.
var normalizeCases = []struct{ in, want string }{
	// Debian: "License:" short names of /usr/share/doc/*/copyright.
	{"GPL-2+", "GPL-2.0-or-later"},
	{"GPL-2", "GPL-2.0-only"},
	{"GPL-3+", "GPL-3.0-or-later"},
	{"GPL-3", "GPL-3.0-only"},
	{"GPL-1+", "GPL-1.0-or-later"},
	{"GPL-2.0+", "GPL-2.0-or-later"},
	{"LGPL-2.1+", "LGPL-2.1-or-later"},
	{"LGPL-2.1", "LGPL-2.1-only"},
	{"LGPL-2+", "LGPL-2.0-or-later"},
	{"LGPL-2", "LGPL-2.0-only"},
	{"LGPL-3+", "LGPL-3.0-or-later"},
	{"LGPLv2.1+", "LGPL-2.1-or-later"},
	{"BSD-3-clause", "BSD-3-Clause"},
	{"BSD-2-clause", "BSD-2-Clause"},
	{"BSD-4-clause", "BSD-4-Clause"},
	{"BSD-2", "BSD-2-Clause"},
	{"Expat", "MIT"},
	{"MIT/X11", "MIT"},
	{"Apache-2.0", "Apache-2.0"},
	{"Apache-2", "Apache-2.0"},
	{"Artistic", "Artistic-1.0-Perl"},
	{"Artistic-2", "Artistic-2.0"},
	{"Zlib", "Zlib"},
	{"ISC", "ISC"},
	{"FTL", "FTL"},
	{"X11", "X11"},
	{"CC0-1.0", "CC0-1.0"},
	{"BSL-1.0", "BSL-1.0"},
	{"BSL", "BSL-1.0"},
	{"curl", "curl"},
	{"OpenLDAP-2.8", "OLDAP-2.8"},
	{"FSFULLR", "FSFULLR"},
	{"libpng", "Libpng"},
	{"Python", "Python-2.0"},
	{"public-domain", "public-domain"},
	{"permissive", "permissive"},
	{"GFDL-NIV-1.3+", "GFDL-1.3-no-invariants-or-later"},
	{"GPL-1+ or Artistic", "GPL-1.0-or-later OR Artistic-1.0-Perl"},
	{"LGPL-3+ or GPL-2+", "LGPL-3.0-or-later OR GPL-2.0-or-later"},
	{"BSL-1.0 and MIT", "BSL-1.0 AND MIT"},
	{"BSL-1.0 and Jam", "BSL-1.0 AND Jam"},
	{"BSL-1.0 and OldBoost2", "BSL-1.0 and OldBoost2"}, // OldBoost2 is no SPDX licence: kept as written
	{"GPL-2+ with OpenSSL exception", "GPL-2.0-or-later WITH OpenSSL exception"},
	{"GPL-2+ with Autoconf exception", "GPL-2.0-or-later WITH Autoconf-exception-2.0"},
	{"GPL-3+ with Autoconf exception", "GPL-3.0-or-later WITH Autoconf-exception-3.0"},
	{"GPL-3+ with Bison exception", "GPL-3.0-or-later WITH Bison-exception-2.2"},
	{"GPL-2 with Linux-syscall-note exception", "GPL-2.0-only WITH Linux-syscall-note"},
	{"GPL-2+ with Libtool exception", "GPL-2.0-or-later WITH Libtool-exception"},
	{"Apache-2.0 with LLVM exception", "Apache-2.0 WITH LLVM-exception"},
	{"GPL-3+-WITH-BISON-EXCEPTION", "GPL-3.0-or-later WITH Bison-exception-2.2"},
	{"BSD-like-with-advertising-clause", "BSD-like-with-advertising-clause"},

	// Alpine: "L:" of lib/apk/db/installed (after SplitLax).
	{"GPL2+", "GPL-2.0-or-later"},
	{"GPL-2.0-or-later", "GPL-2.0-or-later"},
	{"GPL-2.0-only", "GPL-2.0-only"},
	{"LGPL-2.1-or-later", "LGPL-2.1-or-later"},
	{"AGPL-3.0-or-later", "AGPL-3.0-or-later"},
	{"MIT", "MIT"},
	{"BSD", "BSD-3-Clause"},
	{"Apache2", "Apache-2.0"},
	{"ZLIB", "Zlib"},
	{"MPL 2.0", "MPL-2.0"},
	{"MPL-1.1+", "MPL-1.1+"},
	{"GPL v2", "GPL-2.0-only"},
	{"OpenSSL", "OpenSSL"},
	{"Public-Domain", "Public-Domain"},
	{"GPL-2.0-or-later WITH Linux-syscall-note", "GPL-2.0-or-later WITH Linux-syscall-note"},
	{"Apache-2.0 WITH LLVM-exception", "Apache-2.0 WITH LLVM-exception"},
	{"gpl-2.0-or-later", "GPL-2.0-or-later"},

	// npm: package.json "license".
	{"(MIT OR Apache-2.0)", "(MIT OR Apache-2.0)"},
	{"(MIT OR CC0-1.0)", "(MIT OR CC0-1.0)"},
	{"(BSD-2-Clause OR MIT OR Apache-2.0)", "(BSD-2-Clause OR MIT OR Apache-2.0)"},
	{"(MIT AND Zlib)", "(MIT AND Zlib)"},                       // pako
	{"(AFL-2.1 OR BSD-3-Clause)", "(AFL-2.1 OR BSD-3-Clause)"}, // json-schema
	{"(MIT AND BSD-3-Clause)", "(MIT AND BSD-3-Clause)"},       // sha.js
	{"PSF-2.0", "PSF-2.0"},                                     // argparse
	{"(mit OR apache-2.0)", "(MIT OR Apache-2.0)"},
	{"MIT AND (LGPL-2.1+ OR BSD-3-Clause)", "MIT AND (LGPL-2.1-or-later OR BSD-3-Clause)"},
	{"ISC", "ISC"},
	{"Apache 2.0", "Apache-2.0"},
	{"BSD-3-Clause", "BSD-3-Clause"},
	{"0BSD", "0BSD"},
	{"Unlicense", "Unlicense"},
	{"WTFPL", "WTFPL"},
	{"BlueOak-1.0.0", "BlueOak-1.0.0"},
	{"CC-BY-4.0", "CC-BY-4.0"},
	{"Python-2.0", "Python-2.0"},
	{"SEE LICENSE IN LICENSE", "SEE LICENSE IN LICENSE"},
	{"UNLICENSED", "UNLICENSED"},
	{"MIT License", "MIT"},
	{"Apache License 2.0", "Apache-2.0"},
	{"Apache 2", "Apache-2.0"},
	{"BSD-3", "BSD-3-Clause"},
	{"new BSD", "BSD-3-Clause"},
	{"3-clause BSD", "BSD-3-Clause"},

	// PyPI: "License:" fields and trove classifiers (cut after "::").
	{"BSD License", "BSD-3-Clause"},
	{"Apache Software License", "Apache-2.0"},
	{"GNU Lesser General Public License v3 (LGPLv3)", "LGPL-3.0-only"},
	{"GNU Lesser General Public License v2 or later (LGPLv2+)", "LGPL-2.0-or-later"},
	{"GNU General Public License v2 (GPLv2)", "GPL-2.0-only"},
	{"GNU General Public License v3 (GPLv3)", "GPL-3.0-only"},
	{"GNU General Public License v2 or later (GPLv2+)", "GPL-2.0-or-later"},
	{"GNU General Public License v3 or later (GPLv3+)", "GPL-3.0-or-later"},
	{"GNU Library or Lesser General Public License (LGPL)", "LGPL-2.1-only"},
	{"GNU Affero General Public License v3", "AGPL-3.0-only"},
	{"GNU Affero General Public License v3 or later (AGPLv3+)", "AGPL-3.0-or-later"},
	{"Python Software Foundation License", "PSF-2.0"},
	{"PSF", "PSF-2.0"},
	{"Mozilla Public License 2.0 (MPL 2.0)", "MPL-2.0"},
	{"Mozilla Public License 1.1 (MPL 1.1)", "MPL-1.1"},
	{"ISC License (ISCL)", "ISC"},
	{"MIT License (MIT)", "MIT"},
	{"Historical Permission Notice and Disclaimer (HPND)", "HPND"},
	{"Zope Public License", "ZPL-2.1"},
	{"Eclipse Public License 2.0 (EPL-2.0)", "EPL-2.0"},
	{"The Unlicense (Unlicense)", "Unlicense"},
	{"Academic Free License (AFL)", "AFL-2.1"},
	{"Boost Software License 1.0 (BSL-1.0)", "BSL-1.0"},
	{"License :: OSI Approved :: MIT License", "MIT"},
	{"GPLv3", "GPL-3.0-only"},
	{"LGPL", "LGPL-2.0-or-later"},
	{"Apache License, Version 2.0", "Apache-2.0"},
	{"BSD 3-Clause License", "BSD-3-Clause"},

	// Maven: pom.xml <licenses><license><name>.
	{"The Apache Software License, Version 2.0", "Apache-2.0"},
	{"Apache License, Version 2.0", "Apache-2.0"},
	{"The MIT License", "MIT"},
	{"Eclipse Public License - v 1.0", "EPL-1.0"},
	{"Eclipse Public License v2.0", "EPL-2.0"},
	{"Eclipse Public License - Version 2.0", "EPL-2.0"},
	{"CDDL + GPLv2 with classpath exception", "CDDL-1.1 OR GPL-2.0-only WITH Classpath-exception-2.0"},
	{"GNU Lesser General Public License", "LGPL-2.1-only"},
	{"CDDL 1.1", "CDDL-1.1"},
	{"GPL2 w/ CPE", "GPL-2.0-with-classpath-exception"},
	{"BSD New", "BSD-3-Clause"},
	{"Bouncy Castle Licence", "MIT"},
	{"EDL 1.0", "BSD-3-Clause"},
	{"Eclipse Distribution License - v 1.0", "BSD-3-Clause"},
	{"Common Development and Distribution License", "CDDL-1.0"},
	{"MPL 1.1", "MPL-1.1"},
	{"The BSD License", "BSD-3-Clause"},
	{"New BSD License", "BSD-3-Clause"},
	{"Revised BSD", "BSD-3-Clause"},
	{"Public Domain", "Public Domain"},
	{"http://www.apache.org/licenses/LICENSE-2.0.txt", "Apache-2.0"},
	{"GNU General Public License, version 2 (GPL2), with the classpath exception", "GPL-2.0-only WITH Classpath-exception-2.0"},
	{"Apache License Version 2.0, January 2004", "Apache-2.0"},
	{"GNU Lesser General Public License, version 2.1", "LGPL-2.1-only"},

	// rpm: "License:" tags (Fedora's old short names).
	{"GPLv2+ and LGPLv2+", "GPL-2.0-or-later AND LGPL-2.0-or-later"},
	{"ASL 2.0", "Apache-2.0"},
	{"GPLv2", "GPL-2.0-only"},
	{"GPLv3+", "GPL-3.0-or-later"},
	{"LGPLv2+", "LGPL-2.0-or-later"},
	{"LGPLv2", "LGPL-2.0-only"},
	{"GPLv2 with exceptions", "GPL-2.0-with-classpath-exception"},
	{"BSD and GPLv2", "BSD-3-Clause AND GPL-2.0-only"},
	{"MIT and BSD", "MIT AND BSD-3-Clause"},
	{"Boost", "BSL-1.0"},
	{"zlib", "Zlib"},

	// Edges.
	{"", ""},
	{"  MIT  ", "MIT"},
	{"text://Permission is hereby granted", "text://Permission is hereby granted"},
	{"Some Custom Licence 1.0", "Some Custom Licence 1.0"},
	{"(MIT", "(MIT"},
	{"MIT OR", "MIT OR"},
	{"X11 License", "X11"},
	{"Licence", "Licence"},
}

func TestNormalize(t *testing.T) {
	if len(normalizeCases) < 100 {
		t.Fatalf("%d cases: the table should keep at least 100 real spellings", len(normalizeCases))
	}
	for _, tc := range normalizeCases {
		if got := Normalize(tc.in); got != tc.want {
			t.Errorf("Normalize(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := Normalize(Normalize(tc.in)); got != Normalize(tc.in) {
			t.Errorf("Normalize(Normalize(%q)) = %q, not stable", tc.in, got)
		}
	}
}

func TestNormalizeBoundsLength(t *testing.T) {
	long := "GPL-2+ " + strings.Repeat("x", 10*maxNameLen)
	if got := Normalize(long); got != strings.TrimSpace(long) {
		t.Errorf("a name longer than the limit came back changed")
	}
	deep := strings.Repeat("(", 1000) + "MIT" + strings.Repeat(")", 1000)
	if got := Normalize(deep); got != deep {
		t.Errorf("Normalize of 1000 nested parentheses = %.40q..., want it unchanged", got)
	}
}

func TestNormalizeAll(t *testing.T) {
	got := NormalizeAll([]string{"Expat", "", "MIT", " GPL-2+ ", "GPL-2.0-or-later", "BSD"})
	want := []string{"MIT", "GPL-2.0-or-later", "BSD-3-Clause"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("NormalizeAll = %q, want %q", got, want)
	}
	if got := NormalizeAll([]string{"", " "}); got != nil {
		t.Errorf("NormalizeAll of blanks = %q, want nil", got)
	}
}

// The tables must say what they mean: every alias target is a licence
// of the SPDX list (or an expression of them), and a spelling does not
// stand for two licences.
func TestAliasTable(t *testing.T) {
	seen := map[string]string{}
	lines := 0
	for line := range strings.SplitSeq(aliasFile, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		lines++
		target, spellings, ok := strings.Cut(line, " <- ")
		if !ok {
			t.Errorf("line %q: want \"ID <- spelling | ...\"", line)
			continue
		}
		e, err := parseExpr(strings.TrimSuffix(target, "+"), true)
		if err != nil {
			t.Errorf("target %q: %v", target, err)
			continue
		}
		checkSPDX(t, e)
		for sp := range strings.SplitSeq(spellings, " | ") {
			key, own, _ := nameKey(sp)
			ref := target
			if own {
				ref = strings.TrimSuffix(target, "+")
			}
			if prev, dup := seen[key]; dup && prev != ref {
				t.Errorf("spelling %q stands for %s and %s", sp, prev, ref)
			}
			seen[key] = ref
		}
	}
	if lines < 50 {
		t.Errorf("aliases.txt: %d lines read", lines)
	}
}

func checkSPDX(t *testing.T, e *expr) {
	t.Helper()
	switch e.op {
	case opLeaf:
		name := e.name
		if gnuIDs[name] {
			name += "-only" // GNU bases are listed with -only / -or-later
		}
		if id, ok := spdxID(name); !ok || id != name {
			t.Errorf("%q is not a listed SPDX identifier", e.name)
		}
	case opWith:
		checkSPDX(t, e.left)
		if _, ok := spdxException(e.right.name); !ok {
			t.Errorf("%q is not a listed SPDX exception", e.right.name)
		}
	default:
		checkSPDX(t, e.left)
		checkSPDX(t, e.right)
	}
}
