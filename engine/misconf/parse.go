package misconf

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// Limits on a Dockerfile ParseDockerfile accepts: real ones are a few
// hundred lines; anything past these is not a Dockerfile worth checking
// and would only cost memory.
const (
	MaxDockerfileBytes = 4 << 20
	MaxDockerfileLines = 100_000
)

// ParseDockerfile parses a Dockerfile with BuildKit's own parser (so
// heredocs, the escape directive, line continuations and lowercase
// instructions read as `docker build` reads them) into the model Trivy's
// Dockerfile checks see. path is only recorded (Dockerfile.Path and each
// Command.Path). A file over the limits, or one BuildKit rejects, is an
// error; no input panics.
func ParseDockerfile(path string, content []byte) (df *Dockerfile, err error) {
	if len(content) > MaxDockerfileBytes {
		return nil, fmt.Errorf("dockerfile %s: %d bytes, more than the %d accepted", path, len(content), MaxDockerfileBytes)
	}
	if n := bytes.Count(content, []byte{'\n'}) + 1; n > MaxDockerfileLines {
		return nil, fmt.Errorf("dockerfile %s: %d lines, more than the %d accepted", path, n, MaxDockerfileLines)
	}
	defer func() {
		// BuildKit's parser is not written for hostile input; a panic
		// in it is one unreadable file, not a crashed scan.
		if r := recover(); r != nil {
			df, err = nil, fmt.Errorf("dockerfile %s: parser failed: %v", path, r)
		}
	}()
	parsed, err := parser.Parse(bytes.NewReader(content))
	if err != nil {
		return nil, fmt.Errorf("dockerfile %s: %w", path, err)
	}
	if parsed.AST == nil || len(parsed.AST.Children) == 0 {
		return nil, fmt.Errorf("dockerfile %s: %w", path, errNoInstructions)
	}
	df = &Dockerfile{Path: path, Lines: splitLines(content)}

	// Stages as Trivy builds them: instructions before the first FROM
	// (global ARGs) form a stage with no name; a stage is kept only if it
	// has commands; the index counts FROMs, so the global ARGs and the
	// first FROM's stage share index 0.
	var (
		stage      Stage
		stageIndex int
		seenFrom   bool
	)
	for _, node := range parsed.AST.Children {
		cmd := commandFromNode(path, node)
		if cmd.Cmd == "from" {
			if len(stage.Commands) > 0 {
				df.Stages = append(df.Stages, stage)
			}
			if seenFrom {
				stageIndex++
			}
			seenFrom = true
			stage = Stage{Name: stageName(node.Original)}
		}
		cmd.Stage = stageIndex
		stage.Commands = append(stage.Commands, cmd)
	}
	if len(stage.Commands) > 0 {
		df.Stages = append(df.Stages, stage)
	}
	return df, nil
}

var errNoInstructions = errors.New("no instructions")

// commandFromNode turns one instruction of BuildKit's AST into a Command.
func commandFromNode(path string, node *parser.Node) Command {
	cmd := Command{
		Cmd:       strings.ToLower(node.Value),
		Original:  node.Original,
		Flags:     node.Flags,
		Path:      path,
		StartLine: node.StartLine,
		EndLine:   node.EndLine,
	}
	// ONBUILD wraps its instruction as the child of its first argument;
	// the wrapped instruction gives SubCmd, the form and the arguments.
	if node.Next != nil && len(node.Next.Children) > 0 {
		node = node.Next.Children[0]
		cmd.SubCmd = strings.ToLower(node.Value)
	}
	cmd.JSON = node.Attributes["json"]
	if len(node.Heredocs) > 0 && node.Next != nil {
		cmd.Original = heredocOriginal(node)
		cmd.Value = []string{heredocValue(node)}
		return cmd
	}
	for n := node.Next; n != nil; n = n.Next {
		cmd.Value = append(cmd.Value, n.Value)
	}
	return cmd
}

// stageName is a FROM's arguments: the instruction as written without
// its keyword ("golang:1.22 AS build", flags included).
func stageName(original string) string {
	s := strings.TrimSpace(original)
	if len(s) >= 4 && strings.EqualFold(s[:4], "from") {
		s = s[4:]
	}
	return strings.TrimSpace(s)
}

// heredocOriginal is the instruction line followed by each heredoc's body
// and terminator, as Trivy shows it.
func heredocOriginal(node *parser.Node) string {
	var b strings.Builder
	b.WriteString(node.Original)
	b.WriteByte('\n')
	for i, h := range node.Heredocs {
		b.WriteString(h.Content)
		b.WriteString(h.Name)
		if i < len(node.Heredocs)-1 {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// heredocValue is the shell command a heredoc instruction runs, the way
// BuildKit runs it: a lone heredoc without a shebang (`RUN <<EOF`) is a
// script whose lines the checks see joined with " ; "; any other form
// (a command reading the heredoc, several heredocs, a shebang) is the
// command line followed by the bodies.
func heredocValue(node *parser.Node) string {
	first := node.Heredocs[0]
	if parser.MustParseHeredoc(node.Next.Value) == nil || strings.HasPrefix(first.Content, "#!") {
		var b strings.Builder
		b.WriteString(node.Next.Value)
		for _, h := range node.Heredocs {
			b.WriteByte('\n')
			b.WriteString(h.Content)
			b.WriteString(h.Name)
		}
		return b.String()
	}
	content := first.Content
	if first.Chomp {
		content = parser.ChompHeredocContent(content)
	}
	content = strings.ReplaceAll(content, "\r\n", "\n")
	return strings.Join(strings.Split(strings.TrimSuffix(content, "\n"), "\n"), " ; ")
}

// splitLines is the file's lines without their line ends, for code
// excerpts (line n is Lines[n-1]).
func splitLines(content []byte) []string {
	s := strings.TrimSuffix(string(content), "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}
