package main

// Secrets are masked in every output: a finding shows lines around its own
// secret, and those lines hold other secrets of the file. Each planted
// secret below sits next to secrets of other rules, so that every
// finding's context lines carry someone else's secret; the test greps
// every format's output for every planted value and for a distinctive
// middle part of it.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/report"
	"github.com/docker-scan/docker-scan/engine/types"
)

// planted is one secret put in the image: where, by which rule it must be
// found (empty: only its masking is checked), and its value.
type planted struct {
	target, rule, value string
}

// Synthetic values in the providers' formats; none was ever issued.
const (
	maskGitHub    = "ghp_Qm7Rt2Vx9Kp4Wz8Ln3Hd6Fj1Bs5Cy0Ga2Ue4"
	maskStripe    = "sk_live_51Nq8Zt3Wv6Yx9Bc2Df5Gh8Jk1Lm4Np7Qr"
	maskAWSID     = "AKIAZ7QW3RT5YU2OP4XA"
	maskAWSSecret = "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"
	maskSlack     = "xoxb-2749103856-4827193650482-Kd8Fq2Wz7Xp4Lm9Ns3Hv6Rt1"
	maskSendGrid  = "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"
	maskNpm       = "npm_Vw3Kx8Qm2Zr7Lt5Hp9Nd4Fb6Gy1Jc0Rs8Tq2"
	maskGitLab    = "glpat-Xr8Kw2Mz5Qv9Ln3Tp7Hd"
	maskPGPass    = "Zt8!vQ3mWx7Kp"
	maskOpenAI    = "sk-proj-Jq7Wz2Xm9Kv4Rt8Ln3HdT3BlbkFJPs6Fy1Bc5Gn0Qa7Uw2Ze"
	maskHF        = "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"
	maskEnvGitHub = "ghp_Lz4Wq9Xt2Rm7Kv5Np8Hc3Fd6Bj1Gs0Ty4Ua9"
	maskEnvStripe = "rk_live_74Hb2Nx9Qc5Wm8Kz3Vt6Lp1Rf4Jd7Gs0Yx"
	maskEnvDB     = "Rv5#nK9wQz2Lm"
	maskHistNpm   = "npm_Pk6Tz1Wq8Xm3Rv7Ld2Hn5Fb9Gc4Js0Ys6Kx7"
	maskLongAWS   = "AKIAQ4TR7WX2ZK6MP3LN"
	maskLongSlack = "xoxb-3810274659-5938204761593-Wm2Kz8Qx5Rv9Lt3Hn7Pd4Fs6"
	maskGeneric   = "Hk3nQw9zXr5tLm2pVb8yT6sJ"
	maskKeyLine1  = "MIIEowIBAAKCAQEAqZ7Lm3Xv9Wt2Kp8Rz5Hn4Qd6Fj1Bs7Cy0Ga3UeMk2Tq8Vw5P"
	maskKeyLine2  = "Nx4Rb7Jz1Lh9Yc3Df6Gk2Mp5Ts8Wv0Qa4Ue7Ki1Bo3Cn6Fr9Hx2Ld5Pz8Sv1Ty3"
)

// maskArchive writes the image: files whose lines are secrets of different
// rules, adjacent, a long line holding two secrets, and an image config
// whose ENV, labels and history hold more.
func maskArchive(t *testing.T) (string, []planted) {
	t.Helper()
	env := strings.Join([]string{
		"# production settings",
		"GITHUB_TOKEN=" + maskGitHub,
		"STRIPE_KEY=" + maskStripe,
		"AWS_ACCESS_KEY_ID=" + maskAWSID,
		"AWS_SECRET_ACCESS_KEY=" + maskAWSSecret,
		"SLACK_BOT_TOKEN=" + maskSlack,
		"SENDGRID_API_KEY=" + maskSendGrid,
		"",
	}, "\n")
	cfg := strings.Join([]string{
		"{",
		`  "npm": "` + maskNpm + `",`,
		`  "gitlab": "` + maskGitLab + `",`,
		`  "db": "postgres://app:` + maskPGPass + `@db.internal:5432/app",`,
		`  "openai": "` + maskOpenAI + `",`,
		`  "hf": "` + maskHF + `",`,
		`  "api_key": "` + maskGeneric + `"`,
		"}",
		"",
	}, "\n")
	// A line longer than a snippet, with two secrets far apart: each
	// finding shows a cut of the line, and the cut must not show the other.
	long := "export AWS_ACCESS_KEY_ID=" + maskLongAWS + " " + strings.Repeat("PADDING=1 ", 30) + "SLACK_BOT_TOKEN=" + maskLongSlack + "\n"
	key := strings.Join([]string{
		"GITHUB_TOKEN=" + maskGitHub,
		"-----BEGIN RSA PRIVATE KEY-----",
		maskKeyLine1,
		maskKeyLine2,
		"-----END RSA PRIVATE KEY-----",
		"STRIPE_KEY=" + maskStripe,
		"",
	}, "\n")
	l, err := imagebuild.Layer(
		imagebuild.File{Path: "etc/alpine-release", Body: "3.20.3\n"},
		imagebuild.File{Path: "app/.env", Body: env},
		imagebuild.File{Path: "app/config.json", Body: cfg},
		imagebuild.File{Path: "app/deploy.sh", Body: long},
		imagebuild.File{Path: "app/keys.txt", Body: key},
	)
	if err != nil {
		t.Fatal(err)
	}
	img, err := imagebuild.Image("amd64", l)
	if err != nil {
		t.Fatal(err)
	}
	img, err = imagebuild.WithConfig(img, func(cf *v1.ConfigFile) {
		cf.Config.Env = append(cf.Config.Env,
			"GITHUB_TOKEN="+maskEnvGitHub,
			"STRIPE_RESTRICTED_KEY="+maskEnvStripe,
			"DATABASE_URL=postgres://svc:"+maskEnvDB+"@db:5432/app",
		)
		cf.History = append(cf.History, v1History("/bin/sh -c echo //registry.npmjs.org/:_authToken="+maskHistNpm+" > /root/.npmrc"))
	})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "masked.tar")
	if err := imagebuild.WriteDockerArchive(p, "masked/secret:1", img); err != nil {
		t.Fatal(err)
	}
	const config = "(image config)"
	return p, []planted{
		{"/app/.env", "github-pat", maskGitHub},
		{"/app/.env", "stripe-secret-key", maskStripe},
		{"/app/.env", "aws-access-key-id", maskAWSID},
		{"/app/.env", "aws-secret-access-key", maskAWSSecret},
		{"/app/.env", "slack-bot-token", maskSlack},
		{"/app/.env", "sendgrid-api-key", maskSendGrid},
		{"/app/config.json", "npm-access-token", maskNpm},
		{"/app/config.json", "gitlab-pat", maskGitLab},
		{"/app/config.json", "postgres-url", maskPGPass},
		{"/app/config.json", "openai-api-key", maskOpenAI},
		{"/app/config.json", "huggingface-token", maskHF},
		// The generic rules are being reworked; only the masking of what
		// they find is checked here.
		{"/app/config.json", "", maskGeneric},
		{"/app/deploy.sh", "aws-access-key-id", maskLongAWS},
		{"/app/deploy.sh", "slack-bot-token", maskLongSlack},
		{"/app/keys.txt", "github-pat", maskGitHub},
		{"/app/keys.txt", "private-key-rsa", maskKeyLine1},
		{"/app/keys.txt", "private-key-rsa", maskKeyLine2},
		{"/app/keys.txt", "stripe-secret-key", maskStripe},
		{config, "github-pat", maskEnvGitHub},
		{config, "stripe-secret-key", maskEnvStripe},
		{config, "postgres-url", maskEnvDB},
		{config, "npm-access-token", maskHistNpm},
	}
}

// TestSecretMaskEveryFormat: no planted secret, nor a middle part of one,
// appears in any format's output (standard output or -o file), and every
// planted secret is still reported by its rule.
func TestSecretMaskEveryFormat(t *testing.T) {
	archive, secrets := maskArchive(t)
	cache := t.TempDir()
	base := []string{"image", "--input", archive, "--cache-dir", cache, "--scanners", "secret", "--quiet"}
	for _, format := range report.Formats {
		t.Run(format, func(t *testing.T) {
			args := append(slices.Clone(base), "--format", format)
			if format == "template" {
				args = append(args, "--template", maskTemplate)
			}
			r := scanCLI(t, args...)
			if r.exit != 0 {
				t.Fatalf("exit %d: %s", r.exit, r.stderr)
			}
			if format == "template" && !strings.Contains(r.stdout, "github-pat|") {
				t.Fatalf("the template printed no secret:\n%s", r.stdout)
			}
			out := filepath.Join(t.TempDir(), "report."+format)
			if w := scanCLI(t, append(args, "-o", out)...); w.exit != 0 {
				t.Fatalf("-o: exit %d: %s", w.exit, w.stderr)
			}
			written, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			for where, text := range map[string]string{"stdout": r.stdout, "stderr": r.stderr, "-o file": string(written)} {
				for _, s := range secrets {
					for _, leak := range leakProbes(s.value) {
						if i := strings.Index(text, leak); i >= 0 {
							t.Errorf("%s %s: %s's secret %q (rule %q) leaks in line %q", format, where, s.target, leak, s.rule, lineAt(text, i))
						}
					}
				}
			}
		})
	}
	// Every planted secret is still reported, by its rule, in its file.
	r := scanCLI(t, append(base, "--format", "json")...)
	var rep types.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("report is not JSON: %v", err)
	}
	found := map[string]bool{}
	for _, res := range rep.Results {
		for _, f := range res.Secrets {
			found[res.Target+" "+f.RuleID] = true
		}
	}
	for _, s := range secrets {
		if s.rule != "" && !found[s.target+" "+s.rule] {
			t.Errorf("%s: %s not reported (found: %v)", s.target, s.rule, sortedKeys(found))
		}
	}
}

// maskTemplate prints everything a template sees of each secret: its
// match and the lines around it.
const maskTemplate = `{{ range . }}{{ $t := .Target }}{{ range .Secrets }}{{ $t }}|{{ .RuleID }}|{{ .Match }}
{{ range .Code.Lines }}{{ .Number }}: {{ .Content }}
{{ end }}{{ end }}{{ end }}`

// leakProbes are the strings whose presence in an output means that value
// leaked: the value and a middle part of it, long enough to be its own.
func leakProbes(value string) []string {
	probes := []string{value}
	if n := len(value); n >= 12 {
		probes = append(probes, value[n/2-4:n/2+4])
	}
	return probes
}

// lineAt is the line of text around offset i.
func lineAt(text string, i int) string {
	start := strings.LastIndexByte(text[:i], '\n') + 1
	end := len(text)
	if j := strings.IndexByte(text[i:], '\n'); j >= 0 {
		end = i + j
	}
	return text[start:end]
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// v1History is one history step of the image config.
func v1History(createdBy string) v1.History { return v1.History{CreatedBy: createdBy} }
