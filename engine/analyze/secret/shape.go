package secret

import (
	"regexp"
	"regexp/syntax"
	"strings"
	"sync"
	"unicode/utf8"
)

// What a rule's regex says about where its matches lie, read once from
// the parsed regex so that the windows its keyword hits open can be as
// narrow as its matches: most provider rules match a token that starts
// with their keyword (ghp_..., EAAA..., AKIA...) and has a bounded
// length, and running such a regex over the whole line around every hit
// (source maps and minified code are lines of megabytes, dense with
// EAAA and sk) costs far more than running it from the hit.

// matchShape is what narrowing needs to know of a rule's regex.
type matchShape struct {
	// fromKeyword: every match starts where one of the rule's keywords
	// starts (ASCII case ignored, as the keyword automaton does).
	fromKeyword bool
	// maxLen is the most bytes a match can span, or -1 without a bound.
	maxLen int
}

// maxPrefixes bounds the set of literal prefixes that shapeOf expands.
const maxPrefixes = 256

// shapes remembers shapeOf's answers by regex and keywords: every scan
// builds its analyzer, with the same built-in rules. A process that
// sees many configurations (a server) starts it afresh past
// maxRememberedShapes.
var shapes struct {
	sync.Mutex
	m map[string]matchShape
}

const maxRememberedShapes = 4096

// shapeOf reads re's match shape against the rule's keywords.
func shapeOf(re *regexp.Regexp, keywords []string) matchShape {
	key := re.String() + "\x00" + strings.Join(keywords, "\x00")
	shapes.Lock()
	shape, ok := shapes.m[key]
	shapes.Unlock()
	if ok {
		return shape
	}
	shape = readShape(re, keywords)
	shapes.Lock()
	if shapes.m == nil || len(shapes.m) >= maxRememberedShapes {
		shapes.m = map[string]matchShape{}
	}
	shapes.m[key] = shape
	shapes.Unlock()
	return shape
}

func readShape(re *regexp.Regexp, keywords []string) matchShape {
	parsed, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return matchShape{maxLen: -1}
	}
	shape := matchShape{maxLen: maxMatchLen(parsed)}
	prefixes, ok := leadingLiterals(parsed)
	if !ok || len(prefixes) == 0 {
		return shape
	}
	shape.fromKeyword = true
	for _, p := range prefixes {
		if !hasKeywordPrefix(p, keywords) {
			shape.fromKeyword = false
			break
		}
	}
	return shape
}

func hasKeywordPrefix(s string, keywords []string) bool {
	for _, k := range keywords {
		if k != "" && len(s) >= len(k) && strings.EqualFold(s[:len(k)], k) {
			return true
		}
	}
	return false
}

// maxMatchLen is the most bytes a match of r spans, or -1 without bound.
func maxMatchLen(r *syntax.Regexp) int {
	switch r.Op {
	case syntax.OpEmptyMatch, syntax.OpNoMatch, syntax.OpBeginLine, syntax.OpEndLine,
		syntax.OpBeginText, syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return 0
	case syntax.OpLiteral:
		n := 0
		for _, c := range r.Rune {
			if r.Flags&syntax.FoldCase != 0 {
				n += utf8.UTFMax // a case twin may be longer (k, K)
			} else {
				n += utf8.RuneLen(c)
			}
		}
		return n
	case syntax.OpCharClass:
		n := 1
		for i := 1; i < len(r.Rune); i += 2 {
			n = max(n, utf8.RuneLen(r.Rune[i]))
		}
		return n
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return utf8.UTFMax
	case syntax.OpCapture, syntax.OpQuest:
		return maxMatchLen(r.Sub[0])
	case syntax.OpRepeat:
		sub := maxMatchLen(r.Sub[0])
		if r.Max < 0 || sub < 0 {
			return -1
		}
		return r.Max * sub
	case syntax.OpConcat:
		n := 0
		for _, sub := range r.Sub {
			m := maxMatchLen(sub)
			if m < 0 {
				return -1
			}
			n += m
		}
		return n
	case syntax.OpAlternate:
		n := 0
		for _, sub := range r.Sub {
			m := maxMatchLen(sub)
			if m < 0 {
				return -1
			}
			n = max(n, m)
		}
		return n
	}
	return -1 // star, plus
}

// leadingLiterals is a set of strings one of which starts every match of
// r, as long as it can tell (ok false when it cannot tell any): the
// literal text at the start of the regex, expanded over alternations and
// small classes.
func leadingLiterals(r *syntax.Regexp) (prefixes []string, ok bool) {
	switch r.Op {
	case syntax.OpCapture:
		return leadingLiterals(r.Sub[0])
	case syntax.OpAlternate:
		var out []string
		for _, sub := range r.Sub {
			p, ok := leadingLiterals(sub)
			if !ok {
				return nil, false
			}
			out = append(out, p...)
		}
		return out, len(out) <= maxPrefixes
	case syntax.OpConcat:
		acc := []string{""}
		for _, sub := range r.Sub {
			switch sub.Op {
			case syntax.OpWordBoundary, syntax.OpBeginText, syntax.OpBeginLine, syntax.OpEmptyMatch:
				continue // they match no text
			}
			if lits, ok := literalSet(sub); ok && len(acc)*len(lits) <= maxPrefixes {
				acc = crossJoin(acc, lits)
				continue
			}
			if p, ok := leadingLiterals(sub); ok && len(acc)*len(p) <= maxPrefixes {
				acc = crossJoin(acc, p)
			}
			break
		}
		return acc, true
	}
	return literalSet(r)
}

// literalSet is every string that r matches, when they are few: literals
// (in the case written; a case-insensitive literal stands for its ASCII
// case variants, which hasKeywordPrefix compares without case), small
// classes, and their alternations and concatenations.
func literalSet(r *syntax.Regexp) ([]string, bool) {
	switch r.Op {
	case syntax.OpLiteral:
		return []string{string(r.Rune)}, true
	case syntax.OpEmptyMatch:
		return []string{""}, true
	case syntax.OpCharClass:
		var out []string
		for i := 0; i+1 < len(r.Rune); i += 2 {
			for c := r.Rune[i]; c <= r.Rune[i+1]; c++ {
				if len(out) == 64 {
					return nil, false
				}
				out = append(out, string(c))
			}
		}
		return out, true
	case syntax.OpCapture:
		return literalSet(r.Sub[0])
	case syntax.OpQuest:
		sub, ok := literalSet(r.Sub[0])
		return append(sub, ""), ok
	case syntax.OpAlternate:
		var out []string
		for _, sub := range r.Sub {
			s, ok := literalSet(sub)
			if !ok || len(out)+len(s) > maxPrefixes {
				return nil, false
			}
			out = append(out, s...)
		}
		return out, true
	case syntax.OpConcat:
		acc := []string{""}
		for _, sub := range r.Sub {
			s, ok := literalSet(sub)
			if !ok || len(acc)*len(s) > maxPrefixes {
				return nil, false
			}
			acc = crossJoin(acc, s)
		}
		return acc, true
	}
	return nil, false
}

func crossJoin(a, b []string) []string {
	out := make([]string, 0, len(a)*len(b))
	for _, x := range a {
		for _, y := range b {
			out = append(out, x+y)
		}
	}
	return out
}
