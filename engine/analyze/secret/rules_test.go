package secret

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

func scanner(t testing.TB) *Scanner {
	t.Helper()
	rules, err := BuiltinRules()
	if err != nil {
		t.Fatal(err)
	}
	return NewScanner(rules, BuiltinAllowRules())
}

func ruleIDs(s *Scanner, path, content string) []string {
	var ids []string
	for _, f := range s.Scan(path, []byte(content)) {
		ids = append(ids, f.RuleID)
	}
	return ids
}

func contains(ids []string, id string) bool {
	for _, i := range ids {
		if i == id {
			return true
		}
	}
	return false
}

// samplePath is where a rule's samples are put: rules limited to some files
// get one of those.
func samplePath(r Rule) string {
	if r.Path != nil && r.Path.MatchString(".npmrc") {
		return "home/app/.npmrc"
	}
	return "app/config/settings.env"
}

// TestEveryRule: each rule finds its own sample and not its near miss.
func TestEveryRule(t *testing.T) {
	s := scanner(t)
	if len(s.rules) < 100 {
		t.Errorf("%d rules, want at least 100", len(s.rules))
	}
	categories := map[string]bool{}
	for _, r := range s.rules {
		categories[r.Category] = true
		t.Run(r.ID, func(t *testing.T) {
			if r.Example == "" || r.NearMiss == "" {
				t.Fatal("a rule needs a sample and a near miss")
			}
			if ids := ruleIDs(s, samplePath(r), r.Example+"\n"); !contains(ids, r.ID) {
				t.Errorf("sample not found: %q -> %v", r.Example, ids)
			}
			if ids := ruleIDs(s, samplePath(r), r.NearMiss+"\n"); contains(ids, r.ID) {
				t.Errorf("near miss found: %q", r.NearMiss)
			}
		})
	}
	for _, c := range []string{"AWS", "GCP", "Azure", "GitHub", "GitLab", "Slack", "Stripe", "Twilio", "SendGrid", "Mailgun", "npm", "PyPI", "Docker", "Hugging Face", "OpenAI", "Anthropic", "JWT", "Private key", "Database", "Generic"} {
		if !categories[c] {
			t.Errorf("no rule in category %s", c)
		}
	}
}

func TestFindingShape(t *testing.T) {
	s := scanner(t)
	content := "# settings\nregion = eu-west-1\naws_access_key_id = AKIAZ7QW3RT5YU2OP4XA\noutput = json\n\n"
	fs := s.Scan("root/.aws/credentials", []byte(content))
	if len(fs) != 1 {
		t.Fatalf("findings: %+v", fs)
	}
	f := fs[0]
	if f.RuleID != "aws-access-key-id" || f.StartLine != 3 || f.EndLine != 3 || f.Severity != "CRITICAL" || f.Category != "AWS" {
		t.Errorf("finding %+v", f)
	}
	if f.Match != "aws_access_key_id = ********************" || strings.Contains(fmt.Sprint(f.Code), "AKIAZ7QW") {
		t.Errorf("secret not masked: %q %+v", f.Match, f.Code)
	}
	if len(f.Code.Lines) != 5 || f.Code.Lines[0].Number != 1 || !f.Code.Lines[2].IsCause || f.Code.Lines[1].IsCause {
		t.Errorf("code context: %+v", f.Code.Lines)
	}
	// A multi-line key spans its lines.
	pem := "key:\n" + pemSample("RSA PRIVATE KEY")
	fs = s.Scan("etc/app/key.pem", []byte(pem))
	if len(fs) != 1 || fs[0].StartLine != 2 || fs[0].EndLine != 5 {
		t.Errorf("pem finding: %+v", fs)
	}
}

func TestAllowRules(t *testing.T) {
	s := scanner(t)
	for name, c := range map[string]struct{ path, content string }{
		"aws documented example":   {"app/.env", "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\nAWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"},
		"placeholder variable":     {"app/.env", "DATABASE_URL=postgres://app:${DB_PASSWORD}@db/app\n"},
		"docs":                     {"usr/share/doc/awscli/examples.txt", "aws_access_key_id = AKIAZ7QW3RT5YU2OP4XA\n"},
		"package manager db":       {"var/lib/dpkg/status", "Description: ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8\n"},
		"runtime test suite":       {"usr/lib/python3.11/test/keycert.pem", pemSample("RSA PRIVATE KEY")},
		"markdown":                 {"app/README.md", "token: ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8\n"},
		"low entropy password":     {"app/config.yaml", "password: aaaaaaaaaaaa\n"},
		"your_password":            {"app/config.yaml", "password: your_password\n"},
		"masked in config already": {"app/config.yaml", "api_key: ****************\n"},
	} {
		if fs := s.Scan(c.path, []byte(c.content)); len(fs) != 0 {
			t.Errorf("%s: found %+v", name, fs)
		}
	}
}

func TestManyKeywordHitsStillFind(t *testing.T) {
	s := scanner(t)
	// "sk" and "key-" occur everywhere in text; the rule must still find
	// its secret past the hit limit, once.
	var b strings.Builder
	for i := range 500 {
		fmt.Fprintf(&b, "task %d: key-value disk risk\n", i)
	}
	b.WriteString("TWILIO_API_KEY=SK3f2a9c8e7b6d5a4f3e2d1c0b9a8f7e6d\n")
	ids := ruleIDs(s, "app/notes.txt", b.String())
	n := 0
	for _, id := range ids {
		if id == "twilio-api-key" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("twilio-api-key found %d times, want 1 (%v)", n, ids)
	}
}

func TestConfigFile(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/trivy-secret.yaml"
	writeConfig := func(s string) *Config {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := LoadConfig(path, true)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	cfg := writeConfig(`
disable-rules: [generic-password]
rules:
  - id: internal-token
    category: Internal
    title: Internal service token
    severity: HIGH
    regex: 'itk_(?P<tok>[a-z0-9]{32})'
    secret-group-name: tok
    keywords: [itk_]
    allow-rules:
      - id: test-token
        regex: '^0{32}$' 
allow-rules:
  - id: fixtures
    path: '^srv/fixtures/'
exclude-block:
  regexes: ['(?s)BEGIN-EXAMPLES.*?END-EXAMPLES']
skip-patterns: ['\.snap$']
`)
	a, err := NewAnalyzer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	scan := func(path, content string) []string {
		var ids []string
		for _, f := range a.scanner().Scan(path, []byte(content)) {
			ids = append(ids, f.RuleID+":"+f.Match)
		}
		return ids
	}
	if got := scan("srv/app.conf", "token itk_0123456789abcdef0123456789abcdef\npassword = \"Wq8#zLm2!pRt\"\n"); len(got) != 1 || got[0] != "internal-token:token itk_********************************" {
		t.Errorf("custom rule and disabled rule: %v", got)
	}
	if got := scan("srv/app.conf", "token itk_00000000000000000000000000000000\n"); len(got) != 0 {
		t.Errorf("the rule's own allow rule: %v", got)
	}
	if got := scan("srv/fixtures/app.conf", "token itk_0123456789abcdef0123456789abcdef\n"); len(got) != 0 {
		t.Errorf("allowed path: %v", got)
	}
	if got := scan("srv/x.snap", "ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8\n"); len(got) != 0 {
		t.Errorf("skipped pattern: %v", got)
	}
	if got := scan("srv/doc.txt", "BEGIN-EXAMPLES\nghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8\nEND-EXAMPLES\nghp_Z1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8\n"); len(got) != 1 || !strings.HasPrefix(got[0], "github-pat:") {
		t.Errorf("exclude block: %v", got)
	}
	if a.Fingerprint() == "" {
		t.Error("a config must change the cache key")
	}
	only := writeConfig("enable-builtin-rules: [aws-access-key-id]\n")
	b, err := NewAnalyzer(only)
	if err != nil || len(b.scanner().rules) != 1 {
		t.Fatalf("enable-builtin-rules: %v %d", err, len(b.scanner().rules))
	}
	if _, err := NewAnalyzer(writeConfig("disable-rules: [no-such-rule]\n")); err == nil {
		t.Error("an unknown rule ID must be an error")
	}
	if _, err := LoadConfig(dir+"/missing.yaml", false); err != nil {
		t.Error("a missing default config is no error")
	}
}
