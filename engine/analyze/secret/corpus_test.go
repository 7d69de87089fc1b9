package secret

import (
	"sort"
	"strings"
	"testing"
)

// sample is one labelled corpus entry: want is the rule that must find it,
// or "" for a negative that nothing may report.
type sample struct {
	name, path, content, want string
}

// noise is ordinary configuration around the samples.
const noise = `# service configuration
listen: 0.0.0.0:8080
log_level: info
timeout: 30s
features: [search, export]
`

// negatives that look like secrets to a careless rule: identifiers, hashes,
// encodings, public material, documented examples and placeholders.
var negatives = []string{
	`request_id = 3f2a9c8e-7b6d-5a4f-3e2d-1c0b9a8f7e6d`,
	`uuid: 123e4567-e89b-12d3-a456-426614174000`,
	`sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08`,
	`commit 1b2e3f4a5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f`,
	`"integrity": "sha512-aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5zA7bC9dE1fG3hI5jK7lM9nO1pQ3rS5tU7vW9xY1zA3bC5dE7fG9hI1jK3lM5nO7p=="`,
	`data: aGVsbG8gd29ybGQsIHRoaXMgaXMganVzdCBiYXNlNjQgdGV4dCB0aGF0IG1lYW5zIG5vdGhpbmc=`,
	`AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE`,
	`aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`,
	`password: ${DB_PASSWORD}`,
	`password: changeme`,
	`password = "<password>"`,
	`api_key: your_api_key_here`,
	`secret: {{ .Values.secret }}`,
	`token: xxxxxxxxxxxxxxxxxxxxxxxx`,
	`ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIaB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5zA7bC9d deploy@example`,
	"-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ\n-----END CERTIFICATE-----",
	"-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAaB3dE5fG7hI9jK1lM3nO5pQ7\n-----END PUBLIC KEY-----",
	`url: https://registry.example.org/v2/library/alpine/manifests/3.20`,
	`DATABASE_URL=postgres://db.internal:5432/app`,
	`redis: redis://cache:6379/0`,
	`color: #3f2a9c; background: #ffffff`,
	`version: 1.2.3-beta.4+build.5`,
	`server 10.0.0.12:443 weight=5`,
	`Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.`,
	`key_id = "arn:aws:kms:eu-west-1:123456789012:key/3f2a9c8e-7b6d-5a4f-3e2d-1c0b9a8f7e6d"`,
	`The password must be at least 12 characters long.`,
	`secret_name: app-secrets`,
	`access_token_url: https://github.com/login/oauth/access_token`,
	`GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}`,
	`pk_live_aB3dE5fG7hI9jK1lM3nO5pQ7`,
	`npm_config_cache=/tmp/npm-cache`,
	`export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin`,
	`eyJhbGciOiJub25lIn0`,
	`image: ghcr.io/example/app@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08`,
	`client_id: 123456789012-abcdefghijklmnopqrstuvwxyz012345.apps.googleusercontent.com`,
	`hooks: https://hooks.slack.com/`,
	`private_key_path: /run/secrets/tls.key`,
	`-----BEGIN RSA PRIVATE KEY-----`,
	`AccountName=devstoreaccount1;AccountKey=<key>`,
	`twilio_account_sid: AC_placeholder`,
	`heroku: https://dashboard.heroku.com/apps/demo`,
	`mongodb://localhost:27017/test`,
	`amqp://guest@localhost:5672/`,
	`jdbc:postgresql://db:5432/app?ssl=true`,
	`ftp://mirror.example.org/pub/`,
}

// groupScore counts one category group's samples.
type groupScore struct {
	positives, found, negatives, flagged int
}

func (g groupScore) recall() float64 { return ratio(g.found, g.positives, 1) }
func (g groupScore) fpr() float64    { return ratio(g.flagged, g.negatives, 0) }

func ratio(a, b int, empty float64) float64 {
	if b == 0 {
		return empty
	}
	return float64(a) / float64(b)
}

// TestCorpus: over the labelled corpus (corpus_data_test.go), every
// category group finds at least 97% of its positives and flags at most 2%
// of its negatives; every rule has positives in at least three contexts.
func TestCorpus(t *testing.T) {
	s := scanner(t)
	samples := corpusSamples(s)
	if len(samples) < 900 {
		t.Fatalf("corpus has %d samples, want at least 900", len(samples))
	}
	category := map[string]string{}
	for _, r := range s.rules {
		category[r.ID] = r.Category
	}
	groups := map[string]*groupScore{}
	contexts := map[string]int{}
	var extra, genericOnFormat int
	for _, smp := range samples {
		rule := strings.SplitN(smp.name, "/", 2)[0]
		g := "benign"
		if c, ok := category[rule]; ok {
			g = corpusGroup(c)
		}
		if groups[g] == nil {
			groups[g] = &groupScore{}
		}
		score := groups[g]
		fs := s.Scan(smp.path, []byte(smp.content))
		if smp.want == "" || smp.want == formatNearMiss {
			score.negatives++
			flagged := false
			for _, f := range fs {
				if smp.want == formatNearMiss && f.Category == genericCategory {
					genericOnFormat++
					continue
				}
				flagged = true
				t.Logf("false positive in %s: %s %q", smp.name, f.RuleID, f.Match)
			}
			if flagged {
				score.flagged++
			}
			continue
		}
		score.positives++
		hit := false
		for _, f := range fs {
			if f.RuleID == smp.want {
				hit = true
				continue
			}
			// Another rule on a positive: counted, shown, not a miss.
			extra++
			t.Logf("extra finding in %s: %s %q", smp.name, f.RuleID, f.Match)
		}
		if hit {
			score.found++
			contexts[smp.want]++
		} else {
			t.Logf("missed %s: %q", smp.name, smp.content)
		}
	}
	var all groupScore
	names := make([]string, 0, len(groups))
	for g := range groups {
		names = append(names, g)
	}
	sort.Strings(names)
	for _, g := range names {
		sc := *groups[g]
		all.positives += sc.positives
		all.found += sc.found
		all.negatives += sc.negatives
		all.flagged += sc.flagged
		t.Logf("%-10s positives %4d recall %.3f  negatives %4d FPR %.3f", g, sc.positives, sc.recall(), sc.negatives, sc.fpr())
		if sc.recall() < 0.97 || sc.fpr() > 0.02 {
			t.Errorf("group %s: recall %.3f (want >= 0.97), FPR %.3f (want <= 0.02)", g, sc.recall(), sc.fpr())
		}
	}
	t.Logf("%-10s positives %4d recall %.3f  negatives %4d FPR %.3f; %d samples, %d extra findings on positives, %d generic findings on format near misses",
		"overall", all.positives, all.recall(), all.negatives, all.fpr(), len(samples), extra, genericOnFormat)
	for _, r := range s.rules {
		if contexts[r.ID] < 3 {
			t.Errorf("rule %s is found in %d contexts, want at least 3", r.ID, contexts[r.ID])
		}
	}
}

// TestSequentialPlaceholders: values typed by hand in a provider's shape
// (AIzaSyabcdefghijklmnopqrstuvwxyz1234567) are not secrets. The check is
// the built-in allow rule placeholderRuns.
func TestSequentialPlaceholders(t *testing.T) {
	rules, err := BuiltinRules()
	if err != nil {
		t.Fatal(err)
	}
	allow := BuiltinAllowRules()
	s := NewScanner(rules, allow)
	for _, line := range sequentialPlaceholders {
		if fs := s.Scan("app/config.env", []byte(line+"\n")); len(fs) != 0 {
			t.Errorf("placeholder %q reported: %s", line, fs[0].RuleID)
		}
	}
	// No rule's own sample holds such a run.
	for _, r := range rules {
		if sec := secretOf(r); sec != "" && placeholderRuns.Secret.MatchString(sec) {
			t.Errorf("rule %s: its sample %q looks like a placeholder", r.ID, sec)
		}
	}
}

// FuzzScan: any content, any path: no panic, and every finding's lines
// are inside the content.
func FuzzScan(f *testing.F) {
	s, err := BuiltinRules()
	if err != nil {
		f.Fatal(err)
	}
	sc := NewScanner(s, BuiltinAllowRules())
	for _, r := range s[:20] {
		f.Add("app/.env", r.Example)
	}
	f.Add("k.pem", pemSample("RSA PRIVATE KEY")+"\r\n\x00")
	// The shapes that were quadratic, small.
	for _, in := range adversarial(1024) {
		f.Add("app/data.txt", in.content)
	}
	f.Fuzz(func(t *testing.T, path, content string) {
		lines := strings.Count(content, "\n") + 1
		for _, fd := range sc.Scan(path, []byte(content)) {
			if fd.StartLine < 1 || fd.EndLine < fd.StartLine || fd.EndLine > lines {
				t.Fatalf("finding outside the content: %+v", fd)
			}
			// The code lines run in order over the finding's lines and
			// keep snippets only.
			for i, l := range fd.Code.Lines {
				if i > 0 && l.Number <= fd.Code.Lines[i-1].Number || l.Number < 1 || l.Number > lines || len(l.Content) > maxLineLength {
					t.Fatalf("code line %d of %+v", i, fd)
				}
				if l.IsCause != (l.Number >= fd.StartLine && l.Number <= fd.EndLine) {
					t.Fatalf("cause marks of %+v", fd)
				}
			}
		}
	})
}
