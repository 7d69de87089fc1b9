package plugin

import (
	"testing"

	"github.com/docker-scan/docker-scan/engine/policy"
	"github.com/docker-scan/docker-scan/engine/types"
)

// TestFilterConfigResults: the severity filter drops findings but keeps
// every file in the report, its summary counting the failures left.
func TestFilterConfigResults(t *testing.T) {
	rep := &types.Report{Results: []types.Result{
		{Target: "a/Dockerfile", Class: types.ClassConfig, MisconfSummary: &types.MisconfSummary{Successes: 20, Failures: 2}, Misconfigurations: []types.Misconfiguration{
			{ID: "DS-0002", Severity: "HIGH", Status: "FAIL"}, {ID: "DS-0026", Severity: "LOW", Status: "FAIL"},
		}},
		{Target: "b/Dockerfile", Class: types.ClassConfig, MisconfSummary: &types.MisconfSummary{Successes: 21, Failures: 1}, Misconfigurations: []types.Misconfiguration{
			{ID: "DS-0026", Severity: "LOW", Status: "FAIL"},
		}},
		{Target: "c/Dockerfile", Class: types.ClassConfig, MisconfSummary: &types.MisconfSummary{Successes: 22}},
	}}
	if !filterConfigResults(rep, policy.Options{Severities: []types.Severity{types.SeverityHigh, types.SeverityCritical}}) {
		t.Error("a HIGH finding is left: want true")
	}
	if len(rep.Results) != 3 {
		t.Fatalf("%d results, want every file", len(rep.Results))
	}
	a, b, c := rep.Results[0], rep.Results[1], rep.Results[2]
	if len(a.Misconfigurations) != 1 || a.Misconfigurations[0].ID != "DS-0002" || a.MisconfSummary.Failures != 1 {
		t.Errorf("a: %+v %+v", a.Misconfigurations, a.MisconfSummary)
	}
	if len(b.Misconfigurations) != 0 || *b.MisconfSummary != (types.MisconfSummary{Successes: 21}) {
		t.Errorf("b: %+v %+v", b.Misconfigurations, b.MisconfSummary)
	}
	if *c.MisconfSummary != (types.MisconfSummary{Successes: 22}) {
		t.Errorf("c: %+v", c.MisconfSummary)
	}
	if filterConfigResults(&types.Report{Results: []types.Result{c}}, policy.Options{}) {
		t.Error("no finding: want false")
	}
}
