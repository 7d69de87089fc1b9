package policy

import (
	"slices"
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
)

// imageMisconfReport is an image report with the image config's checks
// and a Dockerfile found in a layer.
func imageMisconfReport() *types.Report {
	m := func(id, avd, sev string) types.Misconfiguration {
		// The namespace names the check's old ID, as Trivy's do.
		old := "DS" + id[len(id)-3:]
		return types.Misconfiguration{ID: id, AVDID: avd, Severity: sev, Status: "FAIL", Message: id, Namespace: "builtin.dockerfile." + old}
	}
	return &types.Report{Results: []types.Result{
		{Target: "app:1", Class: types.ClassConfig, Type: "dockerfile",
			MisconfSummary:    &types.MisconfSummary{Successes: 20, Failures: 3},
			Misconfigurations: []types.Misconfiguration{m("DS-0002", "AVD-DS-0002", "HIGH"), m("DS-0026", "AVD-DS-0026", "LOW"), m("DS-0031", "AVD-DS-0031", "CRITICAL")}},
		{Target: "src/Dockerfile", Class: types.ClassConfig, Type: "dockerfile",
			MisconfSummary:    &types.MisconfSummary{Successes: 22, Failures: 1},
			Misconfigurations: []types.Misconfiguration{m("DS-0005", "AVD-DS-0005", "LOW")}},
	}}
}

func misconfIDs(rep *types.Report) []string {
	var out []string
	for _, r := range rep.Results {
		for _, m := range r.Misconfigurations {
			out = append(out, r.Target+":"+m.ID)
		}
	}
	return out
}

func TestFilterImageMisconfigurations(t *testing.T) {
	yamlIgnore, err := LoadIgnoreFile(writeFile(t, ".trivyignore.yaml", `misconfigurations:
  - id: AVD-DS-0031
  - id: DS-0005
    paths: ["src/**"]
`), true)
	if err != nil {
		t.Fatal(err)
	}
	plainIgnore, err := LoadIgnoreFile(writeFile(t, ".trivyignore", "DS026\n"), true)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		opts     Options
		want     []string
		failures []int
		exit     int
	}{
		{"none", Options{}, []string{"app:1:DS-0002", "app:1:DS-0026", "app:1:DS-0031", "src/Dockerfile:DS-0005"}, []int{3, 1}, 3},
		{"severity", Options{Severities: []types.Severity{types.SeverityCritical, types.SeverityHigh}}, []string{"app:1:DS-0002", "app:1:DS-0031"}, []int{2, 0}, 3},
		{"by AVD ID and path", Options{Ignore: yamlIgnore}, []string{"app:1:DS-0002", "app:1:DS-0026"}, []int{2, 0}, 3},
		{"by alias", Options{Ignore: plainIgnore}, []string{"app:1:DS-0002", "app:1:DS-0031", "src/Dockerfile:DS-0005"}, []int{2, 1}, 3},
		{"all ignored", Options{Severities: []types.Severity{types.SeverityMedium}}, nil, []int{0, 0}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Now = now
			rep := imageMisconfReport()
			Filter(rep, tt.opts)
			if got := misconfIDs(rep); !slices.Equal(got, tt.want) {
				t.Errorf("kept %v, want %v", got, tt.want)
			}
			// The results stay, with their summary: the checks passed are
			// still worth showing.
			if len(rep.Results) != 2 {
				t.Fatalf("%d results", len(rep.Results))
			}
			for i, r := range rep.Results {
				if r.MisconfSummary == nil || r.MisconfSummary.Failures != tt.failures[i] {
					t.Errorf("%s: summary %+v, want %d failures", r.Target, r.MisconfSummary, tt.failures[i])
				}
			}
			if code := ExitCode(rep, ExitOptions{ExitCode: 3}); code != tt.exit {
				t.Errorf("exit code %d, want %d", code, tt.exit)
			}
		})
	}
}

func TestMisconfAliases(t *testing.T) {
	for _, tc := range []struct {
		ns, id string
		want   []string
	}{
		{"builtin.dockerfile.DS002", "DS-0002", []string{"DS002"}},
		{"builtin.dockerfile.DS-0002", "DS-0002", nil},
		{"user.dockerfile.no_curl", "ACME-1", nil},
		{"", "DSC001", nil},
	} {
		if got := misconfAliases(types.Misconfiguration{ID: tc.id, Namespace: tc.ns}); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.ns, got, tc.want)
		}
	}
}
