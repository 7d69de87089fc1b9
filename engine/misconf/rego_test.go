package misconf

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const regoTestdata = "../../testdata/misconf/rego"

func loadTestRegoChecks(t testing.TB, dir string, namespaces ...string) []Check {
	t.Helper()
	checks, err := LoadRegoChecks([]string{filepath.Join(regoTestdata, dir)}, namespaces)
	if err != nil {
		t.Fatalf("LoadRegoChecks: %v", err)
	}
	return checks
}

func parseTestDockerfile(t testing.TB, name string) *Dockerfile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(regoTestdata, "dockerfiles", name))
	if err != nil {
		t.Fatal(err)
	}
	df, err := ParseDockerfile(name, b)
	if err != nil {
		t.Fatal(err)
	}
	return df
}

func checkByID(t *testing.T, checks []Check, id string) Check {
	t.Helper()
	for _, c := range checks {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no check %s among %d", id, len(checks))
	return Check{}
}

func TestRegoChecksTrivyForm(t *testing.T) {
	checks := loadTestRegoChecks(t, "checks", "user")
	var ids []string
	for _, c := range checks {
		ids = append(ids, c.ID)
	}
	slices.Sort(ids)
	// ops.* is not a selected namespace, the Kubernetes check is not for
	// Dockerfiles, the library and the _test file are no checks.
	if want := []string{"ACME-DF-001", "ACME-DF-002", "ACME-DF-003", "ACME-DF-004"}; !slices.Equal(ids, want) {
		t.Fatalf("checks = %v, want %v", ids, want)
	}

	c := checkByID(t, checks, "ACME-DF-001")
	want := Check{
		ID: "ACME-DF-001", AVDID: "AVD-ACME-001", Type: TypeDockerfile,
		Title:       "Remote script piped into a shell",
		Description: "A RUN instruction downloads a script with curl or wget and feeds it\nstraight to a shell, so whatever the server returns that day runs in\nthe build.\n",
		Resolution:  "Download the script, check its digest, then run it.",
		Severity:    "HIGH",
		References:  []string{"https://example.com/docs/no-pipe-to-shell"},
		Namespace:   "user.dockerfile.no_pipe_to_shell",
		Query:       "data.user.dockerfile.no_pipe_to_shell.deny",
	}
	got := c
	got.Dockerfile = nil
	if !equalChecks(got, want) {
		t.Errorf("check = %+v\nwant    %+v", got, want)
	}

	bad := parseTestDockerfile(t, "Dockerfile.bad")
	fs := c.Dockerfile(bad)
	// The RUN spans lines 3-4 (a continuation): result.new takes both
	// from the instruction.
	if want := []Failure{{Message: "'curl' output is piped into 'sh'", StartLine: 3, EndLine: 4}}; !slices.Equal(fs, want) {
		t.Errorf("bad Dockerfile: %+v, want %+v", fs, want)
	}
	if fs := c.Dockerfile(parseTestDockerfile(t, "Dockerfile.clean")); len(fs) != 0 {
		t.Errorf("clean Dockerfile: %+v, want none", fs)
	}
}

func equalChecks(a, b Check) bool {
	return a.ID == b.ID && a.AVDID == b.AVDID && a.Type == b.Type && a.Title == b.Title &&
		a.Description == b.Description && a.Resolution == b.Resolution && a.Severity == b.Severity &&
		slices.Equal(a.References, b.References) && slices.Equal(a.Aliases, b.Aliases) &&
		a.Namespace == b.Namespace && a.Query == b.Query
}

func TestRegoChecksFindings(t *testing.T) {
	checks := loadTestRegoChecks(t, "checks", "user")
	bad := parseTestDockerfile(t, "Dockerfile.bad")
	clean := parseTestDockerfile(t, "Dockerfile.clean")
	tests := []struct {
		id, query string
		want      []Failure
	}{
		// v0 syntax, __rego_metadata__ and a plain string: no location.
		{"ACME-DF-002", "data.user.dockerfile.legacy_maintainer.deny", []Failure{{Message: "MAINTAINER ops@example.com"}}},
		// a deny_* rule, data.lib.docker.split_cmd and data.lib.cmdutil.
		{"ACME-DF-003", "data.user.dockerfile.apt_yes.deny_apt_install", []Failure{{Message: "apt-get install without -y", StartLine: 5, EndLine: 5}}},
		// an object with msg and lower-case lines, a team library import.
		{"ACME-DF-004", "data.user.dockerfile.alpine_edge.deny", []Failure{{Message: "alpine:edge moves every day", StartLine: 1, EndLine: 1}}},
	}
	for _, tt := range tests {
		c := checkByID(t, checks, tt.id)
		if c.Query != tt.query {
			t.Errorf("%s: query %q, want %q", tt.id, c.Query, tt.query)
		}
		if got := c.Dockerfile(bad); !slices.Equal(got, tt.want) {
			t.Errorf("%s on the bad Dockerfile: %+v, want %+v", tt.id, got, tt.want)
		}
		if got := c.Dockerfile(clean); len(got) != 0 {
			t.Errorf("%s on the clean Dockerfile: %+v, want none", tt.id, got)
		}
	}
	legacy := checkByID(t, checks, "ACME-DF-002")
	if legacy.Severity != "LOW" || legacy.Title != "MAINTAINER is deprecated" || legacy.Resolution == "" {
		t.Errorf("legacy metadata not read: %+v", legacy)
	}
	// No METADATA selector: Trivy's defaults for what is not given.
	edge := checkByID(t, checks, "ACME-DF-004")
	if edge.AVDID != "" || edge.Severity != "CRITICAL" || edge.Description != "" {
		t.Errorf("ACME-DF-004 metadata: %+v", edge)
	}
}

func TestRegoChecksThroughRun(t *testing.T) {
	checks := loadTestRegoChecks(t, "checks", "user")
	res := Run(parseTestDockerfile(t, "Dockerfile.bad"), checks)
	if res.MisconfSummary == nil || res.MisconfSummary.Failures != 4 || res.MisconfSummary.Successes != 0 {
		t.Fatalf("summary %+v, want 4 failures", res.MisconfSummary)
	}
	for _, m := range res.Misconfigurations {
		if m.ID == "ACME-DF-001" && (m.CauseMetadata.StartLine != 3 || m.CauseMetadata.EndLine != 4 || len(m.CauseMetadata.Code.Lines) != 2) {
			t.Errorf("ACME-DF-001 finding: %+v", m.CauseMetadata)
		}
	}
}

func TestRegoNamespaces(t *testing.T) {
	ids := func(checks []Check) []string {
		var out []string
		for _, c := range checks {
			out = append(out, c.Namespace)
		}
		slices.Sort(out)
		return out
	}
	// Trivy's default: only builtin.* runs; user checks need the flag.
	if got := ids(loadTestRegoChecks(t, "checks")); len(got) != 0 {
		t.Errorf("no namespaces: %v, want none", got)
	}
	if got, want := ids(loadTestRegoChecks(t, "checks", "ops")), []string{"ops.dockerfile.workdir"}; !slices.Equal(got, want) {
		t.Errorf("ops: %v, want %v", got, want)
	}
	got := ids(loadTestRegoChecks(t, "checks", "user", "ops"))
	if len(got) != 5 || !slices.Contains(got, "ops.dockerfile.workdir") {
		t.Errorf("user+ops: %v", got)
	}
	// A prefix of a namespace is not the namespace.
	if got := ids(loadTestRegoChecks(t, "checks", "us")); len(got) != 0 {
		t.Errorf("us: %v, want none", got)
	}
	workdir := loadTestRegoChecks(t, "checks", "ops")[0]
	if fs := workdir.Dockerfile(parseTestDockerfile(t, "Dockerfile.bad")); !slices.Equal(fs, []Failure{{Message: "no WORKDIR in the Dockerfile"}}) {
		t.Errorf("workdir check: %+v", fs)
	}
}

func TestRegoLoadErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	undefinedRef := write("undefined.rego", "package user.x\n\nimport rego.v1\n\ndeny contains msg if {\n\tmsg := data.lib.docker.nope(input)\n}\n")
	typeErr := write("typeerr.rego", "# METADATA\n# schemas:\n#   - input: schema[\"dockerfile\"]\npackage user.y\n\nimport rego.v1\n\ndeny contains \"x\" if input.Stages[_].Commandz\n")
	libDir := filepath.Join(dir, "lib")
	if err := os.Mkdir(libDir, 0o755); err != nil {
		t.Fatal(err)
	}
	brokenLib := filepath.Join(libDir, "mine.rego")
	if err := os.WriteFile(brokenLib, []byte("package lib.mine\n\nimport rego.v1\n\nfirst(x) := upper(x, 1)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(libDir, "check.rego"), []byte("package user.z\n\nimport rego.v1\n\nimport data.lib.mine\n\ndeny contains mine.first(\"x\") if true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		dirs []string
		want string
	}{
		// A library outside the selected namespaces still must compile:
		// its own error is the one reported, not its importer's.
		{"broken library", []string{libDir}, "custom check " + brokenLib + ":5:"},
		{"syntax error", []string{filepath.Join(regoTestdata, "bad")},
			"custom check ../../testdata/misconf/rego/bad/broken.rego:12:1: rego_parse_error: unexpected } token"},
		{"missing dir", []string{filepath.Join(regoTestdata, "nope")},
			"custom checks: ../../testdata/misconf/rego/nope: no such file or directory"},
		{"no rego files", []string{filepath.Join(regoTestdata, "dockerfiles")},
			"custom checks: no .rego files in ../../testdata/misconf/rego/dockerfiles"},
		{"undefined function", []string{undefinedRef}, "custom check " + undefinedRef + ":6:"},
		{"schema type error", []string{typeErr}, "custom check " + typeErr + ":8:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadRegoChecks(tt.dirs, []string{"user"})
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, tt.want) || strings.Contains(msg, "\n") {
				t.Errorf("error %q, want one line starting %q", msg, tt.want)
			}
		})
	}
}

func TestRegoPlainV1Syntax(t *testing.T) {
	// No `import rego.v1`: Trivy reads v0 and fails; a check written
	// for OPA 1.x loads here too.
	p := filepath.Join(t.TempDir(), "v1.rego")
	src := "package user.v1check\n\ndeny contains msg if {\n\tsome instr in input.Stages[_].Commands\n\tinstr.Cmd == \"maintainer\"\n\tmsg := \"maintainer\"\n}\n"
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	checks, err := LoadRegoChecks([]string{p}, []string{"user"})
	if err != nil || len(checks) != 1 {
		t.Fatalf("checks %d, err %v", len(checks), err)
	}
	if c := checks[0]; c.ID != "N/A" || c.Title != "N/A" || c.Severity != "UNKNOWN" || c.Description != "Rego module: data.user.v1check" {
		t.Errorf("defaults: %+v", c)
	}
	if fs := checks[0].Dockerfile(parseTestDockerfile(t, "Dockerfile.bad")); len(fs) != 1 || fs[0].Message != "maintainer" {
		t.Errorf("failures %+v", fs)
	}
}

func TestRegoEvalError(t *testing.T) {
	checks := loadTestRegoChecks(t, "evalerr", "user")
	if len(checks) != 1 {
		t.Fatalf("%d checks", len(checks))
	}
	fs := checks[0].Dockerfile(parseTestDockerfile(t, "Dockerfile.bad"))
	if len(fs) != 1 || !strings.Contains(fs[0].Error, "eval_conflict_error") ||
		!strings.HasPrefix(fs[0].Error, "custom check data.user.dockerfile.conflict.deny: ") || strings.Contains(fs[0].Error, "\n") {
		t.Fatalf("failures %+v, want one evaluation error", fs)
	}
	// One instruction: one value, no conflict, a plain finding.
	one := &Dockerfile{Stages: []Stage{{Name: "scratch", Commands: []Command{{Cmd: "from", Value: []string{"scratch"}, StartLine: 1, EndLine: 1}}}}}
	if fs := checks[0].Dockerfile(one); !slices.Equal(fs, []Failure{{Message: "from"}}) {
		t.Errorf("single instruction: %+v", fs)
	}
}

func TestRegoNoDirsNoChecks(t *testing.T) {
	checks, err := LoadRegoChecks(nil, []string{"user"})
	if err != nil || checks != nil {
		t.Fatalf("checks %v, err %v", checks, err)
	}
}

func TestRegoFailureShapes(t *testing.T) {
	tests := []struct {
		in   any
		want Failure
	}{
		{" trailing space\n", Failure{Message: "trailing space"}},
		{map[string]any{"msg": "m", "startline": "7", "endline": float64(9)}, Failure{Message: "m", StartLine: 7, EndLine: 9}},
		{[]any{"msg first", map[string]any{"startline": 3, "endline": 3}}, Failure{Message: "msg first", StartLine: 3, EndLine: 3}},
		{map[string]any{"msg": "negative", "startline": -4, "endline": 2}, Failure{Message: "negative"}},
		{true, Failure{Message: "Rego check resulted in DENY"}},
	}
	for _, tt := range tests {
		if got := regoFailure(tt.in); got != tt.want {
			t.Errorf("regoFailure(%#v) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestShParseCommands(t *testing.T) {
	tests := []struct {
		in   string
		want [][]string
	}{
		{"apt-get update && apt-get install -y curl", [][]string{{"apt-get", "update"}, {"apt-get", "install", "-y", "curl"}}},
		{`echo "a;b" ; apk add git || true`, [][]string{{"echo", `"a;b"`}, {"apk", "add", "git"}, {"true"}}},
		{"curl -fsSL $URL | sh -s -- --yes", [][]string{{"curl", "-fsSL", "$URL"}, {"sh", "-s", "--", "--yes"}}},
		{"", nil},
	}
	for _, tt := range tests {
		got, err := shParseCommands(tt.in)
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if !slices.EqualFunc(got, tt.want, slices.Equal[[]string]) {
			t.Errorf("%q: %q, want %q", tt.in, got, tt.want)
		}
	}
	if _, err := shParseCommands("echo 'unterminated"); err == nil {
		t.Error("unterminated quote: no error")
	}
}

// The embedded libraries behave as the helpers Trivy's checks call.
func TestRegoLibraries(t *testing.T) {
	p := filepath.Join(t.TempDir(), "lib.rego")
	src := `package user.libcheck

import rego.v1

import data.lib.docker
import data.lib.path

deny contains msg if {
	msg := sprintf("from=%d run=%d copy=%d user=%d workdir=%d expose=%d stages=%d", [
		count(docker.from), count(docker.run), count(docker.copy), count(docker.user),
		count(docker.workdir), count(docker.expose), count(docker.stage_user),
	])
}

deny contains "stage_user lists USER per stage" if {
	some stage, users in docker.stage_user
	count(users) == 1
	users[0].Value[0] == "app"
}

deny contains sprintf("apt install at %v", [docker.command_indexes(cmds, ["install"], ["apt-get"])]) if {
	some instr in docker.run
	cmds := docker.split_cmd(concat(" ", instr.Value))
	docker.command_indexes(cmds, ["install"], ["apt-get"])
}

deny contains "path helpers" if {
	path.is_sub_path("\"./usr/local/bin/\"", "/usr/local")
	path.clean_path("./app/") == "app"
	not path.is_sub_path("/etc", "/usr")
}
`
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	checks, err := LoadRegoChecks([]string{p}, []string{"user"})
	if err != nil || len(checks) != 1 {
		t.Fatalf("checks %d, err %v", len(checks), err)
	}
	var got []string
	for _, f := range checks[0].Dockerfile(parseTestDockerfile(t, "Dockerfile.bad")) {
		got = append(got, f.Message)
	}
	slices.Sort(got)
	want := []string{
		"apt install at [1]",
		"from=1 run=2 copy=0 user=1 workdir=0 expose=0 stages=1",
		"path helpers",
		"stage_user lists USER per stage",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestRegoDigest(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("check.rego", "package user.c\n\nimport rego.v1\n\nimport data.user.lib.words\n\ndeny contains words.word if count(input.Stages) > 0\n")
	write("lib.rego", "package user.lib.words\n\nword := \"one\"\n")
	digest := func() string {
		checks, err := LoadRegoChecks([]string{dir}, []string{"user"})
		if err != nil || len(checks) != 1 {
			t.Fatalf("checks %d, err %v", len(checks), err)
		}
		return checks[0].Digest
	}
	first := digest()
	if first == "" || digest() != first {
		t.Fatalf("digest %q not stable", first)
	}
	// Only the imported library changes: the check's digest does too.
	write("lib.rego", "package user.lib.words\n\nword := \"two\"\n")
	if digest() == first {
		t.Error("digest unchanged after the library changed")
	}
}

func TestRegoCustomSchema(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("narrow.json", `{"type": "object", "properties": {"Stages": {"type": "array"}}}`)
	write("check.rego", "# METADATA\n# schemas:\n#   - input: schema[\"narrow\"]\npackage user.s\n\nimport rego.v1\n\ndeny contains \"x\" if input.Stagez\n")
	_, err := LoadRegoChecks([]string{dir}, []string{"user"})
	if err == nil || !strings.Contains(err.Error(), "check.rego:8:") || !strings.Contains(err.Error(), "rego_type_error") {
		t.Fatalf("err %v, want a type error from the custom schema", err)
	}
	write("check.rego", "# METADATA\n# schemas:\n#   - input: schema[\"narrow\"]\npackage user.s\n\nimport rego.v1\n\ndeny contains \"x\" if count(input.Stages) > 0\n")
	if checks, err := LoadRegoChecks([]string{dir}, []string{"user"}); err != nil || len(checks) != 1 {
		t.Fatalf("checks %d, err %v", len(checks), err)
	}
}

// Checks share one input cache: scans of different files at the same
// time must each see their own file.
func TestRegoConcurrentFiles(t *testing.T) {
	c := checkByID(t, loadTestRegoChecks(t, "checks", "user"), "ACME-DF-001")
	bad, clean := parseTestDockerfile(t, "Dockerfile.bad"), parseTestDockerfile(t, "Dockerfile.clean")
	errs := make(chan string, 64)
	done := make(chan struct{})
	for g := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 25 {
				df, want := bad, 1
				if g%2 == 1 {
					df, want = clean, 0
				}
				if got := len(c.Dockerfile(df)); got != want {
					errs <- fmt.Sprintf("%s: %d failures, want %d", df.Path, got, want)
					return
				}
			}
		}()
	}
	for range 4 {
		<-done
	}
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// A team's own copy of data.lib.docker (vendored to run `opa test`) is
// used instead of ours, without a conflict.
func TestRegoVendoredLibrary(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("docker.rego", "# METADATA\n# custom:\n#   library: true\npackage lib.docker\n\nimport rego.v1\n\nrun contains instr if {\n\tinstr := input.Stages[_].Commands[_]\n\tinstr.Cmd == \"run\"\n\tinstr.StartLine > 4\n}\n")
	write("check.rego", "package user.runs\n\nimport rego.v1\n\nimport data.lib.docker\n\ndeny contains result.new(\"run\", instr) if some instr in docker.run\n")
	checks, err := LoadRegoChecks([]string{dir}, []string{"user"})
	if err != nil || len(checks) != 1 {
		t.Fatalf("checks %d, err %v", len(checks), err)
	}
	// The vendored rule only sees RUNs from line 5: ours would see both.
	if fs := checks[0].Dockerfile(parseTestDockerfile(t, "Dockerfile.bad")); !slices.Equal(fs, []Failure{{Message: "run", StartLine: 5, EndLine: 5}}) {
		t.Errorf("failures %+v", fs)
	}
}
