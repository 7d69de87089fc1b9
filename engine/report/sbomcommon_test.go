package report

import (
	"regexp"
	"strings"
	"testing"
)

// TestParseLicense: licence strings as package managers write them (apk's
// L:, npm's license, Debian copyright files after normalisation, Maven
// POMs), read as SPDX expressions.
func TestParseLicense(t *testing.T) {
	for _, tc := range []struct {
		in       string
		want     string
		valid    bool
		compound bool
	}{
		{"MIT", "MIT", true, false},
		{"mit", "MIT", true, false},
		{"GPL-2.0-only", "GPL-2.0-only", true, false},
		{"GPL-2.0", "GPL-2.0-only", true, false},
		{"GPL-2.0+", "GPL-2.0-or-later", true, false},
		{"LGPL-2.1+", "LGPL-2.1-or-later", true, false},
		{"Apache-2.0+", "Apache-2.0+", true, false},
		{"MPL-2.0 AND MIT", "MPL-2.0 AND MIT", true, true},
		{"(MIT OR Apache-2.0) AND BSD-3-Clause", "(MIT OR Apache-2.0) AND BSD-3-Clause", true, true},
		{"MIT OR Apache-2.0 AND BSD-3-Clause", "MIT OR Apache-2.0 AND BSD-3-Clause", true, true},
		{"(MIT or Apache-2.0)", "MIT OR Apache-2.0", true, true},
		{"GPL-2.0-or-later WITH Classpath-exception-2.0", "GPL-2.0-or-later WITH Classpath-exception-2.0", true, true},
		{"GPL-3.0-with-GCC-exception", "GPL-3.0-with-GCC-exception", true, false}, // a listed (deprecated) id
		{"GPL-2.0-only-with-classpath-exception", "GPL-2.0-only WITH classpath-exception", false, true},
		{"LicenseRef-Proprietary", "LicenseRef-Proprietary", true, false},
		{"MIT AND LicenseRef-scancode-public-domain", "MIT AND LicenseRef-scancode-public-domain", true, true},
		{"BSD", "BSD", false, false},
		{"Public Domain", "Public Domain", false, false},
		{"GPLv2+", "GPLv2+", false, false},
		{"MIT AND", "MIT AND", false, false},
		{"(MIT", "(MIT", false, false},
		{"text://Permission is hereby granted", "Permission is hereby granted", false, false},
	} {
		got := parseLicense(tc.in)
		if got.String != tc.want || got.Valid != tc.valid || got.Compound != tc.compound {
			t.Errorf("parseLicense(%q) = %+v, want {%q %v %v}", tc.in, got, tc.want, tc.valid, tc.compound)
		}
	}
}

// TestCycloneDXLicenses: Trivy's rule for choosing license.id, name and
// expression.
func TestCycloneDXLicenses(t *testing.T) {
	render := func(in ...string) string {
		l := cdxLicenses(in)
		if l == nil {
			return "<nil>"
		}
		var out []string
		for _, c := range *l {
			switch {
			case c.Expression != "":
				out = append(out, "expr:"+c.Expression)
			case c.License.ID != "":
				out = append(out, "id:"+c.License.ID)
			default:
				out = append(out, "name:"+c.License.Name)
			}
		}
		return strings.Join(out, " | ")
	}
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{nil, "<nil>"},
		{[]string{"", " "}, "<nil>"},
		{[]string{"MPL-2.0", "MIT"}, "id:MPL-2.0 | id:MIT"},
		{[]string{"MIT OR Apache-2.0", "Zlib"}, "expr:(MIT OR Apache-2.0) AND Zlib"},
		{[]string{"MIT OR Apache-2.0"}, "expr:MIT OR Apache-2.0"},
		{[]string{"MIT OR Apache-2.0", "Public Domain"}, "name:MIT OR Apache-2.0 | name:Public Domain"},
		{[]string{"GPL-2.0+"}, "id:GPL-2.0-or-later"},
		{[]string{"Apache-2.0+"}, "name:Apache-2.0+"},
		{[]string{"LicenseRef-Proprietary"}, "name:LicenseRef-Proprietary"},
	} {
		if got := render(tc.in...); got != tc.want {
			t.Errorf("cdxLicenses(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestNameUUID(t *testing.T) {
	shape := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	a, b := nameUUID("a", "bc"), nameUUID("ab", "c")
	if !shape.MatchString(a) || a == b || a != nameUUID("a", "bc") {
		t.Errorf("nameUUID: %s %s", a, b)
	}
	r := randomUUID()
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(r) || r == randomUUID() {
		t.Errorf("randomUUID: %s", r)
	}
}

// FuzzParseLicense: licence strings come from image content; any string
// gives an answer, never a panic, and a valid expression re-parses to
// itself.
func FuzzParseLicense(f *testing.F) {
	for _, s := range []string{"MIT", "MPL-2.0 AND MIT", "(MIT OR Apache-2.0) AND BSD-3-Clause", "GPL-2.0+",
		"GPL-2.0-or-later WITH Classpath-exception-2.0", "GPL-3.0-with-GCC-exception", "LicenseRef-x", "((((", "AND OR WITH", "text://x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := parseLicense(s)
		if e.Valid {
			again := parseLicense(e.String)
			if !again.Valid || again.String != e.String {
				t.Errorf("%q -> %q -> %+v", s, e.String, again)
			}
		}
		cdxLicenses([]string{s, "MIT"})
	})
}

// TestSplitDigest: package digests come from the image's databases; only
// hex of a sane length reaches an SBOM's hash fields (the CycloneDX and
// SPDX schemas refuse anything else).
func TestSplitDigest(t *testing.T) {
	for _, tc := range []struct {
		in, alg, value string
		ok             bool
	}{
		{"sha256:" + strings.Repeat("ABCDEF01", 8), "sha256", strings.Repeat("abcdef01", 8), true},
		{"sha256:abcdef0123", "", "", false}, // too short for sha256
		{"crc32:abcdef01", "", "", false},
		{"SHA1:901a7b55410321c4d35543506cff2a8613ef5aa2", "sha1", "901a7b55410321c4d35543506cff2a8613ef5aa2", true},
		{"sha256:not hex", "", "", false},
		{"sha256:</hash><evil/>", "", "", false},
		{"sha256:", "", "", false},
		{"deadbeef", "", "", false},
		{"sha256:" + strings.Repeat("a", 257), "", "", false},
	} {
		alg, value, ok := splitDigest(tc.in)
		if alg != tc.alg || value != tc.value || ok != tc.ok {
			t.Errorf("splitDigest(%.40q) = %q, %q, %v", tc.in, alg, value, ok)
		}
	}
	if h := cdxHashes("sha256:zz"); h != nil {
		t.Errorf("CycloneDX hash of a non-hex digest: %v", *h)
	}
	if c := spdxChecksums("md5:0123456789abcdef0123456789abcdef"); len(c) != 1 || c[0].Value != "0123456789abcdef0123456789abcdef" {
		t.Errorf("SPDX checksum: %v", c)
	}
}
