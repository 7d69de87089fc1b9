package misconf

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/docker-scan/docker-scan/engine/types"
)

// Bounds on the history ImageConfigDockerfile rebuilds: an image config
// comes from a registry or an archive anyone can write; real images have
// a few dozen steps of a few hundred bytes.
const (
	maxHistorySteps = 10_000
	maxStepBytes    = 64 << 10
)

// historyPath is the Dockerfile path of a rebuilt Dockerfile's commands.
const historyPath = "Dockerfile"

// historyDisabled are the checks a rebuilt Dockerfile is not held to, as
// in Trivy: the history of an image often keeps the CMD and ENTRYPOINT
// of the image it was built from beside its own, which is no mistake.
var historyDisabled = []string{"DS-0007", "DS-0016"}

// rebuilt is a Dockerfile rebuilt from an image config, with the history
// step each of its lines came from (nil for a line that the config, not
// the history, gave: its USER when no step set it, ...).
type rebuilt struct {
	df    *Dockerfile
	steps []*types.LayerRef
}

// ImageConfigDockerfile rebuilds an image's Dockerfile from its config:
// one instruction per build step of the image's own (the steps of the
// image it was built from are left out, as Trivy leaves them out), from
// the step's created_by in the classic builder's forms (`/bin/sh -c
// #(nop)  USER app`, `/bin/sh -c apt-get ...`, `|2 A=b /bin/sh -c ...`),
// BuildKit's (`RUN /bin/sh -c ... # buildkit`, `USER app`, `EXPOSE
// [80/tcp]`) and Buildah's (metadata suffixes); then the config's USER,
// ENV, EXPOSE and HEALTHCHECK that no step of the history sets (an image
// committed with changes, a tool that writes no history). Steps of other
// forms are left out. It never fails: a config with nothing to check is
// a Dockerfile with no stages.
func ImageConfigDockerfile(cfg *v1.ConfigFile) *Dockerfile {
	return rebuildHistory(cfg).df
}

// CheckImageConfig runs checks on the Dockerfile rebuilt from cfg (see
// ImageConfigDockerfile): a result of class config for target (the
// image's name, as Trivy names it), each finding naming the history step
// it comes from in Layer.CreatedBy (and the layer's DiffID when the step
// made one). DS-0007 and DS-0016 (several ENTRYPOINTs or CMDs) are not
// run: an image's history holds its base image's too.
func CheckImageConfig(target string, cfg *v1.ConfigFile, checks []Check) types.Result {
	r := rebuildHistory(cfg)
	checks = slices.DeleteFunc(slices.Clone(checks), func(c Check) bool { return slices.Contains(historyDisabled, c.ID) })
	res := Run(withBaseStage(r.df), checks)
	res.Target = target
	for i := range res.Misconfigurations {
		m := &res.Misconfigurations[i]
		if line := m.CauseMetadata.StartLine; line >= 1 && line <= len(r.steps) && r.steps[line-1] != nil {
			ref := *r.steps[line-1]
			m.Layer = &ref
		}
	}
	return res
}

// withBaseStage is df with a FROM scratch (on no line) before its
// commands: the checks of the final stage (USER, HEALTHCHECK) look for
// the stage a FROM begins, and a rebuilt history has none. scratch is
// what no check faults.
func withBaseStage(df *Dockerfile) *Dockerfile {
	if len(df.Stages) == 0 {
		return df
	}
	out := *df
	from := Command{Cmd: "from", Value: []string{"scratch"}, Original: "FROM scratch", Path: df.Path}
	out.Stages = []Stage{{Name: "scratch", Commands: append([]Command{from}, df.Stages[0].Commands...)}}
	return &out
}

func rebuildHistory(cfg *v1.ConfigFile) rebuilt {
	r := rebuilt{df: &Dockerfile{Path: historyPath}}
	if cfg == nil {
		return r
	}
	history := cfg.History
	// The last steps are the image's own; a history past the bound
	// loses its first ones.
	first := max(baseImageIndex(history)+1, len(history)-maxHistorySteps)
	diffIDs := stepDiffIDs(cfg)
	stage := Stage{}
	add := func(ins string, ref *types.LayerRef) {
		cmds, lines := instructionCommands(ins, len(r.df.Lines)+1)
		if len(cmds) == 0 {
			return
		}
		for i := range cmds {
			cmds[i].Path = historyPath
		}
		stage.Commands = append(stage.Commands, cmds...)
		r.df.Lines = append(r.df.Lines, lines...)
		for range lines {
			r.steps = append(r.steps, ref)
		}
	}
	seen := historyFacts{env: map[string]bool{}, ports: map[string]bool{}}
	for i, h := range history {
		ins := stepInstruction(h.CreatedBy)
		seen.note(ins)
		if i < first || ins == "" {
			continue
		}
		if strings.HasPrefix(ins, "HEALTHCHECK") {
			// The step's text is a Go struct dump; the config has the
			// healthcheck itself.
			ins = healthcheckInstruction(cfg.Config.Healthcheck)
		}
		ref := &types.LayerRef{CreatedBy: h.CreatedBy}
		if d, ok := diffIDs[i]; ok {
			ref.DiffID = d
		}
		add(ins, ref)
	}
	for _, ins := range configInstructions(cfg, seen, stage.Commands) {
		add(ins, nil)
	}
	if len(stage.Commands) > 0 {
		r.df.Stages = []Stage{stage}
	}
	return r
}

// baseImageIndex guesses the last step of the image the image was built
// from, as Trivy does: the last empty-layer CMD before the image's own
// last layer-making step (a Dockerfile's own CMD comes after its last
// RUN or COPY; its base image's CMD before). -1 when there is none.
func baseImageIndex(history []v1.History) int {
	foundLayer := false
	for i := len(history) - 1; i >= 0; i-- {
		h := history[i]
		if !foundLayer {
			if h.EmptyLayer {
				continue
			}
			foundLayer = true
		}
		if !h.EmptyLayer {
			continue
		}
		if strings.HasPrefix(h.CreatedBy, "/bin/sh -c #(nop)  CMD") || strings.HasPrefix(h.CreatedBy, "CMD") {
			return i
		}
	}
	return -1
}

// stepDiffIDs maps each layer-making step to its layer's DiffID, when the
// config's history and layers agree in number.
func stepDiffIDs(cfg *v1.ConfigFile) map[int]string {
	var made []int
	for i, h := range cfg.History {
		if !h.EmptyLayer {
			made = append(made, i)
		}
	}
	if len(made) != len(cfg.RootFS.DiffIDs) {
		return nil
	}
	out := make(map[int]string, len(made))
	for k, i := range made {
		out[i] = cfg.RootFS.DiffIDs[k].String()
	}
	return out
}

var (
	// buildMetadata is what Buildah appends to a step ("|unsetLabel=true").
	buildMetadata = regexp.MustCompile(`(\|[A-Za-z0-9_-]+=[^ \t|]*)+$`)
	// buildArgsPrefix is the build arguments a RUN step saw, before its
	// command: "|2 A=b C=d ".
	buildArgsPrefix = regexp.MustCompile(`^\|([0-9]+) `)
	// shellPrefix is the shell a RUN step's command ran under.
	shellPrefix = regexp.MustCompile(`^(/bin/sh -c |/\S*sh(?: -[A-Za-z]+(?: [a-z]+)?)*? -c |cmd /S /C |powershell(?: -\S+)*? -Command )`)
	// copyHash is the classic builder's record of a COPY or ADD source
	// ("file:0a1b... in /app").
	copyHash = regexp.MustCompile(`\b((?:file|dir|multi):[0-9a-f]+) in `)
	// keywords are the instructions a step's created_by may start with.
	keywords = []string{"ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "HEALTHCHECK", "LABEL",
		"MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"}
)

// stepInstruction turns one step's created_by into a Dockerfile
// instruction, "" when it is of no known form.
func stepInstruction(createdBy string) string {
	s := strings.TrimSpace(createdBy)
	if len(s) > maxStepBytes {
		return ""
	}
	s = strings.TrimSpace(buildMetadata.ReplaceAllString(s, ""))
	if rest, ok := strings.CutPrefix(s, "/bin/sh -c #(nop)"); ok {
		// The classic builder's (and Buildah's) record of an instruction
		// that ran nothing.
		ins := strings.TrimSpace(rest)
		if k := keyword(ins); k == "COPY" || k == "ADD" {
			ins = copyHash.ReplaceAllString(ins, "$1 ")
		}
		return normalizeInstruction(ins)
	}
	if rest, ok := strings.CutSuffix(s, "# buildkit"); ok {
		// BuildKit's RUN, COPY and ADD.
		s = strings.TrimSpace(rest)
		if r, ok := strings.CutPrefix(s, "RUN "); ok {
			return runInstruction(r)
		}
		if keyword(s) == "" {
			return ""
		}
		return s
	}
	if keyword(s) != "" {
		return normalizeInstruction(s)
	}
	if strings.HasPrefix(s, "/") || buildArgsPrefix.MatchString(s) {
		// The classic builder's RUN: the shell and the command.
		return runInstruction(s)
	}
	return ""
}

// keyword is the instruction s starts with, "" if none.
func keyword(s string) string {
	k, _, _ := strings.Cut(s, " ")
	if slices.Contains(keywords, k) {
		return k
	}
	return ""
}

// runInstruction is the RUN of a recorded command line: the build
// arguments and the shell it ran under taken off.
func runInstruction(s string) string {
	if m := buildArgsPrefix.FindStringSubmatch(s); m != nil {
		n, err := strconv.Atoi(m[1])
		if err != nil || n > 10_000 {
			return ""
		}
		rest := s[len(m[0]):]
		for range n {
			_, after, ok := strings.Cut(rest, " ")
			if !ok {
				return ""
			}
			rest = after
		}
		s = rest
	}
	if m := shellPrefix.FindString(s); m != "" {
		s = s[len(m):]
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	return "RUN " + s
}

// normalizeInstruction rewrites the arguments that builders record in Go
// syntax (CMD ["a" "b"], EXPOSE map[80/tcp:{}], VOLUME [/data]) as a
// Dockerfile has them.
func normalizeInstruction(ins string) string {
	k := keyword(ins)
	args := strings.TrimSpace(strings.TrimPrefix(ins, k))
	switch k {
	case "CMD", "ENTRYPOINT", "SHELL":
		if a, ok := goQuotedList(args); ok {
			return k + " " + jsonList(a)
		}
	case "EXPOSE":
		return k + " " + strings.Join(goPorts(args), " ")
	case "VOLUME":
		if inner, ok := strings.CutPrefix(args, "["); ok {
			return k + " " + strings.TrimSuffix(inner, "]")
		}
	}
	return ins
}

// goQuotedList reads a []string printed with %q: ["a" "b c"].
func goQuotedList(s string) ([]string, bool) {
	inner, ok := strings.CutPrefix(s, "[")
	if !ok {
		return nil, false
	}
	inner, ok = strings.CutSuffix(inner, "]")
	if !ok {
		return nil, false
	}
	var out []string
	for inner = strings.TrimSpace(inner); inner != ""; inner = strings.TrimSpace(inner) {
		q, err := strconv.QuotedPrefix(inner)
		if err != nil {
			return nil, false
		}
		v, err := strconv.Unquote(q)
		if err != nil {
			return nil, false
		}
		out = append(out, v)
		inner = inner[len(q):]
	}
	return out, true
}

func jsonList(a []string) string {
	q := make([]string, len(a))
	for i, s := range a {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// goPorts reads the ports of an EXPOSE step: "80/tcp 443", "[80/tcp]"
// (BuildKit), "map[80/tcp:{} 443/tcp:{}]" (older builders).
func goPorts(s string) []string {
	s = strings.TrimPrefix(s, "map")
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	var out []string
	for _, f := range strings.Fields(s) {
		if p := strings.TrimSuffix(f, ":{}"); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// healthcheckInstruction is the HEALTHCHECK the config holds.
func healthcheckInstruction(h *v1.HealthConfig) string {
	if h == nil || len(h.Test) == 0 || h.Test[0] == "NONE" {
		return "HEALTHCHECK NONE"
	}
	var b strings.Builder
	b.WriteString("HEALTHCHECK")
	for _, o := range []struct {
		name string
		set  bool
		v    string
	}{
		{"interval", h.Interval != 0, h.Interval.String()},
		{"timeout", h.Timeout != 0, h.Timeout.String()},
		{"start-period", h.StartPeriod != 0, h.StartPeriod.String()},
		{"retries", h.Retries != 0, strconv.Itoa(h.Retries)},
	} {
		if o.set {
			fmt.Fprintf(&b, " --%s=%s", o.name, o.v)
		}
	}
	switch h.Test[0] {
	case "CMD-SHELL":
		b.WriteString(" CMD " + strings.Join(h.Test[1:], " "))
	case "CMD":
		b.WriteString(" CMD " + jsonList(h.Test[1:]))
	default:
		b.WriteString(" CMD " + strings.Join(h.Test, " "))
	}
	return b.String()
}

// historyFacts is what the whole history (the base image's steps too)
// sets, so that the config's settings are added only where no step did.
type historyFacts struct {
	env         map[string]bool
	ports       map[string]bool
	healthcheck bool
}

func (f *historyFacts) note(ins string) {
	k := keyword(ins)
	args := strings.TrimSpace(strings.TrimPrefix(ins, k))
	switch k {
	case "ENV":
		for _, field := range strings.Fields(args) {
			if name, _, ok := strings.Cut(field, "="); ok && name != "" {
				f.env[name] = true
			}
		}
		if name, _, ok := strings.Cut(args, " "); ok && !strings.Contains(name, "=") {
			f.env[name] = true // the legacy form, ENV NAME value
		}
	case "EXPOSE":
		for _, p := range strings.Fields(args) {
			f.ports[p] = true
			if !strings.Contains(p, "/") {
				f.ports[p+"/tcp"] = true
			}
		}
	case "HEALTHCHECK":
		f.healthcheck = true
	}
}

// configInstructions are the config's settings no step of the history
// set, as instructions: ENV, EXPOSE, HEALTHCHECK, and last the USER the
// image runs as when the commands so far leave another one last.
func configInstructions(cfg *v1.ConfigFile, seen historyFacts, cmds []Command) []string {
	var out []string
	for _, e := range cfg.Config.Env {
		name, value, ok := strings.Cut(e, "=")
		// PATH is the builders' default, set in every image.
		if !ok || name == "" || name == "PATH" || seen.env[name] || strings.ContainsAny(name, " \t\n\"'=") {
			continue
		}
		out = append(out, "ENV "+name+"="+strconv.Quote(value))
	}
	var ports []string
	for p := range cfg.Config.ExposedPorts {
		if !seen.ports[p] && !strings.ContainsAny(p, " \t\n") {
			ports = append(ports, p)
		}
	}
	sort.Strings(ports)
	if len(ports) > 0 {
		out = append(out, "EXPOSE "+strings.Join(ports, " "))
	}
	if cfg.Config.Healthcheck != nil && !seen.healthcheck {
		out = append(out, healthcheckInstruction(cfg.Config.Healthcheck))
	}
	if u := cfg.Config.User; u != "" && !strings.ContainsAny(u, "\n") && lastUser(cmds) != u {
		out = append(out, "USER "+u)
	}
	return out
}

func lastUser(cmds []Command) string {
	for i := len(cmds) - 1; i >= 0; i-- {
		if cmds[i].Cmd == "user" && len(cmds[i].Value) > 0 {
			return cmds[i].Value[0]
		}
	}
	return ""
}

// instructionCommands parses one rebuilt instruction as the line(s) of
// the Dockerfile starting at line: the commands (numbered from there) and
// the lines. A RUN the parser does not take (a heredoc cut from its body)
// is kept as a shell-form RUN; other instructions it rejects are dropped.
func instructionCommands(ins string, line int) ([]Command, []string) {
	ins = strings.ReplaceAll(ins, "\r", "")
	if strings.Contains(ins, "\n") && keyword(ins) != "RUN" {
		ins = strings.Join(strings.Fields(ins), " ")
	}
	lines := strings.Split(ins, "\n")
	if !strings.Contains(ins, "\n") {
		if cmds := parseOne(ins); len(cmds) == 1 {
			c := cmds[0]
			c.StartLine, c.EndLine, c.Stage = line, line, 0
			return []Command{c}, lines
		}
		if k := keyword(ins); k == "ENV" {
			// A legacy ENV recorded as "NAME=value with spaces".
			name, value, _ := strings.Cut(strings.TrimPrefix(ins, "ENV "), "=")
			if cmds := parseOne("ENV " + name + "=" + strconv.Quote(value)); len(cmds) == 1 {
				c := cmds[0]
				c.StartLine, c.EndLine, c.Stage = line, line, 0
				return []Command{c}, lines
			}
		}
	}
	if keyword(ins) != "RUN" {
		return nil, nil
	}
	cmd := strings.TrimSpace(strings.TrimPrefix(ins, "RUN"))
	return []Command{{
		Cmd:       "run",
		Value:     []string{cmd},
		Original:  ins,
		StartLine: line,
		EndLine:   line + len(lines) - 1,
	}}, lines
}

// parseOne parses one instruction with the Dockerfile parser.
func parseOne(ins string) []Command {
	df, err := ParseDockerfile(historyPath, []byte(ins+"\n"))
	if err != nil {
		return nil
	}
	var cmds []Command
	for _, s := range df.Stages {
		cmds = append(cmds, s.Commands...)
	}
	return cmds
}
