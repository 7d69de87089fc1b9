package ospkg

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The licences of real copyright files, as Trivy v0.74.0 reads them
// (testdata/README.licences names the files), normalised to SPDX.
func TestCopyrightLicensesReal(t *testing.T) {
	for _, c := range []struct {
		file string
		want []string
	}{
		// Machine-readable: "Artistic or GPL-1+" in two Files stanzas,
		// then the stand-alone License paragraphs, whose texts refer to
		// /usr/share/common-licenses/Artistic and .../GPL-1 (the
		// reference counts as Trivy counts it: GPL-1, as well as GPL-1+).
		// Debian's "Artistic" is Perl's Artistic Licence (1.0); Trivy
		// v0.74 says Artistic-2.0.
		{"copyright-libfile-fcntllock-perl", []string{"Artistic-1.0-Perl", "GPL-1.0-or-later", "GPL-1.0-only"}},
		// Free-form: no License: field; one line refers to LGPL-3 and
		// GFDL-1.2: as in Trivy, the first reference of a line counts.
		{"copyright-libmpfr6", []string{"LGPL-3.0-only"}},
	} {
		content, err := os.ReadFile("testdata/" + c.file)
		if err != nil {
			t.Fatal(err)
		}
		if got := ParseCopyright(content); !slices.Equal(got, c.want) {
			t.Errorf("%s: %q, want %q", c.file, got, c.want)
		}
	}
}

func TestCopyrightLicenseFields(t *testing.T) {
	for in, want := range map[string][]string{
		// A remark in parentheses and a trailing " license" go.
		"License: The MIT License (MIT)\n":              {"MIT"},
		"License: BSD-3-clause license\n":               {"BSD-3-Clause"},
		"License: GPL-2+ or Artistic\n":                 {"GPL-2.0-or-later", "Artistic-1.0-Perl"},
		"License: LGPL-2.1+, GPL-2+\n":                  {"LGPL-2.1-or-later", "GPL-2.0-or-later"},
		"License: public-domain\r\n":                    {"public-domain"},
		"License:\n Text with no name.\n":               nil,
		"Licence: GPL-2\nLicense : MIT\n":               nil, // neither is the field
		" License: GPL-2\n":                             nil, // a continuation line
		"see /usr/share/common-licenses/GPL-2.\n":       {"GPL-2.0-only"},
		"in `/usr/share/common-licenses/Apache-2.0'.\n": {"Apache-2.0"},
		// Every occurrence counts once, in the order of the first.
		"License: MIT\n\nLicense: GPL-2+\n\nLicense: MIT\n see /usr/share/common-licenses/GPL-2\n": {"MIT", "GPL-2.0-or-later", "GPL-2.0-only"},
	} {
		if got := ParseCopyright([]byte(in)); !slices.Equal(got, want) {
			t.Errorf("ParseCopyright(%q) = %q, want %q", in, got, want)
		}
	}
}

// Boost's copyright file names a licence 1,560 times: the names are read
// once each, and a hostile file of distinct names stops at the bound.
func TestCopyrightLicensesBounded(t *testing.T) {
	var b strings.Builder
	for i := range maxCopyrightNames + 500 {
		b.WriteString("License: L-")
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString(string(rune('a' + i%26)))
		b.WriteString(strconv.Itoa(i))
		b.WriteString("\n")
	}
	if got := ParseCopyright([]byte(b.String())); len(got) != maxCopyrightNames {
		t.Errorf("%d names, want the bound %d", len(got), maxCopyrightNames)
	}
}

// Alpine's L: field, from a real 3.14.10 database: "MIT BSD GPL2+"
// separates licences by spaces, as Trivy v0.74.0 reads it.
func TestApkLicenses(t *testing.T) {
	content, err := os.ReadFile("testdata/apk-installed-licences")
	if err != nil {
		t.Fatal(err)
	}
	pkgs, err := ParseApk(content)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"musl-utils":             {"MIT", "BSD-3-Clause", "GPL-2.0-or-later"},
		"libretls":               {"ISC", "BSD-3-Clause", "MIT"},
		"ca-certificates-bundle": {"MPL-2.0", "MIT"},
		"libc-utils":             {"BSD-2-Clause", "BSD-3-Clause"},
	}
	if len(pkgs) != len(want) {
		t.Fatalf("%d packages, want %d", len(pkgs), len(want))
	}
	for _, p := range pkgs {
		if !slices.Equal(p.Licenses, want[p.Name]) {
			t.Errorf("%s: %q, want %q", p.Name, p.Licenses, want[p.Name])
		}
	}
}

func FuzzParseCopyright(f *testing.F) {
	for _, name := range []string{"copyright-libfile-fcntllock-perl", "copyright-libmpfr6", "copyright-dep5", "copyright-freeform"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("License: (((\nLicense: GPL-2+ with (\nsee /usr/share/common-licenses/-.\n"))
	f.Fuzz(func(t *testing.T, content []byte) {
		got := ParseCopyright(content)
		if len(got) > maxCopyrightNames {
			t.Fatalf("%d names, over the bound", len(got))
		}
		for i, n := range got {
			if n == "" || slices.Contains(got[:i], n) {
				t.Fatalf("empty or repeated name %q in %q", n, got)
			}
		}
	})
}
