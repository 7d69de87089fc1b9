package secret

import (
	"crypto/sha256"
	hexenc "encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"slices"

	"go.yaml.in/yaml/v3"
)

// DefaultConfigFile is read from the working directory when present.
const DefaultConfigFile = "trivy-secret.yaml"

// Config is a secret-scan config file, with Trivy's keys.
type Config struct {
	// EnableBuiltinRules, when set, keeps only these built-in rules.
	EnableBuiltinRules []string `yaml:"enable-builtin-rules"`
	// DisableRules drops rules by ID.
	DisableRules []string `yaml:"disable-rules"`
	// DisableAllowRules drops built-in allow rules by ID.
	DisableAllowRules []string `yaml:"disable-allow-rules"`
	// Rules are custom rules, added to the built-in ones.
	Rules []ConfigRule `yaml:"rules"`
	// AllowRules are custom allow rules.
	AllowRules []ConfigAllowRule `yaml:"allow-rules"`
	// ExcludeBlock removes blocks of text (regexes) before scanning.
	ExcludeBlock struct {
		Description string   `yaml:"description"`
		Regexes     []string `yaml:"regexes"`
	} `yaml:"exclude-block"`
	// SkipPatterns are regexes of file paths not scanned.
	SkipPatterns []string `yaml:"skip-patterns"`

	hash string
}

// ConfigRule is a custom rule.
type ConfigRule struct {
	ID              string   `yaml:"id"`
	Category        string   `yaml:"category"`
	Title           string   `yaml:"title"`
	Severity        string   `yaml:"severity"`
	Regex           string   `yaml:"regex"`
	Keywords        []string `yaml:"keywords"`
	Path            string   `yaml:"path"`
	SecretGroupName string   `yaml:"secret-group-name"`
	// AllowRules apply to this rule only.
	AllowRules []ConfigAllowRule `yaml:"allow-rules"`
}

// ConfigAllowRule is a custom allow rule.
type ConfigAllowRule struct {
	ID          string `yaml:"id"`
	Description string `yaml:"description"`
	Regex       string `yaml:"regex"`
	Path        string `yaml:"path"`
}

// LoadConfig reads a config file; a missing file is no error unless
// required (the user named it).
func LoadConfig(path string, required bool) (*Config, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && !required {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("secret config: %w", err)
	}
	var c Config
	if err := yaml.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("secret config %s: %v", path, err)
	}
	sum := sha256.Sum256(raw)
	c.hash = hexenc.EncodeToString(sum[:8])
	return &c, nil
}

// apply turns the built-in rules and a config into the rules and allow
// rules to scan with.
func (c *Config) apply(rules []Rule, allow []AllowRule) ([]Rule, []AllowRule, []*regexp.Regexp, error) {
	if c == nil {
		return rules, allow, nil, nil
	}
	known := map[string]bool{}
	for _, r := range rules {
		known[r.ID] = true
	}
	for _, id := range append(append([]string{}, c.EnableBuiltinRules...), c.DisableRules...) {
		if !known[id] && !slices.ContainsFunc(c.Rules, func(r ConfigRule) bool { return r.ID == id }) {
			return nil, nil, nil, fmt.Errorf("secret config: no rule %q", id)
		}
	}
	var out []Rule
	for _, r := range rules {
		if len(c.EnableBuiltinRules) > 0 && !slices.Contains(c.EnableBuiltinRules, r.ID) {
			continue
		}
		if !slices.Contains(c.DisableRules, r.ID) {
			out = append(out, r)
		}
	}
	for _, cr := range c.Rules {
		if cr.ID == "" || cr.Regex == "" || len(cr.Keywords) == 0 {
			return nil, nil, nil, fmt.Errorf("secret config: rule %q needs an id, a regex and keywords", cr.ID)
		}
		regex := cr.Regex
		if cr.SecretGroupName != "" && cr.SecretGroupName != "secret" {
			regex = regexp.MustCompile(`\(\?P<`+regexp.QuoteMeta(cr.SecretGroupName)+`>`).ReplaceAllString(regex, "(?P<secret>")
		}
		r, err := compile(ruleDef{id: cr.ID, category: cr.Category, title: cr.Title, severity: cr.Severity, regex: regex, keywords: cr.Keywords, path: cr.Path})
		if err != nil {
			return nil, nil, nil, fmt.Errorf("secret config: %w", err)
		}
		for _, ca := range cr.AllowRules {
			a, err := ca.compile()
			if err != nil {
				return nil, nil, nil, err
			}
			r.Allow = append(r.Allow, a)
		}
		if !slices.Contains(c.DisableRules, r.ID) {
			out = append(out, r)
		}
	}
	var outAllow []AllowRule
	for _, a := range allow {
		if !slices.Contains(c.DisableAllowRules, a.ID) {
			outAllow = append(outAllow, a)
		}
	}
	for _, ca := range c.AllowRules {
		a, err := ca.compile()
		if err != nil {
			return nil, nil, nil, err
		}
		outAllow = append(outAllow, a)
	}
	for _, p := range c.SkipPatterns {
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("secret config: skip pattern: %w", err)
		}
		outAllow = append(outAllow, AllowRule{ID: "skip-pattern", Path: re})
	}
	var blocks []*regexp.Regexp
	for _, b := range c.ExcludeBlock.Regexes {
		re, err := regexp.Compile(b)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("secret config: exclude block: %w", err)
		}
		blocks = append(blocks, re)
	}
	return out, outAllow, blocks, nil
}

func (ca ConfigAllowRule) compile() (AllowRule, error) {
	a := AllowRule{ID: ca.ID}
	var err error
	if ca.Regex != "" {
		if a.Secret, err = regexp.Compile(ca.Regex); err != nil {
			return a, fmt.Errorf("secret config: allow rule %s: %w", ca.ID, err)
		}
	}
	if ca.Path != "" {
		if a.Path, err = regexp.Compile(ca.Path); err != nil {
			return a, fmt.Errorf("secret config: allow rule %s: %w", ca.ID, err)
		}
	}
	if a.Secret == nil && a.Path == nil {
		return a, fmt.Errorf("secret config: allow rule %q needs a regex or a path", ca.ID)
	}
	return a, nil
}
