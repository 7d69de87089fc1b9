package secret

import "regexp"

// builtinAllow drops what is not a leak: documented example credentials,
// placeholders, and files that are noise by nature (package-manager
// metadata, documentation, translations, the test suites that language
// runtimes ship).
var builtinAllow = []AllowRule{
	{ID: "aws-example-keys", Secret: regexp.MustCompile(`^(?:AKIAIOSFODNN7EXAMPLE|wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY)$`)},
	{ID: "placeholders", Secret: regexp.MustCompile(`(?i)^(?:x{4,}|\*{3,}|\.{3,}|<[^>]*>|\$\{?[A-Za-z_]+\}?|%[A-Za-z_]+%|\{\{.*\}\})$|changeme|change_me|example|placeholder|your[_\-]?(?:api|secret|token|key|password)|dummy|redacted|sample|fake|_here`)},
	{ID: "noise-paths", dirOnly: true, Path: regexp.MustCompile(`(?:^|/)(?:usr/share/(?:doc|man|info|locale|i18n|zoneinfo)/|var/lib/dpkg/|lib/apk/db/|var/lib/rpm/|usr/lib/sysimage/rpm/|var/cache/|usr/share/ca-certificates/|etc/ssl/certs/)` +
		`|(?:^|/)usr/lib/python3[.\d]*/test/|(?:^|/)usr/(?:local/)?lib/go/(?:src|test)/.*testdata/|(?:^|/)node_modules/[^/]+/(?:test|tests|example|examples)/`)},
	{ID: "noise-paths", baseOnly: true, Path: regexp.MustCompile(`\.(?:md|rst|html?|pem\.example)$|(?:^|/)(?:go\.sum|package-lock\.json|yarn\.lock|pnpm-lock\.yaml|Cargo\.lock|poetry\.lock)$`)},
	distributionAllow,
	thirdPartyAllow,
	// The words that documentation puts where a credential goes
	// (http://username:password@host, postgresql://scott:tiger@localhost):
	// for the rules that know a secret by its surroundings only, as a
	// provider's token is never one of them.
	{ID: "placeholder-words", Secret: regexp.MustCompile(`(?i)^(?:password|passwd|pass|pwd|secret|token|apikey|api_key|username|user|admin|root|guest|test|tiger|letmein|hunter2|s3cr3t|p@ssw0rd|passw0rd|pa\$\$word|\*+)$`), ShapeOnly: true},
}

// BuiltinAllowRules returns the built-in allow rules.
func BuiltinAllowRules() []AllowRule { return append([]AllowRule(nil), builtinAllow...) }
