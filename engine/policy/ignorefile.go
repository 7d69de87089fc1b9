package policy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/package-url/packageurl-go"
	"go.yaml.in/yaml/v3"

	"github.com/docker-scan/docker-scan/engine/types"
)

// DefaultIgnoreFile is read from the working directory when present.
const DefaultIgnoreFile = ".trivyignore"

// IgnoreFile is a .trivyignore: the plain format (one ID a line, with an
// optional exp:YYYY-MM-DD) or the YAML format (.trivyignore.yaml) with
// entries per kind of finding.
type IgnoreFile struct {
	// Any holds the plain format's IDs, which apply to every kind of finding.
	Any               []IgnoreRule
	Vulnerabilities   []IgnoreRule `yaml:"vulnerabilities"`
	Secrets           []IgnoreRule `yaml:"secrets"`
	Misconfigurations []IgnoreRule `yaml:"misconfigurations"`
	Licenses          []IgnoreRule `yaml:"licenses"`
}

// IgnoreRule ignores one finding ID, optionally only for some paths or
// package URLs, and until an expiry date.
type IgnoreRule struct {
	ID        string    `yaml:"id"`
	Paths     []string  `yaml:"paths"`
	PURLs     []string  `yaml:"purls"`
	ExpiredAt time.Time `yaml:"expired_at"`
	Statement string    `yaml:"statement"`
}

// LoadIgnoreFile reads an ignore file. A missing file is no error unless
// required (the user named it).
func LoadIgnoreFile(path string, required bool) (*IgnoreFile, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && !required {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ignore file: %w", err)
	}
	if ext := filepath.Ext(path); ext == ".yaml" || ext == ".yml" {
		var f IgnoreFile
		if err := yaml.Unmarshal(raw, &f); err != nil {
			return nil, fmt.Errorf("ignore file %s: %s", path, strings.Join(strings.Fields(err.Error()), " "))
		}
		for _, r := range f.Vulnerabilities {
			if r.ID == "" {
				return nil, fmt.Errorf("ignore file %s: a vulnerabilities entry has no id", path)
			}
		}
		return &f, nil
	}
	return parsePlainIgnore(path, raw)
}

func parsePlainIgnore(path string, raw []byte) (*IgnoreFile, error) {
	f := &IgnoreFile{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Fields(text)
		rule := IgnoreRule{ID: fields[0]}
		for _, f := range fields[1:] {
			if strings.HasPrefix(f, "#") {
				break
			}
			date, ok := strings.CutPrefix(f, "exp:")
			if !ok {
				continue
			}
			t, err := time.Parse(time.DateOnly, date)
			if err != nil {
				return nil, fmt.Errorf("ignore file %s: line %d: bad expiry %q, want exp:YYYY-MM-DD", path, line, f)
			}
			rule.ExpiredAt = t
		}
		f.Any = append(f.Any, rule)
	}
	return f, sc.Err()
}

// IgnoresVulnerability reports whether an unexpired rule matches v.
func (f *IgnoreFile) IgnoresVulnerability(v types.DetectedVulnerability, now time.Time) bool {
	for _, rules := range [][]IgnoreRule{f.Any, f.Vulnerabilities} {
		for _, r := range rules {
			if r.matches(v, now) {
				return true
			}
		}
	}
	return false
}

// IgnoresSecret reports whether an unexpired rule matches a secret
// finding in the file target (rule IDs, and paths when the rule has them).
func (f *IgnoreFile) IgnoresSecret(target string, s types.SecretFinding, now time.Time) bool {
	return ignoresInFile(target, s.RuleID, now, f.Any, f.Secrets)
}

// IgnoresMisconfiguration reports whether an unexpired rule matches a
// misconfiguration found in the file target: by its ID (DS-0002), its
// AVD ID (AVD-DS-0002) or, for a built-in check, an alias (DS002), as
// Trivy matches them.
func (f *IgnoreFile) IgnoresMisconfiguration(target string, m types.Misconfiguration, now time.Time) bool {
	for _, id := range append([]string{m.ID, m.AVDID}, misconfAliases(m)...) {
		if id != "" && ignoresInFile(target, id, now, f.Any, f.Misconfigurations) {
			return true
		}
	}
	return false
}

// IgnoresLicense reports whether an unexpired rule names the licence
// (case-insensitively, as licence IDs are) and, if it names paths, one
// matching the file the licence was found in or declared by.
func (f *IgnoreFile) IgnoresLicense(path, name string, now time.Time) bool {
	for _, rules := range [][]IgnoreRule{f.Any, f.Licenses} {
		for _, r := range rules {
			if !strings.EqualFold(r.ID, name) || (!r.ExpiredAt.IsZero() && now.After(r.ExpiredAt)) {
				continue
			}
			if len(r.Paths) > 0 && !matchAnyPath(r.Paths, path) {
				continue
			}
			return true
		}
	}
	return false
}

// ignoresInFile reports whether an unexpired rule of the lists has the
// finding's ID and, if it names paths, one matching target.
func ignoresInFile(target, id string, now time.Time, lists ...[]IgnoreRule) bool {
	for _, rules := range lists {
		for _, r := range rules {
			if r.ID != id || (!r.ExpiredAt.IsZero() && now.After(r.ExpiredAt)) {
				continue
			}
			if len(r.Paths) > 0 && !matchAnyPath(r.Paths, target) {
				continue
			}
			return true
		}
	}
	return false
}

func (r IgnoreRule) matches(v types.DetectedVulnerability, now time.Time) bool {
	if r.ID != v.VulnerabilityID {
		return false
	}
	if !r.ExpiredAt.IsZero() && now.After(r.ExpiredAt) {
		return false
	}
	if len(r.Paths) > 0 && !matchAnyPath(r.Paths, v.PkgPath) {
		return false
	}
	if len(r.PURLs) > 0 && !matchAnyPURL(r.PURLs, v.PkgIdentifier.PURL) {
		return false
	}
	return true
}

func matchAnyPath(patterns []string, p string) bool {
	p = strings.TrimPrefix(p, "/")
	for _, pat := range patterns {
		if ok, _ := doublestar.Match(strings.TrimPrefix(pat, "/"), p); ok {
			return true
		}
	}
	return false
}

// matchAnyPURL compares package URLs; qualifiers the rule leaves out
// (arch, distro) do not matter.
func matchAnyPURL(rules []string, purl string) bool {
	have, err := packageurl.FromString(purl)
	if err != nil {
		return false
	}
	for _, r := range rules {
		want, err := packageurl.FromString(r)
		if err != nil {
			continue
		}
		if want.Type != have.Type || want.Namespace != have.Namespace || want.Name != have.Name {
			continue
		}
		if want.Version != "" && want.Version != have.Version {
			continue
		}
		qualifiersMatch := true
		haveQ := have.Qualifiers.Map()
		for k, v := range want.Qualifiers.Map() {
			if haveQ[k] != v {
				qualifiersMatch = false
			}
		}
		if qualifiersMatch {
			return true
		}
	}
	return false
}
