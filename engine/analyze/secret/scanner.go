// Package secret finds leaked credentials in files: a built-in rule set of
// regexes, each gated by keywords, with allow rules for examples and
// placeholders.
//
// Speed comes from not running regexes: one pass of a keyword automaton
// over a file's bytes finds every rule keyword at once, and only the rules
// whose keywords occur run, and only in windows around their keywords,
// merged, so that a rule reads each byte at most once however often its
// keyword occurs.
//
// A scanned image is untrusted, so the cost of a file is bounded by its
// size whatever it holds: a run of one letter, a keyword repeated a
// million times, one huge line. Window bounds come from one forward pass
// (no looking back over a long line per hit), regexes read at most a
// budget of bytes per file, a file reports at most MaxFindingsPerFile
// secrets (a layer MaxFindingsPerLayer), and a finding keeps a snippet of
// each line around it, never the line; past a cap, the analyzer records
// an analysis issue.
package secret

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"math"
	"regexp"
	"regexp/syntax"
	"slices"
	"sort"
	"strings"
	"sync"

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
	multiline bool
	// upperKeyword: the rule's tokens start with their keyword in upper
	// case (SK..., AKIA...): a hit in another case ("task", "ask") opens
	// no window. It matters for keywords of two or three letters, which
	// ordinary text holds everywhere.
	upperKeyword bool
	// exactCase: the regex matches every keyword only in the case the
	// keywords are written in here (EAAA, sq0atp-), at the start of the
	// match: a hit in another case ("eaaa" in base64 data) opens no
	// window, and the hit that starts any match has a window of its own.
	exactCase         bool
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
	upperKeyword                  bool
	// exactKeywords are the keywords as written, for exactCase rules.
	exactKeywords []string
	// literal: the regex ends at an assignment operator and the secret is
	// the literal value after it, read by a literalReader (generic.go).
	literal *literalSpec
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
	// ShapeOnly: the rule drops the findings of the rules that know a
	// secret by its surroundings only (shapeOnly), not those of the
	// rules that know a token's format.
	ShapeOnly bool
	// dirOnly: every match of Path ends at a '/', so that it depends on
	// the file's directory only and is decided once per directory.
	dirOnly bool
	// baseOnly: Path matches a path if and only if it matches the path's
	// base name (every match lies in the base name, after a '/' or at the
	// start), so that it is decided once per base name.
	baseOnly bool
}

// Window around a keyword hit that its rule's regex runs over.
const (
	windowBefore = 256
	windowAfter  = 4096
	// lineWindow bounds a single-line rule's window either side of its
	// keyword, and how far a multi-line rule's window reaches for a line
	// boundary: a long line (minified code, base64) is searched around its
	// keywords only.
	lineWindow = 1024
)

// Caps on what one file may cost.
const (
	// MaxFindingsPerFile: past it, the file gets an analysis issue and the
	// rest of its secrets are not reported.
	MaxFindingsPerFile = 100
	// The bytes that rule regexes read in one file are at most
	// regexBudgetFactor times its size plus regexBudgetFloor, and never
	// more than regexBudgetMax: windows of distinct rules overlap (a
	// minified file has "sk" and "https://" everywhere), but a file dense
	// with the keywords of every rule must not cost a regex pass per rule
	// over all of it. Go's regexes read 5-15 MB/s on such text, so the
	// ceiling keeps a file to about a second; past it the file gets an
	// analysis issue.
	regexBudgetFactor = 8
	regexBudgetFloor  = 1 << 20
	regexBudgetMax    = 16 << 20
)

// Scanner holds compiled rules and the keyword automaton.
type Scanner struct {
	rules []Rule
	allow []AllowRule
	kw    *keywordMatcher
	// providerKW looks for the keywords of the rules that know a token by
	// its format (not shapeOnly) alone, in third-party code, where the
	// shape-only rules do not run: their keywords (key, token, secret,
	// password) are what library code is full of. providerWord maps its
	// keyword indexes to kw's.
	providerKW   *keywordMatcher
	providerWord []int32
	byWord       [][]int // keyword index -> rule indexes
	wordLen      []int   // keyword index -> its length
	// shapes (by rule) say where the rule's matches lie around its
	// keywords, longestWord (by rule) its longest keyword: see
	// keywordWindows.
	shapes      []matchShape
	longestWord []int
	// excludeBlocks are blanked out before scanning.
	excludeBlocks []*regexp.Regexp
	// tokenPrefixes are the provider rules' keywords that start a token
	// of theirs (ghp_, glpat-, pypi-AgEI...): a generic rule leaves a
	// value that starts with one to its provider's rule, which knows the
	// format and has judged it (a truncated token is a near miss, not a
	// password).
	tokenPrefixes []string
	// dirs remembers which directory-only allow rules match each
	// directory: their regexes cost microseconds a path, and an image has
	// tens of thousands of files in a few thousand directories.
	dirs dirMemo
}

// dirMemo maps a directory to the bit set of the allow rules (by index,
// the first 64) with dirOnly whose Path matches it, and a base name to
// those with baseOnly.
type dirMemo struct {
	mu      sync.Mutex
	m, base map[string]uint64
	// inherit: the rules that match every directory below one they
	// match (their regexes look at nothing after a match: no $, no \b),
	// so that a directory takes its parent's bits of those and their
	// regexes run only where the parent has none. Deep trees
	// (node_modules, site-packages) then cost one regex run at their top.
	inherit uint64
	// needs (by allow rule) are the literals that a path must hold for
	// the rule's Path to match it, checked before the regex.
	needs []literalNeed
}

// maxMemoDirs bounds the memo: a scanner that outlives many images (a
// server) starts it afresh rather than grow without end.
const maxMemoDirs = 1 << 16

func (d *dirMemo) matches(allow []AllowRule, path string) uint64 {
	cut := strings.LastIndexByte(path, '/') + 1
	dir, base := path[:cut], path[cut:]
	// Most base names hold none of the literals that the base-name rules
	// need (.md, go.sum...): those match none, without the memo, which
	// would otherwise take in every file's name.
	var baseBits uint64
	baseOK := true
	for i, a := range allow {
		if i < 64 && a.baseOnly && a.Path != nil && d.mayMatch(i, base) {
			d.mu.Lock()
			baseBits, baseOK = d.base[base]
			d.mu.Unlock()
			break
		}
	}
	if !baseOK {
		for i, a := range allow {
			if i < 64 && a.baseOnly && a.Path != nil && d.mayMatch(i, base) && a.Path.MatchString(base) {
				baseBits |= 1 << i
			}
		}
		d.mu.Lock()
		if d.base == nil || len(d.base) >= maxMemoDirs {
			d.base = map[string]uint64{}
		}
		d.base[base] = baseBits
		d.mu.Unlock()
	}
	return d.dirMatches(allow, dir) | baseBits
}

// dirMatches is the bit set of the dirOnly rules that match dir ("" or a
// path that ends in '/'), its ancestors' first.
func (d *dirMemo) dirMatches(allow []AllowRule, dir string) uint64 {
	d.mu.Lock()
	bits, ok := d.m[dir]
	d.mu.Unlock()
	if ok {
		return bits
	}
	// The ancestors are looked up one level at a time, so that a path
	// longer than any a tar walker passes (PATH_MAX) is matched whole.
	if dir != "" && d.inherit != 0 && len(dir) <= maxInheritedPath {
		parent := dir[:strings.LastIndexByte(dir[:len(dir)-1], '/')+1]
		bits = d.dirMatches(allow, parent) & d.inherit
	}
	for i, a := range allow {
		if i < 64 && a.dirOnly && a.Path != nil && bits&(1<<i) == 0 && d.mayMatch(i, dir) && a.Path.MatchString(dir) {
			bits |= 1 << i
		}
	}
	d.mu.Lock()
	if d.m == nil || len(d.m) >= maxMemoDirs {
		d.m = map[string]uint64{}
	}
	d.m[dir] = bits
	d.mu.Unlock()
	return bits
}

// maxInheritedPath bounds the directories whose ancestors dirMatches
// looks up (one call deep per level).
const maxInheritedPath = 4096

// mayMatch reports whether allow rule i's Path may match text, by its
// literal need.
func (d *dirMemo) mayMatch(i int, text string) bool {
	return i >= len(d.needs) || d.needs[i].mayMatch(text)
}

// inheritable reports whether a match of re in a text stays a match in
// every text that the first extends: re has no assertion about what
// follows a match (end of text or line, word boundary).
func inheritable(re *regexp.Regexp) bool {
	parsed, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return false
	}
	var ok func(*syntax.Regexp) bool
	ok = func(r *syntax.Regexp) bool {
		switch r.Op {
		case syntax.OpEndLine, syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
			return false
		}
		for _, sub := range r.Sub {
			if !ok(sub) {
				return false
			}
		}
		return true
	}
	return ok(parsed)
}

// BuiltinRules returns the built-in rule table, compiled. Each scan
// builds its analyzer, so the table is compiled once per process; the
// slices a caller gets are its own to change (appends copy).
func BuiltinRules() ([]Rule, error) {
	rules, err := compiledBuiltinRules()
	if err != nil {
		return nil, err
	}
	out := slices.Clone(rules)
	for i := range out {
		r := &out[i]
		r.Keywords, r.exactKeywords, r.Allow = slices.Clip(r.Keywords), slices.Clip(r.exactKeywords), slices.Clip(r.Allow)
	}
	return out, nil
}

var compiledBuiltinRules = sync.OnceValues(compileBuiltinRules)

func compileBuiltinRules() ([]Rule, error) {
	var rules []Rule
	for _, d := range builtinRules {
		r, err := compile(d)
		if err != nil {
			return nil, err
		}
		// A generated token never holds a run typed by hand; examples
		// and placeholders do (AIzaSyabcdefghijklmnopqrstuvwxyz1234567).
		// A user's own rule says for itself what its tokens look like.
		r.Allow = append(r.Allow, placeholderRuns)
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
		Assignment: d.assignment, Multiline: d.multiline, upperKeyword: d.upperKeyword,
		secretGroup: re.SubexpIndex("secret"), Example: d.example, NearMiss: d.nearMiss}
	if spec, ok := literalRules[d.id]; ok {
		r.literal = &spec
	}
	for _, k := range d.keywords {
		r.Keywords = append(r.Keywords, strings.ToLower(k))
		if d.exactCase {
			r.exactKeywords = append(r.exactKeywords, k)
		}
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
	for i, a := range allow {
		if i < 64 && a.dirOnly && a.Path != nil && inheritable(a.Path) {
			s.dirs.inherit |= 1 << i
		}
		var need literalNeed
		if a.Path != nil && (a.dirOnly || a.baseOnly) {
			need = needOf(a.Path)
		}
		s.dirs.needs = append(s.dirs.needs, need)
	}
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
				s.wordLen = append(s.wordLen, len(k))
			}
			s.byWord[w] = append(s.byWord[w], i)
		}
	}
	s.kw = newKeywordMatcher(words)
	for _, r := range rules {
		s.shapes = append(s.shapes, shapeOf(r.Regex, r.Keywords))
		longest := 0
		for _, k := range r.Keywords {
			longest = max(longest, len(k))
		}
		s.longestWord = append(s.longestWord, longest)
	}
	var providerWords []string
	for w, word := range words {
		for _, r := range s.byWord[w] {
			if !shapeOnly(&rules[r]) {
				providerWords = append(providerWords, word)
				s.providerWord = append(s.providerWord, int32(w))
				break
			}
		}
	}
	s.providerKW = newKeywordMatcher(providerWords)
	for _, r := range rules {
		if r.Category == genericCategory || r.Assignment {
			continue
		}
		for _, k := range r.Keywords {
			if (len(k) >= 4 && strings.ContainsAny(k[len(k)-1:], "_-.")) || len(k) >= 8 {
				s.tokenPrefixes = append(s.tokenPrefixes, k)
			}
		}
	}
	slices.Sort(s.tokenPrefixes)
	s.tokenPrefixes = slices.Compact(s.tokenPrefixes)
	return s
}

// providerShaped reports whether a generic rule's value starts like a
// provider's token.
func (s *Scanner) providerShaped(value string) bool {
	for _, p := range s.tokenPrefixes {
		if len(value) >= len(p) && strings.EqualFold(value[:len(p)], p) {
			return true
		}
	}
	return false
}

// Result is what scanning one file found.
type Result struct {
	Findings []types.SecretFinding
	// Truncated: the file holds more than MaxFindingsPerFile secrets, or
	// one rule matched more often than that; the rest are not reported.
	Truncated bool
	// Incomplete: the file's keyword hits called for more regex work than
	// its budget allows; some rules did not search all of their windows.
	Incomplete bool
	// masks are the byte ranges of every secret found, merged.
	masks []span
}

// Issue says in one line why the result is partial, or "" if it is not.
func (r Result) Issue() string {
	switch {
	case r.Incomplete:
		return "too many secret-rule keywords; the file was searched only in part"
	case r.Truncated:
		return fmt.Sprintf("more than %d secrets; the rest are not reported", MaxFindingsPerFile)
	}
	return ""
}

// Scan returns the secrets in one file's content.
func (s *Scanner) Scan(path string, content []byte) []types.SecretFinding {
	return s.ScanFile(path, content).Findings
}

// match is a secret that a rule found, by offsets into the content.
type match struct {
	rule         int
	start, end   int // the whole match
	sStart, sEnd int // the secret, which is masked
	line         int
}

// ScanFile returns the secrets in one file's content. Its time and memory
// are linear in the content's size whatever the content: regexes run on
// merged windows around keyword hits (each byte is in at most one window
// of a rule) under a budget of regex bytes, a rule stops after
// MaxFindingsPerFile matches, and findings keep snippets of their lines,
// not the lines.
func (s *Scanner) ScanFile(path string, content []byte) Result {
	res, _ := s.ScanFileContext(context.Background(), path, content)
	return res
}

// ScanFileContext is ScanFile that gives up, with ctx's error, once ctx is
// done: its regexes check ctx every pieceSize bytes, so that a scan
// cancelled (--timeout) in the middle of a large file stops within
// milliseconds rather than after the file's whole budget.
func (s *Scanner) ScanFileContext(ctx context.Context, path string, content []byte) (Result, error) {
	return s.scan(ctx, path, content, false)
}

// scan is ScanFileContext; with masksOnly it finds every secret (no cap on
// findings; the budget of regex work still holds) and returns only their
// ranges, for Analyzer.Mask.
func (s *Scanner) scan(ctx context.Context, path string, content []byte, masksOnly bool) (Result, error) {
	skipAll, skipShapes := s.pathAllowed(path)
	if skipAll {
		return Result{}, nil
	}
	code := isCode(path)
	if len(s.excludeBlocks) > 0 {
		content = blankBlocks(content, s.excludeBlocks)
	}
	wins := s.keywordWindows(content, skipShapes)
	if wins == nil {
		return Result{}, nil
	}
	defer s.releaseWindows(wins)
	var res Result
	budget := min(regexBudgetFactor*len(content)+regexBudgetFloor, regexBudgetMax)
	var all []match
rules:
	for ri, ws := range wins {
		rule := &s.rules[ri]
		if len(ws) == 0 || rule.Path != nil && !rule.Path.MatchString(path) || skipShapes && shapeOnly(rule) {
			continue
		}
		found, full := 0, false
		// literalEnd: a literal rule's last value ends here; a match
		// inside it is part of that value.
		literalEnd := 0
		var literals *literalReader
		if rule.literal != nil {
			literals = newLiteralReader(content, code, *rule.literal)
		}
		for _, w := range ws {
			ok, err := eachMatch(ctx, rule.Regex, content, w, &budget, func(m []int) bool {
				start, end := m[0], m[1]
				// Adjacent lines share a window; a single-line rule
				// still matches within one line.
				if !rule.Multiline && bytes.IndexByte(content[start:end], '\n') >= 0 {
					return true
				}
				sStart, sEnd := start, end
				if g := rule.secretGroup; g > 0 && m[2*g] >= 0 {
					sStart, sEnd = m[2*g], m[2*g+1]
				}
				if rule.literal != nil {
					if start < literalEnd {
						return true
					}
					var ok bool
					if sStart, sEnd, ok = literals.value(end); !ok || s.providerShaped(string(content[sStart:sEnd])) {
						return true
					}
					end, literalEnd = max(end, sEnd), sEnd
				}
				secret := string(content[sStart:sEnd])
				if rule.MinEntropy > 0 && entropy(secret) < rule.MinEntropy {
					return true
				}
				if s.allowed(secret, shapeOnly(rule)) || allowedBy(rule.Allow, path, secret) {
					return true
				}
				if found == MaxFindingsPerFile && !masksOnly {
					full = true
					return false
				}
				found++
				all = append(all, match{rule: ri, start: start, end: end, sStart: sStart, sEnd: sEnd})
				return true
			})
			if err != nil {
				return Result{}, err
			}
			if !ok {
				res.Incomplete = true
				break rules
			}
			if full {
				res.Truncated = true
				continue rules
			}
		}
	}
	if len(all) == 0 {
		return res, nil
	}
	if masksOnly {
		res.masks = maskSpans(all)
		return res, nil
	}
	kept := dropGenericDuplicates(s.rules, all)
	// Report order: by line, then rule, then position (the order found).
	byOffset := slices.Clone(kept)
	slices.SortFunc(byOffset, func(a, b match) int { return cmp.Compare(a.start, b.start) })
	lines := newLineCursor(content)
	for i := range byOffset {
		byOffset[i].line = lines.lineNumber(byOffset[i].start)
	}
	slices.SortStableFunc(byOffset, func(a, b match) int {
		return cmp.Or(cmp.Compare(a.line, b.line), cmp.Compare(a.rule, b.rule))
	})
	if len(byOffset) > MaxFindingsPerFile {
		byOffset, res.Truncated = byOffset[:MaxFindingsPerFile], true
	}
	res.masks = maskSpans(all)
	res.Findings = findings(s.rules, content, byOffset, res.masks)
	return res, nil
}

// pathAllowed reports whether the allow rules drop every finding in the
// file at path (skipAll), or those of the shapeOnly rules (skipShapes).
func (s *Scanner) pathAllowed(path string) (skipAll, skipShapes bool) {
	dirMatches := s.dirs.matches(s.allow, path)
	for i, a := range s.allow {
		memo := (a.dirOnly || a.baseOnly) && i < 64
		if a.Path != nil && (memo && dirMatches&(1<<i) != 0 || !memo && a.Path.MatchString(path)) {
			if a.ShapeOnly {
				skipShapes = true
				continue
			}
			return true, skipShapes
		}
	}
	return false, skipShapes
}

// dropGenericDuplicates drops the findings of generic rules whose secret
// overlaps a secret that a specific rule names.
func dropGenericDuplicates(rules []Rule, all []match) []match {
	var specific [][2]int
	for _, m := range all {
		if rules[m.rule].Category != genericCategory {
			specific = append(specific, [2]int{m.sStart, m.sEnd})
		}
	}
	if len(specific) == len(all) || len(specific) == 0 {
		return all
	}
	slices.SortFunc(specific, func(a, b [2]int) int { return cmp.Compare(a[0], b[0]) })
	// reach[i] is the furthest end among specific[:i+1].
	reach := make([]int, len(specific))
	for i, sp := range specific {
		reach[i] = sp[1]
		if i > 0 {
			reach[i] = max(reach[i], reach[i-1])
		}
	}
	var out []match
	for _, m := range all {
		if rules[m.rule].Category == genericCategory {
			// The specific secrets that start before this one ends; one
			// of them overlaps it if the furthest reaches past its start.
			n := sort.Search(len(specific), func(i int) bool { return specific[i][0] >= m.sEnd })
			if n > 0 && reach[n-1] > m.sStart {
				continue
			}
		}
		out = append(out, m)
	}
	return out
}

// keywordWindows runs the keyword automaton over content and returns, for
// each rule (by index), the merged windows around its keyword hits, or nil
// when no rule has one. Hits arrive in content order, so the line bounds
// of every window come from one forward pass (lineCursor, newlineFinder).
// With skipShapes, the shapeOnly rules get no windows (they do not run),
// and their keywords are not even looked for.
func (s *Scanner) keywordWindows(content []byte, skipShapes bool) [][][2]int {
	var wins [][][2]int
	lines := newLineCursor(content)
	lineEnds, blockEnds := newNewlineFinder(content), newNewlineFinder(content)
	kw, words := s.kw, []int32(nil)
	if skipShapes {
		kw, words = s.providerKW, s.providerWord
	}
	kw.scan(content, func(w int32, h int) {
		if words != nil {
			w = words[w]
		}
		for _, r := range s.byWord[w] {
			rule := &s.rules[r]
			if skipShapes && shapeOnly(rule) {
				continue
			}
			var ws [][2]int
			if wins != nil {
				ws = wins[r]
			}
			last := len(ws) - 1
			// A hit well inside the rule's last window changes nothing:
			// the common case when a keyword repeats (a run of one
			// letter hits a keyword at every byte).
			reach := lineWindow
			if rule.Multiline {
				reach = windowAfter
			}
			if last >= 0 && h+reach <= ws[last][1] {
				continue
			}
			if rule.Assignment && !followedByAssignment(content, h) {
				continue
			}
			if rule.upperKeyword && !upperCase(content[h-s.wordLen[w]:h]) {
				continue
			}
			if rule.exactKeywords != nil && !exactHit(rule, content[h-s.wordLen[w]:h]) {
				continue
			}
			if wins == nil {
				wins = s.takeWindows()
				ws = wins[r]
			}
			var start, end int
			if rule.Multiline {
				start = max(0, h-windowBefore)
				e := min(len(content), h+windowAfter)
				end = blockEnds.lineEnd(e, e+lineWindow)
				if last >= 0 && start <= ws[last][1]+1 {
					ws[last][1] = max(ws[last][1], end)
					continue
				}
				// Back to the line start, if one is near: a new window
				// starts past the last one's end, so these looks back
				// cost at most lineWindow per window of 4 KiB or more.
				from := max(0, start-lineWindow)
				if i := bytes.LastIndexByte(content[from:start], '\n'); i >= 0 {
					start = from + i + 1
				} else {
					start = from
				}
			} else {
				// A rule whose matches start at its keywords searches
				// from the hit (and the byte before it, which \b looks
				// at) rather than from the line's start, and, when its
				// matches are bounded, no further than the longest one
				// (and the byte after). The start does not depend on
				// which keyword hit, so that windows stay in order.
				shape, bounded := s.shapes[r], false
				limit := h + lineWindow
				if shape.fromKeyword {
					start = max(0, h-s.longestWord[r]-1)
					if i := bytes.LastIndexByte(content[start:h], '\n'); i >= 0 {
						start += i + 1
					}
					if shape.maxLen >= 0 {
						limit, bounded = max(h, min(limit, h-s.wordLen[w]+shape.maxLen+1)), true
					}
				} else {
					start = max(lines.lineStart(h), h-lineWindow)
				}
				end = lineEnds.lineEnd(h, limit)
				if last >= 0 && start <= ws[last][1]+1 {
					// Reach further on a long line, so that the hits
					// that follow take the shortcut above.
					if !bounded {
						end = lineEnds.lineEnd(h, h+2*lineWindow)
					}
					ws[last][1] = max(ws[last][1], end)
					continue
				}
			}
			wins[r] = append(ws, [2]int{start, end})
		}
	})
	return wins
}

// windowLists recycles keywordWindows' window lists (one per rule) from
// file to file: most files with a keyword hit open a few windows of a few
// rules, and allocating the lists afresh for each was a good part of the
// cost of such a file.
var windowLists sync.Pool

// maxKeptWindows: a rule's list longer than this is not kept for the next
// file, so that one file dense with hits does not pin its lists.
const maxKeptWindows = 1024

func (s *Scanner) takeWindows() [][][2]int {
	if p, ok := windowLists.Get().(*[][][2]int); ok && len(*p) == len(s.rules) {
		return *p
	}
	return make([][][2]int, len(s.rules))
}

func (s *Scanner) releaseWindows(wins [][][2]int) {
	for i, ws := range wins {
		if cap(ws) > maxKeptWindows {
			wins[i] = nil
		} else {
			wins[i] = ws[:0]
		}
	}
	windowLists.Put(&wins)
}

// genericCategory is the category of the rules that match by shape alone.
const genericCategory = "Generic"

// databaseCategory is the category of the credentials in connection URLs
// (postgres://user:password@host): a fixed scheme, but a free-form
// password.
const databaseCategory = "Database"

// shapeOnly reports whether a rule knows a secret by its surroundings
// only (a name before "=", a URL's user:password) rather than by a format
// of its own: library code and its documentation are full of those
// shapes (password = password.encode(), postgresql://scott:tiger@host).
func shapeOnly(r *Rule) bool {
	return r.Category == genericCategory || r.Category == databaseCategory
}

func allowedBy(rules []AllowRule, path, secret string) bool {
	for _, a := range rules {
		if (a.Secret == nil || a.Secret.MatchString(secret)) && (a.Path == nil || a.Path.MatchString(path)) && (a.Secret != nil || a.Path != nil) {
			return true
		}
	}
	return false
}

// allowed reports whether an allow rule drops secret; the ShapeOnly ones
// drop the secrets of shapeOnly rules only.
func (s *Scanner) allowed(secret string, shape bool) bool {
	for _, a := range s.allow {
		if a.Secret != nil && (shape || !a.ShapeOnly) && a.Secret.MatchString(secret) {
			return true
		}
	}
	return false
}

// followedByAssignment reports whether "=", ":=", ":", "=>", ".=" or "+="
// follows the keyword ending at end, after at most a few more name
// characters and quotes or blanks (API_KEY_ID = ..., "password": ...,
// $sumoToken .= "...").
func followedByAssignment(content []byte, end int) bool {
	i := end
	for n := 0; i < len(content) && n < 24 && isNameByte(content[i]); n++ {
		i++
	}
	for i < len(content) && (content[i] == '"' || content[i] == '\'' || content[i] == ' ' || content[i] == '\t') {
		i++
	}
	if i+1 < len(content) && (content[i] == '.' || content[i] == '+') && content[i+1] == '=' {
		return true // PHP's .=, and += of languages that append to a string
	}
	return i < len(content) && (content[i] == '=' || content[i] == ':')
}

// exactHit reports whether hit is one of an exactCase rule's keywords as
// written.
func exactHit(r *Rule, hit []byte) bool {
	for _, k := range r.exactKeywords {
		if string(hit) == k {
			return true
		}
	}
	return false
}

// upperCase reports whether b has no lower-case ASCII letter.
func upperCase(b []byte) bool {
	for _, c := range b {
		if 'a' <= c && c <= 'z' {
			return false
		}
	}
	return true
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
