package secret

import (
	"fmt"
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

func corpus(t *testing.T, s *Scanner) []sample {
	var out []sample
	for _, r := range s.rules {
		path := samplePath(r)
		out = append(out,
			sample{r.ID + "/alone", path, r.Example + "\n", r.ID},
			sample{r.ID + "/in-config", path, noise + r.Example + "\n" + noise, r.ID},
			sample{r.ID + "/indented", path, "app:\n  settings:\n    " + strings.ReplaceAll(r.Example, "\n", "\n    ") + "\n", r.ID},
			sample{r.ID + "/near-miss", path, noise + r.NearMiss + "\n", ""},
		)
	}
	for i, n := range negatives {
		out = append(out, sample{fmt.Sprintf("negative-%d", i), "app/config.yaml", noise + n + "\n", ""})
	}
	return out
}

// TestCorpus: recall and precision over the labelled corpus must stay at
// or above 95%.
func TestCorpus(t *testing.T) {
	s := scanner(t)
	samples := corpus(t, s)
	if len(samples) < 300 {
		t.Fatalf("corpus has %d samples, want at least 300", len(samples))
	}
	var positives, found, truePos, falsePos int
	for _, smp := range samples {
		fs := s.Scan(smp.path, []byte(smp.content))
		if smp.want != "" {
			positives++
		}
		hit := false
		for _, f := range fs {
			if f.RuleID == smp.want && !hit {
				hit = true
				truePos++
				continue
			}
			falsePos++
			t.Logf("false positive in %s: %s %q", smp.name, f.RuleID, f.Match)
		}
		if hit {
			found++
		} else if smp.want != "" {
			t.Logf("missed %s", smp.name)
		}
	}
	recall := float64(found) / float64(positives)
	precision := float64(truePos) / float64(truePos+falsePos)
	t.Logf("corpus: %d samples, %d positives; recall %.3f, precision %.3f", len(samples), positives, recall, precision)
	if recall < 0.95 || precision < 0.95 {
		t.Errorf("recall %.3f, precision %.3f: both must be >= 0.95", recall, precision)
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
