package detect

import (
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
)

func TestLanguageBoundaries(t *testing.T) {
	d := openFixture(t, "../../testdata/db/languages.yaml")
	npmPkg := func(v string) types.PackageDB {
		return types.PackageDB{FilePath: "app/node_modules/minimist/package.json", Type: "node-pkg",
			Packages: []types.Package{{ID: "minimist@" + v, Name: "minimist", Version: v, FilePath: "app/node_modules/minimist/package.json"}}}
	}
	pipPkg := func(name, v string) types.PackageDB {
		return types.PackageDB{FilePath: "x.dist-info/METADATA", Type: "python-pkg", Packages: []types.Package{{ID: name + "@" + v, Name: name, Version: v}}}
	}
	tests := []struct {
		db   types.PackageDB
		want string
	}{
		{npmPkg("1.2.2"), "minimist 1.2.2 CVE-2021-44906 fixed 0.2.4, 1.2.6 CRITICAL/ghsa\nminimist 1.2.2 CVE-2020-7598 fixed 0.2.1, 1.2.3 MEDIUM/ghsa"},
		{npmPkg("1.2.3"), "minimist 1.2.3 CVE-2021-44906 fixed 0.2.4, 1.2.6 CRITICAL/ghsa"}, // at the first fix
		{npmPkg("1.2.6"), ""},
		{npmPkg("0.2.0"), "minimist 0.2.0 CVE-2021-44906 fixed 0.2.4, 1.2.6 CRITICAL/ghsa\nminimist 0.2.0 CVE-2020-7598 fixed 0.2.1, 1.2.3 MEDIUM/ghsa"},
		{pipPkg("urllib3", "1.26.16"), "urllib3 1.26.16 CVE-2023-43804 fixed 2.0.6, 1.26.17 MEDIUM/ghsa\nurllib3 1.26.16 CVE-2023-45803 fixed 2.0.7, 1.26.18 MEDIUM/ghsa"},
		{pipPkg("urllib3", "1.26.17"), "urllib3 1.26.17 CVE-2023-45803 fixed 2.0.7, 1.26.18 MEDIUM/ghsa"},
		{pipPkg("urllib3", "1.26.18"), ""},
		{pipPkg("urllib3", "2.0.6"), "urllib3 2.0.6 CVE-2023-45803 fixed 2.0.7, 1.26.18 MEDIUM/ghsa"},
		// PyYAML is "pyyaml" in the DB; no patched versions: the "<" bound is the fix.
		{pipPkg("PyYAML", "5.3.1"), "PyYAML 5.3.1 CVE-2020-14343 fixed 5.4 CRITICAL/nvd"},
		{pipPkg("PyYAML", "5.4"), ""},
	}
	for _, tt := range tests {
		got, err := LanguagePackages(d, []types.PackageDB{tt.db})
		if err != nil {
			t.Fatal(err)
		}
		if found(got) != tt.want {
			t.Errorf("%s@%s:\n got %q\nwant %q", tt.db.Packages[0].Name, tt.db.Packages[0].Version, found(got), tt.want)
		}
		for _, v := range got {
			if v.PkgPath != tt.db.Packages[0].FilePath || (strings.HasPrefix(v.VulnerabilityID, "CVE-") && v.PrimaryURL == "") {
				t.Errorf("%+v", v)
			}
		}
	}
}

func TestMavenBoundaries(t *testing.T) {
	d := openFixture(t, "../../testdata/db/languages.yaml")
	for v, want := range map[string]string{
		"2.14.1":    "org.apache.logging.log4j:log4j-core 2.14.1 CVE-2021-44228 fixed 2.15.0, 2.12.2, 2.3.1 CRITICAL/ghsa\norg.apache.logging.log4j:log4j-core 2.14.1 CVE-2021-45046 fixed 2.16.0, 2.12.2 CRITICAL/ghsa",
		"2.15.0":    "org.apache.logging.log4j:log4j-core 2.15.0 CVE-2021-45046 fixed 2.16.0, 2.12.2 CRITICAL/ghsa",
		"2.16.0":    "",
		"2.12.2":    "",
		"2.0-beta9": "org.apache.logging.log4j:log4j-core 2.0-beta9 CVE-2021-44228 fixed 2.15.0, 2.12.2, 2.3.1 CRITICAL/ghsa\norg.apache.logging.log4j:log4j-core 2.0-beta9 CVE-2021-45046 fixed 2.16.0, 2.12.2 CRITICAL/ghsa",
		"1.2.17":    "",
	} {
		name := "org.apache.logging.log4j:log4j-core"
		got, err := LanguagePackages(d, []types.PackageDB{{Type: "jar", Packages: []types.Package{{Name: name, Version: v}}}})
		if err != nil {
			t.Fatal(err)
		}
		if found(got) != want {
			t.Errorf("%s:\n got %q\nwant %q", v, found(got), want)
		}
	}
}
