package licensing

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/docker-scan/docker-scan/engine/types"
)

// categoriesFile holds the built-in classification (see its "source").
//
//go:embed categories.json
var categoriesFile []byte

// categoryOrder lists the categories from the most to the least severe;
// AND takes the first of its parts in this order, OR the last.
var categoryOrder = []string{
	types.LicenseCategoryForbidden,
	types.LicenseCategoryRestricted,
	types.LicenseCategoryReciprocal,
	types.LicenseCategoryNotice,
	types.LicenseCategoryPermissive,
	types.LicenseCategoryUnencumbered,
}

func rank(category string) int {
	if i := slices.Index(categoryOrder, category); i >= 0 {
		return len(categoryOrder) - i
	}
	return 0
}

func severityRank(category string) int {
	switch Severity(category) {
	case "CRITICAL":
		return 4
	case "HIGH":
		return 3
	case "MEDIUM":
		return 2
	case "LOW":
		return 1
	}
	return 0
}

var builtin = sync.OnceValue(func() map[string][]string {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(categoriesFile, &raw); err != nil {
		panic("licensing: categories.json: " + err.Error()) // embedded, checked by the tests
	}
	out := map[string][]string{}
	for _, cat := range categoryOrder {
		var names []string
		if err := json.Unmarshal(raw[cat], &names); err != nil {
			panic("licensing: categories.json: " + cat + ": " + err.Error())
		}
		out[cat] = names
	}
	return out
})

// DefaultCategories is the built-in classification, category -> licence
// IDs: a fresh copy the caller may change.
func DefaultCategories() map[string][]string {
	out := map[string][]string{}
	for cat, names := range builtin() {
		out[cat] = slices.Clone(names)
	}
	return out
}

// CheckCategories reports what NewClassifier would ignore in a
// configured classification: unknown category names and text://
// patterns that are not regular expressions.
func CheckCategories(categories map[string][]string) error {
	for cat, names := range categories {
		if rank(cat) == 0 {
			return fmt.Errorf("licence category %q: not one of %s", cat, strings.Join(categoryOrder, ", "))
		}
		for _, n := range names {
			if pattern, ok := strings.CutPrefix(n, TextPrefix); ok {
				if _, err := regexp.Compile(pattern); err != nil {
					return fmt.Errorf("licence category %s: %q: %w", cat, n, err)
				}
			}
		}
	}
	return nil
}

// Classifier puts licences into categories. It is safe for concurrent use.
type Classifier struct {
	byName map[string]string // upper-cased licence name -> category
	texts  []textRule        // text:// patterns, the most severe category first
	memo   memo
}

type textRule struct {
	category string
	pattern  *regexp.Regexp
}

// NewClassifier classifies by these categories (category -> licence
// names). A category given replaces that category's built-in list, and a
// name it lists leaves the other built-in lists; a category not given
// keeps its built-in list, so that a config naming only forbidden licences
// changes only that. nil is the built-in classification. Entries
// "text://REGEX" classify licences given as text (TextPrefix names) whose
// text the pattern matches. Unknown category names and bad patterns are
// ignored (CheckCategories reports them).
func NewClassifier(categories map[string][]string) *Classifier {
	c := &Classifier{byName: map[string]string{}}
	given := map[string]bool{}
	for cat, names := range categories {
		if rank(cat) == 0 {
			continue
		}
		for _, n := range names {
			given[classifyKey(n)] = true
			given[strings.ToUpper(strings.TrimSpace(n))] = true
		}
	}
	// Least severe first, so that a name in two lists ends up in the more
	// severe one.
	for i := len(categoryOrder) - 1; i >= 0; i-- {
		cat := categoryOrder[i]
		if names, ok := categories[cat]; ok {
			c.add(cat, names)
			continue
		}
		for _, n := range builtin()[cat] {
			if !given[strings.ToUpper(n)] {
				c.add(cat, []string{n})
			}
		}
	}
	slices.SortStableFunc(c.texts, func(a, b textRule) int { return rank(b.category) - rank(a.category) })
	return c
}

func (c *Classifier) add(cat string, names []string) {
	for _, n := range names {
		if pattern, ok := strings.CutPrefix(n, TextPrefix); ok {
			if re, err := regexp.Compile(pattern); err == nil {
				c.texts = append(c.texts, textRule{category: cat, pattern: re})
			}
			continue
		}
		c.byName[classifyKey(n)] = cat
		c.byName[strings.ToUpper(strings.TrimSpace(n))] = cat
	}
}

// classifyKey is the form names are compared in: normalised, upper case.
func classifyKey(name string) string {
	return strings.ToUpper(Normalize(name))
}

// Classify is the category and severity of a licence name or SPDX
// expression: for AND the most severe of its parts, for OR the least,
// unknown when any part is unknown. A name that is no expression
// ("Apache License 2.0") is normalised first. A TextPrefix licence is
// unknown unless a text:// pattern of the classification matches it.
func (c *Classifier) Classify(license string) (category, severity string) {
	category = c.category(license)
	return category, Severity(category)
}

func (c *Classifier) category(license string) string {
	license = strings.TrimSpace(license)
	if text, ok := strings.CutPrefix(license, TextPrefix); ok {
		text = cut(text, maxFieldLen)
		for _, r := range c.texts {
			if r.pattern.MatchString(text) {
				return r.category
			}
		}
		return types.LicenseCategoryUnknown
	}
	if license == "" || len(license) > maxNameLen {
		return types.LicenseCategoryUnknown
	}
	if cat, ok := c.memo.get(license); ok {
		return cat
	}
	cat := c.classifyExpr(Normalize(license))
	c.memo.put(license, cat)
	return cat
}

func (c *Classifier) classifyExpr(license string) string {
	e, err := parseExpr(license, true)
	if err != nil {
		return c.classifyName(license)
	}
	return c.eval(e)
}

func (c *Classifier) eval(e *expr) string {
	switch e.op {
	case opLeaf:
		return c.classifyName(e.name)
	case opWith:
		// "X WITH exception" as a whole first (a list may name it), then X.
		if cat, ok := c.byName[strings.ToUpper(e.String())]; ok {
			return cat
		}
		return c.eval(e.left)
	}
	left, right := c.eval(e.left), c.eval(e.right)
	if left == types.LicenseCategoryUnknown || right == types.LicenseCategoryUnknown {
		return types.LicenseCategoryUnknown
	}
	// Categories of one severity count as equal (notice, permissive and
	// unencumbered are all LOW): the left one wins, as in Trivy.
	l, r := severityRank(left), severityRank(right)
	if l == r || (e.op == opAnd) == (l > r) {
		return left
	}
	return right
}

// classifyName is the category of one licence: its own entry, else the
// entry of its base ("GPL-2.0-or-later" -> "GPL-2.0", "MPL-1.1+" ->
// "MPL-1.1").
func (c *Classifier) classifyName(name string) string {
	key := strings.ToUpper(strings.TrimSpace(name))
	if cat, ok := c.byName[key]; ok {
		return cat
	}
	for _, suffix := range []string{"-OR-LATER", "-ONLY", "+"} {
		if base, ok := strings.CutSuffix(key, suffix); ok {
			if cat, ok := c.byName[base]; ok {
				return cat
			}
		}
	}
	return types.LicenseCategoryUnknown
}
