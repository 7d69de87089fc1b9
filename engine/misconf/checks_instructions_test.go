package misconf

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const dockerfileTestdata = "../../testdata/misconf/dockerfile"

// lines is where a failure is: start and end line, {0, 0} for the file
// as a whole.
type lines [2]int

// TestInstructionChecks runs every Dockerfile check on each check's own
// fail.Dockerfile and pass.Dockerfile: the check must fail exactly at the
// given lines of the first and pass the second.
func TestInstructionChecks(t *testing.T) {
	want := map[string][]lines{
		"DS-0001": {{4, 4}, {8, 8}, {10, 10}},
		"DS-0002": {{10, 10}},
		"DS-0004": {{3, 4}},
		"DS-0005": {{2, 2}, {3, 3}},
		"DS-0006": {{6, 7}},
		"DS-0007": {{4, 5}},
		"DS-0008": {{2, 2}, {3, 3}},
		"DS-0009": {{3, 3}, {4, 4}},
		"DS-0011": {{3, 3}, {4, 5}},
		"DS-0012": {{1, 1}},
		"DS-0016": {{6, 7}},
		"DS-0022": {{2, 2}},
		"DS-0023": {{3, 4}},
		"DS-0026": {{0, 0}},
		"DS-0030": {{2, 2}, {3, 3}},
	}
	if len(want) != len(instructionChecks) {
		t.Errorf("%d instruction checks, %d with test files", len(instructionChecks), len(want))
	}
	for _, c := range instructionChecks {
		if _, ok := want[c.ID]; !ok {
			t.Errorf("check %s has no test files", c.ID)
		}
	}
	for id, wantLines := range want {
		t.Run(id, func(t *testing.T) {
			fail := runTestdata(t, filepath.Join(dockerfileTestdata, id, "fail.Dockerfile"))
			got := findingLines(fail, id)
			if !reflect.DeepEqual(got, wantLines) {
				t.Errorf("fail.Dockerfile: %s failed at %v, want %v", id, got, wantLines)
			}
			pass := runTestdata(t, filepath.Join(dockerfileTestdata, id, "pass.Dockerfile"))
			if got := findingLines(pass, id); len(got) != 0 {
				t.Errorf("pass.Dockerfile: %s failed at %v", id, got)
			}
		})
	}
}

func runTestdata(t *testing.T, path string) map[string][]Failure {
	t.Helper()
	content, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	df, err := ParseDockerfile(path, content)
	if err != nil {
		t.Fatal(err)
	}
	res := Run(df, AllDockerfileChecks)
	out := map[string][]Failure{}
	for _, m := range res.Misconfigurations {
		if m.Message == "" || m.Title == "" || m.Severity == "" {
			t.Errorf("%s: finding with empty fields: %+v", m.ID, m)
		}
		out[m.ID] = append(out[m.ID], Failure{Message: m.Message, StartLine: m.CauseMetadata.StartLine, EndLine: m.CauseMetadata.EndLine})
	}
	return out
}

func findingLines(found map[string][]Failure, id string) []lines {
	var out []lines
	for _, f := range found[id] {
		out = append(out, lines{f.StartLine, f.EndLine})
	}
	// Run sorts by message; compare by position.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j][0] < out[j-1][0]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func TestInstructionCheckMessages(t *testing.T) {
	found := runTestdata(t, filepath.Join(dockerfileTestdata, "DS-0001", "fail.Dockerfile"))
	var imgs []string
	for _, f := range found["DS-0001"] {
		imgs = append(imgs, f.Message)
	}
	joined := strings.Join(imgs, "\n")
	for _, img := range []string{"'golang'", "'docker.io/library/debian'", "'alpine'"} {
		if !strings.Contains(joined, img) {
			t.Errorf("DS-0001 messages do not name %s:\n%s", img, joined)
		}
	}
}

func TestImageAndTag(t *testing.T) {
	vars := map[string]string{"TAG": "1.2", "LATEST": "latest", "REG": "ghcr.io", "IMG": "alpine:3.20", "EMPTY": ""}
	for _, tc := range []struct {
		ref, img, tag string
		ok            bool
	}{
		{"alpine", "alpine", "latest", true},
		{"alpine:3.20", "alpine", "3.20", true},
		{"localhost:5000/app:1", "", "", false},
		{"app@sha256:abc", "app@sha256", "abc", true},
		{"alpine:$TAG", "alpine", "1.2", true},
		{"alpine:${LATEST}", "alpine", "latest", true},
		{"${REG}/app", "ghcr.io/app", "latest", true},
		{"$IMG", "alpine", "3.20", true},
		{"${REG}/${NAME}", "", "", false},
		{"alpine:${NOPE}", "alpine", "", true},
		{"${EMPTY}", "", "", false},
	} {
		img, tag, ok := imageAndTag(tc.ref, vars)
		if img != tc.img || tag != tc.tag || ok != tc.ok {
			t.Errorf("imageAndTag(%q) = %q, %q, %v; want %q, %q, %v", tc.ref, img, tag, ok, tc.img, tc.tag, tc.ok)
		}
	}
}

func TestCheckMetadata(t *testing.T) {
	for _, c := range instructionChecks {
		num := strings.TrimPrefix(c.ID, "DS-0")
		if c.AVDID != "AVD-"+c.ID || len(c.Aliases) == 0 || c.Aliases[0] != "DS"+num || c.Type != TypeDockerfile {
			t.Errorf("%s: AVDID %q Aliases %q Type %q", c.ID, c.AVDID, c.Aliases, c.Type)
		}
		switch c.Severity {
		case "LOW", "MEDIUM", "HIGH", "CRITICAL":
		default:
			t.Errorf("%s: severity %q", c.ID, c.Severity)
		}
		if c.Title == "" || c.Description == "" || c.Resolution == "" || c.Dockerfile == nil {
			t.Errorf("%s: missing title, description, resolution or function", c.ID)
		}
	}
}
