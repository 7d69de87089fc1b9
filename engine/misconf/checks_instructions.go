package misconf

import (
	"fmt"
	"strconv"
	"strings"
)

// Docker's Dockerfile reference, which the checks below point to.
const dockerfileRef = "https://docs.docker.com/reference/dockerfile/"

// dockerfileCheck fills the parts every built-in Dockerfile check shares:
// the AVD alias and the pre-2024 ID (DS-0002 -> AVD-DS-0002, DS002) from
// the ID.
func dockerfileCheck(c Check) Check {
	c.Type = TypeDockerfile
	c.AVDID = "AVD-" + c.ID
	if num, ok := strings.CutPrefix(c.ID, "DS-0"); ok {
		c.Aliases = append([]string{"DS" + num}, c.Aliases...)
	}
	return c
}

// instructionChecks are the checks of the instructions and the shape of
// the stages.
var instructionChecks = []Check{
	dockerfileCheck(Check{
		ID: "DS-0001", Severity: "MEDIUM",
		Title:       "FROM uses ':latest' or no tag",
		Description: "An image pulled as ':latest' (or with no tag, which means the same) changes whenever its publisher pushes, so two builds of the same Dockerfile can produce different images.",
		Resolution:  "Pin the base image to a version tag or a digest.",
		References:  []string{dockerfileRef + "#from"},
		Dockerfile:  checkLatestTag,
	}),
	dockerfileCheck(Check{
		ID: "DS-0002", Severity: "HIGH",
		Title:       "Image runs as root",
		Description: "Without a USER instruction naming another user, the image's processes run as root, which makes a container breakout far more damaging.",
		Resolution:  "End the final stage with 'USER <name or uid>' of an unprivileged user.",
		References:  []string{dockerfileRef + "#user"},
		Dockerfile:  checkRootUser,
	}),
	dockerfileCheck(Check{
		ID: "DS-0004", Severity: "MEDIUM",
		Title:       "SSH port 22 exposed",
		Description: "Exposing port 22 suggests an SSH server in the container, an extra way in that containers seldom need.",
		Resolution:  "Drop port 22 from EXPOSE; use 'docker exec' to get into a container.",
		References:  []string{dockerfileRef + "#expose"},
		Dockerfile:  checkPort22,
	}),
	dockerfileCheck(Check{
		ID: "DS-0005", Severity: "LOW",
		Title:       "ADD where COPY would do",
		Description: "ADD fetches URLs and unpacks archives as side effects; for a plain local file COPY does the same job with no surprises.",
		Resolution:  "Use COPY for local files; keep ADD for archives to unpack.",
		References:  []string{dockerfileRef + "#add"},
		Dockerfile:  checkAddInsteadOfCopy,
	}),
	dockerfileCheck(Check{
		ID: "DS-0006", Severity: "CRITICAL",
		Title:       "COPY --from names its own stage",
		Description: "A stage cannot copy files from itself: 'COPY --from' must name an earlier stage or an image.",
		Resolution:  "Point '--from' at another stage or an image.",
		References:  []string{dockerfileRef + "#copy---from"},
		Dockerfile:  checkCopyFromOwnAlias,
	}),
	dockerfileCheck(Check{
		ID: "DS-0007", Severity: "CRITICAL",
		Title:       "Several ENTRYPOINTs in one stage",
		Description: "Only the last ENTRYPOINT of a stage takes effect; the others are dead code that misleads readers.",
		Resolution:  "Keep a single ENTRYPOINT per stage.",
		References:  []string{dockerfileRef + "#entrypoint"},
		Dockerfile:  func(df *Dockerfile) []Failure { return checkDuplicates(df, "entrypoint", "ENTRYPOINT") },
	}),
	dockerfileCheck(Check{
		ID: "DS-0008", Severity: "CRITICAL",
		Title:       "EXPOSE port out of range",
		Description: "Ports are numbers from 0 to 65535; a larger one cannot be published.",
		Resolution:  "Expose ports between 0 and 65535 only.",
		References:  []string{dockerfileRef + "#expose"},
		Dockerfile:  checkPortRange,
	}),
	dockerfileCheck(Check{
		ID: "DS-0009", Severity: "HIGH",
		Title:       "WORKDIR is a relative path",
		Description: "A relative WORKDIR depends on every WORKDIR before it, which is easy to break when the file is edited.",
		Resolution:  "Give WORKDIR an absolute path.",
		References:  []string{dockerfileRef + "#workdir"},
		Dockerfile:  checkWorkdirAbsolute,
	}),
	dockerfileCheck(Check{
		ID: "DS-0011", Severity: "CRITICAL",
		Title:       "COPY of several sources into a path without '/'",
		Description: "When COPY has more than one source, its destination must be a directory, written with a trailing '/'; otherwise the build fails.",
		Resolution:  "End the destination with '/'.",
		References:  []string{dockerfileRef + "#copy"},
		Dockerfile:  checkCopyDestSlash,
	}),
	dockerfileCheck(Check{
		ID: "DS-0012", Severity: "CRITICAL",
		Title:       "Two FROMs share an alias",
		Description: "Stage aliases name stages for 'COPY --from' and '--target'; when two stages share one, references to it are ambiguous.",
		Resolution:  "Give every stage its own alias.",
		References:  []string{dockerfileRef + "#from"},
		Dockerfile:  checkDuplicateAlias,
	}),
	dockerfileCheck(Check{
		ID: "DS-0016", Severity: "HIGH",
		Title:       "Several CMDs in one stage",
		Description: "Only the last CMD of a stage takes effect; the others are dead code that misleads readers.",
		Resolution:  "Keep a single CMD per stage.",
		References:  []string{dockerfileRef + "#cmd"},
		Dockerfile:  func(df *Dockerfile) []Failure { return checkDuplicates(df, "cmd", "CMD") },
	}),
	dockerfileCheck(Check{
		ID: "DS-0022", Severity: "HIGH",
		Title:       "MAINTAINER is deprecated",
		Description: "MAINTAINER has been deprecated since Docker 1.13; image metadata belongs in labels.",
		Resolution:  "Replace it with 'LABEL org.opencontainers.image.authors=\"...\"'.",
		References:  []string{dockerfileRef + "#maintainer-deprecated"},
		Dockerfile:  checkMaintainer,
	}),
	dockerfileCheck(Check{
		ID: "DS-0023", Severity: "MEDIUM",
		Title:       "Several HEALTHCHECKs in one stage",
		Description: "Only the last HEALTHCHECK of a stage takes effect; the others are dead code that misleads readers.",
		Resolution:  "Keep a single HEALTHCHECK per stage.",
		References:  []string{dockerfileRef + "#healthcheck"},
		Dockerfile:  func(df *Dockerfile) []Failure { return checkDuplicates(df, "healthcheck", "HEALTHCHECK") },
	}),
	dockerfileCheck(Check{
		ID: "DS-0026", Severity: "LOW",
		Title:       "No HEALTHCHECK",
		Description: "Without a HEALTHCHECK, Docker and orchestrators only know whether the process runs, not whether the service answers.",
		Resolution:  "Add a HEALTHCHECK to the final stage that probes the service.",
		References:  []string{dockerfileRef + "#healthcheck"},
		Dockerfile:  checkNoHealthcheck,
	}),
	dockerfileCheck(Check{
		ID: "DS-0030", Severity: "HIGH",
		Title:       "WORKDIR inside a system directory",
		Description: "Directories such as /proc, /dev or /boot belong to the kernel and the host's boot process; working in them can expose or damage the host.",
		Resolution:  "Choose a working directory outside the system directories, e.g. /app.",
		References:  []string{dockerfileRef + "#workdir"},
		Dockerfile:  checkWorkdirSystemDir,
	}),
}

// checkLatestTag (DS-0001): a FROM whose image, variables expanded as
// far as ARG defaults allow, has no tag or the tag latest. scratch,
// earlier stages' aliases, and references whose tag is a variable with
// no default are left alone.
func checkLatestTag(df *Dockerfile) []Failure {
	aliases := map[string]bool{}
	for _, c := range commandsOf(df, "from") {
		if a := parseFrom(c).Alias; a != "" {
			aliases[a] = true
		}
	}
	var global map[string]string
	if len(df.Stages) > 0 {
		global = stageArgs(df.Stages[0])
	}
	var out []Failure
	for i, s := range df.Stages {
		vars := global
		if i > 0 {
			vars = mergeVars(global, stageArgs(s))
		}
		for _, c := range s.commandsOf("from") {
			img, tag, ok := imageAndTag(parseFrom(c).Image, vars)
			if !ok || img == "" || img == "scratch" || aliases[img] || tag != "latest" {
				continue
			}
			out = append(out, failAt(c, fmt.Sprintf("Image '%s' in FROM has no tag or ':latest'; pin a version", img)))
		}
	}
	return out
}

// imageAndTag splits an image reference into name and tag ("latest" when
// there is none). ok is false when the tag cannot be known: a registry
// port makes the split ambiguous, or the reference ends in a variable.
func imageAndTag(ref string, vars map[string]string) (img, tag string, ok bool) {
	if !strings.Contains(ref, "$") {
		return splitTag(ref)
	}
	expanded := expandVars(ref, vars)
	if !strings.Contains(expanded, ":") {
		if name, ok := lastVar(ref); ok && vars[name] == "" {
			// repo/${NAME} with no default: the tag may come with
			// the build argument.
			return "", "", false
		}
		return expanded, "latest", true
	}
	img, tag, ok = splitTag(expanded)
	if !ok || strings.Contains(tag, "$") {
		return "", "", false
	}
	return img, tag, true
}

func splitTag(ref string) (img, tag string, ok bool) {
	switch strings.Count(ref, ":") {
	case 0:
		return ref, "latest", true
	case 1:
		img, tag, _ = strings.Cut(ref, ":")
		return img, tag, true
	}
	return "", "", false
}

// stageArgs are the ARG defaults of a stage: name -> default ("" when
// none), surrounding double quotes dropped.
func stageArgs(s Stage) map[string]string {
	vars := map[string]string{}
	for _, c := range s.commandsOf("arg") {
		if len(c.Value) == 0 {
			continue
		}
		name, def, _ := strings.Cut(c.Value[0], "=")
		vars[strings.TrimSpace(name)] = strings.Trim(strings.TrimSpace(def), `"`)
	}
	return vars
}

func mergeVars(base, over map[string]string) map[string]string {
	out := make(map[string]string, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		out[k] = v
	}
	return out
}

// varRefEnd reads the variable reference ($NAME or ${...}) at s[i]: its
// name and the index just past it; end is -1 when there is none.
func varRefEnd(s string, i int) (name string, end int) {
	if i+1 >= len(s) {
		return "", -1
	}
	if s[i+1] == '{' {
		j := strings.IndexByte(s[i+2:], '}')
		if j <= 0 {
			return "", -1
		}
		return s[i+2 : i+2+j], i + 3 + j
	}
	j := i + 1
	for j < len(s) && (s[j] == '_' || isAlpha(s[j]) || (j > i+1 && s[j] >= '0' && s[j] <= '9')) {
		j++
	}
	if j == i+1 {
		return "", -1
	}
	return s[i+1 : j], j
}

func isAlpha(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }

// expandVars replaces each variable reference with its value in vars, ""
// when it has none (a ${NAME:-default} form counts as unknown).
func expandVars(s string, vars map[string]string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] == '$' {
			if name, end := varRefEnd(s, i); end > 0 {
				b.WriteString(vars[name])
				i = end
				continue
			}
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// lastVar is the name of the variable s ends with, if it ends with one.
func lastVar(s string) (string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '$' {
			if name, end := varRefEnd(s, i); end == len(s) {
				return name, true
			}
		}
	}
	return "", false
}

// checkRootUser (DS-0002): the final stage's last USER is root (by name
// or uid 0, with or without a group), or the final stage sets no user.
func checkRootUser(df *Dockerfile) []Failure {
	final, ok := finalStage(df)
	if !ok {
		return nil
	}
	var last *Command
	for _, c := range final.commandsOf("user") {
		if len(c.Value) > 0 {
			last = &c
		}
	}
	if last == nil {
		return []Failure{{Message: "No USER in the final stage: the image runs as root"}}
	}
	user, _, _ := strings.Cut(last.Value[0], ":")
	if user == "root" || user == "0" {
		return []Failure{failAt(*last, fmt.Sprintf("The last USER is '%s': the image runs as root", last.Value[0]))}
	}
	return nil
}

// checkPort22 (DS-0004): EXPOSE 22, 22/tcp or 22/udp.
func checkPort22(df *Dockerfile) []Failure {
	var out []Failure
	for _, c := range commandsOf(df, "expose") {
		for _, v := range c.Value {
			if v == "22" || v == "22/tcp" || v == "22/udp" {
				out = append(out, failAt(c, fmt.Sprintf("EXPOSE %s opens the SSH port", v)))
				break
			}
		}
	}
	return out
}

// checkAddInsteadOfCopy (DS-0005): ADD of something that is neither a
// URL, a git repository nor a tar archive. ADD lines of image history
// (file:<hash> in /dst) are left alone: the source is not known.
func checkAddInsteadOfCopy(df *Dockerfile) []Failure {
	var out []Failure
	for _, c := range commandsOf(df, "add") {
		args := shellWords(c)
		if strings.Contains(args, ".tar") || strings.Contains(args, "http://") ||
			strings.Contains(args, "https://") || strings.Contains(args, "git@") {
			continue
		}
		if isHistoryCopy(c.Value, "file:", "multi:", "dir:") {
			continue
		}
		out = append(out, failAt(c, fmt.Sprintf("'ADD %s' adds local files: use 'COPY %s'", args, args)))
	}
	return out
}

// isHistoryCopy says the arguments are the form image history gives an
// ADD or COPY: "<kind>:<hash> in <dest>" or "<kind>:<hash> <dest>".
func isHistoryCopy(v []string, kinds ...string) bool {
	if !(len(v) == 3 && v[1] == "in") && len(v) != 2 {
		return false
	}
	for _, k := range kinds {
		if strings.HasPrefix(v[0], k) {
			return true
		}
	}
	return false
}

// checkCopyFromOwnAlias (DS-0006): COPY --from=<the alias of the stage
// the COPY is in>.
func checkCopyFromOwnAlias(df *Dockerfile) []Failure {
	var out []Failure
	for _, s := range buildStages(df) {
		alias := parseFrom(s.Commands[0]).Alias
		if alias == "" {
			continue
		}
		for _, c := range s.commandsOf("copy") {
			if from, ok := flagValue(c, "from"); ok && strings.EqualFold(from, alias) {
				out = append(out, failAt(c, fmt.Sprintf("'COPY --from=%s' names the stage it is in", from)))
			}
		}
	}
	return out
}

// checkDuplicates (DS-0007, DS-0016, DS-0023): a stage with more than one
// instruction of the kind; the failure is at the second one.
func checkDuplicates(df *Dockerfile, kind, name string) []Failure {
	var out []Failure
	for _, s := range df.Stages {
		if cs := s.commandsOf(kind); len(cs) > 1 {
			out = append(out, failAt(cs[1], fmt.Sprintf("%d %s instructions in one stage; only the last counts", len(cs), name)))
		}
	}
	return out
}

// checkPortRange (DS-0008): an EXPOSE port (or range end) above 65535.
// Ports given by variables are left alone.
func checkPortRange(df *Dockerfile) []Failure {
	var out []Failure
	for _, c := range commandsOf(df, "expose") {
		for _, v := range c.Value {
			port, _, _ := strings.Cut(v, "/")
			for _, p := range strings.SplitN(port, "-", 2) {
				n, err := strconv.ParseUint(p, 10, 64)
				if err != nil && !strings.Contains(err.Error(), "out of range") {
					continue
				}
				if err != nil || n > 65535 {
					out = append(out, failAt(c, fmt.Sprintf("EXPOSE port %s is outside 0-65535", p)))
				}
			}
		}
	}
	return out
}

// checkWorkdirAbsolute (DS-0009): a WORKDIR that is not absolute. Paths
// starting with '/', Windows paths (C:\app) and paths built from
// variables ($HOME/app) pass.
func checkWorkdirAbsolute(df *Dockerfile) []Failure {
	var out []Failure
	for _, c := range commandsOf(df, "workdir") {
		if len(c.Value) == 0 {
			continue
		}
		dir := c.Value[0]
		p := strings.TrimLeft(dir, `"'`)
		if strings.HasPrefix(p, "/") || hasWindowsDrive(dir) || hasVarRef(dir) {
			continue
		}
		out = append(out, failAt(c, fmt.Sprintf("WORKDIR '%s' is relative; use an absolute path", dir)))
	}
	return out
}

func hasWindowsDrive(s string) bool {
	i := strings.Index(s, `:\`)
	return i > 0 && (isAlpha(s[i-1]) || s[i-1] >= '0' && s[i-1] <= '9')
}

func hasVarRef(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '$' && (s[i+1] == '{' || s[i+1] == '_' || isAlpha(s[i+1])) {
			return true
		}
	}
	return false
}

// checkCopyDestSlash (DS-0011): COPY with several sources whose
// destination does not end with '/'.
func checkCopyDestSlash(df *Dockerfile) []Failure {
	var out []Failure
	for _, c := range commandsOf(df, "copy") {
		if len(c.Value) <= 2 || isHistoryCopy(c.Value, "file:", "multi:") {
			continue
		}
		dest := c.Value[len(c.Value)-1]
		if !strings.HasSuffix(dest, "/") {
			out = append(out, failAt(c, fmt.Sprintf("COPY of %d sources into '%s': end the destination with '/'", len(c.Value)-1, dest)))
		}
	}
	return out
}

// checkDuplicateAlias (DS-0012): a FROM whose alias (case-insensitive) a
// later FROM uses again; the failure is at the earlier FROM.
func checkDuplicateAlias(df *Dockerfile) []Failure {
	froms := commandsOf(df, "from")
	lastUse := map[string]int{}
	for i, c := range froms {
		if alias := strings.ToLower(parseFrom(c).Alias); alias != "" {
			lastUse[alias] = i
		}
	}
	var out []Failure
	for i, c := range froms {
		alias := strings.ToLower(parseFrom(c).Alias)
		if alias != "" && lastUse[alias] > i {
			out = append(out, failAt(c, fmt.Sprintf("Alias '%s' is used by more than one FROM", alias)))
		}
	}
	return out
}

// checkMaintainer (DS-0022): any MAINTAINER.
func checkMaintainer(df *Dockerfile) []Failure {
	var out []Failure
	for _, c := range commandsOf(df, "maintainer") {
		out = append(out, failAt(c, fmt.Sprintf("'MAINTAINER %s' is deprecated; use a LABEL", shellWords(c))))
	}
	return out
}

// checkNoHealthcheck (DS-0026): the final stage has no HEALTHCHECK
// (HEALTHCHECK NONE counts: it is a deliberate choice).
func checkNoHealthcheck(df *Dockerfile) []Failure {
	final, ok := finalStage(df)
	if !ok || len(final.commandsOf("healthcheck")) > 0 {
		return nil
	}
	return []Failure{{Message: "The final stage has no HEALTHCHECK"}}
}

// systemDirs are directories WORKDIR must not enter (DS-0030).
var systemDirs = []string{"/proc", "/boot", "/dev", "/initrd", "/lost+found"}

// checkWorkdirSystemDir (DS-0030): WORKDIR is a system directory or a
// path under one.
func checkWorkdirSystemDir(df *Dockerfile) []Failure {
	var out []Failure
	for _, c := range commandsOf(df, "workdir") {
		if len(c.Value) == 0 {
			continue
		}
		dir := strings.Trim(c.Value[0], `"`)
		for _, sys := range systemDirs {
			if dir == sys || strings.HasPrefix(dir, sys+"/") {
				out = append(out, failAt(c, fmt.Sprintf("WORKDIR '%s' is inside the system directory %s", c.Value[0], sys)))
				break
			}
		}
	}
	return out
}
