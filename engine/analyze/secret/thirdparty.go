package secret

import "regexp"

// thirdPartyCode is where images keep code they installed rather than
// wrote: language packages (site-packages, node_modules, gems, composer
// and Go vendor trees, the Go module cache, Maven and Gradle caches),
// language runtimes' own libraries (Python, Perl, Ruby, PHP, Go, Java),
// and the shared data of distribution packages. Names like "password" are
// everywhere in that code and their values are the library's variables,
// and its documentation is full of postgresql://scott:tiger@localhost:
// the rules that know a secret by its surroundings only (shapeOnly: the
// generic rules and URL credentials) skip these paths. The provider
// rules, which know a token by its own format, still search them: a real
// token in a vendored file is still a leak.
//
// Application code stays out of the list: /app, /srv, /opt/<app>,
// /home, /var/www and /usr/share/nginx/html (web roots) are searched by
// every rule, but an application's own node_modules or vendor tree is not
// by the shape-only ones.
var thirdPartyCode = regexp.MustCompile(`(?:^|/)(?:site-packages|dist-packages|node_modules|bower_components|jspm_packages|gems|vendor|__pypackages__|\.m2/repository|\.ivy2/cache|\.gradle/caches|\.nuget/packages|\.cargo/registry|\.cargo/git|\.rustup/toolchains|pkg/mod|\.npm|\.cache/(?:pip|yarn|go-build|pypoetry)|R/(?:site-)?library)/` +
	// Runtimes' libraries: /usr/lib/python3.11/, /opt/conda/lib/python3.12/,
	// /usr/lib/ruby/, /usr/lib/jvm/, /usr/local/go/, and Debian's
	// JavaScript packages in /usr/lib/nodejs/ and /usr/share/nodejs/.
	`|(?:^|/)lib(?:64)?/python[0-9][0-9.]*/|(?:^|/)usr/(?:local/)?(?:lib|share)/(?:ruby|jvm|php|go[0-9.\-]*|nodejs|dotnet)/|(?:^|/)usr/local/go/|(?:^|/)opt/java/` +
	// Perl: /usr/share/perl/5.36/, /usr/share/perl5/, /usr/lib/x86_64-linux-gnu/perl/, perl-base, site_perl.
	`|(?:^|/)usr/(?:local/)?(?:share|lib(?:/[^/]+)?)/(?:perl[0-9a-z\-]*|site_perl)/` +
	// Distribution packages' shared files (docs and man pages are noise
	// for every rule, see builtinAllow).
	`|(?:^|/)usr/(?:local/)?share/(?:javascript|nodejs|node|java|maven-repo|php|python[0-9.]*|pyshared|python-wheels|ruby[0-9.]*|rubygems-integration|go[0-9.\-]*|gocode|gtk-doc|help|texmf|texlive|lintian|vim|emacs|bash-completion|zsh|fish|cmake[0-9.\-]*|aclocal|autoconf|automake[0-9.\-]*|libtool|gettext|debhelper|dh-python|sgml|xml|common-licenses|doc-base|icons|mime|misc|polkit-1|dbus-1|X11|glib-2\.0|gir-1\.0|pkgconfig|sphinx|jquery|mathjax)/` +
	`|(?:^|/)usr/include/` +
	// Kernel and debug sources (not /usr/src/app, a common WORKDIR).
	`|(?:^|/)usr/src/(?:linux|kernels|debug)[^/]*/` +
	// Sources unpacked from jars (foo-sources.jar/...) when a walker shows them.
	`|\.jar/`)

// thirdPartyAllow is the built-in allow rule for thirdPartyCode; a config
// that lists its ID under disable-allow-rules turns it off.
var thirdPartyAllow = AllowRule{ID: "third-party-code", Path: thirdPartyCode, ShapeOnly: true, dirOnly: true}

// distributionCode is the part of thirdPartyCode that a distribution's
// own packages install under /usr/lib, /usr/lib64, /usr/share and
// /usr/include: the runtimes' libraries (python3.11, jvm, perl, ruby),
// Debian's dist-packages and nodejs trees, C headers. Every rule skips
// it, as Trivy's usr-dirs allow rule skips all of those directories: the
// code there is public, a token in it is a vendor's test fixture rather
// than the image's leak, and it is most of the text of a real image
// (about 190 of 200 MB searched in a Debian image with python3, nodejs,
// a JRE and perl), so searching it for the provider rules cost most of
// the secret pass and found nothing. Application code under /usr (the
// web roots of /usr/share/nginx/html, a /usr/lib/<app> directory) is
// outside it and searched by every rule; third-party code the image's
// author installed elsewhere (/app/node_modules, a venv, /usr/local)
// stays searched by the provider rules. A config that lists its ID under
// disable-allow-rules searches it again.
var distributionCode = regexp.MustCompile(`^/?usr/(?:include/` +
	`|(?:lib(?:64)?|share)/(?:[^/]+/)*(?:site-packages|dist-packages|node_modules|gems|vendor)/` +
	`|lib(?:64)?/python[0-9][0-9.]*/` +
	`|(?:lib|share)/(?:ruby|jvm|php|go[0-9.\-]*|nodejs|dotnet)/` +
	`|(?:share|lib(?:/[^/]+)?)/(?:perl[0-9a-z\-]*|site_perl)/` +
	`|share/(?:javascript|node|java|maven-repo|python[0-9.]*|pyshared|python-wheels|ruby[0-9.]*|rubygems-integration|gocode)/)`)

// distributionAllow is the built-in allow rule for distributionCode.
var distributionAllow = AllowRule{ID: "distribution-code", Path: distributionCode, dirOnly: true}
