package licensing

import (
	"errors"
	"strings"
)

// An SPDX licence expression, as far as classification and normalisation
// need one: leaves joined by AND, OR and WITH. go-spdx validates
// expressions but keeps its syntax tree to itself, so this small parser
// gives us the tree; its leaves may be any name ("Apache License 2.0"),
// not only SPDX identifiers.

// Limits on an expression from untrusted metadata.
const (
	maxExprTokens = 256
	maxExprDepth  = 32
)

type exprOp int

const (
	opLeaf exprOp = iota
	opOr
	opAnd
	opWith
)

type expr struct {
	op          exprOp
	name        string // opLeaf
	left, right *expr
}

var errSyntax = errors.New("not a licence expression")

// parseExpr parses s. With strict, only upper-case AND, OR, WITH are
// operators (SPDX); otherwise lower-case ones are too (Debian's "GPL-1+
// or Artistic").
func parseExpr(s string, strict bool) (*expr, error) {
	toks := tokenize(s)
	if len(toks) == 0 || len(toks) > maxExprTokens {
		return nil, errSyntax
	}
	p := &exprParser{toks: toks, strict: strict}
	e, err := p.or(0)
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, errSyntax
	}
	return e, nil
}

// tokenize splits on spaces and around parentheses.
func tokenize(s string) []string {
	var toks []string
	start := -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '(' || c == ')':
			if start >= 0 {
				toks = append(toks, s[start:i])
				start = -1
			}
			toks = append(toks, s[i:i+1])
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if start >= 0 {
				toks = append(toks, s[start:i])
				start = -1
			}
		default:
			if start < 0 {
				start = i
			}
		}
		if len(toks) > maxExprTokens {
			return toks
		}
	}
	if start >= 0 {
		toks = append(toks, s[start:])
	}
	return toks
}

type exprParser struct {
	toks   []string
	pos    int
	strict bool
}

func (p *exprParser) peekOp() exprOp {
	if p.pos >= len(p.toks) {
		return opLeaf
	}
	t := p.toks[p.pos]
	if !p.strict {
		t = strings.ToUpper(t)
	}
	switch t {
	case "OR":
		return opOr
	case "AND":
		return opAnd
	case "WITH":
		return opWith
	}
	return opLeaf
}

func (p *exprParser) or(depth int) (*expr, error) {
	return p.binary(depth, opOr)
}

// binary parses operands of op (OR over AND over WITH) joined by op.
func (p *exprParser) binary(depth int, op exprOp) (*expr, error) {
	if depth > maxExprDepth {
		return nil, errSyntax
	}
	operand := func() (*expr, error) {
		switch op {
		case opOr:
			return p.binary(depth+1, opAnd)
		case opAnd:
			return p.binary(depth+1, opWith)
		}
		return p.atom(depth + 1)
	}
	left, err := operand()
	if err != nil {
		return nil, err
	}
	for p.peekOp() == op {
		p.pos++
		right, err := operand()
		if err != nil {
			return nil, err
		}
		if op == opWith && (right.op != opLeaf || left.op != opLeaf) {
			return nil, errSyntax
		}
		left = &expr{op: op, left: left, right: right}
	}
	return left, nil
}

// atom is a parenthesised expression or a name: the words up to the next
// operator or parenthesis.
func (p *exprParser) atom(depth int) (*expr, error) {
	if p.pos >= len(p.toks) {
		return nil, errSyntax
	}
	if p.toks[p.pos] == "(" {
		p.pos++
		e, err := p.or(depth + 1)
		if err != nil {
			return nil, err
		}
		if p.pos >= len(p.toks) || p.toks[p.pos] != ")" {
			return nil, errSyntax
		}
		p.pos++
		return e, nil
	}
	start := p.pos
	for p.pos < len(p.toks) && p.toks[p.pos] != "(" && p.toks[p.pos] != ")" && p.peekOp() == opLeaf {
		p.pos++
	}
	if p.pos == start {
		return nil, errSyntax
	}
	return &expr{op: opLeaf, name: strings.Join(p.toks[start:p.pos], " ")}, nil
}

// String writes the expression back, with parentheses only where the
// precedence (WITH over AND over OR) needs them.
func (e *expr) String() string {
	var b strings.Builder
	e.write(&b)
	return b.String()
}

func (e *expr) write(b *strings.Builder) {
	if e.op == opLeaf {
		b.WriteString(e.name)
		return
	}
	side := func(s *expr) {
		if s.op != opLeaf && s.op < e.op {
			b.WriteByte('(')
			s.write(b)
			b.WriteByte(')')
			return
		}
		s.write(b)
	}
	side(e.left)
	switch e.op {
	case opOr:
		b.WriteString(" OR ")
	case opAnd:
		b.WriteString(" AND ")
	case opWith:
		b.WriteString(" WITH ")
	}
	side(e.right)
}

// wrapped reports whether s is one parenthesised group: "(MIT OR ISC)".
func wrapped(s string) bool {
	if !strings.HasPrefix(s, "(") || !strings.HasSuffix(s, ")") {
		return false
	}
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 && i != len(s)-1 {
				return false
			}
		}
	}
	return depth == 0
}
