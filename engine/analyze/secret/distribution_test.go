package secret

import (
	"fmt"
	"slices"
	"testing"
)

// Paths of files that Debian 12, Alpine 3.20 and Rocky 9 packages install
// (python3.11, python3-yaml, perl-modules-5.36, libjs-jquery, nodejs,
// openjdk-17-jre-headless, ruby3.1, libssl-dev; py3-*, perl, nodejs), and
// of files an image's author adds.
var distributionPaths = map[string]bool{
	"usr/lib/python3/dist-packages/yaml/__init__.py":                        true,
	"usr/lib/python3.11/site-packages/requests/auth.py":                     true, // Alpine's py3-requests
	"usr/lib/python3.11/email/_header_value_parser.py":                      true,
	"usr/lib64/python3.9/site-packages/dnf/conf/config.py":                  true, // Rocky's dnf
	"usr/share/perl/5.36.0/CPAN/DeferredCode.pm":                            true,
	"usr/share/perl5/Debconf/Config.pm":                                     true,
	"usr/lib/x86_64-linux-gnu/perl/5.36/Config.pm":                          true,
	"usr/lib/x86_64-linux-gnu/perl-base/Cwd.pm":                             true,
	"usr/share/javascript/jquery/jquery.js":                                 true,
	"usr/share/nodejs/axios/index.js":                                       true,
	"usr/lib/node_modules/npm/node_modules/@npmcli/config/lib/index.js":     true, // Alpine's npm
	"usr/include/node/openssl/archs/linux-x86_64/asm/include/openssl/ssl.h": true,
	"usr/include/openssl/ssl.h":                                             true,
	"usr/lib/jvm/java-17-openjdk-amd64/conf/security/java.security":         true,
	"usr/lib/ruby/3.1.0/net/http.rb":                                        true,
	"usr/share/java/libintl.jar":                                            true,
	"/usr/lib/python3/dist-packages/yaml/__init__.py":                       true,

	// The author's: searched by every rule, or (third-party code outside
	// the distribution's trees) by the provider rules.
	"app/node_modules/pg/lib/client.js":                             false,
	"opt/venv/lib/python3.11/site-packages/django/conf/__init__.py": false,
	"usr/local/lib/python3.11/site-packages/app/settings.py":        false,
	"usr/local/lib/node_modules/npm/lib/npm.js":                     false,
	"usr/share/nginx/html/config.js":                                false,
	"usr/lib/myapp/config.yaml":                                     false,
	"usr/src/app/.env":                                              false,
	"usr/lib/x86_64-linux-gnu/libssl.so.3":                          false,
	"srv/www/vendor/guzzle/src/Client.php":                          false,
	"etc/myapp/app.ini":                                             false,
	"python3.11/x.py":                                               false,
	"home/app/usr/lib/python3/x.py":                                 false,
}

// TestDistributionCodeSkipped: every rule skips the language trees that a
// distribution's packages install under /usr; the author's files, and
// third-party code the author installed elsewhere, are still searched.
func TestDistributionCodeSkipped(t *testing.T) {
	a, err := NewAnalyzer(nil)
	if err != nil {
		t.Fatal(err)
	}
	for p, distro := range distributionPaths {
		if got := distributionCode.MatchString(p[:len(p)-len(baseName(p))]); got != distro {
			t.Errorf("distributionCode(%s) = %v, want %v", p, got, distro)
		}
		// The rule is a part of thirdPartyCode: nothing is skipped
		// that the provider rules alone searched before.
		if distro && !thirdPartyCode.MatchString(p) {
			t.Errorf("%s is the distribution's code but not third-party code", p)
		}
		if skipAll, _ := a.scanner().pathAllowed(p); skipAll != distro {
			t.Errorf("pathAllowed(%s) skips all = %v, want %v", p, skipAll, distro)
		}
		if got := a.Wants(p, 100); got == distro {
			t.Errorf("Wants(%s) = %v", p, got)
		}
	}

	token := "ghp_" + synth("distribution", alnum, 36)
	content := []byte(fmt.Sprintf("# config\nGITHUB_TOKEN = %q\npassword = \"Wq8#zLm2!pRt\"\n", token))
	rules := func(s *Scanner, p string) (ids []string) {
		for _, f := range s.Scan(p, content) {
			ids = append(ids, f.RuleID)
		}
		slices.Sort(ids)
		return ids
	}
	for p, want := range map[string][]string{
		"usr/lib/python3/dist-packages/yaml/constructor.py": nil,
		"usr/share/nodejs/axios/lib/defaults.js":            nil,
		"app/node_modules/pg/lib/defaults.js":               {"github-pat"},
		"usr/local/lib/python3.11/dist-packages/x/conf.py":  {"github-pat"},
		"usr/share/nginx/html/config.js":                    {"generic-password", "github-pat"},
		"usr/src/app/config.js":                             {"generic-password", "github-pat"},
		"usr/lib/myapp/settings.py":                         {"generic-password", "github-pat"},
	} {
		if got := rules(a.scanner(), p); !slices.Equal(got, want) {
			t.Errorf("%s: rules %v, want %v", p, got, want)
		}
	}

	// disable-allow-rules: distribution-code searches the trees again,
	// with the provider rules (they are still third-party code).
	b, err := NewAnalyzer(&Config{DisableAllowRules: []string{"distribution-code"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := rules(b.scanner(), "usr/lib/python3/dist-packages/yaml/constructor.py"); !slices.Equal(got, []string{"github-pat"}) {
		t.Errorf("with distribution-code disabled: rules %v, want [github-pat]", got)
	}
}

func baseName(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[i+1:]
		}
	}
	return p
}
