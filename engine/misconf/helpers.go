package misconf

import (
	"slices"
	"strings"
)

// Small helpers the Dockerfile checks share.

// commandsOf is every command of one of the kinds (lower case: "run",
// "copy"), in every stage, in file order. ONBUILD commands are not
// included: they run in another build.
func commandsOf(df *Dockerfile, kinds ...string) []Command {
	var out []Command
	for _, s := range df.Stages {
		for i := range s.Commands {
			if slices.Contains(kinds, s.Commands[i].Cmd) {
				out = append(out, s.Commands[i])
			}
		}
	}
	return out
}

// commandsOf is the stage's commands of one of the kinds, in order.
func (s Stage) commandsOf(kinds ...string) []Command {
	var out []Command
	for i := range s.Commands {
		if slices.Contains(kinds, s.Commands[i].Cmd) {
			out = append(out, s.Commands[i])
		}
	}
	return out
}

// buildStages are the stages that begin with FROM: the global ARGs
// before the first FROM, which Trivy's model keeps as a stage of their
// own, are left out.
func buildStages(df *Dockerfile) []Stage {
	var out []Stage
	for _, s := range df.Stages {
		if len(s.Commands) > 0 && s.Commands[0].Cmd == "from" {
			out = append(out, s)
		}
	}
	return out
}

// finalStage is the last stage that begins with FROM, the one the built
// image is; ok is false for a file with no FROM.
func finalStage(df *Dockerfile) (Stage, bool) {
	stages := buildStages(df)
	if len(stages) == 0 {
		return Stage{}, false
	}
	return stages[len(stages)-1], true
}

// failAt is a failure located at the command's lines.
func failAt(c Command, msg string) Failure {
	return Failure{Message: msg, StartLine: c.StartLine, EndLine: c.EndLine}
}

// flagValue is the value of the command's flag --name=value (name
// without dashes, compared case-insensitively); ok is false when the flag
// is absent. A flag written without a value gives "".
func flagValue(c Command, name string) (value string, ok bool) {
	for _, f := range c.Flags {
		k, v, _ := strings.Cut(strings.TrimLeft(f, "-"), "=")
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// fromArgs is a FROM instruction read: the image reference as written
// (variables unexpanded) and the stage alias after AS ("" when none).
type fromArgs struct {
	Image string
	Alias string
}

// parseFrom reads a FROM command's Value (flags are already apart).
func parseFrom(c Command) fromArgs {
	var f fromArgs
	if len(c.Value) > 0 {
		f.Image = c.Value[0]
	}
	if len(c.Value) >= 3 && strings.EqualFold(c.Value[1], "as") {
		f.Alias = c.Value[2]
	}
	return f
}

// shellWords is the command's arguments as one string: a shell-form
// instruction's single Value, or the elements of a JSON form joined by
// spaces.
func shellWords(c Command) string {
	return strings.Join(c.Value, " ")
}
