package buildinfo

import (
	"bytes"
	"strings"
)

// dockerfileLabels returns the LABELs of a Dockerfile (of every stage; a
// later one wins), keys lower-cased, keys and values with quotes removed
// and variables expanded from the ENV instructions before them and the
// ARG defaults before the first FROM. It reads only what Red Hat's build
// Dockerfiles use (LABEL, ENV, ARG, continuation lines, the escape
// directive) and never fails: what it cannot read is left out.
func dockerfileLabels(content []byte) map[string]string {
	escape := escapeDirective(content)
	labels := map[string]string{}
	env := map[string]string{}
	seenFrom := false
	for _, ins := range instructions(content, escape) {
		keyword, args, _ := strings.Cut(ins, " ")
		args = strings.TrimSpace(args)
		switch strings.ToUpper(keyword) {
		case "FROM":
			seenFrom = true
		case "ARG":
			if seenFrom {
				continue
			}
			for _, w := range words(args, escape) {
				k, v, ok := cutUnquoted(w, escape)
				name := expand(k, escape, env)
				if !ok {
					if _, set := env[name]; !set {
						env[name] = ""
					}
					continue
				}
				env[name] = expand(v, escape, env)
			}
		case "ENV":
			for k, v := range pairs(args, escape, env) {
				env[k] = v
			}
		case "LABEL":
			for k, v := range pairs(args, escape, env) {
				labels[strings.ToLower(k)] = v
			}
		}
	}
	return labels
}

// pairs reads the key=value pairs of a LABEL or ENV instruction, or its
// legacy one-pair form "KEY value with spaces", expanding each against env
// as it stands before the instruction.
func pairs(args string, escape byte, env map[string]string) map[string]string {
	out := map[string]string{}
	ws := words(args, escape)
	if len(ws) == 0 {
		return out
	}
	if _, _, ok := cutUnquoted(ws[0], escape); !ok {
		key := ws[0]
		value := strings.TrimSpace(strings.TrimPrefix(args, key))
		out[expand(key, escape, env)] = expand(value, escape, env)
		return out
	}
	for _, w := range ws {
		k, v, ok := cutUnquoted(w, escape)
		if !ok {
			continue
		}
		out[expand(k, escape, env)] = expand(v, escape, env)
	}
	return out
}

// escapeDirective reads the "# escape=`" parser directive of the
// Dockerfile's first lines; the default escape is a backslash.
func escapeDirective(content []byte) byte {
	for line := range bytes.Lines(content) {
		t := strings.TrimSpace(string(line))
		if !strings.HasPrefix(t, "#") {
			break
		}
		k, v, ok := strings.Cut(strings.TrimSpace(t[1:]), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "escape") && strings.TrimSpace(v) == "`" {
			return '`'
		}
	}
	return '\\'
}

// instructions joins continuation lines and drops comments and blank
// lines: one string per instruction.
func instructions(content []byte, escape byte) []string {
	var out []string
	var cur strings.Builder
	for line := range bytes.Lines(content) {
		t := strings.TrimSpace(string(line))
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if t[len(t)-1] == escape {
			cur.WriteString(t[:len(t)-1])
			cur.WriteByte(' ')
			continue
		}
		cur.WriteString(t)
		out = append(out, strings.Map(tabToSpace, cur.String()))
		cur.Reset()
	}
	if cur.Len() > 0 {
		out = append(out, strings.Map(tabToSpace, cur.String()))
	}
	return out
}

func tabToSpace(r rune) rune {
	if r == '\t' {
		return ' '
	}
	return r
}

// words splits s at unquoted, unescaped spaces, keeping quotes and
// escapes for expand.
func words(s string, escape byte) []string {
	var out []string
	start, quote := -1, byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == escape && quote != '\'' && i+1 < len(s):
			if start < 0 {
				start = i
			}
			i++
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
			if start < 0 {
				start = i
			}
		case c == ' ':
			if start >= 0 {
				out = append(out, s[start:i])
				start = -1
			}
		default:
			if start < 0 {
				start = i
			}
		}
	}
	if start >= 0 {
		out = append(out, s[start:])
	}
	return out
}

// cutUnquoted cuts a word at its first '=' outside quotes.
func cutUnquoted(w string, escape byte) (key, value string, ok bool) {
	quote := byte(0)
	for i := 0; i < len(w); i++ {
		c := w[i]
		switch {
		case c == escape && quote != '\'':
			i++
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '=':
			return w[:i], w[i+1:], true
		}
	}
	return w, "", false
}

// expand processes one word as the Dockerfile's shell-like lexer does:
// quotes removed, escapes applied, $NAME and ${NAME} (with the :- and :+
// forms) replaced from env.
func expand(w string, escape byte, env map[string]string) string {
	var b strings.Builder
	quote := byte(0)
	for i := 0; i < len(w); i++ {
		c := w[i]
		switch {
		case c == escape && quote != '\'' && i+1 < len(w):
			next := w[i+1]
			if quote == '"' && next != '"' && next != '$' && next != escape {
				b.WriteByte(c)
			}
			b.WriteByte(next)
			i++
		case c == '\'' && quote != '"':
			quote ^= '\''
		case c == '"' && quote != '\'':
			quote ^= '"'
		case c == '$' && quote != '\'':
			value, n := variable(w[i+1:], escape, env)
			if n == 0 {
				b.WriteByte(c)
				continue
			}
			b.WriteString(value)
			i += n
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// variable reads the variable reference after a '$' and returns its value
// and how many bytes it took (0: not a reference).
func variable(s string, escape byte, env map[string]string) (string, int) {
	if s == "" {
		return "", 0
	}
	if s[0] != '{' {
		n := 0
		for n < len(s) && isNameByte(s[n]) {
			n++
		}
		if n == 0 {
			return "", 0
		}
		return env[s[:n]], n
	}
	// A reference is short; looking further for its end would make a
	// line of "${${${..." cost its length squared.
	end := strings.IndexByte(s[:min(len(s), maxReference)], '}')
	if end < 0 {
		return "", 0
	}
	ref := s[1:end]
	name, word, op := ref, "", ""
	for _, o := range []string{":-", ":+"} {
		if k, w, ok := strings.Cut(ref, o); ok {
			name, word, op = k, w, o
			break
		}
	}
	value, set := env[name]
	switch op {
	case ":-":
		if !set || value == "" {
			value = expand(word, escape, env)
		}
	case ":+":
		value = ""
		if set && env[name] != "" {
			value = expand(word, escape, env)
		}
	}
	return value, end + 1
}

// maxReference is the longest ${...} read.
const maxReference = 256

func isNameByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
