// Package secret finds leaked credentials in files: a built-in rule set of
// regexes, each gated by keywords, with allow rules for examples and
// placeholders.
//
// Speed comes from not running regexes: one pass of a keyword automaton
// over a file's bytes finds every rule keyword at once, and only the rules whose
// keywords occur run, and only around their keywords (a rule whose keyword
// occurs very often runs once over the whole file instead, so no rule
// costs more than one pass).
package secret

import (
	"bytes"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"

	"github.com/docker-scan/docker-scan/engine/types"
)

// ruleDef is a rule as written in the table.
type ruleDef struct {
	id, category, title, severity string
	regex                         string
	keywords                      []string
	path                          string
	// entropy is the least Shannon entropy (bits per character) the secret
	// must have, for rules whose regex also matches ordinary words.
	entropy float64
	// assignment: the keyword is a name followed by "=" or ":" (after at
	// most a few more name characters); hits without one are dropped
	// before any regex runs.
	assignment bool
	// multiline: a match may span lines (key blocks, JSON documents);
	// other rules' regexes run on the keyword's line only.
	multiline         bool
	example, nearMiss string
}

// Rule is a compiled rule.
type Rule struct {
	ID, Category, Title, Severity string
	Regex                         *regexp.Regexp
	Keywords                      []string
	Path                          *regexp.Regexp
	MinEntropy                    float64
	Assignment, Multiline         bool
	// Allow drops this rule's findings that match (the global allow
	// rules apply to every rule).
	Allow             []AllowRule
	secretGroup       int
	Example, NearMiss string
}

// AllowRule drops findings whose secret, or whose file path, matches.
type AllowRule struct {
	ID     string
	Secret *regexp.Regexp
	Path   *regexp.Regexp
}

// Window around a keyword hit that its rule's regex runs over.
const (
	windowBefore = 256
	windowAfter  = 4096
	// manyHits: beyond this many hits of one multi-line rule in one file,
	// its regex runs once over the whole file instead.
	manyHits = 32
	// lineWindow bounds a single-line rule's window around its keyword.
	lineWindow = 1024
)

// Scanner holds compiled rules and the keyword automaton.
type Scanner struct {
	rules  []Rule
	allow  []AllowRule
	kw     *keywordMatcher
	byWord [][]int // keyword index -> rule indexes
	// excludeBlocks are blanked out before scanning.
	excludeBlocks []*regexp.Regexp
}

// BuiltinRules compiles the built-in rule table.
func BuiltinRules() ([]Rule, error) {
	var rules []Rule
	for _, d := range builtinRules {
		r, err := compile(d)
		if err != nil {
			return nil, err
		}
		rules = append(rules, r)
	}
	return rules, nil
}

func compile(d ruleDef) (Rule, error) {
	re, err := regexp.Compile(d.regex)
	if err != nil {
		return Rule{}, fmt.Errorf("rule %s: %w", d.id, err)
	}
	r := Rule{ID: d.id, Category: d.category, Title: d.title, Severity: d.severity, Regex: re, MinEntropy: d.entropy,
		Assignment: d.assignment, Multiline: d.multiline,
		secretGroup: re.SubexpIndex("secret"), Example: d.example, NearMiss: d.nearMiss}
	for _, k := range d.keywords {
		r.Keywords = append(r.Keywords, strings.ToLower(k))
	}
	if d.path != "" {
		if r.Path, err = regexp.Compile(d.path); err != nil {
			return Rule{}, fmt.Errorf("rule %s path: %w", d.id, err)
		}
	}
	return r, nil
}

// NewScanner builds a scanner for rules and allow rules.
func NewScanner(rules []Rule, allow []AllowRule) *Scanner {
	s := &Scanner{rules: rules, allow: allow}
	index := map[string]int{}
	var words []string
	for i, r := range rules {
		for _, k := range r.Keywords {
			w, ok := index[k]
			if !ok {
				w = len(words)
				index[k] = w
				words = append(words, k)
				s.byWord = append(s.byWord, nil)
			}
			s.byWord[w] = append(s.byWord[w], i)
		}
	}
	s.kw = newKeywordMatcher(words)
	return s
}

// Scan returns the secrets in one file's content.
func (s *Scanner) Scan(path string, content []byte) []types.SecretFinding {
	for _, a := range s.allow {
		if a.Path != nil && a.Path.MatchString(path) {
			return nil
		}
	}
	if len(s.excludeBlocks) > 0 {
		content = blankBlocks(content, s.excludeBlocks)
	}
	hits := map[int][]int{} // rule -> keyword end offsets
	s.kw.scan(content, func(w int32, end int) {
		for _, r := range s.byWord[w] {
			if s.rules[r].Assignment && !followedByAssignment(content, end) {
				continue
			}
			// A multi-line rule past manyHits scans the whole file anyway.
			if !s.rules[r].Multiline || len(hits[r]) <= manyHits {
				hits[r] = append(hits[r], end)
			}
		}
	})
	if len(hits) == 0 {
		return nil
	}
	ruleIdx := make([]int, 0, len(hits))
	for r := range hits {
		ruleIdx = append(ruleIdx, r)
	}
	sort.Ints(ruleIdx)
	type found struct {
		f          types.SecretFinding
		start, end int
		generic    bool
	}
	var all []found
	lines := newLineIndex(content)
	for _, ri := range ruleIdx {
		rule := &s.rules[ri]
		if rule.Path != nil && !rule.Path.MatchString(path) {
			continue
		}
		seen := map[int]bool{}
		for _, w := range windows(content, hits[ri], rule.Multiline) {
			for _, m := range rule.Regex.FindAllSubmatchIndex(content[w[0]:w[1]], -1) {
				start, end := m[0]+w[0], m[1]+w[0]
				sStart, sEnd := start, end
				if g := rule.secretGroup; g > 0 && m[2*g] >= 0 {
					sStart, sEnd = m[2*g]+w[0], m[2*g+1]+w[0]
				}
				if seen[sStart] {
					continue
				}
				seen[sStart] = true
				secret := string(content[sStart:sEnd])
				if rule.MinEntropy > 0 && entropy(secret) < rule.MinEntropy {
					continue
				}
				if s.allowed(secret) || allowedBy(rule.Allow, path, secret) {
					continue
				}
				all = append(all, found{finding(rule, content, lines, start, end, sStart, sEnd), sStart, sEnd, rule.Category == genericCategory})
			}
		}
	}
	// A secret that a specific rule names is not reported again by a
	// generic one.
	var out []types.SecretFinding
	for _, a := range all {
		dup := false
		for _, b := range all {
			if a.generic && !b.generic && a.start < b.end && b.start < a.end {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, a.f)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].StartLine < out[j].StartLine })
	return out
}

// genericCategory is the category of the rules that match by shape alone.
const genericCategory = "Generic"

func allowedBy(rules []AllowRule, path, secret string) bool {
	for _, a := range rules {
		if (a.Secret == nil || a.Secret.MatchString(secret)) && (a.Path == nil || a.Path.MatchString(path)) && (a.Secret != nil || a.Path != nil) {
			return true
		}
	}
	return false
}

func (s *Scanner) allowed(secret string) bool {
	for _, a := range s.allow {
		if a.Secret != nil && a.Secret.MatchString(secret) {
			return true
		}
	}
	return false
}

// windows are the byte ranges around keyword hits, merged: the hit's line
// (at most lineWindow bytes either side), or for multi-line rules a wider
// span; many hits of a multi-line rule give one window over the whole
// content.
func windows(content []byte, hits []int, multiline bool) [][2]int {
	if multiline && len(hits) > manyHits {
		return [][2]int{{0, len(content)}}
	}
	before, after := lineWindow, lineWindow
	if multiline {
		before, after = windowBefore, windowAfter
	}
	var out [][2]int
	for _, h := range hits {
		start := max(0, h-before)
		if i := bytes.LastIndexByte(content[:start], '\n'); i >= 0 {
			start = i + 1
		} else {
			start = 0
		}
		if !multiline {
			if i := bytes.LastIndexByte(content[start:h], '\n'); i >= 0 {
				start += i + 1
			}
		}
		end := min(len(content), h+after)
		if i := bytes.IndexByte(content[min(h, end):end], '\n'); i >= 0 && !multiline {
			end = min(h, end) + i
		} else if i := bytes.IndexByte(content[end:], '\n'); i >= 0 && multiline {
			end += i
		}
		if n := len(out); n > 0 && start <= out[n-1][1] {
			out[n-1][1] = max(out[n-1][1], end)
			continue
		}
		out = append(out, [2]int{start, end})
	}
	return out
}

// followedByAssignment reports whether "=", ":=", ":" or "=>" follows the
// keyword ending at end, after at most a few more name characters and
// quotes or blanks (API_KEY_ID = ..., "password": ...).
func followedByAssignment(content []byte, end int) bool {
	i := end
	for n := 0; i < len(content) && n < 24 && isNameByte(content[i]); n++ {
		i++
	}
	for i < len(content) && (content[i] == '"' || content[i] == '\'' || content[i] == ' ' || content[i] == '\t') {
		i++
	}
	return i < len(content) && (content[i] == '=' || content[i] == ':')
}

func isNameByte(b byte) bool {
	return b == '_' || b == '-' || b == '.' || '0' <= b && b <= '9' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z'
}

// entropy is the Shannon entropy of s in bits per character.
func entropy(s string) float64 {
	if s == "" {
		return 0
	}
	counts := map[rune]int{}
	for _, r := range s {
		counts[r]++
	}
	n := float64(len([]rune(s)))
	e := 0.0
	for _, c := range counts {
		p := float64(c) / n
		e -= p * math.Log2(p)
	}
	return e
}

// blankBlocks replaces the excluded blocks with spaces (keeping newlines,
// so line numbers stay right) in a copy of content.
func blankBlocks(content []byte, blocks []*regexp.Regexp) []byte {
	var out []byte
	for _, re := range blocks {
		for _, m := range re.FindAllIndex(content, -1) {
			if out == nil {
				out = append([]byte(nil), content...)
			}
			for i := m[0]; i < m[1]; i++ {
				if out[i] != '\n' {
					out[i] = ' '
				}
			}
		}
	}
	if out == nil {
		return content
	}
	return out
}
