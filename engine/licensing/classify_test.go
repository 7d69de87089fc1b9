package licensing

import (
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
)

func TestClassifyBuiltin(t *testing.T) {
	c := NewClassifier(nil)
	for _, tc := range []struct{ license, category, severity string }{
		// One per category, as metadata spells them.
		{"AGPL-3.0-or-later", types.LicenseCategoryForbidden, "CRITICAL"},
		{"GNU Affero General Public License v3", types.LicenseCategoryForbidden, "CRITICAL"},
		{"CC-BY-NC-SA-4.0", types.LicenseCategoryForbidden, "CRITICAL"},
		{"WTFPL", types.LicenseCategoryForbidden, "CRITICAL"},
		{"GPL-2+", types.LicenseCategoryRestricted, "HIGH"},
		{"GPL-2.0-or-later", types.LicenseCategoryRestricted, "HIGH"},
		{"GPL-3.0-only", types.LicenseCategoryRestricted, "HIGH"},
		{"LGPLv2.1+", types.LicenseCategoryRestricted, "HIGH"},
		{"CC-BY-SA-4.0", types.LicenseCategoryRestricted, "HIGH"},
		{"Sleepycat", types.LicenseCategoryRestricted, "HIGH"},
		{"MPL-2.0", types.LicenseCategoryReciprocal, "MEDIUM"},
		{"MPL-1.1+", types.LicenseCategoryReciprocal, "MEDIUM"},
		{"EPL-1.0", types.LicenseCategoryReciprocal, "MEDIUM"},
		{"CDDL 1.1", types.LicenseCategoryReciprocal, "MEDIUM"},
		{"Ruby", types.LicenseCategoryReciprocal, "MEDIUM"},
		{"MIT", types.LicenseCategoryNotice, "LOW"},
		{"Expat", types.LicenseCategoryNotice, "LOW"},
		{"Apache License 2.0", types.LicenseCategoryNotice, "LOW"},
		{"BSD-3-clause", types.LicenseCategoryNotice, "LOW"},
		{"Artistic", types.LicenseCategoryNotice, "LOW"},
		{"ISC", types.LicenseCategoryNotice, "LOW"},
		{"Zlib", types.LicenseCategoryNotice, "LOW"},
		{"CC-BY-4.0", types.LicenseCategoryNotice, "LOW"},
		{"CC0-1.0", types.LicenseCategoryUnencumbered, "LOW"},
		{"Unlicense", types.LicenseCategoryUnencumbered, "LOW"},
		{"0BSD", types.LicenseCategoryUnencumbered, "LOW"},
		{"public-domain", types.LicenseCategoryUnknown, "UNKNOWN"},
		{"SEE LICENSE IN LICENSE", types.LicenseCategoryUnknown, "UNKNOWN"},
		{"", types.LicenseCategoryUnknown, "UNKNOWN"},
		{"text://Permission is hereby granted", types.LicenseCategoryUnknown, "UNKNOWN"},

		// Expressions: AND the most severe, OR the least, unknown wins.
		{"MIT AND GPL-2.0-only", types.LicenseCategoryRestricted, "HIGH"},
		{"MIT OR GPL-2.0-only", types.LicenseCategoryNotice, "LOW"},
		{"(MIT OR Apache-2.0)", types.LicenseCategoryNotice, "LOW"},
		{"AGPL-3.0-only OR MPL-2.0", types.LicenseCategoryReciprocal, "MEDIUM"},
		{"AGPL-3.0-only AND MPL-2.0", types.LicenseCategoryForbidden, "CRITICAL"},
		{"MIT AND Foo-Custom", types.LicenseCategoryUnknown, "UNKNOWN"},
		{"MIT OR Foo-Custom", types.LicenseCategoryUnknown, "UNKNOWN"},
		{"MIT AND (LGPL-2.1+ OR BSD-3-Clause)", types.LicenseCategoryNotice, "LOW"},
		{"(MIT OR GPL-3.0-only) AND (MPL-2.0 OR AGPL-3.0-only)", types.LicenseCategoryReciprocal, "MEDIUM"},
		{"((MIT))", types.LicenseCategoryNotice, "LOW"},
		{"GPL-2.0-or-later WITH Linux-syscall-note", types.LicenseCategoryRestricted, "HIGH"},
		{"Apache-2.0 WITH LLVM-exception", types.LicenseCategoryNotice, "LOW"},
		{"GPL-2.0-with-classpath-exception", types.LicenseCategoryRestricted, "HIGH"},
		{"GPL-2.0-only WITH Classpath-exception-2.0 OR CDDL-1.1", types.LicenseCategoryReciprocal, "MEDIUM"},
		// Not expressions: normalised first.
		{"GPL-2+ or Artistic", types.LicenseCategoryNotice, "LOW"},
		{"GPL-2+ with OpenSSL exception", types.LicenseCategoryRestricted, "HIGH"},
		{"GPLv2+ and LGPLv2+", types.LicenseCategoryRestricted, "HIGH"},
		{"CDDL + GPLv2 with classpath exception", types.LicenseCategoryReciprocal, "MEDIUM"},
		// Malformed.
		{"MIT AND", types.LicenseCategoryUnknown, "UNKNOWN"},
		{"(MIT OR", types.LicenseCategoryUnknown, "UNKNOWN"},
	} {
		cat, sev := c.Classify(tc.license)
		if cat != tc.category || sev != tc.severity {
			t.Errorf("Classify(%q) = %s %s, want %s %s", tc.license, cat, sev, tc.category, tc.severity)
		}
	}
}

func TestClassifyOverrides(t *testing.T) {
	// A config forbidding MIT: MIT moves, the other lists stay built-in.
	c := NewClassifier(map[string][]string{types.LicenseCategoryForbidden: {"MIT"}})
	for license, want := range map[string]string{
		"MIT":               types.LicenseCategoryForbidden,
		"Expat":             types.LicenseCategoryForbidden,
		"MIT OR Apache-2.0": types.LicenseCategoryNotice,
		"Apache-2.0":        types.LicenseCategoryNotice,
		"GPL-2.0-only":      types.LicenseCategoryRestricted,
		"CC0-1.0":           types.LicenseCategoryUnencumbered,
		// The given list replaces the built-in forbidden list.
		"AGPL-3.0-only": types.LicenseCategoryUnknown,
	} {
		if got, _ := c.Classify(license); got != want {
			t.Errorf("forbidden=[MIT]: Classify(%q) = %s, want %s", license, got, want)
		}
	}

	// Names as a config writes them, a permissive list, a name moved out
	// of restricted, GNU forms.
	c = NewClassifier(map[string][]string{
		types.LicenseCategoryPermissive: {"Apache 2.0", "ISC"},
		types.LicenseCategoryNotice:     {"LGPL-2.1"},
		types.LicenseCategoryForbidden:  {"GPL-3.0-only", "AGPL-3.0"},
	})
	for license, want := range map[string]string{
		"Apache-2.0":        types.LicenseCategoryPermissive,
		"ISC":               types.LicenseCategoryPermissive,
		"LGPL-2.1-or-later": types.LicenseCategoryNotice,
		"LGPL-2.1-only":     types.LicenseCategoryNotice,
		"MIT":               types.LicenseCategoryUnknown, // the notice list was replaced
		"GPL-3.0-only":      types.LicenseCategoryForbidden,
		"GPL-3.0-or-later":  types.LicenseCategoryRestricted, // only the -only form was named
		"AGPL-3.0-or-later": types.LicenseCategoryForbidden,
		"GPL-2.0-only":      types.LicenseCategoryRestricted,
	} {
		if got, _ := c.Classify(license); got != want {
			t.Errorf("custom: Classify(%q) = %s, want %s", license, got, want)
		}
	}
	if sev := Severity(types.LicenseCategoryPermissive); sev != "LOW" {
		t.Errorf("Severity(permissive) = %s", sev)
	}

	// The built-in lists are not changed by a classifier or a caller.
	d := DefaultCategories()
	d[types.LicenseCategoryNotice] = nil
	if got, _ := NewClassifier(nil).Classify("MIT"); got != types.LicenseCategoryNotice {
		t.Errorf("after changing DefaultCategories' copy: MIT is %s", got)
	}
}

func TestClassifyText(t *testing.T) {
	c := NewClassifier(map[string][]string{
		types.LicenseCategoryNotice:     {"text://(?i)permission is hereby granted, free of charge"},
		types.LicenseCategoryRestricted: {"text://GNU General Public", "text://[invalid"},
	})
	for text, want := range map[string]string{
		"text://Permission is hereby granted, free of charge, to any person": types.LicenseCategoryNotice,
		"text://This is under the GNU General Public License":                types.LicenseCategoryRestricted,
		"text://Some words of our own":                                       types.LicenseCategoryUnknown,
		"Permission is hereby granted, free of charge":                       types.LicenseCategoryUnknown, // a name, not a text
	} {
		if got, _ := c.Classify(text); got != want {
			t.Errorf("Classify(%q) = %s, want %s", text, got, want)
		}
	}
	if err := CheckCategories(map[string][]string{"restricted": {"text://[invalid"}}); err == nil {
		t.Error("CheckCategories accepted an invalid pattern")
	}
	if err := CheckCategories(map[string][]string{"forbiden": {"MIT"}}); err == nil {
		t.Error("CheckCategories accepted an unknown category")
	}
	if err := CheckCategories(map[string][]string{"forbidden": {"MIT", "text://GPL"}}); err != nil {
		t.Errorf("CheckCategories: %v", err)
	}
}

func TestCategoriesFile(t *testing.T) {
	d := DefaultCategories()
	if len(d) != 6 {
		t.Fatalf("categories.json: %d categories, want the 6 known ones", len(d))
	}
	// Google names a few licences the SPDX list does not have.
	googleOnly := map[string]bool{
		"BCL": true, "Commons-Clause": true, "Facebook-2-Clause": true, "Facebook-3-Clause": true,
		"Facebook-Examples": true, "Lil-1.0": true, "PIL": true,
	}
	total := 0
	for cat, names := range d {
		for _, n := range names {
			total++
			name := n
			if gnuIDs[name] {
				name += "-only"
			}
			if id, ok := spdxID(name); !googleOnly[n] && (!ok || id != name) {
				t.Errorf("%s: %q is not a listed SPDX identifier", cat, n)
			}
		}
	}
	if total < 100 {
		t.Errorf("categories.json: %d licences", total)
	}
}
