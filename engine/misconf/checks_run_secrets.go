package misconf

import (
	"fmt"
	"regexp"
	"strings"
)

// DS-0031: secrets handed to the build where they stay in the image.
// Like Trivy, only the final stage counts (earlier stages do not end up
// in the image): ENV and ARG variables with secret names, a secret file
// named by an ENV or ARG that a COPY brings in, a COPY to a path held by
// such a variable, and RUNs that log in to a cloud CLI with credentials
// on the command line, unless a secret is mounted for them.

// secretEnvNames are variables that hold a credential of a well-known
// tool or service.
var secretEnvNames = setOf(
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET",
	"GITHUB_TOKEN", "GH_TOKEN", "GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN",
	"OPENAI_API_KEY", "HF_TOKEN", "DIGITALOCEAN_ACCESS_TOKEN", "DOCKERHUB_PASSWORD",
	"FIREBASE_TOKEN", "CI_DEPLOY_PASSWORD", "GOOGLE_API_KEY", "LANGSMITH_API_KEY",
	"LANGCHAIN_API_KEY", "HEROKU_API_KEY",
)

// secretEnvPrefixes are prefixes front-end build tools add to variables
// they expose (VITE_GITHUB_TOKEN is still GITHUB_TOKEN).
var secretEnvPrefixes = []string{"VITE_", "REACT_APP_"}

// secretFileEnvs are variables that name a file holding credentials.
var secretFileEnvs = setOf("AWS_CONFIG_FILE", "HF_TOKEN_PATH", "GOOGLE_APPLICATION_CREDENTIALS")

// A name is a secret's when one of its _-separated words is one of
// these, and none is "public" (PUBLIC_KEY is not a secret).
var (
	secretWord = regexp.MustCompile(`(?i)(?:^|_)(?:apikey|auth|credentials?|key|password|pword|passwd|secret|token|usr|psw)(?:_|$)`)
	publicWord = regexp.MustCompile(`(?i)(?:^|_)public(?:_|$)`)
)

// isSecretName says whether a variable name looks like it holds a
// secret. Names of secret files are not: they are a finding only when the
// file is copied in.
func isSecretName(name string) bool {
	if secretEnvNames[name] {
		return true
	}
	for _, p := range secretEnvPrefixes {
		if rest, ok := strings.CutPrefix(name, p); ok && secretEnvNames[rest] {
			return true
		}
	}
	if secretFileEnvs[name] {
		return false
	}
	return secretWord.MatchString(name) && !publicWord.MatchString(name)
}

// envPairs are the variables an ENV instruction sets, as name and value.
// BuildKit gives ENV's arguments as triples name, value, "=" ("" for
// the old `ENV NAME value` form).
func envPairs(c Command) [][2]string {
	var out [][2]string
	v := c.Value
	if len(v)%3 == 0 {
		triples := true
		for i := 2; i < len(v); i += 3 {
			if v[i] != "=" && v[i] != "" {
				triples = false
			}
		}
		if triples {
			for i := 0; i+1 < len(v); i += 3 {
				out = append(out, [2]string{v[i], v[i+1]})
			}
			return out
		}
	}
	// Any other shape (a hand-built model): NAME=value words.
	for _, w := range v {
		name, val, _ := strings.Cut(w, "=")
		out = append(out, [2]string{name, val})
	}
	return out
}

// argPairs are the variables an ARG instruction declares, with their
// defaults ("" when none).
func argPairs(c Command) [][2]string {
	var out [][2]string
	for _, w := range c.Value {
		name, val, _ := strings.Cut(w, "=")
		out = append(out, [2]string{name, val})
	}
	return out
}

// unquote removes one pair of surrounding quotes.
func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

// cleanCopyPath is a path reduced for comparing a file with a COPY
// destination: quotes, a leading "." and "/" and a trailing "/" removed
// ("./app/key.json" and "/app/" compare as "app/key.json" and "app").
func cleanCopyPath(p string) string {
	p = unquote(p)
	p = strings.TrimPrefix(p, ".")
	p = strings.TrimPrefix(p, "/")
	return strings.TrimSuffix(p, "/")
}

// copiedInto says whether the file is under the destination of one of
// the COPYs (a destination of "." or "/" holds everything).
func copiedInto(copies []Command, file string) bool {
	f := cleanCopyPath(file)
	for _, c := range copies {
		if len(c.Value) == 0 {
			continue
		}
		d := cleanCopyPath(c.Value[len(c.Value)-1])
		if d == "" || f == d || strings.HasPrefix(f, d+"/") {
			return true
		}
	}
	return false
}

// credentialLogin says whether a command logs a cloud CLI in with a
// credential given on the command line or read into the layer.
func credentialLogin(prog []string) bool {
	if len(prog) < 3 {
		return false
	}
	switch prog[0] {
	case "aws":
		// aws configure set aws_access_key_id VALUE
		if len(prog) >= 4 && prog[1] == "configure" && prog[2] == "set" {
			key := strings.ToLower(prog[3])
			return key == "aws_access_key_id" || key == "aws_secret_access_key"
		}
	case "gcloud":
		return prog[1] == "auth" && prog[2] == "activate-service-account"
	case "az":
		return prog[1] == "login" && hasValuedOption(prog[2:], "-p", "--password", "--federated-token")
	case "doctl":
		return len(prog) >= 3 && prog[1] == "auth" && prog[2] == "init" && hasValuedOption(prog[3:], "-t", "--access-token")
	}
	return false
}

// hasValuedOption says whether one of the options is given, as
// "-t value" or "--opt=value".
func hasValuedOption(args []string, opts ...string) bool {
	for _, a := range args {
		for _, o := range opts {
			if a == o || strings.HasPrefix(a, o+"=") {
				return true
			}
		}
	}
	return false
}

func checkSecrets(df *Dockerfile) []Failure {
	stage, ok := finalStage(df)
	if !ok {
		return nil
	}
	copies := stage.commandsOf("copy")
	var out []Failure
	for _, c := range stage.Commands {
		switch c.Cmd {
		case "env", "arg":
			pairs := envPairs(c)
			if c.Cmd == "arg" {
				pairs = argPairs(c)
			}
			kw := strings.ToUpper(c.Cmd)
			for _, kv := range pairs {
				name, val := kv[0], kv[1]
				switch {
				case isSecretName(name):
					out = append(out, failAt(c, fmt.Sprintf("%s %q looks like a secret: its value can be read from the image", kw, name)))
				case secretFileEnvs[name] && val != "" && copiedInto(copies, val):
					out = append(out, failAt(c, fmt.Sprintf("%s %q names a credentials file copied into the image (%s)", kw, name, unquote(val))))
				}
			}
		case "copy":
			if len(c.Value) != 2 {
				continue
			}
			dst := strings.TrimPrefix(c.Value[1], "$")
			dst = strings.TrimSuffix(strings.TrimPrefix(dst, "{"), "}")
			if secretFileEnvs[dst] {
				out = append(out, failAt(c, fmt.Sprintf("COPY writes a credentials file to $%s", dst)))
			}
		case "run":
			if runMountsSecret(c) {
				continue
			}
			for _, sc := range runCommands(c) {
				if prog := program(sc.Args); credentialLogin(prog) {
					out = append(out, failAt(c, fmt.Sprintf("RUN logs in with a credential that stays in the command or the layer: '%s'", commandName(prog))))
					break
				}
			}
		}
	}
	return out
}

// commandName is a command's name and subcommands, up to its first
// option: a message quotes it without the credential that follows.
func commandName(prog []string) string {
	var words []string
	for _, w := range prog {
		if strings.HasPrefix(w, "-") || len(words) == 4 {
			break
		}
		words = append(words, w)
	}
	return strings.Join(words, " ")
}

// runMountsSecret says whether the RUN has a build secret mounted.
func runMountsSecret(run Command) bool {
	for _, m := range mounts(run) {
		if m["type"] == "secret" {
			return true
		}
	}
	return false
}
