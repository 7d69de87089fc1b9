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

func TestOtherEcosystemBoundaries(t *testing.T) {
	d := openFixture(t, "../../testdata/db/languages.yaml")
	tests := []struct {
		typ, name, version, want string
	}{
		{"gemspec", "rack", "2.2.3", "rack 2.2.3 CVE-2022-30123 fixed 2.0.9.1, 2.1.4.1, 2.2.3.1 CRITICAL/ghsa"},
		{"gemspec", "rack", "2.2.3.1", ""},
		{"gemspec", "rack", "2.1.4", "rack 2.1.4 CVE-2022-30123 fixed 2.0.9.1, 2.1.4.1, 2.2.3.1 CRITICAL/ghsa"},
		{"composer", "guzzlehttp/guzzle", "7.4.2", "guzzlehttp/guzzle 7.4.2 CVE-2022-29248 fixed 6.5.6, 7.4.3 HIGH/ghsa"},
		{"composer", "guzzlehttp/guzzle", "7.4.3", ""},
		{"composer", "guzzlehttp/guzzle", "6.5.5", "guzzlehttp/guzzle 6.5.5 CVE-2022-29248 fixed 6.5.6, 7.4.3 HIGH/ghsa"},
		{"dotnet-core", "Newtonsoft.Json", "12.0.3", "Newtonsoft.Json 12.0.3 GHSA-5crp-9r3c-p9vr fixed 13.0.1 HIGH/ghsa"},
		{"dotnet-core", "Newtonsoft.Json", "13.0.1", ""},
		{"cargo", "smallvec", "1.6.0", "smallvec 1.6.0 CVE-2021-25900 fixed 0.6.14, 1.6.1 CRITICAL/ghsa"},
		{"cargo", "smallvec", "1.6.1", ""},
		{"cargo", "smallvec", "0.6.2", ""},
		{"gobinary", "golang.org/x/text", "0.3.5", "golang.org/x/text 0.3.5 CVE-2021-38561 fixed 0.3.7 HIGH/ghsa"},
		{"gobinary", "golang.org/x/text", "0.3.7", ""},
		{"gobinary", "golang.org/x/text", "0.0.0-20210226181700-f36f78243c0c", "golang.org/x/text 0.0.0-20210226181700-f36f78243c0c CVE-2021-38561 fixed 0.3.7 HIGH/ghsa"},
	}
	for _, tt := range tests {
		got, err := LanguagePackages(d, []types.PackageDB{{Type: tt.typ, Packages: []types.Package{{Name: tt.name, Version: tt.version}}}})
		if err != nil {
			t.Fatal(err)
		}
		if found(got) != tt.want {
			t.Errorf("%s %s@%s:\n got %q\nwant %q", tt.typ, tt.name, tt.version, found(got), tt.want)
		}
	}
	if got, _ := LanguagePackages(d, []types.PackageDB{{Type: "dotnet-core", Packages: []types.Package{{Name: "Newtonsoft.Json", Version: "12.0.3"}}}}); len(got) == 1 && got[0].PrimaryURL != "https://github.com/advisories/GHSA-5crp-9r3c-p9vr" {
		t.Errorf("GHSA primary URL: %s", got[0].PrimaryURL)
	}
}
