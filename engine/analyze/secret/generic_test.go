package secret

import (
	"strings"
	"testing"
)

// genericCase is one line in one file, and the generic rule that must
// report it ("" for none). The lines are written for this test.
type genericCase struct {
	name, path, line, want string
}

var genericCases = []genericCase{
	// Code that names a password but assigns no literal.
	{"python call", "app/src/auth.py", `password = password.encode("latin1")`, ""},
	{"python attribute", "app/src/auth.py", `self.password = kwargs.password`, ""},
	{"python getenv", "app/src/settings.py", `DB_PASSWORD = os.environ.get("DB_PASSWORD", "")`, ""},
	{"python type annotation", "app/src/models.py", `    password: str`, ""},
	{"python annotated default", "app/src/models.py", `    password: Optional[str] = None`, ""},
	{"python f-string", "app/src/db.py", `password = f"{prefix}Wq8zLm2pRt"`, ""},
	{"python percent format", "app/src/db.py", `password = "%s:%s" % (user, token)`, ""},
	{"python str.format", "app/src/db.py", `password = "{user}-Wq8zLm2pRt".format(user=u)`, ""},
	{"python dsn format", "app/src/db.py", `dsn = "host=db password=%s" % pw`, ""},
	{"python comparison", "app/src/views.py", `if password == confirm_password:`, ""},
	{"js var", "app/src/client.js", `var password = options.password || '';`, ""},
	{"js const call", "app/src/client.js", `const password = decodeURIComponent(parsed.password);`, ""},
	{"js object property", "app/src/client.js", `  password: config.auth.password,`, ""},
	{"js strict comparison", "app/src/client.js", `if (password === secretInput) {`, ""},
	{"js template literal", "app/src/client.js", "const apiKey = `${prefix}Hk3nQw9zXr5tLm2pVb8y`;", ""},
	{"js concatenation", "app/src/client.js", `const password = "Wq8zLm2pRt" + suffix;`, ""},
	{"js form field name", "app/src/form.js", `  password: "passwordConfirmation",`, ""},
	{"js autocomplete", "app/src/form.js", `  password: 'current-password',`, ""},
	{"js prose", "app/src/form.js", `  password: "Enter your password",`, ""},
	{"perl cwd", "app/lib/Cwd.pm", `    $pwd = cwd();`, ""},
	{"perl env", "app/lib/Cwd.pm", `my $pwd = $ENV{'PWD'};`, ""},
	{"typescript declaration", "app/src/types.d.ts", `    password: string;`, ""},
	{"typescript optional", "app/src/types.d.ts", `    password?: string | undefined;`, ""},
	{"typescript default", "app/src/model.ts", `  password: string = '';`, ""},
	{"go getenv", "app/cmd/main.go", `password := os.Getenv("DB_PASSWORD")`, ""},
	{"go field", "app/cmd/main.go", `	cfg.Password = password`, ""},
	{"java parameter", "app/src/Login.java", `String password = request.getParameter("password");`, ""},
	{"ruby interpolation", "app/lib/db.rb", `password = "#{ENV['DB_PASS']}Wq8zLm2"`, ""},
	// Templates and placeholders in configuration.
	{"yaml env template", "app/config.yaml", `password: "${DB_PASSWORD}"`, ""},
	{"yaml bare env template", "app/config.yaml", `password: ${DB_PASSWORD}`, ""},
	{"helm template", "app/templates/secret.yaml", `  password: {{ .Values.db.password | quote }}`, ""},
	{"shell variable", "app/deploy.sh", `export DB_PASSWORD=$MYSQL_PASSWORD`, ""},
	{"shell command substitution", "app/deploy.sh", `PASSWORD="$(cat /run/secrets/db_password)"`, ""},
	{"windows variable", "app/setup.ini", `password=%DB_PASSWORD%`, ""},
	{"yaml type annotation", "app/schema.yaml", `  password: string`, ""},
	{"yaml anchor", "app/config.yaml", `  password: *default_password_value`, ""},
	{"changeme", "app/config.yaml", `password: changeme`, ""},
	{"angle brackets", "app/config.py", `password = "<password>"`, ""},
	{"xxxxx", "app/config.yaml", `api_key: xxxxxxxxxxxxxxxxxxxxxxxx`, ""},
	{"stars", "app/config.yaml", `secret: "****************"`, ""},
	{"your_password_here", "app/.env", `DB_PASSWORD=your_password_here`, ""},
	{"example", "app/.env", `API_KEY=example-api-key-0123456789`, ""},
	{"low entropy", "app/.env", `DB_PASSWORD=aaaaaaaabbbb`, ""},
	{"too short", "app/.env", `DB_PASSWORD=Wq8#zL`, ""},
	{"url password word", "app/README.txt", `curl http://username:password@host.example.org/`, ""},
	{"path", "app/config.ini", `secret_key = /run/secrets/app_secret_key`, ""},
	{"json null", "app/config.json", `{"password": null}`, ""},
	{"json empty", "app/config.json", `{"password": ""}`, ""},
	{"unclosed quote", "app/src/app.py", `password = "Wq8#zLm2!pRt`, ""},
	{"truncated provider token", "app/.env", `GITHUB_TOKEN_PASSWORD=ghp_a1B2c3D4e5F6g7H8`, ""},
	{"value not ending the line", "app/config.cfg", `password = Wq8zLm2pRtX9 and more`, ""},
	// Literals: every shape must be found.
	{"python literal", "app/src/settings.py", `DB_PASSWORD = 'Tz4!kQ9mWv2x'`, "generic-password"},
	{"python escaped quote", "app/src/settings.py", `password = "Wq8\"zLm2!pRt"`, "generic-password"},
	{"python bytes literal", "app/src/settings.py", `password = b"Tz4!kQ9mWv2x"`, "generic-password"},
	{"python dict", "app/src/settings.py", `DATABASES = {"default": {"PASSWORD": "Tz4!kQ9mWv2x"}}`, "generic-password"},
	{"js literal", "app/src/client.js", `const apiKey = "Hk3nQw9zXr5tLm2pVb8y";`, "generic-api-key"},
	{"js object literal", "app/src/client.js", `  password: 'Wq8#zLm2!pRt',`, "generic-password"},
	{"js template without placeholders", "app/src/client.js", "const authToken = `Hk3nQw9zXr5tLm2pVb8y`;", "generic-api-key"},
	// A known miss: the name ends at its type annotation, and the value
	// after "=" is not read.
	{"typescript annotated literal", "app/src/config.ts", `export const clientSecret: string = "Zq8Lw2RtZ9bXcVn4Mk7Py";`, ""},
	{"go literal", "app/cmd/main.go", `password := "Wq8#zLm2!pRt"`, "generic-password"},
	{"go const", "app/cmd/main.go", `const clientSecret = "Zq8Lw2RtZ9bXcVn4Mk7Py"`, "generic-secret"},
	{"perl literal", "app/lib/Db.pm", `my $password = 'Wq8#zLm2!pRt';`, "generic-password"},
	{"perl hash", "app/lib/Db.pm", `    password => "Wq8#zLm2!pRt",`, "generic-password"},
	{"php literal", "app/public/config.php", `$db_password = "Wq8#zLm2!pRt";`, "generic-password"},
	{"yaml unquoted", "app/config.yaml", `  password: Wq8#zLm2!pRt`, "generic-password"},
	{"yaml quoted", "app/config.yml", `  client_secret: "Zq8Lw2RtZ9bXcVn4Mk7Py"`, "generic-secret"},
	{"yaml comment after", "app/config.yml", `  password: Wq8zLm2pRtX9 # rotated monthly`, "generic-password"},
	{".env", "app/.env", `DB_PASSWORD=Wq8zLm2pRtX9`, "generic-password"},
	{".env quoted", "app/.env", `SECRET_KEY="Zq8Lw2RtZ9bXcVn4Mk7Py"`, "generic-secret"},
	{"properties", "app/src/main/resources/application.properties", `spring.datasource.password=Wq8zLm2pRt!x`, "generic-password"},
	{"ini", "etc/myapp/app.ini", `password = Wq8zLm2pRt!x`, "generic-password"},
	{"ini colon", "etc/myapp/app.cfg", `api_key: Hk3nQw9zXr5tLm2pVb8y`, "generic-api-key"},
	{"json", "app/config.json", `{"client_secret": "Zq8Lw2RtZ9bXcVn4Mk7Py", "x": 1}`, "generic-secret"},
	{"toml", "app/config.toml", `password = "Wq8#zLm2!pRt"`, "generic-password"},
	{"dockerfile env", "app/Dockerfile", `ENV DB_PASSWORD=Wq8zLm2pRt!x`, "generic-password"},
	{"shell export", "app/deploy.sh", `export MYSQL_ROOT_PASSWORD="Wq8zLm2pRt!x"`, "generic-password"},
	{"shell export unquoted", "app/entrypoint.sh", `export API_KEY=Hk3nQw9zXr5tLm2pVb8y`, "generic-api-key"},
	{"image config env", "(image config)", `ENV MYSQL_ROOT_PASSWORD=Wq8zLm2pRt!x`, "generic-password"},
	{"image config history", "(image config)", `/bin/sh -c #(nop)  ENV API_TOKEN_AUTH_TOKEN=Hk3nQw9zXr5tLm2pVb8y`, "generic-api-key"},
	{"compose environment list", "app/compose.yaml", `      - POSTGRES_PASSWORD=Wq8zLm2pRt!x`, "generic-password"},
	{"auth token", "srv/app/settings.conf", `auth_token = Hk3nQw9zXr5tLm2pVb8y`, "generic-api-key"},
}

// TestGenericRulesReadCode: a generic rule reports literals only, in code
// and in configuration, and masks exactly the literal.
func TestGenericRulesReadCode(t *testing.T) {
	s := scanner(t)
	for _, c := range genericCases {
		t.Run(c.name, func(t *testing.T) {
			fs := s.Scan(c.path, []byte("# first\n"+c.line+"\n"))
			var got []string
			for _, f := range fs {
				got = append(got, f.RuleID)
			}
			if c.want == "" {
				if len(fs) != 0 {
					t.Errorf("%s: %q reported %v: %q", c.path, c.line, got, fs[0].Match)
				}
				return
			}
			if len(fs) != 1 || fs[0].RuleID != c.want {
				t.Fatalf("%s: %q: got %v, want [%s]", c.path, c.line, got, c.want)
			}
			if f := fs[0]; f.StartLine != 2 || strings.Count(f.Match, "*") < 8 {
				t.Errorf("finding %+v", f)
			}
		})
	}
}

// TestGenericMasksTheLiteral: the masked part is the value without its
// quotes, and nothing after it.
func TestGenericMasksTheLiteral(t *testing.T) {
	s := scanner(t)
	for line, want := range map[string]string{
		`password = "Wq8#zLm2!pRt"  # prod`:   `password = "************"  # prod`,
		`DB_PASSWORD=Wq8zLm2pRtX9`:            `DB_PASSWORD=************`,
		`{"api_key": "Hk3nQw9zXr5tLm2pVb8y"}`: `{"api_key": "********************"}`,
	} {
		fs := s.Scan("app/config.txt", []byte(line+"\n"))
		if len(fs) != 1 || fs[0].Match != want {
			t.Errorf("%q: got %+v, want match %q", line, fs, want)
		}
	}
}

// TestThirdPartyPaths: which paths hold installed third-party code.
func TestThirdPartyPaths(t *testing.T) {
	for _, p := range []string{
		"usr/lib/python3/dist-packages/requests/auth.py",
		"usr/local/lib/python3.12/site-packages/pip/_vendor/requests/auth.py",
		"usr/lib/python3.11/smtplib.py",
		"opt/conda/lib/python3.12/imaplib.py",
		"app/.venv/lib/python3.12/site-packages/django/conf/global_settings.py",
		"app/node_modules/axios/lib/adapters/http.js",
		"usr/local/lib/node_modules/npm/node_modules/@npmcli/config/lib/index.js",
		"usr/local/bundle/gems/activerecord-7.1.3/lib/active_record/base.rb",
		"var/lib/gems/3.1.0/gems/net-smtp-0.3.3/lib/net/smtp.rb",
		"usr/lib/ruby/3.1.0/net/http.rb",
		"root/go/pkg/mod/github.com/lib/pq@v1.10.9/conn.go",
		"usr/local/go/src/net/smtp/auth.go",
		"var/www/html/vendor/laravel/framework/src/Illuminate/Auth/Passwords/PasswordBroker.php",
		"usr/share/perl/5.36.0/Cwd.pm",
		"usr/share/perl5/Debconf/Config.pm",
		"usr/lib/x86_64-linux-gnu/perl/5.36/Cwd.pm",
		"usr/lib/x86_64-linux-gnu/perl-base/Cwd.pm",
		"usr/local/lib/perl5/site_perl/5.38.0/DBI.pm",
		"usr/share/javascript/jquery/jquery.js",
		"usr/share/nodejs/axios/index.js",
		"usr/lib/nodejs/undici/index.js",
		"root/.nuget/packages/npgsql/8.0.3/README.txt",
		"usr/local/lib/R/site-library/DBI/R/DBI.R",
		"usr/share/dotnet/shared/Microsoft.NETCore.App/8.0.0/x.json",
		"usr/share/maven-repo/org/foo/foo.pom",
		"root/.m2/repository/org/postgresql/postgresql/42.7.3/postgresql-42.7.3.pom",
		"usr/lib/jvm/java-17-openjdk-amd64/conf/security/java.security",
		"app/lib/app.jar/org/demo/Config.java",
	} {
		if !thirdPartyCode.MatchString(p) {
			t.Errorf("%s: not third-party code", p)
		}
	}
	for _, p := range []string{
		"app/src/settings.py",
		"app/config/settings.env",
		"app/.env",
		"app/Dockerfile",
		"srv/app/config.yaml",
		"srv/www/config.php",
		"opt/myapp/conf/app.ini",
		"home/deploy/app/.env",
		"root/.docker/config.json",
		"var/www/html/wp-config.php",
		"usr/share/nginx/html/config.js",
		"usr/local/etc/php/conf.d/app.ini",
		"etc/myapp/app.conf",
		"app/src/vendors.js",
		"app/pkg/mod.go",
		"app/lib/python_helpers.py",
		"workspace/gemstone/app.rb",
	} {
		if thirdPartyCode.MatchString(p) {
			t.Errorf("%s: taken for third-party code", p)
		}
	}
}

// TestThirdPartySkipsShapeRules: in third-party code the generic rules
// and URL credentials are quiet and the provider rules still report; a
// config can turn the allow rule off.
func TestThirdPartySkipsShapeRules(t *testing.T) {
	content := []byte("const password = 'Wq8#zLm2!pRt';\n" +
		"const token = 'ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8';\n" +
		"const url = 'postgres://app:Xq7pL9wZr4@db.internal:5432/app';\n")
	rules := func(a *Analyzer, path string) string {
		var out []string
		for _, f := range a.scanner().Scan(path, content) {
			out = append(out, f.RuleID)
		}
		return strings.Join(out, ",")
	}
	a, err := NewAnalyzer(nil)
	if err != nil {
		t.Fatal(err)
	}
	const all = "generic-password,github-pat,postgres-url"
	if got := rules(a, "app/node_modules/demo/index.js"); got != "github-pat" {
		t.Errorf("node_modules: %v, want the provider rule only", got)
	}
	if got := rules(a, "app/src/index.js"); got != all {
		t.Errorf("app code: %v, want %s", got, all)
	}
	on, err := NewAnalyzer(&Config{DisableAllowRules: []string{"third-party-code"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := rules(on, "app/node_modules/demo/index.js"); got != all {
		t.Errorf("third-party-code disabled: %v, want %s", got, all)
	}
}

// TestPlaceholderWordsInURLs: the credentials of documentation examples
// are not reported, in URLs or after a name.
func TestPlaceholderWordsInURLs(t *testing.T) {
	s := scanner(t)
	for _, line := range []string{
		`engine = create_engine("postgresql://scott:tiger@localhost/test")`,
		`url = "mysql+pymysql://user:password@localhost/test"`,
		`'http://username:password@host.com:80/path?query#fragment'`,
	} {
		if fs := s.Scan("app/src/db.py", []byte(line+"\n")); len(fs) != 0 {
			t.Errorf("%q: %s %q", line, fs[0].RuleID, fs[0].Match)
		}
	}
}

// TestLiteralValueBounded: reading a value past a match costs a bounded
// number of bytes, whatever follows.
func TestLiteralValueBounded(t *testing.T) {
	long := []byte("password = \"" + strings.Repeat("a1B2", 1<<16) + "\"\n")
	if _, _, ok := literalValue(long, len("password = "), true, literalRules["generic-password"]); ok {
		t.Error("a 256 KiB string is no password")
	}
	bare := []byte("password=" + strings.Repeat("a1B2", 1<<16))
	if _, _, ok := literalValue(bare, len("password="), false, literalRules["generic-password"]); ok {
		t.Error("a 256 KiB token is no password")
	}
}

// FuzzLiteralValue: any content, any offsets: no panic, the same answer
// as a fresh reader, and a value lies inside the content, on one line,
// after the offset.
func FuzzLiteralValue(f *testing.F) {
	for _, c := range genericCases {
		f.Add(c.line, strings.IndexAny(c.line, "=:")+1, isCode(c.path))
	}
	f.Fuzz(func(t *testing.T, content string, at int, code bool) {
		if at < 0 || at > len(content) {
			return
		}
		r := newLiteralReader([]byte(content), code, literalRules["generic-password"])
		for _, off := range []int{at, at + 3, at + 1} { // growing, then behind
			if off > len(content) {
				continue
			}
			start, end, ok := r.value(off)
			// The finders' memo never changes an answer.
			if s2, e2, ok2 := literalValue([]byte(content), off, code, literalRules["generic-password"]); s2 != start || e2 != end || ok2 != ok {
				t.Fatalf("from %d in %q: reader (%d,%d,%v), fresh (%d,%d,%v)", off, content, start, end, ok, s2, e2, ok2)
			}
			if ok && (start < off || end < start || end > len(content) || strings.ContainsAny(content[start:end], "\r\n")) {
				t.Fatalf("value [%d,%d) from %d in %q", start, end, off, content)
			}
		}
	})
}
