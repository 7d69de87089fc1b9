package misconf

// Dockerfile is a parsed Dockerfile as Trivy's checks see it (and as the
// input document of custom Rego checks: the JSON of this struct is
// `input`), one stage per FROM.
type Dockerfile struct {
	// Path is the file's path, as reported (the Result's Target).
	Path string
	// Lines are the file's lines, for the code excerpts of findings.
	Lines  []string
	Stages []Stage
}

// Stage is the instructions from one FROM to the next.
type Stage struct {
	// Name is the FROM instruction's arguments ("golang:1.22 AS build").
	Name     string
	Commands []Command
}

// Command is one instruction.
type Command struct {
	// Cmd is the instruction, lower case ("run", "from", "copy").
	Cmd string
	// SubCmd is ONBUILD's instruction, lower case.
	SubCmd string
	// Flags are the instruction's flags as written ("--from=build",
	// "--chown=app").
	Flags []string
	// Value are the instruction's arguments: for RUN in shell form one
	// string, the whole command (continuations joined); in JSON form each
	// element.
	Value []string
	// Original is the instruction as written, continuations joined.
	Original string
	// JSON says the arguments were in JSON (exec) form.
	JSON bool
	// Stage is the index of the command's stage.
	Stage int
	// Path is the Dockerfile's path.
	Path string
	// StartLine and EndLine are the 1-based lines the instruction spans.
	StartLine int
	EndLine   int
}
