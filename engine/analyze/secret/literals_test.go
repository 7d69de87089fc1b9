package secret

import (
	"regexp"
	"strings"
	"testing"
)

// A literal need never turns down a text its regex matches, and turns
// down most paths that the allow rules do not match.
func TestLiteralNeedSound(t *testing.T) {
	paths := []string{
		"usr/share/doc/git/README.md", "usr/share/nodejs/@babel/core/lib/index.js",
		"usr/lib/python3/dist-packages/django/conf/global_settings.py", "usr/lib/python3.11/test/test_ssl.py",
		"usr/lib/python3.11/json/decoder.py", "usr/lib/x86_64-linux-gnu/perl/5.36/Config.pm",
		"usr/share/perl5/Debian/DebConf.pm", "usr/local/lib/go/src/net/http/testdata/key.pem",
		"app/node_modules/pg/test/unit/client.js", "app/node_modules/pg/lib/client.js", "app/src/settings.py",
		"app/.env", "etc/ssl/certs/ca.pem", "var/lib/dpkg/status", "opt/java/openjdk/release", "srv/x.jar/a/B.java",
		"root/.cargo/registry/src/x/lib.rs", "usr/include/openssl/ssl.h", "usr/share/gtk-doc/html/index.html",
		"go.sum", "web/package-lock.json", "docs/guide.rst", "a/b.pem.example", "usr/lib/ruby/3.1.0/net/http.rb",
		"usr/lib/jvm/java-17/conf/security/java.security", "home/user/.npm/_cacache/index", "", "/", "usr/",
	}
	checked, turnedDown := 0, 0
	for _, a := range BuiltinAllowRules() {
		if a.Path == nil {
			continue
		}
		need := needOf(a.Path)
		if need == nil {
			t.Errorf("allow rule %s: no literal need", a.ID)
			continue
		}
		for _, p := range paths {
			cut := strings.LastIndexByte(p, '/') + 1
			for _, text := range []string{p, p[:cut], p[cut:]} {
				checked++
				ok := need.mayMatch(text)
				if !ok {
					turnedDown++
				}
				if a.Path.MatchString(text) && !ok {
					t.Errorf("allow rule %s matches %q, its need turns it down", a.ID, text)
				}
			}
		}
	}
	if turnedDown < checked/2 {
		t.Errorf("the needs turned down %d of %d texts", turnedDown, checked)
	}
	for re, want := range map[string]bool{
		`(?i)secret`:          false, // case-insensitive: no need
		`[a-z]+`:              false,
		`x?`:                  false,
		`(?:^|/)foo/(?:a|b)/`: true,
		`ab*c`:                true,
	} {
		if got := needOf(regexp.MustCompile(re)) != nil; got != want {
			t.Errorf("%s: has a need %v, want %v", re, got, want)
		}
	}
}

// FuzzLiteralNeed: for any text, an allow rule's regex matches only if its
// literal need lets the text through.
func FuzzLiteralNeed(f *testing.F) {
	var needs []literalNeed
	var res []*regexp.Regexp
	for _, a := range BuiltinAllowRules() {
		if a.Path != nil {
			needs, res = append(needs, needOf(a.Path)), append(res, a.Path)
		}
	}
	for _, s := range []string{"usr/share/doc/x/", "app/node_modules/a/test/", "usr/lib/python3.11/test/", "x.md", "usr/local/lib/go/src/a/testdata/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		for i, re := range res {
			if re.MatchString(text) && !needs[i].mayMatch(text) {
				t.Fatalf("%s matches %q, its need turns it down", re, text)
			}
		}
	})
}
