package license

import (
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
)

func TestKindOf(t *testing.T) {
	cases := map[string]kind{
		// Licence files by name, any case, separator, suffix.
		"LICENSE":                                     types.LicenseTypeFile,
		"opt/app/license":                             types.LicenseTypeFile,
		"opt/app/LICENCE.md":                          types.LicenseTypeFile,
		"opt/app/License.txt":                         types.LicenseTypeFile,
		"opt/app/LICENSE-MIT":                         types.LicenseTypeFile,
		"opt/app/LICENSE_APACHE":                      types.LicenseTypeFile,
		"opt/app/MIT-LICENSE.txt":                     types.LicenseTypeFile,
		"usr/lib/x/COPYING":                           types.LicenseTypeFile,
		"usr/lib/x/COPYING.LIB":                       types.LicenseTypeFile,
		"usr/lib/x/COPYING3":                          types.LicenseTypeFile,
		"usr/lib/x/COPYRIGHT":                         types.LicenseTypeFile,
		"usr/lib/x/NOTICE":                            types.LicenseTypeFile,
		"usr/lib/x/NOTICE.txt":                        types.LicenseTypeFile,
		"usr/lib/x/UNLICENSE":                         types.LicenseTypeFile,
		"usr/lib/x/LICENSES.rst":                      types.LicenseTypeFile,
		"srv/node_modules/y/LICENSE":                  types.LicenseTypeFile,
		"srv/proj/LICENSES/Apache-2.0.txt":            types.LicenseTypeFile,
		"usr/share/doc/pkg/examples/debian/copyright": types.LicenseTypeFile,
		// Debian's copyright file of a package.
		"usr/share/doc/zlib1g/copyright": types.LicenseTypeDpkg,
		// Headers of sources in package directories.
		"app/node_modules/left-pad/index.js":                             types.LicenseTypeHeader,
		"usr/lib/python3/dist-packages/yaml/__init__.py":                 types.LicenseTypeHeader,
		"usr/local/lib/python3.12/site-packages/requests/api.py":         types.LicenseTypeHeader,
		"usr/local/bundle/gems/rack-3.0.0/lib/rack.rb":                   types.LicenseTypeHeader,
		"var/www/vendor/symfony/console/Application.php":                 types.LicenseTypeHeader,
		"root/go/pkg/mod/golang.org/x/text@v0.3.0/cases/cases.go":        types.LicenseTypeHeader,
		"root/.cargo/registry/src/index.crates.io-6f17d22bba15001f/a.rs": types.LicenseTypeHeader,
		"app/node_modules/x/license.js":                                  types.LicenseTypeHeader,
		// Not read.
		"app/src/main.js":               "",
		"usr/bin/license":               types.LicenseTypeFile, // a licence name is a licence file anywhere
		"opt/app/license.go":            "",
		"opt/app/licenses.json":         "",
		"usr/share/doc/x/COPYING.gz":    "",
		"usr/share/doc/x/changelog":     "",
		"usr/share/common-licenses/GPL": "",
		"app/node_modules/x/README.md":  "",
		"app/node_modules/x/data.json":  "",
		"etc/licensed.conf":             "",
		"opt/app/copyrighted-work.txt":  "",
		"usr/share/doc/copyright":       types.LicenseTypeFile, // no package directory
	}
	for p, want := range cases {
		if got := kindOf(p); got != want {
			t.Errorf("kindOf(%q) = %q, want %q", p, got, want)
		}
	}
}
