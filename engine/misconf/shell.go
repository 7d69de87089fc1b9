package misconf

import (
	"path"
	"strings"
	"sync"

	"mvdan.cc/sh/v3/syntax"
)

// Reading the commands a RUN instruction executes.
//
// A RUN in shell form is a shell script: the checks must see what the
// shell would run (`a && b; c | d`, subshells, `$(...)`, `sh -c '...'`,
// heredoc scripts) and must not mistake a word inside a quoted string
// for a command. The script is parsed with mvdan.cc/sh; a script it
// rejects (or one too large to parse safely) is split by a small
// quote-aware tokenizer instead, so every RUN gives some commands and no
// input panics. A RUN in JSON form is one argv.

// Bounds on what one RUN costs to read. The parser recurses once per
// nesting level, so the size it is given is kept small enough that no
// nesting of `(`, `if` or `$(` can exhaust the stack; larger scripts (no
// real RUN is 64 KiB) go to the tokenizer, which does not recurse.
const (
	maxShellParse    = 64 << 10
	maxShellSource   = 1 << 20
	maxShellCommands = 10_000
	maxShellDepth    = 4
)

// shellCmd is one simple command of a RUN.
type shellCmd struct {
	// Assigns are the NAME=value words written before the command.
	Assigns []string
	// Args is the command's argv as written, quotes removed; expansions
	// ($VAR, $(...)) stay as their source text. Wrappers such as sudo
	// and env are kept: program strips them.
	Args []string
	// Nested is set for a command that cannot change the state of the
	// RUN's shell: in a subshell, a command substitution, a pipeline, a
	// function body or the background.
	Nested bool
	// Pipe is the 1-based number of the pipeline the command is part of,
	// 0 when it is not in one. Commands of a pipeline appear in order.
	Pipe int
	// In is the 1-based index of the command in whose words this one is
	// substituted (`bash -c "$(curl ...)"`, `sh <(wget ...)`), 0 if none.
	In int
}

// String is the command as one line, for messages.
func (c shellCmd) String() string {
	return strings.Join(append(append([]string(nil), c.Assigns...), c.Args...), " ")
}

// runCommands are the simple commands a RUN instruction executes, in the
// order they are written. Every RUN check reads every RUN, so the
// reading is remembered (by the RUN's text) for the next check; the
// result is shared and must not be modified.
func runCommands(run Command) []shellCmd {
	key := runKey(run)
	runCache.Lock()
	cmds, ok := runCache.m[key]
	runCache.Unlock()
	if ok {
		return cmds
	}
	cmds = readRun(run)
	if len(key) > maxRunCacheKey {
		return cmds
	}
	runCache.Lock()
	if len(runCache.m) >= maxRunCache || runCache.bytes+len(key) > maxRunCacheBytes {
		clear(runCache.m)
		runCache.bytes = 0
	}
	runCache.m[key] = cmds
	runCache.bytes += len(key)
	runCache.Unlock()
	return cmds
}

// Bounds on the remembered readings: a few Dockerfiles' worth, by count
// and by the size of the RUNs' text (a RUN larger than the key bound is
// read again by each check rather than kept).
const (
	maxRunCache      = 512
	maxRunCacheBytes = 4 << 20
	maxRunCacheKey   = 64 << 10
)

var runCache = struct {
	sync.Mutex
	m     map[string][]shellCmd
	bytes int
}{m: map[string][]shellCmd{}}

// runKey is everything readRun reads of a RUN.
func runKey(run Command) string {
	var b strings.Builder
	if run.JSON {
		b.WriteString("J")
	} else {
		b.WriteString("S")
	}
	b.WriteString(run.Original)
	for _, v := range run.Value {
		b.WriteByte(0)
		b.WriteString(v)
	}
	return b.String()
}

func readRun(run Command) (cmds []shellCmd) {
	defer func() {
		// The walk over the parser's tree assumes the tree's shape; were
		// it ever wrong, the RUN is read by the tokenizer, not a crash.
		if recover() != nil {
			w := &shellWalker{}
			w.tokenize(boundText(strings.Join(run.Value, " ")), shellCtx{depth: maxShellDepth})
			cmds = w.out
		}
	}()
	w := &shellWalker{}
	switch {
	case run.JSON:
		if len(run.Value) > 0 {
			w.exec(nil, boundArgs(run.Value), nil, shellCtx{})
		}
	case strings.Contains(run.Original, "\n"):
		// A heredoc: the model's Value joins a lone heredoc's lines with
		// " ; ", which breaks multi-line constructs (if/then, loops,
		// continuations). The instruction as written holds the script
		// itself; read that, and the joined form only if it fails.
		if script, ok := heredocScript(run.Original); ok && w.parse(script, shellCtx{}) {
			break
		}
		w.script(strings.Join(run.Value, " "), shellCtx{})
	default:
		w.script(strings.Join(run.Value, " "), shellCtx{})
	}
	return w.out
}

// splitShell is the simple commands of a shell script.
func splitShell(script string) []shellCmd {
	w := &shellWalker{}
	w.script(script, shellCtx{})
	return w.out
}

// heredocScript is the shell text of a heredoc instruction as written
// ("RUN --mount=... <<EOF\n...\nEOF"): the instruction keyword (and
// ONBUILD's) and the flags removed.
func heredocScript(original string) (string, bool) {
	s := original
	for {
		s = strings.TrimLeft(s, " \t")
		word := s
		if i := strings.IndexAny(s, " \t\n"); i >= 0 {
			word = s[:i]
		}
		if word == "" {
			return "", false
		}
		if strings.EqualFold(word, "run") || strings.EqualFold(word, "onbuild") || strings.HasPrefix(word, "--") {
			s = s[len(word):]
			continue
		}
		return s, true
	}
}

// boundText caps a script at the source bound.
func boundText(s string) string {
	if len(s) > maxShellSource {
		return s[:maxShellSource]
	}
	return s
}

// boundArgs caps an argv taken from the model at the source bound.
func boundArgs(args []string) []string {
	total := 0
	for i, a := range args {
		total += len(a)
		if total > maxShellSource {
			return args[:i]
		}
	}
	return args
}

type shellCtx struct {
	nested bool
	pipe   int
	in     int
	depth  int
}

type shellWalker struct {
	out   []shellCmd
	pipes int
}

func (w *shellWalker) full() bool { return len(w.out) >= maxShellCommands }

// script reads one shell script: parsed when the parser accepts it,
// tokenized otherwise.
func (w *shellWalker) script(src string, c shellCtx) {
	src = boundText(src)
	if !w.parse(src, c) {
		w.tokenize(src, c)
	}
}

// parse reads src with the shell parser; false (and nothing recorded)
// when src is too large for it or not valid shell.
func (w *shellWalker) parse(src string, c shellCtx) (ok bool) {
	if len(src) > maxShellParse {
		return false
	}
	var file *syntax.File
	func() {
		defer func() {
			if recover() != nil {
				file = nil
			}
		}()
		f, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(src), "")
		if err == nil {
			file = f
		}
	}()
	if file == nil {
		return false
	}
	w.stmts(file.Stmts, src, c)
	return true
}

func (w *shellWalker) stmts(list []*syntax.Stmt, src string, c shellCtx) {
	for _, s := range list {
		if w.full() {
			return
		}
		w.stmt(s, src, c)
	}
}

func (w *shellWalker) stmt(s *syntax.Stmt, src string, c shellCtx) {
	if s == nil {
		return
	}
	if s.Background || s.Coprocess {
		c.nested = true
	}
	// The command reading a heredoc, when it is a shell reading its
	// script from stdin (`bash <<EOF`); -1 when there is none.
	reader := -1
	switch x := s.Cmd.(type) {
	case nil:
		// A statement of redirections only: BuildKit runs a lone heredoc
		// (`RUN <<EOF`) as the script.
		for _, r := range s.Redirs {
			if isHeredoc(r) && r.Hdoc != nil && c.depth < maxShellDepth {
				w.script(heredocBody(r, src), shellCtx{nested: c.nested, depth: c.depth + 1})
			}
		}
	case *syntax.CallExpr:
		reader = w.call(x, src, c)
	case *syntax.BinaryCmd:
		if x.Op == syntax.Pipe || x.Op == syntax.PipeAll {
			if c.pipe == 0 {
				w.pipes++
				c.pipe = w.pipes
			}
			c.nested = true
		}
		w.stmt(x.X, src, c)
		w.stmt(x.Y, src, c)
	case *syntax.Subshell:
		c.nested = true
		w.stmts(x.Stmts, src, c)
	case *syntax.Block:
		w.stmts(x.Stmts, src, c)
	case *syntax.IfClause:
		for cl := x; cl != nil; cl = cl.Else {
			w.stmts(cl.Cond, src, c)
			w.stmts(cl.Then, src, c)
		}
	case *syntax.WhileClause:
		w.stmts(x.Cond, src, c)
		w.stmts(x.Do, src, c)
	case *syntax.ForClause:
		w.substs(x.Loop, src, c)
		w.stmts(x.Do, src, c)
	case *syntax.CaseClause:
		w.substs(x.Word, src, c)
		for _, it := range x.Items {
			w.stmts(it.Stmts, src, c)
		}
	case *syntax.FuncDecl:
		c.nested = true
		w.stmt(x.Body, src, c)
	case *syntax.TestDecl:
		c.nested = true
		w.stmt(x.Body, src, c)
	case *syntax.TimeClause:
		w.stmt(x.Stmt, src, c)
	case *syntax.CoprocClause:
		c.nested = true
		w.stmt(x.Stmt, src, c)
	case *syntax.DeclClause:
		// export/declare/local/readonly: a command of its own (its
		// assignments are its arguments).
		args := []string{x.Variant.Value}
		for _, a := range x.Args {
			args = append(args, assignText(a, src))
		}
		idx := w.add(shellCmd{Args: args, Nested: c.nested, Pipe: c.pipe, In: c.in})
		if idx > 0 {
			for _, a := range x.Args {
				w.substs(a, src, shellCtx{nested: true, in: idx, depth: c.depth})
			}
		}
	default:
		// (( )), [[ ]], let: only their substitutions run commands.
		w.substs(s.Cmd, src, c)
	}
	for _, r := range s.Redirs {
		if r.Word != nil {
			w.substs(r.Word, src, shellCtx{nested: true, in: reader + 1, depth: c.depth})
		}
		if r.Hdoc == nil || !isHeredoc(r) {
			continue
		}
		if reader >= 0 && c.depth < maxShellDepth {
			w.script(heredocBody(r, src), shellCtx{nested: c.nested, depth: c.depth + 1})
		} else if s.Cmd != nil {
			// An unquoted heredoc body expands its $(...) when read.
			w.substs(r.Hdoc, src, shellCtx{nested: true, depth: c.depth})
		}
	}
}

func isHeredoc(r *syntax.Redirect) bool {
	return r.Op == syntax.Hdoc || r.Op == syntax.DashHdoc
}

// heredocBody is a heredoc's text without its closing delimiter line.
func heredocBody(r *syntax.Redirect, src string) string {
	if r.Hdoc == nil || len(r.Hdoc.Parts) == 0 {
		return ""
	}
	body := slice(src, r.Hdoc)
	if r.Word == nil || len(r.Word.Parts) == 0 {
		return body
	}
	delim := wordText(r.Word, src)
	i := strings.LastIndexByte(body, '\n')
	if last := strings.TrimLeft(body[i+1:], "\t"); last == delim {
		return body[:i+1]
	}
	return body
}

// call records a simple command (and the commands in its words and in
// its `sh -c` script). It returns the command's index when it is a shell
// that reads its script from stdin, -1 otherwise.
func (w *shellWalker) call(x *syntax.CallExpr, src string, c shellCtx) int {
	var assigns, args []string
	for _, a := range x.Assigns {
		assigns = append(assigns, assignText(a, src))
	}
	literal := make([]bool, len(x.Args))
	for i, word := range x.Args {
		args = append(args, wordText(word, src))
		literal[i] = isLiteral(word)
	}
	idx := w.exec(assigns, args, literal, c)
	if idx <= 0 {
		return -1
	}
	sub := shellCtx{nested: true, in: idx, depth: c.depth}
	for _, a := range x.Assigns {
		w.substs(a, src, sub)
	}
	for _, word := range x.Args {
		w.substs(word, src, sub)
	}
	if shellReadsStdin(args) {
		return idx - 1
	}
	return -1
}

// exec records one command given as argv; a shell running a script with
// -c has that script read too, as part of the same RUN. It returns the
// command's 1-based index, 0 when nothing was recorded.
//
// literal says which arguments were written without expansions (nil:
// all were): a -c script that is an expansion (`bash -c "$(curl ...)"`)
// is not read again, its substitutions are read as such.
func (w *shellWalker) exec(assigns, args []string, literal []bool, c shellCtx) int {
	idx := w.add(shellCmd{Assigns: assigns, Args: args, Nested: c.nested, Pipe: c.pipe, In: c.in})
	if idx == 0 {
		return 0
	}
	if i, ok := shellScriptArg(args); ok && c.depth < maxShellDepth && (literal == nil || literal[i]) {
		w.script(args[i], shellCtx{nested: c.nested, depth: c.depth + 1})
	}
	return idx
}

// isLiteral says whether a word has no expansions: only plain text and
// quoted plain text.
func isLiteral(word *syntax.Word) bool {
	for _, p := range word.Parts {
		switch x := p.(type) {
		case *syntax.Lit, *syntax.SglQuoted:
		case *syntax.DblQuoted:
			for _, q := range x.Parts {
				if _, ok := q.(*syntax.Lit); !ok {
					return false
				}
			}
		default:
			return false
		}
	}
	return true
}

func (w *shellWalker) add(cmd shellCmd) int {
	if w.full() || (len(cmd.Args) == 0 && len(cmd.Assigns) == 0) {
		return 0
	}
	w.out = append(w.out, cmd)
	return len(w.out)
}

// substs reads the commands of the command and process substitutions
// inside a node (a word, an assignment, a loop header...).
func (w *shellWalker) substs(n syntax.Node, src string, c shellCtx) {
	if n == nil {
		return
	}
	syntax.Walk(n, func(n syntax.Node) bool {
		if w.full() {
			return false
		}
		switch x := n.(type) {
		case *syntax.CmdSubst:
			w.stmts(x.Stmts, src, shellCtx{nested: true, in: c.in, depth: c.depth})
			return false
		case *syntax.ProcSubst:
			w.stmts(x.Stmts, src, shellCtx{nested: true, in: c.in, depth: c.depth})
			return false
		}
		return true
	})
}

// shells are the programs that run a shell script.
var shells = map[string]bool{
	"sh": true, "bash": true, "dash": true, "ash": true, "zsh": true,
	"ksh": true, "mksh": true,
}

// isShell says whether a program (its argv with wrappers removed) is a
// shell, and returns its arguments after the shell's name.
func isShell(prog []string) ([]string, bool) {
	if len(prog) == 0 {
		return nil, false
	}
	name := path.Base(prog[0])
	if name == "busybox" && len(prog) > 1 && prog[1] == "sh" {
		return prog[2:], true
	}
	return prog[1:], shells[name]
}

// shellOptions reads a shell's arguments: whether -c is given, and the
// index of the first operand (the script with -c, the script file
// without), -1 when there is none or the script is read from stdin (-s,
// or the operand "-").
func shellOptions(args []string) (dashC bool, operand int) {
	dashS := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--" || a == "-":
			if a == "--" && i+1 < len(args) && !dashS {
				return dashC, i + 1
			}
			return dashC, -1
		case a == "-o" || a == "+o" || a == "-O" || a == "+O" || a == "--rcfile" || a == "--init-file":
			i++
		case strings.HasPrefix(a, "--"):
		case len(a) > 1 && (a[0] == '-' || a[0] == '+'):
			if a[0] == '-' && strings.ContainsRune(a[1:], 'c') {
				dashC = true
			}
			if a[0] == '-' && strings.ContainsRune(a[1:], 's') {
				dashS = true
			}
			if last := a[len(a)-1]; last == 'o' || last == 'O' {
				i++ // -euxo pipefail: the option's value
			}
		default:
			if dashS && !dashC {
				return false, -1
			}
			return dashC, i
		}
	}
	return dashC, -1
}

// shellScriptArg is the index in args of the script of `sh -c SCRIPT`
// (wrappers allowed).
func shellScriptArg(args []string) (int, bool) {
	rest, ok := isShell(program(args))
	if !ok {
		return 0, false
	}
	dashC, operand := shellOptions(rest)
	if !dashC || operand < 0 {
		return 0, false
	}
	// rest is a suffix of args: program only drops leading words.
	return len(args) - len(rest) + operand, true
}

// shellReadsStdin says whether the command is a shell that reads its
// script from stdin (no -c, no script file).
func shellReadsStdin(args []string) bool {
	rest, ok := isShell(program(args))
	if !ok {
		return false
	}
	dashC, operand := shellOptions(rest)
	return !dashC && operand < 0
}

// slice is the source text of a node; "" if its positions do not fit src.
func slice(src string, n syntax.Node) string {
	start, end := n.Pos().Offset(), n.End().Offset()
	if start > end || end > uint(len(src)) {
		return ""
	}
	return src[start:end]
}

func assignText(a *syntax.Assign, src string) string {
	if a.Name == nil {
		if a.Value != nil {
			return wordText(a.Value, src)
		}
		return ""
	}
	if a.Naked {
		return a.Name.Value
	}
	var b strings.Builder
	b.WriteString(a.Name.Value)
	if a.Append {
		b.WriteString("+=")
	} else {
		b.WriteByte('=')
	}
	switch {
	case a.Value != nil:
		b.WriteString(wordText(a.Value, src))
	case a.Array != nil:
		b.WriteString(slice(src, a.Array))
	}
	return b.String()
}

// wordText is a word's value with quoting removed; expansions keep their
// source text ("$HOME", "$(id -u)").
func wordText(word *syntax.Word, src string) string {
	if word == nil {
		return ""
	}
	var b strings.Builder
	for _, p := range word.Parts {
		partText(&b, p, src, false)
	}
	return b.String()
}

func partText(b *strings.Builder, p syntax.WordPart, src string, quoted bool) {
	switch x := p.(type) {
	case *syntax.Lit:
		b.WriteString(unescape(x.Value, quoted))
	case *syntax.SglQuoted:
		if x.Dollar {
			b.WriteString(slice(src, x))
		} else {
			b.WriteString(x.Value)
		}
	case *syntax.DblQuoted:
		for _, q := range x.Parts {
			partText(b, q, src, true)
		}
	default:
		b.WriteString(slice(src, p))
	}
}

// unescape removes the shell's backslash escapes from literal text:
// every one outside quotes, inside double quotes those before $ ` " \
// and a newline.
func unescape(s string, quoted bool) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch != '\\' || i+1 >= len(s) {
			b.WriteByte(ch)
			continue
		}
		next := s[i+1]
		switch {
		case next == '\n':
			i++
		case !quoted || strings.IndexByte("$`\"\\", next) >= 0:
			b.WriteByte(next)
			i++
		default:
			b.WriteByte(ch)
		}
	}
	return b.String()
}

// tokenize splits a script the parser rejected: commands end at an
// unquoted ; & && || | ( ) or newline, words at unquoted blanks; quotes
// and backslashes are removed as the shell would. Substitutions are not
// understood; it is the best reading of text that is not valid shell.
func (w *shellWalker) tokenize(src string, c shellCtx) {
	var (
		words   []string
		word    strings.Builder
		inWord  bool
		quote   byte
		pipe    int
		inPipe  bool
		nested  = c.nested
		parens  int
		endWord = func() {
			if inWord {
				words = append(words, word.String())
				word.Reset()
				inWord = false
			}
		}
		endCmd = func(piped bool) {
			endWord()
			if len(words) > 0 {
				cc := c
				cc.nested = nested || parens > 0
				if piped || inPipe {
					if !inPipe {
						w.pipes++
						pipe = w.pipes
					}
					cc.pipe, cc.nested = pipe, true
				}
				var assigns []string
				for len(words) > 0 && isAssignment(words[0]) {
					assigns, words = append(assigns, words[0]), words[1:]
				}
				w.exec(assigns, words, nil, cc)
			}
			words = nil
			inPipe = piped
		}
	)
	for i := 0; i < len(src) && !w.full(); i++ {
		ch := src[i]
		switch {
		case quote == '\'':
			if ch == '\'' {
				quote = 0
			} else {
				word.WriteByte(ch)
			}
		case quote == '"':
			switch {
			case ch == '"':
				quote = 0
			case ch == '\\' && i+1 < len(src) && strings.IndexByte("$`\"\\\n", src[i+1]) >= 0:
				if src[i+1] != '\n' {
					word.WriteByte(src[i+1])
				}
				i++
			default:
				word.WriteByte(ch)
			}
		case ch == '\\':
			if i+1 < len(src) {
				if src[i+1] != '\n' {
					word.WriteByte(src[i+1])
					inWord = true
				}
				i++
			}
		case ch == '\'' || ch == '"':
			quote = ch
			inWord = true
		case ch == ' ' || ch == '\t' || ch == '\r':
			endWord()
		case ch == '|':
			if i+1 < len(src) && src[i+1] == '|' {
				i++
				endCmd(false)
			} else {
				endCmd(true)
			}
		case ch == '&' && (i+1 < len(src) && src[i+1] == '>' || i > 0 && (src[i-1] == '>' || src[i-1] == '<')):
			// 2>&1, &>file: a redirection, not a separator.
			word.WriteByte(ch)
			inWord = true
		case ch == ';' || ch == '&' || ch == '\n':
			endCmd(false)
		case ch == '(':
			endCmd(false)
			parens++
		case ch == ')':
			endCmd(false)
			if parens > 0 {
				parens--
			}
		default:
			word.WriteByte(ch)
			inWord = true
		}
	}
	endCmd(false)
}

// isAssignment says whether a word is NAME=value.
func isAssignment(s string) bool {
	name, _, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return false
	}
	for i, r := range name {
		if r != '_' && !(r >= 'a' && r <= 'z') && !(r >= 'A' && r <= 'Z') && (i == 0 || !(r >= '0' && r <= '9')) {
			return false
		}
	}
	return true
}

// program is a command's argv without the wrappers that run another
// command (sudo, env, nice, nohup, time, exec, command, timeout, gosu,
// su-exec, doas), with the program's name as its base name
// ("/usr/bin/apt-get" is "apt-get"). A command that only asks about
// another (`command -v curl`) has no program: nil.
func program(args []string) []string {
	prog, _ := unwrap(args)
	return prog
}

// unwrap is program, and the names of the wrappers it removed.
func unwrap(args []string) (prog []string, wrappers []string) {
	for guard := 0; len(args) > 0 && guard < 16; guard++ {
		name := path.Base(args[0])
		rest := args[1:]
		switch name {
		case "sudo", "doas":
			rest = skipOptions(rest, "uUgpCDrtTR", true)
			rest = skipAssignments(rest)
		case "env":
			rest = skipOptions(rest, "uCS", false)
			rest = skipAssignments(rest)
		case "nice":
			rest = skipOptions(rest, "n", false)
		case "nohup":
		case "time":
			rest = skipOptions(rest, "fo", false)
		case "exec":
			rest = skipOptions(rest, "a", false)
		case "command":
			for _, a := range rest {
				if !strings.HasPrefix(a, "-") {
					break
				}
				if strings.ContainsAny(a, "vV") {
					return nil, append(wrappers, name)
				}
			}
			rest = skipOptions(rest, "", false)
		case "timeout":
			rest = skipOptions(rest, "sk", false)
			if len(rest) > 0 {
				rest = rest[1:] // the duration
			}
		case "gosu", "su-exec":
			if len(rest) > 0 {
				rest = rest[1:] // the user
			}
		default:
			out := append([]string{name}, rest...)
			return out, wrappers
		}
		wrappers = append(wrappers, name)
		args = rest
	}
	return nil, wrappers
}

// skipOptions drops leading options: short ones whose letter is in
// withArg take the next word as their value (unless attached); long
// ones with a value must use --opt=value, except for sudo, where the
// long forms of its valued options (--user ...) take the next word. "--"
// ends the options.
func skipOptions(args []string, withArg string, sudoLong bool) []string {
	for len(args) > 0 {
		a := args[0]
		switch {
		case a == "--":
			return args[1:]
		case strings.HasPrefix(a, "--"):
			args = args[1:]
			if sudoLong && !strings.Contains(a, "=") && sudoValued[a] && len(args) > 0 {
				args = args[1:]
			}
		case len(a) > 1 && a[0] == '-':
			args = args[1:]
			if len(a) == 2 && strings.IndexByte(withArg, a[1]) >= 0 && len(args) > 0 {
				args = args[1:]
			}
		default:
			return args
		}
	}
	return args
}

var sudoValued = map[string]bool{
	"--user": true, "--group": true, "--prompt": true, "--close-from": true,
	"--chdir": true, "--host": true, "--role": true, "--type": true,
	"--command-timeout": true, "--other-user": true, "--chroot": true,
}

func skipAssignments(args []string) []string {
	for len(args) > 0 && isAssignment(args[0]) {
		args = args[1:]
	}
	return args
}
