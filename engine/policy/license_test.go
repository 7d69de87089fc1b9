package policy

import (
	"slices"
	"testing"
	"time"

	"github.com/docker-scan/docker-scan/engine/types"
)

func licenceReport() *types.Report {
	return &types.Report{Results: []types.Result{
		{Target: "OS Packages", Class: types.ClassLicense, Licenses: []types.DetectedLicense{
			{PkgName: "ghostscript", Name: "AGPL-3.0-or-later", Category: "forbidden", Severity: "CRITICAL"},
			{PkgName: "bash", Name: "GPL-3.0-or-later", Category: "restricted", Severity: "HIGH"},
			{PkgName: "zlib1g", Name: "Zlib", Category: "notice", Severity: "LOW"},
		}},
		{Target: "Loose File License(s)", Class: types.ClassLicenseFile, Licenses: []types.DetectedLicense{
			{FilePath: "opt/vendor/LICENSE", Name: "AGPL-3.0", Category: "forbidden", Severity: "CRITICAL"},
			{FilePath: "srv/app/LICENSE", Name: "AGPL-3.0", Category: "forbidden", Severity: "CRITICAL"},
		}},
	}}
}

func licenceNames(r *types.Report) []string {
	var out []string
	for _, res := range r.Results {
		for _, l := range res.Licenses {
			out = append(out, l.PkgName+l.FilePath+" "+l.Name)
		}
	}
	return out
}

// TestFilterLicenses: the severity filter, --ignored-licenses (any case)
// and the ignore file's licences (by name; by path for a licence file;
// expired entries do not count), and the exit code they leave.
func TestFilterLicenses(t *testing.T) {
	cases := []struct {
		name string
		opts Options
		want []string
	}{
		{"all", Options{}, []string{"ghostscript AGPL-3.0-or-later", "bash GPL-3.0-or-later", "zlib1g Zlib", "opt/vendor/LICENSE AGPL-3.0", "srv/app/LICENSE AGPL-3.0"}},
		{"critical", Options{Severities: []types.Severity{types.SeverityCritical}}, []string{"ghostscript AGPL-3.0-or-later", "opt/vendor/LICENSE AGPL-3.0", "srv/app/LICENSE AGPL-3.0"}},
		{"ignored", Options{IgnoredLicenses: []string{"agpl-3.0", "Zlib"}}, []string{"ghostscript AGPL-3.0-or-later", "bash GPL-3.0-or-later"}},
		{"ignore file by path", Options{Ignore: &IgnoreFile{Licenses: []IgnoreRule{{ID: "AGPL-3.0", Paths: []string{"opt/vendor/**"}}}}},
			[]string{"ghostscript AGPL-3.0-or-later", "bash GPL-3.0-or-later", "zlib1g Zlib", "srv/app/LICENSE AGPL-3.0"}},
		{"plain ignore file", Options{Ignore: &IgnoreFile{Any: []IgnoreRule{{ID: "GPL-3.0-or-later"}}}},
			[]string{"ghostscript AGPL-3.0-or-later", "zlib1g Zlib", "opt/vendor/LICENSE AGPL-3.0", "srv/app/LICENSE AGPL-3.0"}},
		{"expired", Options{Ignore: &IgnoreFile{Licenses: []IgnoreRule{{ID: "Zlib", ExpiredAt: now.Add(-24 * time.Hour)}}}},
			[]string{"ghostscript AGPL-3.0-or-later", "bash GPL-3.0-or-later", "zlib1g Zlib", "opt/vendor/LICENSE AGPL-3.0", "srv/app/LICENSE AGPL-3.0"}},
	}
	for _, c := range cases {
		rep := licenceReport()
		c.opts.Now = now
		Filter(rep, c.opts)
		if got := licenceNames(rep); !slices.Equal(got, c.want) {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
	rep := licenceReport()
	Filter(rep, Options{Now: now, Severities: []types.Severity{types.SeverityCritical}, IgnoredLicenses: []string{"AGPL-3.0-or-later", "AGPL-3.0"}})
	if code := ExitCode(rep, ExitOptions{ExitCode: 4}); code != 0 {
		t.Errorf("every CRITICAL licence ignored: exit %d, want 0", code)
	}
	rep = licenceReport()
	Filter(rep, Options{Now: now, Severities: []types.Severity{types.SeverityCritical}})
	if code := ExitCode(rep, ExitOptions{ExitCode: 4}); code != 4 {
		t.Errorf("a forbidden licence left: exit %d, want 4", code)
	}
}
