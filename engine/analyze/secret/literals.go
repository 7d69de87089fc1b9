package secret

import (
	"regexp"
	"regexp/syntax"
	"strings"
)

// A literal pre-check for the allow rules' path regexes, read from the
// parsed regex: Go's regexes have no literal to look for in patterns
// such as (?:^|/)(?:site-packages|node_modules|...)/, and run at a few
// bytes a microsecond on every directory and base name of an image,
// while most paths hold none of the literals that a match needs.

// literalNeed is what a text must hold for a regex to match in it: for
// some clause, for each of its sets, one of the set's strings.
type literalNeed [][][]string

// maxNeedClauses bounds the clauses that needOf distributes.
const maxNeedClauses = 32

// needOf is re's literal need, or nil when it cannot tell one.
func needOf(re *regexp.Regexp) literalNeed {
	parsed, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return nil
	}
	need, ok := needs(parsed)
	if !ok {
		return nil
	}
	return need
}

// mayMatch reports whether text holds what the need asks; a nil need
// asks nothing.
func (n literalNeed) mayMatch(text string) bool {
	if n == nil {
		return true
	}
clauses:
	for _, clause := range n {
		for _, set := range clause {
			if !containsAny(text, set) {
				continue clauses
			}
		}
		return true
	}
	return false
}

func containsAny(text string, set []string) bool {
	for _, s := range set {
		if strings.Contains(text, s) {
			return true
		}
	}
	return false
}

// needs is the need of r, ok false when it cannot tell one (any text may
// match, as far as it knows). Case-insensitive parts are left out.
func needs(r *syntax.Regexp) (literalNeed, bool) {
	if foldsCase(r) {
		return nil, false
	}
	if set, ok := literalSet(r); ok && r.Op != syntax.OpCharClass {
		if len(set) == 0 || slicesHasEmpty(set) {
			return nil, false
		}
		return literalNeed{{set}}, true
	}
	switch r.Op {
	case syntax.OpCapture, syntax.OpPlus:
		return needs(r.Sub[0])
	case syntax.OpRepeat:
		if r.Min >= 1 {
			return needs(r.Sub[0])
		}
	case syntax.OpAlternate:
		var out literalNeed
		for _, sub := range r.Sub {
			n, ok := needs(sub)
			if !ok {
				return nil, false
			}
			out = append(out, n...)
		}
		return out, len(out) <= maxNeedClauses
	case syntax.OpConcat:
		acc := literalNeed{{}}
		known := false
		add := func(n literalNeed) {
			if len(acc)*len(n) > maxNeedClauses {
				return
			}
			var next literalNeed
			for _, a := range acc {
				for _, c := range n {
					next = append(next, append(append([][]string(nil), a...), c...))
				}
			}
			acc, known = next, true
		}
		// Runs of literal parts are joined into one set (usr/share/ +
		// (doc|man) + / is usr/share/doc/ or usr/share/man/).
		run := []string{""}
		flush := func() {
			if len(run) > 0 && !slicesHasEmpty(run) {
				add(literalNeed{{run}})
			}
			run = []string{""}
		}
		for _, sub := range r.Sub {
			if !foldsCase(sub) {
				if set, ok := literalSet(sub); ok && len(run)*len(set) <= maxPrefixes {
					run = crossJoin(run, set)
					continue
				}
			}
			flush()
			if n, ok := needs(sub); ok {
				add(n)
			}
		}
		flush()
		return acc, known
	}
	return nil, false
}

func slicesHasEmpty(set []string) bool {
	for _, s := range set {
		if s == "" {
			return true
		}
	}
	return false
}

// foldsCase reports whether any part of r ignores case.
func foldsCase(r *syntax.Regexp) bool {
	if r.Flags&syntax.FoldCase != 0 {
		return true
	}
	for _, sub := range r.Sub {
		if foldsCase(sub) {
			return true
		}
	}
	return false
}
