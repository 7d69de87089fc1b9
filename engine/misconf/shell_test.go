package misconf

import (
	"reflect"
	"strings"
	"testing"
)

// argvs is the argv of each command.
func argvs(cmds []shellCmd) [][]string {
	out := [][]string{}
	for _, c := range cmds {
		out = append(out, c.Args)
	}
	return out
}

func TestSplitShell(t *testing.T) {
	for _, tc := range []struct {
		name, script string
		want         [][]string
	}{
		{"and chain", "apt-get update && apt-get install -y curl",
			[][]string{{"apt-get", "update"}, {"apt-get", "install", "-y", "curl"}}},
		{"semicolon without spaces", "apt update;apt install curl",
			[][]string{{"apt", "update"}, {"apt", "install", "curl"}}},
		{"or and pipe", "make || true | cat",
			[][]string{{"make"}, {"true"}, {"cat"}}},
		{"word inside a string is not a command", `echo "sudo rm -rf / && cd /x" 'curl | sh'`,
			[][]string{{"echo", "sudo rm -rf / && cd /x", "curl | sh"}}},
		{"quotes joined into one word", `echo a"b c"'d'\ e`,
			[][]string{{"echo", "ab cd e"}}},
		{"escapes inside double quotes", `printf "\$HOME \"q\" \n"`,
			[][]string{{"printf", `$HOME "q" \n`}}},
		{"expansions keep their text", `echo $HOME ${X:-y} "$(id -u)"`,
			[][]string{{"echo", "$HOME", "${X:-y}", "$(id -u)"}, {"id", "-u"}}},
		{"continuation", "apt-get install \\\n  -y \\\n  curl",
			[][]string{{"apt-get", "install", "-y", "curl"}}},
		{"if and loop bodies", `if [ -f x ]; then yum install -y a; else for p in a b; do echo $p; done; fi`,
			[][]string{{"[", "-f", "x", "]"}, {"yum", "install", "-y", "a"}, {"echo", "$p"}}},
		{"sh -c script read", `sh -c 'cd /x && make install'`,
			[][]string{{"sh", "-c", "cd /x && make install"}, {"cd", "/x"}, {"make", "install"}}},
		{"bash -ec with options", `bash -euo pipefail -c "curl -s x | sh"`,
			[][]string{{"bash", "-euo", "pipefail", "-c", "curl -s x | sh"}, {"curl", "-s", "x"}, {"sh"}}},
		{"script file is not read", `sh -e ./install.sh`,
			[][]string{{"sh", "-e", "./install.sh"}}},
		{"heredoc into a shell", "bash <<'EOS'\napt-get install -y x\nEOS\necho done",
			[][]string{{"bash"}, {"apt-get", "install", "-y", "x"}, {"echo", "done"}}},
		{"heredoc into another program is data", "cat > /etc/x <<EOS\nsudo rm -rf /\nEOS",
			[][]string{{"cat"}}},
		{"lone heredoc is the script", "<<EOS\nset -e\nif true; then\n  make\nfi\nEOS",
			[][]string{{"set", "-e"}, {"true"}, {"make"}}},
		{"declaration", `export PATH=/x:$PATH A=$(pwd)`,
			[][]string{{"export", "PATH=/x:$PATH", "A=$(pwd)"}, {"pwd"}}},
		{"comment", "echo a # && sudo b",
			[][]string{{"echo", "a"}}},
		{"invalid shell falls back to the tokenizer", `echo "unterminated && sudo x`,
			[][]string{{"echo", "unterminated && sudo x"}}},
		{"tokenizer splits operators", `a 'b c' && d | e; f ) (`,
			[][]string{{"a", "b c"}, {"d"}, {"e"}, {"f"}}},
		{"tokenizer keeps redirections", `make 2>&1 | tee log )`,
			[][]string{{"make", "2>&1"}, {"tee", "log"}}},
		{"empty", "", [][]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := argvs(splitShell(tc.script)); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("splitShell(%q)\n got %q\nwant %q", tc.script, got, tc.want)
			}
		})
	}
}

func TestSplitShellContext(t *testing.T) {
	cmds := splitShell(`X=1 sudo -u app make && (cd /x; ls) | grep y; sleep 1 & bash <(curl -s u); echo "$(wget -O- v)"`)
	type view struct {
		Args    string
		Assigns string
		Nested  bool
		Pipe    int
		In      int
	}
	var got []view
	for _, c := range cmds {
		got = append(got, view{strings.Join(c.Args, " "), strings.Join(c.Assigns, " "), c.Nested, c.Pipe, c.In})
	}
	want := []view{
		{"sudo -u app make", "X=1", false, 0, 0},
		{"cd /x", "", true, 1, 0},
		{"ls", "", true, 1, 0},
		{"grep y", "", true, 1, 0},
		{"sleep 1", "", true, 0, 0},
		{"bash <(curl -s u)", "", false, 0, 0},
		{"curl -s u", "", true, 0, 6},
		{"echo $(wget -O- v)", "", false, 0, 0},
		{"wget -O- v", "", true, 0, 8},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%+v\nwant\n%+v", got, want)
	}
}

func TestRunCommandsForms(t *testing.T) {
	// JSON form: the argv as given; a shell's -c script is read.
	json := Command{Cmd: "run", JSON: true, Value: []string{"/bin/sh", "-c", "apk add x && cd /y"}}
	if got := argvs(runCommands(json)); !reflect.DeepEqual(got, [][]string{{"/bin/sh", "-c", "apk add x && cd /y"}, {"apk", "add", "x"}, {"cd", "/y"}}) {
		t.Errorf("JSON form: %q", got)
	}
	plain := Command{Cmd: "run", JSON: true, Value: []string{"echo", "a && b"}}
	if got := argvs(runCommands(plain)); !reflect.DeepEqual(got, [][]string{{"echo", "a && b"}}) {
		t.Errorf("JSON form without shell: %q", got)
	}
	// A heredoc RUN: the script as written, not the model's " ; " join,
	// which is not valid shell for multi-line constructs.
	heredoc := Command{
		Cmd:      "run",
		Original: "RUN --mount=type=cache,target=/root/.cache <<EOF\nif true; then\n  pip install x\nfi\nEOF",
		Value:    []string{"if true; then ; pip install x ; fi"},
	}
	if got := argvs(runCommands(heredoc)); !reflect.DeepEqual(got, [][]string{{"true"}, {"pip", "install", "x"}}) {
		t.Errorf("heredoc: %q", got)
	}
	// Parsed from a real file: lowercase instruction, continuation.
	df, err := ParseDockerfile("Dockerfile", []byte("from alpine:3.20\nrun apk add \\\n    --no-cache git \\\n && echo ok\n"))
	if err != nil {
		t.Fatal(err)
	}
	run := df.Stages[0].Commands[1]
	if got := argvs(runCommands(run)); !reflect.DeepEqual(got, [][]string{{"apk", "add", "--no-cache", "git"}, {"echo", "ok"}}) {
		t.Errorf("continuation: %q", got)
	}
}

func TestProgram(t *testing.T) {
	for _, tc := range []struct {
		args, prog, wrappers []string
	}{
		{[]string{"/usr/bin/apt-get", "install"}, []string{"apt-get", "install"}, nil},
		{[]string{"sudo", "-E", "-u", "app", "--group=g", "A=1", "pip", "install"}, []string{"pip", "install"}, []string{"sudo"}},
		{[]string{"sudo", "--user", "app", "ls"}, []string{"ls"}, []string{"sudo"}},
		{[]string{"env", "-i", "-u", "X", "A=b", "nice", "-n", "5", "nohup", "make"}, []string{"make"}, []string{"env", "nice", "nohup"}},
		{[]string{"timeout", "-s", "KILL", "30s", "curl", "u"}, []string{"curl", "u"}, []string{"timeout"}},
		{[]string{"gosu", "app", "id"}, []string{"id"}, []string{"gosu"}},
		{[]string{"command", "-v", "curl"}, nil, []string{"command"}},
		{[]string{"exec", "-a", "name", "sh"}, []string{"sh"}, []string{"exec"}},
		{[]string{"sudo"}, nil, []string{"sudo"}},
	} {
		prog, wrappers := unwrap(tc.args)
		if !reflect.DeepEqual(prog, tc.prog) || !reflect.DeepEqual(wrappers, tc.wrappers) {
			t.Errorf("unwrap(%q) = %q, %q; want %q, %q", tc.args, prog, wrappers, tc.prog, tc.wrappers)
		}
	}
}

func TestShellOptions(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		dashC   bool
		operand int
	}{
		{[]string{"-c", "x"}, true, 1},
		{[]string{"-ec", "x"}, true, 1},
		{[]string{"-o", "pipefail", "-c", "x"}, true, 3},
		{[]string{"-euxo", "pipefail", "-c", "x"}, true, 3},
		{[]string{"script.sh", "arg"}, false, 0},
		{[]string{"-s", "--", "--yes"}, false, -1},
		{[]string{"-"}, false, -1},
		{[]string{"--login"}, false, -1},
		{[]string{"-c", "--", "x"}, true, 2},
	} {
		dashC, operand := shellOptions(tc.args)
		if dashC != tc.dashC || operand != tc.operand {
			t.Errorf("shellOptions(%q) = %v, %d; want %v, %d", tc.args, dashC, operand, tc.dashC, tc.operand)
		}
	}
}

func TestSplitShellBounds(t *testing.T) {
	// Deep nesting goes to the tokenizer (no recursion to exhaust).
	deep := strings.Repeat("(", maxShellParse) + "sudo x" + strings.Repeat(")", maxShellParse)
	if got := splitShell(deep); len(got) != 1 || got[0].Args[0] != "sudo" || !got[0].Nested {
		t.Errorf("deep nesting: %+v", got)
	}
	// Deep nesting the parser accepts.
	nested := strings.Repeat("$(", 2000) + "sudo x" + strings.Repeat(")", 2000)
	_ = splitShell("echo " + nested)
	// The number of commands is capped.
	many := strings.Repeat("a;", maxShellCommands*2)
	if got := len(splitShell(many)); got != maxShellCommands {
		t.Errorf("%d commands, want the cap %d", got, maxShellCommands)
	}
	// sh -c nesting is bounded.
	script := "true"
	for range 10 {
		script = "sh -c " + shellQuote(script)
	}
	if got := len(splitShell(script)); got != maxShellDepth+1 {
		t.Errorf("sh -c nesting read %d commands, want %d", got, maxShellDepth+1)
	}
	// An oversized script is cut, not refused.
	huge := "echo " + strings.Repeat("x", maxShellSource+10)
	if got := splitShell(huge); len(got) != 1 || len(got[0].Args[1]) > maxShellSource {
		t.Errorf("huge script: %d commands", len(got))
	}
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// FuzzSplitShell: any script, as shell form or as a JSON argv, gives
// commands within the bounds and never panics.
func FuzzSplitShell(f *testing.F) {
	for _, s := range []string{
		"apt-get update && apt-get install -y curl",
		`sh -c "curl -s x | bash"`,
		"bash <<EOF\nsudo x\nEOF",
		"<<EOF\nif true; then cd /x; fi\nEOF",
		`echo "unterminated`,
		`a $(b <(c) "$(d)") | e &`,
		"f() { cd /x; }; f",
		`case $x in a) yum install y;; esac`,
		"X=$((1+2)) [[ -f a ]] && let y=1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, script string) {
		for _, run := range []Command{
			{Cmd: "run", Value: []string{script}},
			{Cmd: "run", JSON: true, Value: []string{"sh", "-c", script}},
			{Cmd: "run", Original: "RUN <<EOF\n" + script + "\nEOF", Value: []string{script}},
		} {
			cmds := runCommands(run)
			if len(cmds) > maxShellCommands {
				t.Fatalf("%d commands", len(cmds))
			}
			for _, c := range cmds {
				if c.In < 0 || c.In > len(cmds) {
					t.Fatalf("In %d of %d", c.In, len(cmds))
				}
				_ = program(c.Args)
			}
		}
	})
}

// FuzzRunChecks: any Dockerfile the parser accepts goes through every
// RUN check without a panic.
func FuzzRunChecks(f *testing.F) {
	f.Add("FROM alpine\nRUN apk add x && sudo cd /y | sh\n")
	f.Add("FROM a\nENV A_TOKEN=1\nCOPY x $AWS_CONFIG_FILE\nRUN <<EOF\npip install x\nEOF\n")
	f.Add("FROM a\nRUN [\"sh\", \"-c\", \"chmod 777 /x; curl u | bash\"]\n")
	f.Fuzz(func(t *testing.T, text string) {
		df, err := ParseDockerfile("Dockerfile", []byte(text))
		if err != nil {
			return
		}
		for _, c := range runChecks {
			for _, fl := range c.Dockerfile(df) {
				if fl.Message == "" {
					t.Fatalf("%s: empty message", c.ID)
				}
			}
		}
	})
}
