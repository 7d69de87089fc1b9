package secret

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// The labelled corpus, built from each rule's own sample (rules.go,
// rules_providers.go: synthetic values in the provider's format, issued by
// nobody): the value in several contexts (a .env line, a JSON and a YAML
// config value, a string literal in source code, a shell export) as
// positives, and near misses derived from it (the rule's own near miss,
// the value embedded in a longer token, cut short, with a character out
// of its alphabet, turned into a placeholder or a documented example) as
// negatives.

// assignmentLine is NAME=value or NAME: value, the value maybe quoted.
var assignmentLine = regexp.MustCompile(`^([A-Za-z_][\w.\-]*)\s*(?:=|:)\s*["']?(.*?)["']?$`)

// corpusGroup is the category group that recall and false positives are
// counted in.
var corpusGroups = map[string][]string{
	"cloud": {"AWS", "GCP", "Azure", "Alibaba", "Tencent", "IBM", "DigitalOcean", "Heroku", "Cloudflare", "HashiCorp",
		"Pulumi", "Doppler", "Netlify", "Vercel", "Fly.io", "Render", "Supabase", "PlanetScale", "Tailscale", "OpenShift",
		"Scalingo", "Defined Networking", "Yandex", "Fastly", "Kubernetes", "Databricks", "Confluent", "Dynatrace",
		"Datadog", "New Relic", "Grafana", "Sentry"},
	"vcs-ci": {"GitHub", "GitLab", "Atlassian", "Sourcegraph", "CircleCI", "Buildkite", "Travis CI", "Drone CI", "Codecov",
		"Octopus Deploy", "Harness", "SonarQube", "Snyk", "JFrog", "Docker", "LaunchDarkly", "Postman", "Sidekiq", "curl"},
	"registries": {"npm", "PyPI", "RubyGems", "Cargo", "NuGet", "Clojars", "Gemfury", "Cloudsmith"},
	"messaging": {"Slack", "Discord", "Telegram", "Twilio", "SendGrid", "Mailgun", "Mailchimp", "Postmark", "Brevo",
		"MailerSend", "Resend", "MessageBird", "Sendbird", "Pusher", "Mattermost", "Gitter", "Twitter", "Facebook",
		"Intercom", "Zendesk", "Twitch"},
	"payments": {"Stripe", "Square", "PayPal", "Shopify", "Plaid", "Coinbase", "Flutterwave", "Razorpay", "Duffel",
		"EasyPost", "Shippo", "Lob", "GoCardless", "Kraken", "Finnhub"},
	"ai":      {"OpenAI", "Anthropic", "Cohere", "Replicate", "Groq", "Hugging Face", "Perplexity", "xAI", "LangChain"},
	"keys":    {"Private key", "age", "1Password", "JWT", "Database"},
	"generic": {"Generic"},
}

func corpusGroup(category string) string {
	for g, cs := range corpusGroups {
		for _, c := range cs {
			if c == category {
				return g
			}
		}
	}
	return "saas"
}

// secretOf is the secret that r finds in its own example.
func secretOf(r Rule) string {
	m := r.Regex.FindStringSubmatchIndex(r.Example)
	if m == nil {
		return ""
	}
	if g := r.secretGroup; g > 0 && m[2*g] >= 0 {
		return r.Example[m[2*g]:m[2*g+1]]
	}
	return r.Example[m[0]:m[1]]
}

// contextsFor are the positives of r: its example in the contexts where
// the format occurs.
func contextsFor(r Rule) []sample {
	path := samplePath(r)
	var out []sample
	add := func(kind, p, content string) {
		if r.Path != nil {
			p = path
		}
		out = append(out, sample{r.ID + "/" + kind, p, content, r.ID})
	}
	ex := r.Example
	add("config-line", path, noise+ex+"\n"+noise)
	if r.Path != nil {
		// A file of its own syntax (.npmrc): the line scoped to a
		// registry, and with blanks around the operator.
		add("scoped", path, "//registry.internal/:"+ex+"\n")
		add("spaced", path, "registry=https://registry.internal/\n"+strings.Replace(ex, "=", " = ", 1)+"\n")
		return out
	}
	if strings.Contains(ex, "\n") {
		// A key block: alone, as a YAML block scalar, in a heredoc.
		add("yaml-block", "app/values.yaml", "tls:\n  key: |\n    "+strings.ReplaceAll(strings.TrimRight(ex, "\n"), "\n", "\n    ")+"\n")
		add("heredoc", "app/install.sh", "#!/bin/sh\ncat > /etc/app/key <<'EOF'\n"+ex+"EOF\n")
		return out
	}
	if m := assignmentLine.FindStringSubmatch(ex); m != nil && !strings.ContainsAny(m[2], `"'`) && !strings.Contains(ex, "://") {
		name, value := m[1], m[2]
		add("env", "app/.env", "# generated\n"+name+"="+value+"\nLOG_LEVEL=info\n")
		add("json", "app/config.json", "{\n  \"service\": \"api\",\n  "+jsonString(name)+": "+jsonString(value)+",\n  \"port\": 8080\n}\n")
		add("yaml", "app/config.yaml", "service:\n  "+name+": '"+value+"'\n  port: 8080\n")
		add("python", "app/settings.py", "import os\n\n"+strings.ReplaceAll(name, ".", "_")+" = \""+value+"\"\n")
		add("shell", "app/entrypoint.sh", "#!/bin/sh\nexport "+strings.ReplaceAll(name, ".", "_")+"='"+value+"'\nexec /app/server\n")
		return out
	}
	// A line of its own kind (a URL, a command, code): in a JSON string,
	// in a YAML list and in a comment of a script.
	if !strings.Contains(ex, `"`) {
		add("json", "app/config.json", "{\n  \"line\": "+jsonString(ex)+"\n}\n")
	}
	add("yaml-list", "app/config.yaml", "steps:\n  - "+ex+"\n")
	add("script", "app/run.sh", "#!/bin/sh\nset -e\n"+ex+"\n")
	return out
}

func jsonString(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// nearMissesFor are the negatives derived from r's example: each changes
// the secret so that it no longer has the provider's format, or marks it
// as a stand-in.
func nearMissesFor(r Rule) []sample {
	path := samplePath(r)
	out := []sample{{r.ID + "/near-miss", path, noise + r.NearMiss + "\n", formatNearMiss}}
	secret := secretOf(r)
	if secret == "" || strings.Contains(secret, "\n") {
		return out
	}
	i := strings.Index(r.Example, secret)
	with := func(kind, s string) {
		want := formatNearMiss
		if kind == "placeholder" || kind == "example" {
			want = ""
		}
		out = append(out, sample{r.ID + "/" + kind, path, noise + r.Example[:i] + s + r.Example[i+len(secret):] + "\n", want})
	}
	if !skipNearMiss[r.ID+"/embedded"] && !skipNearMiss[r.Category+"/embedded"] {
		with("embedded", "Zq9"+secret+"x7Q")
	}
	if !skipNearMiss[r.ID+"/short"] && !skipNearMiss[r.Category+"/short"] {
		with("short", secret[:len(secret)*2/3])
	}
	if !skipNearMiss[r.ID+"/placeholder"] {
		with("placeholder", placeholderOf(secret))
	}
	if !skipNearMiss[r.ID+"/example"] && len(secret) >= 16 {
		mid := len(secret) / 2
		with("example", secret[:mid-3]+"EXAMPLE"+secret[mid+4:])
	}
	return out
}

// formatNearMiss labels a negative that is out of its provider's format
// but may still be a credential of unknown format: a random value of the
// wrong length under API_KEY is what the generic rules are for. No
// provider rule may report it; the generic rules may.
const formatNearMiss = "-format"

// placeholderOf keeps the first four characters of a token (none of
// a password) and the separators of its shape, and writes x over the rest: what documentation
// puts where a token goes.
func placeholderOf(secret string) string {
	b := []byte(secret)
	keep := 4
	if len(b) < 16 {
		keep = 0 // a password
	}
	for i := keep; i < len(b); i++ {
		c := b[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
			b[i] = 'x'
		}
	}
	return string(b)
}

// skipNearMiss names the derived near misses that are not near misses of
// a rule (rule ID or category, then the kind), with the reason.
var skipNearMiss = map[string]bool{
	// Values of the generic and URL rules are free text: a longer or
	// shorter password is still a password, and "EXAMPLE" inside one is
	// checked by the placeholder allow rule, not by the format.
	"Generic/embedded": true, "Generic/short": true,
	"Database/embedded": true, "Database/short": true,
	"curl/embedded": true, "curl/short": true,
	// Variable-length formats: two thirds of the value, or the value
	// with more characters around it, is still the format.
	"aws-session-token/embedded": true, "aws-session-token/short": true,
	"azure-sas-token/embedded": true, "npmrc-auth/embedded": true, "npmrc-auth/short": true,
	"docker-config-auth/short": true, "grafana-cloud-token/short": true, "slack-legacy-token/short": true,
	"slack-workspace-token/short": true, "openai-project-key/short": true, "kraken-access-token/embedded": true,
	// URLs: a URL glued to a word is still a URL to the service.
	"slack-webhook/embedded": true, "slack-workflow-trigger/embedded": true, "discord-webhook/embedded": true,
	"sidekiq-sensitive-url/embedded": true, "microsoft-teams-webhook/embedded": true, "zapier-webhook/embedded": true,
	"gcp-oauth-access-token/short": true, "kubeconfig-client-key/short": true,
	"netrc/embedded": true, "netrc/short": true, "nuget-config-password/embedded": true, "nuget-config-password/short": true,
}

// sequentialPlaceholders are values typed by hand in a provider's shape:
// documentation and test fixtures, never issued.
var sequentialPlaceholders = []string{
	`GOOGLE_API_KEY=AIzaSyabcdefghijklmnopqrstuvwxyz1234567`,
	`{"key": "AIzaSyABCDEFGHIJKLMNOPQRSTUVWXYZ0123456"}`,
	`GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789`,
	`STRIPE_KEY=sk_live_abcdefghijklmnopqrstuvwx`,
	`npm_token: npm_1234567890abcdefghijklmnopqrstuvwxyz`,
	`SLACK_BOT_TOKEN=xoxb-1234567890-1234567890123-abcdefghijklmnopqrstuvwx`,
	`OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstT3BlbkFJabcdefghijklmnopqrst`,
	`HF_TOKEN=hf_abcdefghijklmnopqrstuvwxyzABCDEFGH`,
	`DOPPLER_TOKEN=dp.pt.abcdefghijklmnopqrstuvwxyz0123456789ABCD`,
	`gsk_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOP`,
}

// hardNegatives are lines that carry a provider's keyword or prefix
// without its token: prose, identifiers, type declarations, code that
// reads a secret from somewhere else.
var hardNegatives = []string{
	`const token = process.env.GITHUB_TOKEN;`,
	`slack_token = os.environ["SLACK_BOT_TOKEN"]`,
	`export TWILIO_AUTH_TOKEN="$(vault kv get -field=token secret/twilio)"`,
	`curl -u "$ARTIFACTORY_USER:$ARTIFACTORY_PASSWORD" -T pkg.tgz https://artifacts.internal/`,
	`curl --user "${USER}:${TOKEN}" https://api.internal/`,
	`curl -H "Authorization: Bearer ${TOKEN}" https://api.internal/`,
	`discord_token: str = Field(..., env="DISCORD_TOKEN")`,
	`bot.run(os.getenv("DISCORD_BOT_TOKEN"))`,
	`TELEGRAM_BOT_TOKEN=${TELEGRAM_BOT_TOKEN}`,
	`facebook_app_secret = settings.FACEBOOK_APP_SECRET`,
	`The Sourcegraph access token starts with sgp_ followed by hex.`,
	`api_org_ tokens belong to an organization on Hugging Face.`,
	`# ghp_ is the prefix of GitHub personal access tokens`,
	`SUMO_ACCESS_ID=`,
	`BUNDLE_ENTERPRISE__CONTRIBSYS__COM=${SIDEKIQ_CREDS}`,
	`source "https://enterprise.contribsys.com/"`,
	`hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX`,
	`https://discord.com/api/webhooks/{webhook.id}/{webhook.token}`,
	`https://api.telegram.org/bot${TOKEN}/sendMessage`,
	`TWILIO_ACCOUNT_SID=ACxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
	`OP_SECRET_KEY=A3-XXXXXX-XXXXXXXXXXX-XXXXX-XXXXX-XXXXX`,
	`VAULT_ADDR=https://vault.internal:8200`,
	`vault_token_path: /var/run/secrets/vault-token`,
	`dapi_version = "2.1"`,
	`glpat-<token>`,
	`sk_test_...`,
	`AKIA... is an access key id`,
	`"EAACEdEose0cBA": "app token prefix"`,
	`func (c *Client) Login(ctx context.Context, user, password string) error {`,
	`def authenticate(self, api_key: str, secret: str) -> bool:`,
	`password: string;`,
	`private readonly apiKey: string = '';`,
	`$pwd = getcwd();`,
	`password = password.encode("latin1")`,
	`var password = options.password || '';`,
	`client_secret = get_secret("oauth/client")`,
	`if (token === undefined) throw new Error("missing token")`,
	`RUN --mount=type=secret,id=npmrc cp /run/secrets/npmrc ~/.npmrc`,
	`- name: GITHUB_TOKEN\n  valueFrom:\n    secretKeyRef:\n      name: gh\n      key: token`,
	`digest: sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b`,
	`integrity sha1-Qm7Rt2Vx9Kp4Wz8Ln3Hd6Fj1Bs4=`,
	`"resolved": "https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz"`,
	`Subject Key Identifier: 3F:2A:9C:8E:7B:6D:5A:4F:3E:2D:1C:0B:9A:8F:7E:6D:5C:4B:3A:2F`,
	`build_id = "20240101-3f2a9c8e7b6d5a4f3e2d1c0b9a8f7e6d"`,
	`mailto:support@example.com`,
	`node_id: MDQ6VXNlcjE=`,
	`"sha": "0123abcd4567ef890123abcd4567ef890123abcd"`,
	`x-amz-request-id: 4442587FB7D0A2F9`,
	`Bearer realm="registry", service="registry.docker.io"`,
}

// corpusSamples is the whole labelled corpus for s's rules.
func corpusSamples(s *Scanner) []sample {
	var out []sample
	for _, r := range s.rules {
		out = append(out, contextsFor(r)...)
		out = append(out, nearMissesFor(r)...)
	}
	out = append(out, handPositives...)
	out = append(out, keywordPositives(s)...)
	for i, n := range negatives {
		out = append(out, sample{fmt.Sprintf("benign/%d", i), "app/config.yaml", noise + n + "\n", ""})
	}
	for i, n := range hardNegatives {
		out = append(out, sample{fmt.Sprintf("benign/hard-%d", i), "app/main.py", strings.ReplaceAll(n, `\n`, "\n") + "\n", ""})
	}
	return out
}

// handPositives are written out by hand, one context each, apart from the
// rules' own samples: the shapes in which these formats turn up in images
// (code calling a client, a CLI config, a CI file, a command line).
var handPositives = []sample{
	{"jfrog-api-key/hand-gradle", "root/.gradle/gradle.properties", "artifactory_user=ci\nartifactory_password=AKCp8" + synth("h-akc", alnum, 68) + "\n", "jfrog-api-key"},
	{"jfrog-identity-token/hand-npmrc", "app/.npmrc", "//artifacts.internal/api/npm/:_authToken=cmVmdGtuOjAxOjE" + synth("h-ref", alnum, 49) + "\n", "jfrog-identity-token"},
	{"sourcegraph-access-token/hand-local", "app/src-cli.sh", "export SRC_ACCESS_TOKEN=sgp_local_" + synth("h-sgp", hexLower, 40) + "\nsrc search 'repo:app'\n", "sourcegraph-access-token"},
	{"sourcegraph-access-token/hand-json", "app/config.json", `{"sourcegraph": {"url": "https://sourcegraph.internal", "token": "sgp_` + synth("h-sgp2", hexLower, 40) + `"}}` + "\n", "sourcegraph-access-token"},
	{"sumologic-access-id/hand-tf", "app/main.tf", "provider \"sumologic\" {\n  sumo_access_id = \"su" + synth("h-sumo", alnum, 12) + "\"\n}\n", "sumologic-access-id"},
	{"sumologic-access-key/hand-yaml", "app/collector.yaml", "sumologic:\n  sumo_access_key: " + synth("h-sumok", alnum, 64) + "\n", "sumologic-access-key"},
	{"sidekiq-secret/hand-bundle", "app/Dockerfile", "RUN bundle config --global enterprise.contribsys.com " + synth("h-sk1", hexLower, 8) + ":" + synth("h-sk2", hexLower, 8) + "\n", "sidekiq-secret"},
	{"sidekiq-secret/hand-env", "app/.env", "BUNDLE_GEMS__CONTRIBSYS__COM=\"" + synth("h-sk3", hexLower, 8) + ":" + synth("h-sk4", hexLower, 8) + "\"\n", "sidekiq-secret"},
	{"sidekiq-sensitive-url/hand-gemfile", "app/Gemfile", "source \"http://" + synth("h-sk5", hexLower, 8) + ":" + synth("h-sk6", hexLower, 8) + "@gems.contribsys.com/\" do\n  gem \"sidekiq-pro\"\nend\n", "sidekiq-sensitive-url"},
	{"slack-workspace-token/hand-xoxr", "app/slack.json", `{"refresh_token": "xoxr-` + synth("h-xoxr", alnum, 44) + `"}` + "\n", "slack-workspace-token"},
	{"slack-legacy-token/hand-xoxo", "app/legacy.py", "SLACK = \"xoxo-" + synth("h-xo1", digits, 11) + "-" + synth("h-xo2", digits, 11) + "-" + synth("h-xo3", digits, 12) + "-" + synth("h-xo4", hexLower, 32) + "\"\n", "slack-legacy-token"},
	{"slack-webhook/hand-services", "app/alert.sh", "curl -X POST -d @msg.json https://hooks.slack.com/services/T" + synth("h-sw1", upperAlnum, 8) + "/B" + synth("h-sw2", upperAlnum, 10) + "/" + synth("h-sw3", alnum, 24) + "\n", "slack-webhook"},
	{"facebook-page-access-token/hand-js", "app/fb.js", "const pageToken = 'EAAC" + synth("h-eaac", alnum, 180) + "';\n", "facebook-page-access-token"},
	{"facebook-app-secret/hand-camel", "app/Settings.java", "private static final String facebookAppSecret = \"" + synth("h-fbs", hexLower, 32) + "\";\n", "facebook-app-secret"},
	{"discord-bot-token/hand-js", "app/bot.js", "client.login('MT" + synth("h-dc1", alnum, 24) + ".G" + synth("h-dc2", alnum, 5) + "." + synth("h-dc3", alnum, 27) + "');\n", "discord-bot-token"},
	{"discord-bot-token/hand-py", "app/bot.py", "bot.run(\"OD" + synth("h-dc4", alnum, 24) + ".Y" + synth("h-dc5", alnum, 5) + "." + synth("h-dc6", alnum, 38) + "\")\n", "discord-bot-token"},
	{"discord-webhook/hand-yaml", "app/alerts.yaml", "receivers:\n  - discord_url: https://discordapp.com/api/webhooks/" + synth("h-dw1", digits, 19) + "/" + synth("h-dw2", alnum, 68) + "\n", "discord-webhook"},
	{"curl-auth-user/hand-dockerfile", "app/Dockerfile", "RUN curl -fsS --user ci-bot:" + synth("h-curl1", alnum, 20) + " -o /tmp/app.tgz https://nexus.internal/repo/app.tgz\n", "curl-auth-user"},
	{"curl-auth-user/hand-quoted", "app/upload.sh", "curl -u 'admin:" + synth("h-curl2", alnum, 14) + "' -T build.zip https://files.internal/\n", "curl-auth-user"},
	{"curl-auth-header/hand-basic", "app/ci.yml", "script:\n  - curl -sS -H 'Authorization: Basic " + synth("h-curl3", alnum, 32) + "=' https://api.internal/deploy\n", "curl-auth-header"},
	{"onepassword-secret-key/hand-json", "app/op.json", `{"secret_key": "A3-` + synth("h-op1", upperAlnum, 6) + "-" + synth("h-op2", upperAlnum, 6) + "-" + synth("h-op3", upperAlnum, 5) + "-" + synth("h-op4", upperAlnum, 5) + "-" + synth("h-op5", upperAlnum, 5) + "-" + synth("h-op6", upperAlnum, 5) + `"}` + "\n", "onepassword-secret-key"},
	{"onepassword-service-token/hand-env", "app/.env", "OP_SERVICE_ACCOUNT_TOKEN=ops_eyJ" + synth("h-ops", alnum, 300) + "\n", "onepassword-service-token"},
	{"huggingface-org-token/hand-py", "app/push.py", "HfApi(token=\"api_org_" + synth("h-hforg", letters, 34) + "\").upload_folder(folder_path=\"out\")\n", "huggingface-org-token"},
	{"huggingface-token/hand-cli", "app/Dockerfile", "RUN huggingface-cli login --token hf_" + synth("h-hf", letters, 34) + "\n", "huggingface-token"},
	{"telegram-bot-token/hand-js", "app/bot.js", "const bot = new TelegramBot('" + synth("h-tg1", digits, 10) + ":AA" + synth("h-tg2", alnum, 33) + "', {polling: true});\n", "telegram-bot-token"},
	{"telegram-bot-api-url/hand-curl", "app/notify.sh", "curl -s https://api.telegram.org/bot" + synth("h-tg3", digits, 9) + ":AA" + synth("h-tg4", alnum, 33) + "/sendMessage -d chat_id=42\n", "telegram-bot-api-url"},
	{"twilio-api-key/hand-code", "app/sms.js", "const client = twilio('SK" + synth("h-tw1", hexLower, 32) + "', apiSecret, { accountSid });\n", "twilio-api-key"},
	{"twilio-account-sid/hand-yaml", "app/config.yaml", "twilio:\n  account_sid: AC" + synth("h-tw2", hexLower, 32) + "\n", "twilio-account-sid"},
	{"npm-access-token/hand-yaml", "app/.yarnrc.yml", "npmAuthToken: npm_" + synth("h-npm", alnum, 36) + "\n", "npm-access-token"},
	{"pypi-token/hand-pypirc", "root/.pypirc", "[pypi]\nusername = __token__\npassword = pypi-AgEIcHlwaS5vcmc" + synth("h-pypi", alnum, 120) + "\n", "pypi-token"},
	{"rubygems-api-key/hand-credentials", "root/.gem/credentials", "---\n:rubygems_api_key: rubygems_" + synth("h-gem", hexLower, 48) + "\n", "rubygems-api-key"},
	{"dockerhub-pat/hand-login", "app/push.sh", "echo dckr_pat_" + synth("h-dckr", alnum, 27) + " | docker login -u ci --password-stdin\n", "dockerhub-pat"},
	{"gitlab-pat/hand-remote", "app/.git/config", "[remote \"origin\"]\n\turl = https://oauth2:glpat-" + synth("h-glpat", alnum, 20) + "@gitlab.internal/app.git\n", "gitlab-pat"},
	{"vault-token/hand-hcl", "app/agent.hcl", "auto_auth {\n  token = \"hvs." + synth("h-hvs", alnum, 90) + "\"\n}\n", "vault-token"},
	{"doppler-token/hand-cli", "app/Dockerfile", "ENV DOPPLER_TOKEN=dp.st.prd." + synth("h-dp", alnum, 43) + "\n", "doppler-token"},
	{"pulumi-token/hand-yaml", "app/.github/workflows/deploy.yml", "env:\n  PULUMI_ACCESS_TOKEN: pul-" + synth("h-pul", hexLower, 40) + "\n", "pulumi-token"},
	{"terraform-cloud-token/hand-tfrc", "root/.terraformrc", "credentials \"app.terraform.io\" {\n  token = \"" + synth("h-tfc1", alnum, 14) + ".atlasv1." + synth("h-tfc2", alnum, 67) + "\"\n}\n", "terraform-cloud-token"},
	{"databricks-token/hand-cfg", "root/.databrickscfg", "[DEFAULT]\nhost = https://adb-1.azuredatabricks.net\ntoken = dapi" + synth("h-dapi", hexLower, 32) + "\n", "databricks-token"},
	{"grafana-service-account-token/hand-yaml", "app/grafana.yaml", "auth:\n  token: glsa_" + synth("h-glsa1", alnum, 32) + "_" + synth("h-glsa2", hexLower, 8) + "\n", "grafana-service-account-token"},
	{"newrelic-license-key/hand-js", "app/newrelic.js", "exports.config = { api_key: 'NRAK-" + synth("h-nrak", upperAlnum, 27) + "' };\n", "newrelic-license-key"},
	{"sentry-token/hand-sentryclirc", "root/.sentryclirc", "[auth]\ntoken=sntryu_" + synth("h-sntry", hexLower, 64) + "\n", "sentry-token"},
	{"shopify-token/hand-rb", "app/shop.rb", "ShopifyAPI::Context.setup(api_key: key, access_token: \"shpat_" + synth("h-shp", hexLower, 32) + "\")\n", "shopify-token"},
	{"linear-api-key/hand-ts", "app/linear.ts", "const linear = new LinearClient({ apiKey: \"lin_api_" + synth("h-lin", alnum, 40) + "\" });\n", "linear-api-key"},
	{"postman-api-key/hand-newman", "app/ci.sh", "newman run \"https://api.getpostman.com/collections/1?apikey=PMAK-" + synth("h-pmak1", hexLower, 24) + "-" + synth("h-pmak2", hexLower, 34) + "\"\n", "postman-api-key"},
	{"mailgun-api-key/hand-php", "app/mail.php", "$mg = Mailgun::create('key-" + synth("h-mg", hexLower, 32) + "');\n", "mailgun-api-key"},
	{"mailchimp-api-key/hand-py", "app/news.py", "client.set_config({\"api_key\": \"" + synth("h-mc", hexLower, 32) + "-us14\", \"server\": \"us14\"})\n", "mailchimp-api-key"},
	{"sendgrid-api-key/hand-go", "app/mail.go", "client := sendgrid.NewSendClient(\"SG." + synth("h-sg1", alnum, 22) + "." + synth("h-sg2", alnum, 43) + "\")\n", "sendgrid-api-key"},
	{"gcp-api-key/hand-html-js", "app/static/maps.js", "loader.load({key: \"AIza" + synth("h-aiza", alnum, 35) + "\"});\n", "gcp-api-key"},
	{"github-pat/hand-git-credentials", "root/.git-credentials", "https://ci:ghp_" + synth("h-ghp", alnum, 36) + "@github.com\n", "github-pat"},
	{"stripe-secret-key/hand-rb", "app/config/initializers/stripe.rb", "Stripe.api_key = 'sk_live_" + synth("h-stripe", alnum, 99) + "'\n", "stripe-secret-key"},
}

// keywordStyles are the ways code and configuration name a value next to
// a provider's name: the positives of the rules that find a value by the
// name before it.
var keywordStyles = []struct{ name, path, format string }{
	{"go-short", "app/main.go", "%sToken := \"%s\"\n"},
	{"go-raw", "app/main.go", "%sToken := `%s`\n"},
	{"bnf", "app/app.conf", "%s_TOKEN ::= %s\n"},
	{"php-append", "app/index.php", "$%sToken .= \"%s\";\n"},
	{"js-object", "app/config.js", "module.exports = { %sKey: '%s' };\n"},
}

// keywordPositives puts the values of the rules named here in every
// keywordStyle: each rule's provider name and its sample's value.
func keywordPositives(s *Scanner) []sample {
	names := map[string]string{
		"sumologic-access-key": "sumo", "twitch-api-token": "twitch", "gitter-token": "gitter", "fastly-api-token": "fastly",
		"droneci-token": "drone", "travisci-token": "travis", "mattermost-token": "mattermost", "finnhub-access-token": "finnhub",
		"facebook-app-secret": "facebook", "linode-token": "linode", "hetzner-token": "hetzner", "sendbird-token": "sendbird",
		"rapidapi-key": "rapidapi", "meraki-api-key": "meraki", "mailjet-api-key": "mailjet", "sparkpost-api-key": "sparkpost",
		"bittrex-key": "bittrex", "etsy-api-key": "etsy", "contentful-delivery-token": "contentful", "zendesk-token": "zendesk",
		"cohere-api-key": "cohere", "cloudflare-api-token": "cloudflare", "netlify-token": "netlify", "vercel-token": "vercel",
	}
	var out []sample
	for _, r := range s.rules {
		name, ok := names[r.ID]
		if !ok {
			continue
		}
		value := secretOf(r)
		for _, st := range keywordStyles {
			out = append(out, sample{r.ID + "/" + st.name, st.path, fmt.Sprintf(st.format, name, value), r.ID})
		}
	}
	return out
}
