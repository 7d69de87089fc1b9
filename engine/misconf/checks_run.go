package misconf

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// runChecks are the checks of the commands RUN instructions execute:
// Trivy's (DS-00xx, same IDs and severities, so ignore files carry over)
// and docker-scan's own (DSX-00xx, for risks Trivy has no check for).
// Each reads the RUN's commands as the shell would run them (shell.go),
// so a word inside a quoted string is never taken for a command.
var runChecks = []Check{
	dockerfileCheck(Check{
		ID: "DS-0010", Severity: "CRITICAL",
		Title:       "RUN uses 'sudo'",
		Description: "A build already runs as the USER in effect; 'sudo' inside it hides which user a step really runs as, needs sudo installed and configured in the image, and behaves differently without a terminal.",
		Resolution:  "Drop 'sudo': switch users with USER around the steps that need root.",
		References:  []string{dockerfileRef + "#run"},
		Dockerfile:  checkSudo,
	}),
	dockerfileCheck(Check{
		ID: "DS-0013", Severity: "MEDIUM",
		Title:       "RUN uses 'cd' to change directory",
		Description: "A 'cd' in a RUN lasts only for that RUN, which makes the directory the next instructions run in hard to follow; WORKDIR states it once for all of them.",
		Resolution:  "Set the directory with WORKDIR instead of 'cd'.",
		References:  []string{dockerfileRef + "#workdir"},
		Dockerfile:  checkCd,
	}),
	dockerfileCheck(Check{
		ID: "DS-0014", Severity: "LOW",
		Title:       "Both 'wget' and 'curl' are used",
		Description: "'wget' and 'curl' do the same job; using both means two download tools (and their dependencies and vulnerabilities) where one would do.",
		Resolution:  "Choose one of 'wget' and 'curl' and use it everywhere.",
		References:  []string{dockerfileRef + "#run"},
		Dockerfile:  checkWgetAndCurl,
	}),
	dockerfileCheck(Check{
		ID: "DS-0015", Severity: "HIGH",
		Title:       "'yum install' without 'yum clean all'",
		Description: "yum keeps the metadata and packages it downloads; unless 'yum clean all' runs after the install in the same RUN, they stay in the layer for good.",
		Resolution:  "End the RUN that installs with 'yum clean all'.",
		References:  []string{dockerfileRef + "#run"},
		Dockerfile:  checkYumClean,
	}),
	dockerfileCheck(Check{
		ID: "DS-0017", Severity: "HIGH",
		Title:       "Package index update without an install in the same RUN",
		Description: "A RUN that only refreshes the package index ('apt-get update', 'apk update'...) leaves a layer that later RUNs reuse from the build cache, so they can install from a stale index or fail.",
		Resolution:  "Update the index and install the packages in one RUN: 'apt-get update && apt-get install ...'.",
		References:  []string{dockerfileRef + "#run"},
		Dockerfile:  checkUpdateAlone,
	}),
	dockerfileCheck(Check{
		ID: "DS-0019", Severity: "HIGH",
		Title:       "'dnf install' without 'dnf clean all'",
		Description: "dnf keeps its metadata and downloaded packages in the layer unless 'dnf clean all' runs after the install in the same RUN.",
		Resolution:  "End the RUN that installs with 'dnf clean all'.",
		References:  []string{dockerfileRef + "#run"},
		Dockerfile:  checkDnfClean,
	}),
	dockerfileCheck(Check{
		ID: "DS-0020", Severity: "HIGH",
		Title:       "zypper installs without 'zypper clean'",
		Description: "zypper keeps downloaded packages and metadata in its cache, which stays in the layer unless 'zypper clean' runs after it in the same RUN.",
		Resolution:  "End the RUN that installs with 'zypper clean'.",
		References:  []string{dockerfileRef + "#run"},
		Dockerfile:  checkZypperClean,
	}),
	dockerfileCheck(Check{
		ID: "DS-0021", Severity: "HIGH",
		Title:       "'apt-get install' without '-y'",
		Description: "A build has no one to answer apt-get's confirmation prompt: without '-y' (or '--yes', '--assume-yes', '-qq') the install stops and the build fails, or depends on how apt-get reacts to a missing terminal.",
		Resolution:  "Add '-y' to 'apt-get install'.",
		References:  []string{dockerfileRef + "#run"},
		Dockerfile:  checkAptGetYes,
	}),
	dockerfileCheck(Check{
		ID: "DS-0024", Severity: "HIGH", Deprecated: true,
		Title:       "'apt-get dist-upgrade' is used",
		Description: "'dist-upgrade' may install, upgrade and remove packages across the whole distribution, so what the image contains depends on the day it is built.",
		Resolution:  "Install the packages you need by name, or rebuild on a newer base image.",
		References:  []string{dockerfileRef + "#run"},
		Dockerfile:  checkDistUpgrade,
	}),
	dockerfileCheck(Check{
		ID: "DS-0025", Severity: "HIGH",
		Title:       "'apk add' without '--no-cache'",
		Description: "Without '--no-cache', apk saves the package index in the layer, where it only adds size.",
		Resolution:  "Use 'apk add --no-cache'.",
		References:  []string{dockerfileRef + "#run"},
		Dockerfile:  checkApkNoCache,
	}),
	dockerfileCheck(Check{
		ID: "DS-0027", Severity: "HIGH",
		Title:       "'microdnf install' without 'microdnf clean all'",
		Description: "microdnf keeps its metadata and downloaded packages in the layer unless 'microdnf clean all' runs after the install in the same RUN.",
		Resolution:  "End the RUN that installs with 'microdnf clean all'.",
		References:  []string{dockerfileRef + "#run"},
		Dockerfile:  checkMicrodnfClean,
	}),
	dockerfileCheck(Check{
		ID: "DS-0029", Severity: "HIGH",
		Title:       "'apt-get install' without '--no-install-recommends'",
		Description: "By default apt-get also installs the packages the requested ones only recommend, which grows the image and what can be vulnerable in it.",
		Resolution:  "Add '--no-install-recommends' to 'apt-get install' and name the extra packages you do need.",
		References:  []string{dockerfileRef + "#run"},
		Dockerfile:  checkAptGetNoRecommends,
	}),
	dockerfileCheck(Check{
		ID: "DS-0031", Severity: "CRITICAL",
		Title:       "Secret passed in ENV, ARG, COPY or RUN",
		Description: "ENV values are stored in the image config and ARG values in its history, for anyone who pulls the image to read; credentials written by a RUN stay in its layer. Secrets belong in build secrets, which leave no trace in the image.",
		Resolution:  "Pass secrets with 'RUN --mount=type=secret' (docker build --secret) and give them to containers at run time.",
		References:  []string{"https://docs.docker.com/build/building/secrets/"},
		Dockerfile:  checkSecrets,
	}),
	ownCheck(Check{
		ID: "DSX-0001", Severity: "HIGH",
		Title:       "Download piped into a shell",
		Description: "'curl ... | sh' runs whatever the server sends, unverified: a compromised or spoofed server, or a truncated download, runs its code in the build. (docker-scan's own check; Trivy has no equivalent.)",
		Resolution:  "Download the script to a file, verify its checksum or signature, then run it; or install the tool from a package.",
		References:  []string{dockerfileRef + "#run"},
		Dockerfile:  checkCurlPipeShell,
	}),
	ownCheck(Check{
		ID: "DSX-0002", Severity: "LOW",
		Title:       "'pip install' without '--no-cache-dir'",
		Description: "pip keeps every wheel it downloads in its cache, which stays in the layer and only adds size. (docker-scan's own check; Trivy has no equivalent.)",
		Resolution:  "Use 'pip install --no-cache-dir', set PIP_NO_CACHE_DIR=1, or mount a cache with 'RUN --mount=type=cache,target=/root/.cache/pip'.",
		References:  []string{"https://pip.pypa.io/en/stable/topics/caching/"},
		Dockerfile:  checkPipNoCache,
	}),
	ownCheck(Check{
		ID: "DSX-0003", Severity: "MEDIUM",
		Title:       "chmod makes files writable by everyone",
		Description: "'chmod 777' (or o+w, a+rwx) lets any user in the container change the files, programs included, so a compromise of any process can become a compromise of all. (docker-scan's own check; Trivy has no equivalent.)",
		Resolution:  "Give the files to the user that needs them (COPY --chown, chown) and keep modes such as 755 or 644.",
		References:  []string{dockerfileRef + "#copy---chown---chmod"},
		Dockerfile:  checkChmodWorldWritable,
	}),
}

// ownCheck fills the parts of a docker-scan check (DSX-): no AVD alias,
// since Trivy has no such check.
func ownCheck(c Check) Check {
	c.Type = TypeDockerfile
	return c
}

// maxMessageCommand is how much of a command a message quotes.
const maxMessageCommand = 200

// quoteCmd is a command for a message, cut to a readable length.
func quoteCmd(s string) string {
	if len(s) <= maxMessageCommand {
		return s
	}
	cut := maxMessageCommand
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// eachRun calls find on every RUN (in every stage, in order) with the
// commands it executes; a non-empty message is a failure at the RUN.
func eachRun(df *Dockerfile, find func(run Command, cmds []shellCmd) string) []Failure {
	var out []Failure
	for _, run := range commandsOf(df, "run") {
		if msg := find(run, runCommands(run)); msg != "" {
			out = append(out, failAt(run, msg))
		}
	}
	return out
}

// verb is a package manager's subcommand: the first argument after the
// program that is not an option, nor the value of one of the valued
// options; "" and -1 when there is none.
func verb(prog []string, valued map[string]bool) (string, int) {
	for i := 1; i < len(prog); i++ {
		a := prog[i]
		if a == "--" {
			if i+1 < len(prog) {
				return prog[i+1], i + 1
			}
			return "", -1
		}
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			if valued[a] {
				i++
			}
			continue
		}
		return a, i
	}
	return "", -1
}

// Options of package managers that take the next word as their value.
var (
	aptValued = setOf("-o", "-c", "-t", "--option", "--config-file", "--target-release", "--default-release")
	rpmValued = setOf("-c", "--config", "-d", "--debuglevel", "-e", "--errorlevel", "-x", "--exclude",
		"--releasever", "--installroot", "--setopt", "--enablerepo", "--disablerepo", "--repo",
		"--repoid", "--repofrompath", "--forcearch", "--color", "-R", "--randomwait")
	zypperValued = setOf("-c", "--config", "-R", "--root", "-D", "--reposd-path", "-C", "--cache-dir",
		"--raw-cache-dir", "--solv-cache-dir", "--pkg-cache-dir")
	apkValued = setOf("-X", "--repository", "-p", "--root", "--arch", "--cache-dir",
		"--repositories-file", "--keys-dir", "--cache-max-age", "--timeout")
	pipValued = setOf("--proxy", "--cert", "--client-cert", "--log", "--cache-dir", "--timeout",
		"--retries", "--exists-action", "--trusted-host", "--python", "--use-feature", "--use-deprecated")
)

func setOf(items ...string) map[string]bool {
	m := make(map[string]bool, len(items))
	for _, it := range items {
		m[it] = true
	}
	return m
}

// hasArg says whether any argument after the program is one of want.
func hasArg(prog []string, want ...string) bool {
	for _, a := range prog[1:] {
		if slices.Contains(want, a) {
			return true
		}
	}
	return false
}

// mounts are a RUN's --mount flags, each as its key=value fields.
func mounts(run Command) []map[string]string {
	var out []map[string]string
	for _, f := range run.Flags {
		spec, ok := strings.CutPrefix(f, "--mount=")
		if !ok {
			continue
		}
		m := map[string]string{"type": "bind"}
		for _, field := range strings.Split(spec, ",") {
			k, v, _ := strings.Cut(field, "=")
			k = strings.ToLower(strings.TrimSpace(k))
			switch k {
			case "dst", "destination":
				k = "target"
			}
			m[k] = strings.Trim(strings.TrimSpace(v), `"'`)
		}
		out = append(out, m)
	}
	return out
}

// cacheMounted says whether the RUN mounts a build cache on one of the
// directories (or a directory above one), so what a tool caches there
// never reaches the layer.
func cacheMounted(run Command, dirs ...string) bool {
	for _, m := range mounts(run) {
		if m["type"] != "cache" || m["target"] == "" {
			continue
		}
		target := path.Clean(m["target"])
		for _, d := range dirs {
			if target == d || strings.HasPrefix(d, strings.TrimSuffix(target, "/")+"/") {
				return true
			}
		}
	}
	return false
}

// DS-0010.
func checkSudo(df *Dockerfile) []Failure {
	return eachRun(df, func(_ Command, cmds []shellCmd) string {
		for _, c := range cmds {
			if _, wrappers := unwrap(c.Args); slices.Contains(wrappers, "sudo") {
				return fmt.Sprintf("RUN uses 'sudo': '%s'", quoteCmd(c.String()))
			}
		}
		return ""
	})
}

// DS-0013: a cd that changes the directory of the RUN's shell (one in a
// subshell, a pipeline or $(...) does not, and is left alone).
func checkCd(df *Dockerfile) []Failure {
	return eachRun(df, func(_ Command, cmds []shellCmd) string {
		for _, c := range cmds {
			if prog := program(c.Args); !c.Nested && len(prog) > 0 && prog[0] == "cd" {
				return fmt.Sprintf("RUN changes directory with '%s': use WORKDIR instead", quoteCmd(strings.Join(prog, " ")))
			}
		}
		return ""
	})
}

// runsProgram says whether one of the commands runs the program.
func runsProgram(cmds []shellCmd, name string) bool {
	for _, c := range cmds {
		if prog := program(c.Args); len(prog) > 0 && prog[0] == name {
			return true
		}
	}
	return false
}

// DS-0014: across the whole file, as Trivy; a failure at each RUN that
// runs wget once curl is used anywhere.
func checkWgetAndCurl(df *Dockerfile) []Failure {
	var wgets []Command
	curlLine := 0
	for _, run := range commandsOf(df, "run") {
		cmds := runCommands(run)
		if runsProgram(cmds, "wget") {
			wgets = append(wgets, run)
		}
		if curlLine == 0 && runsProgram(cmds, "curl") {
			curlLine = run.StartLine
		}
	}
	if curlLine == 0 {
		return nil
	}
	var out []Failure
	for _, run := range wgets {
		out = append(out, failAt(run, fmt.Sprintf("RUN uses 'wget' and line %d uses 'curl': use one of them", curlLine)))
	}
	return out
}

// cleanRule is a package manager whose installs leave a cache that a
// clean command in the same RUN must remove.
type cleanRule struct {
	programs []string
	valued   map[string]bool
	installs []string
	// clean says whether a command (program and verb found) cleans.
	clean func(prog []string, verb string, at int) bool
	// cacheDirs are the cache directories; a cache mount on one makes
	// the clean unnecessary.
	cacheDirs []string
	missing   string
}

// cleanAll is "<verb> clean ... all".
func cleanAll(prog []string, verb string, at int) bool {
	return verb == "clean" && slices.Contains(prog[at+1:], "all")
}

var (
	yumRule = cleanRule{
		programs: []string{"yum"}, valued: rpmValued,
		installs:  []string{"install", "groupinstall", "localinstall", "reinstall"},
		clean:     cleanAll,
		cacheDirs: []string{"/var/cache/yum"},
		missing:   "yum clean all",
	}
	dnfRule = cleanRule{
		programs: []string{"dnf", "dnf5"}, valued: rpmValued,
		installs:  []string{"install", "in", "reinstall", "rei", "install-n", "install-na", "install-nevra"},
		clean:     cleanAll,
		cacheDirs: []string{"/var/cache/dnf", "/var/cache/libdnf5"},
		missing:   "dnf clean all",
	}
	microdnfRule = cleanRule{
		programs: []string{"microdnf"}, valued: rpmValued,
		installs:  []string{"install", "reinstall"},
		clean:     cleanAll,
		cacheDirs: []string{"/var/cache/yum", "/var/cache/dnf", "/var/cache/libdnf5"},
		missing:   "microdnf clean all",
	}
	zypperRule = cleanRule{
		programs: []string{"zypper"}, valued: zypperValued,
		installs: []string{"install", "in", "remove", "rm", "source-install", "si", "patch"},
		clean: func(_ []string, verb string, _ int) bool {
			return verb == "clean" || verb == "cc"
		},
		cacheDirs: []string{"/var/cache/zypp"},
		missing:   "zypper clean",
	}
)

// DS-0015, DS-0019, DS-0020, DS-0027: the last install of the RUN must
// be followed by a clean.
func (r cleanRule) check(df *Dockerfile) []Failure {
	return eachRun(df, func(run Command, cmds []shellCmd) string {
		lastInstall, lastClean := -1, -1
		var install []string
		for i, c := range cmds {
			prog := program(c.Args)
			if len(prog) == 0 || !slices.Contains(r.programs, prog[0]) {
				continue
			}
			v, at := verb(prog, r.valued)
			switch {
			case slices.Contains(r.installs, v):
				lastInstall, install = i, prog
			case at > 0 && r.clean(prog, v, at):
				lastClean = i
			}
		}
		if lastInstall < 0 || lastClean > lastInstall || cacheMounted(run, r.cacheDirs...) {
			return ""
		}
		return fmt.Sprintf("'%s' is missing after '%s'", r.missing, quoteCmd(strings.Join(install, " ")))
	})
}

func checkYumClean(df *Dockerfile) []Failure      { return yumRule.check(df) }
func checkDnfClean(df *Dockerfile) []Failure      { return dnfRule.check(df) }
func checkZypperClean(df *Dockerfile) []Failure   { return zypperRule.check(df) }
func checkMicrodnfClean(df *Dockerfile) []Failure { return microdnfRule.check(df) }

// Package managers whose index update must be followed by an install in
// the same RUN (DS-0017), by the family that shares an index.
var (
	updateFamilies = map[string]string{
		"apt-get": "apt", "apt": "apt", "yum": "yum", "apk": "apk",
		"dnf": "dnf", "dnf5": "dnf", "zypper": "zypper",
	}
	updateVerbs  = []string{"update", "up", "refresh", "ref"}
	installVerbs = []string{"install", "in", "add", "upgrade", "reinstall", "source-install",
		"groupinstall", "localinstall", "dist-upgrade", "full-upgrade", "dup"}
)

func familyValued(family string) map[string]bool {
	switch family {
	case "apt":
		return aptValued
	case "apk":
		return apkValued
	case "zypper":
		return zypperValued
	}
	return rpmValued
}

// DS-0017.
func checkUpdateAlone(df *Dockerfile) []Failure {
	return eachRun(df, func(_ Command, cmds []shellCmd) string {
		type state struct {
			lastUpdate, lastInstall int
			update                  []string
		}
		families := map[string]*state{}
		var order []string
		for i, c := range cmds {
			prog := program(c.Args)
			if len(prog) == 0 {
				continue
			}
			family, ok := updateFamilies[prog[0]]
			if !ok {
				continue
			}
			st := families[family]
			if st == nil {
				st = &state{lastUpdate: -1, lastInstall: -1}
				families[family] = st
				order = append(order, family)
			}
			v, _ := verb(prog, familyValued(family))
			switch {
			case slices.Contains(updateVerbs, v):
				st.lastUpdate, st.update = i, prog
			case slices.Contains(installVerbs, v):
				st.lastInstall = i
			}
		}
		for _, family := range order {
			st := families[family]
			if st.lastUpdate >= 0 && st.lastInstall < st.lastUpdate {
				return fmt.Sprintf("'%s' is not followed by an install in the same RUN", quoteCmd(strings.Join(st.update, " ")))
			}
		}
		return ""
	})
}

// aptGetInstalls are the `apt-get install` commands of a RUN, each with
// its index in cmds.
func aptGetInstalls(cmds []shellCmd) (out [][]string, at []int) {
	for i, c := range cmds {
		prog := program(c.Args)
		if len(prog) == 0 || prog[0] != "apt-get" {
			continue
		}
		if v, _ := verb(prog, aptValued); v == "install" {
			out, at = append(out, prog), append(at, i)
		}
	}
	return out, at
}

// aptOption is the value of an apt configuration option given with -o
// (either "-o Name=value" or "-oName=value"), compared case-insensitively.
func aptOption(prog []string, name string) (string, bool) {
	for i := 1; i < len(prog); i++ {
		a := prog[i]
		var kv string
		switch {
		case (a == "-o" || a == "--option") && i+1 < len(prog):
			kv = prog[i+1]
		case strings.HasPrefix(a, "-o") && len(a) > 2 && !strings.HasPrefix(a, "--"):
			kv = a[2:]
		case strings.HasPrefix(a, "--option="):
			kv = strings.TrimPrefix(a, "--option=")
		default:
			continue
		}
		if k, v, ok := strings.Cut(kv, "="); ok && strings.EqualFold(k, name) {
			return strings.ToLower(v), true
		}
	}
	return "", false
}

func truthy(v string) bool {
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// assumesYes says whether apt-get's arguments answer its prompts: -y,
// --yes, --assume-yes, a cluster of short options with y (-qy), -qq
// (quiet level 2 implies -y), or -o APT::Get::Assume-Yes=true.
func assumesYes(prog []string) bool {
	for _, a := range prog[1:] {
		switch a {
		case "-y", "--yes", "--assume-yes", "-qq", "-q=2", "--quiet=2":
			return true
		}
		if strings.HasPrefix(a, "--yes=") || strings.HasPrefix(a, "--assume-yes=") {
			_, v, _ := strings.Cut(a, "=")
			if truthy(v) {
				return true
			}
		}
		if isShortCluster(a) && (strings.Contains(a, "y") || strings.Count(a, "q") >= 2) {
			return true
		}
	}
	v, ok := aptOption(prog, "APT::Get::Assume-Yes")
	return ok && truthy(v)
}

// isShortCluster says whether a is a group of short options (-fmy).
func isShortCluster(a string) bool {
	if len(a) < 2 || a[0] != '-' || a[1] == '-' {
		return false
	}
	for _, r := range a[1:] {
		if !(r >= 'a' && r <= 'z') && !(r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// pipedFromYes says whether the command reads from `yes` in a pipeline
// (`yes | apt-get install x`).
func pipedFromYes(cmds []shellCmd, at int) bool {
	c := cmds[at]
	if c.Pipe == 0 {
		return false
	}
	for i := at - 1; i >= 0 && cmds[i].Pipe == c.Pipe; i-- {
		if p := program(cmds[i].Args); len(p) > 0 && p[0] == "yes" {
			return true
		}
	}
	return false
}

// DS-0021.
func checkAptGetYes(df *Dockerfile) []Failure {
	return eachRun(df, func(_ Command, cmds []shellCmd) string {
		installs, at := aptGetInstalls(cmds)
		for i, prog := range installs {
			if !assumesYes(prog) && !pipedFromYes(cmds, at[i]) {
				return fmt.Sprintf("'-y' is missing from '%s'", quoteCmd(strings.Join(prog, " ")))
			}
		}
		return ""
	})
}

// DS-0029.
func checkAptGetNoRecommends(df *Dockerfile) []Failure {
	return eachRun(df, func(_ Command, cmds []shellCmd) string {
		installs, _ := aptGetInstalls(cmds)
		for _, prog := range installs {
			if hasArg(prog, "--no-install-recommends") {
				continue
			}
			if v, ok := aptOption(prog, "APT::Install-Recommends"); ok && !truthy(v) {
				continue
			}
			return fmt.Sprintf("'--no-install-recommends' is missing from '%s'", quoteCmd(strings.Join(prog, " ")))
		}
		return ""
	})
}

// DS-0024.
func checkDistUpgrade(df *Dockerfile) []Failure {
	return eachRun(df, func(_ Command, cmds []shellCmd) string {
		for _, c := range cmds {
			prog := program(c.Args)
			if len(prog) == 0 || (prog[0] != "apt-get" && prog[0] != "apt") {
				continue
			}
			if v, _ := verb(prog, aptValued); v == "dist-upgrade" || v == "full-upgrade" {
				return fmt.Sprintf("RUN upgrades the whole distribution: '%s'", quoteCmd(strings.Join(prog, " ")))
			}
		}
		return ""
	})
}

// DS-0025.
func checkApkNoCache(df *Dockerfile) []Failure {
	return eachRun(df, func(run Command, cmds []shellCmd) string {
		if cacheMounted(run, "/var/cache/apk", "/etc/apk/cache") {
			return ""
		}
		for _, c := range cmds {
			prog := program(c.Args)
			if len(prog) == 0 || prog[0] != "apk" {
				continue
			}
			if v, _ := verb(prog, apkValued); v == "add" && !hasArg(prog, "--no-cache") {
				return fmt.Sprintf("'--no-cache' is missing from '%s'", quoteCmd(strings.Join(prog, " ")))
			}
		}
		return ""
	})
}

// pipInstall says whether prog is a pip install (pip, pip3, pip3.12,
// python -m pip), returning the arguments from pip's own on.
func pipInstall(prog []string) ([]string, bool) {
	if len(prog) == 0 {
		return nil, false
	}
	args := prog
	switch {
	case pipName.MatchString(prog[0]):
	case pythonName.MatchString(prog[0]):
		i := slices.Index(prog, "-m")
		if i < 0 || i+1 >= len(prog) || prog[i+1] != "pip" {
			return nil, false
		}
		args = prog[i+1:]
	default:
		return nil, false
	}
	v, _ := verb(args, pipValued)
	return args, v == "install"
}

var (
	pipName    = regexp.MustCompile(`^pip[0-9.]*$`)
	pythonName = regexp.MustCompile(`^python[0-9.]*$`)
)

// pipCacheDirs are where pip keeps its cache for root and usual users.
var pipCacheDirs = []string{"/root/.cache/pip", "/home/app/.cache/pip", "/tmp/.cache/pip"}

// DSX-0002: per stage, since an ENV PIP_NO_CACHE_DIR earlier in the
// stage turns the cache off for its RUNs.
func checkPipNoCache(df *Dockerfile) []Failure {
	var out []Failure
	for _, st := range df.Stages {
		noCacheEnv := false
		for _, cmd := range st.Commands {
			switch cmd.Cmd {
			case "env":
				for _, kv := range envPairs(cmd) {
					if kv[0] == "PIP_NO_CACHE_DIR" {
						noCacheEnv = pipNoCacheValue(kv[1])
					}
				}
			case "run":
				if noCacheEnv || pipCacheMounted(cmd) {
					continue
				}
				if msg := pipWithCache(runCommands(cmd)); msg != "" {
					out = append(out, failAt(cmd, msg))
				}
			}
		}
	}
	return out
}

// pipNoCacheValue says whether a PIP_NO_CACHE_DIR value turns the cache
// off (pip reads any true value, and historically any value but "0").
func pipNoCacheValue(v string) bool {
	switch strings.ToLower(unquote(v)) {
	case "", "0", "false", "no", "off":
		return false
	}
	return true
}

func pipCacheMounted(run Command) bool {
	if cacheMounted(run, pipCacheDirs...) {
		return true
	}
	for _, m := range mounts(run) {
		if m["type"] == "cache" && strings.Contains(m["target"], "pip") {
			return true
		}
	}
	return false
}

func pipWithCache(cmds []shellCmd) string {
	exported := false
	for _, c := range cmds {
		if len(c.Args) > 0 && c.Args[0] == "export" {
			for _, a := range c.Args[1:] {
				if k, v, ok := strings.Cut(a, "="); ok && k == "PIP_NO_CACHE_DIR" {
					exported = pipNoCacheValue(v)
				}
			}
			continue
		}
		args, ok := pipInstall(program(c.Args))
		if !ok || exported || hasArg(args, "--no-cache-dir") {
			continue
		}
		viaEnv := false
		for _, a := range slices.Concat(c.Assigns, c.Args) {
			if k, v, ok := strings.Cut(a, "="); ok && k == "PIP_NO_CACHE_DIR" && pipNoCacheValue(v) {
				viaEnv = true
			}
		}
		if !viaEnv {
			return fmt.Sprintf("'--no-cache-dir' is missing from '%s'", quoteCmd(strings.Join(program(c.Args), " ")))
		}
	}
	return ""
}

// shellExecutors run a string or file they are given as code: with a
// download substituted into their arguments they run the download.
var shellExecutors = map[string]bool{"eval": true, "source": true, ".": true}

func isDownloader(prog []string) bool {
	return len(prog) > 0 && (prog[0] == "curl" || prog[0] == "wget")
}

// DSX-0001: curl or wget feeding a shell, through a pipe (`curl ... |
// sh`), a command substitution (`bash -c "$(curl ...)"`) or a process
// substitution (`bash <(curl ...)`).
func checkCurlPipeShell(df *Dockerfile) []Failure {
	return eachRun(df, func(_ Command, cmds []shellCmd) string {
		for i, c := range cmds {
			dl := program(c.Args)
			if !isDownloader(dl) {
				continue
			}
			if c.Pipe != 0 {
				for j := i + 1; j < len(cmds) && cmds[j].Pipe == c.Pipe; j++ {
					sh := program(cmds[j].Args)
					if rest, ok := isShell(sh); ok {
						if dashC, _ := shellOptions(rest); !dashC {
							return fmt.Sprintf("RUN pipes '%s' into '%s'", quoteCmd(strings.Join(dl, " ")), quoteCmd(strings.Join(sh, " ")))
						}
					}
				}
			}
			if c.In > 0 && c.In <= len(cmds) {
				outer := program(cmds[c.In-1].Args)
				if _, ok := isShell(outer); ok || (len(outer) > 0 && shellExecutors[outer[0]]) {
					return fmt.Sprintf("RUN runs the output of '%s' with '%s'", quoteCmd(strings.Join(dl, " ")), outer[0])
				}
			}
		}
		return ""
	})
}

// worldWritable says whether a chmod mode gives write permission to
// others: octal with the others' write bit (the sticky bit, as on
// /tmp, excuses it), or a symbolic clause adding w for o or a.
func worldWritable(mode string) bool {
	if mode == "" {
		return false
	}
	if strings.Trim(mode, "01234567") == "" {
		if len(mode) > 4 {
			return false
		}
		others := mode[len(mode)-1] - '0'
		sticky := len(mode) == 4 && (mode[0]-'0')&1 != 0
		return others&2 != 0 && !sticky
	}
	for _, clause := range strings.Split(mode, ",") {
		who := strings.TrimLeft(clause, "ugoa")
		whom := clause[:len(clause)-len(who)]
		if !strings.ContainsAny(whom, "oa") {
			continue
		}
		// The rest is a list of op+perms: "+rwx", "=rw-x".
		ops := who
		for len(ops) > 0 {
			op := ops[0]
			j := 1
			for j < len(ops) && !strings.ContainsRune("+-=", rune(ops[j])) {
				j++
			}
			perms := ops[1:j]
			if (op == '+' || op == '=') && strings.ContainsRune(perms, 'w') && !strings.ContainsRune(perms, 't') {
				return true
			}
			ops = ops[j:]
		}
	}
	return false
}

// DSX-0003.
func checkChmodWorldWritable(df *Dockerfile) []Failure {
	return eachRun(df, func(_ Command, cmds []shellCmd) string {
		for _, c := range cmds {
			prog := program(c.Args)
			if len(prog) == 0 || prog[0] != "chmod" {
				continue
			}
			for _, a := range prog[1:] {
				if strings.HasPrefix(a, "-") {
					continue // an option (-R), or a mode that removes (-w)
				}
				if worldWritable(a) {
					return fmt.Sprintf("chmod makes files writable by everyone: '%s'", quoteCmd(strings.Join(prog, " ")))
				}
				break // the first operand is the mode
			}
		}
		return ""
	})
}
