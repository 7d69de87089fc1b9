package lang

import (
	"bytes"
	"encoding/xml"
	"sort"
	"strings"

	"github.com/github/go-spdx/v2/spdxexp/spdxlicenses"
	"golang.org/x/net/html/charset"

	"github.com/docker-scan/docker-scan/engine/licensing"
)

// Bounds on the licence facts read from one archive: a pom.xml is a few
// KiB, a shaded jar holds tens of them.
const (
	maxPomSize        = 1 << 20
	maxPomsPerJar     = 1000
	maxLicensesPerPom = 100
	maxBundleLicenses = 100
)

// embeddedPomName is the "group:artifact" of the pom.xml Maven packs at
// META-INF/maven/<group>/<artifact>/pom.xml (the path has no version:
// the package of those coordinates in the same archive is the one).
func embeddedPomName(name string) (string, bool) {
	rel, ok := strings.CutPrefix(name, "META-INF/maven/")
	if !ok {
		return "", false
	}
	rel, ok = strings.CutSuffix(rel, "/pom.xml")
	if !ok {
		return "", false
	}
	group, artifact, ok := strings.Cut(rel, "/")
	if !ok || group == "" || artifact == "" || strings.Contains(artifact, "/") {
		return "", false
	}
	return group + ":" + artifact, true
}

// pomLicenseNames reads the licences a pom.xml declares
// (<licenses><license><name>), each name as written; a licence with no
// name counts by its <url> when that is a known licence's address. A
// pom that is not XML declares none. Old poms are often ISO-8859-1.
func pomLicenseNames(content []byte) []string {
	if len(content) == 0 {
		return nil
	}
	var pom struct {
		Licenses struct {
			License []struct {
				Name string `xml:"name"`
				URL  string `xml:"url"`
			} `xml:"license"`
		} `xml:"licenses"`
	}
	d := xml.NewDecoder(bytes.NewReader(content))
	d.CharsetReader = charset.NewReaderLabel
	if d.Decode(&pom) != nil {
		return nil
	}
	var names []string
	for _, l := range pom.Licenses.License {
		if len(names) == maxLicensesPerPom {
			break
		}
		if n := strings.TrimSpace(l.Name); n != "" {
			names = append(names, n)
		} else if id, ok := spdxByURL(l.URL); ok {
			names = append(names, id)
		}
	}
	return names
}

// manifestLicenses are the licences MANIFEST.MF's main section declares:
// Jenkins plugins' Plugin-License-Name (and -Name-2, ...), else OSGi's
// Bundle-License, whose entries count only when they are an SPDX
// identifier or a known licence's address (OSGi allows free text, and
// "<<EXTERNAL>>").
func manifestLicenses(m map[string]string) []string {
	var names []string
	keys := make([]string, 0, len(m))
	for k := range m {
		if k == "Plugin-License-Name" || strings.HasPrefix(k, "Plugin-License-Name-") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys) // the map lost the order; numbered names sort after the first
	for _, k := range keys {
		if v := strings.TrimSpace(m[k]); v != "" {
			names = append(names, v)
		}
	}
	if len(names) > 0 {
		return names
	}
	for _, entry := range splitOutsideQuotes(m["Bundle-License"], ',') {
		if len(names) == maxBundleLicenses {
			break
		}
		fields := splitOutsideQuotes(entry, ';')
		id := strings.Trim(fields[0], ` "`)
		var link string
		for _, attr := range fields[1:] {
			if k, v, ok := strings.Cut(attr, "="); ok && strings.TrimSpace(k) == "link" {
				link = strings.Trim(v, ` "`)
			}
		}
		if canonical, ok := spdxListed(id); ok {
			names = append(names, canonical)
		} else if canonical, ok := spdxByURL(id); ok {
			names = append(names, canonical)
		} else if canonical, ok := spdxByURL(link); ok {
			names = append(names, canonical)
		}
	}
	return names
}

// spdxListed is the listed spelling of an SPDX licence identifier.
func spdxListed(id string) (string, bool) {
	if id == "" {
		return "", false
	}
	if ok, canonical := spdxlicenses.IsActiveLicense(id); ok {
		return canonical, true
	}
	if ok, canonical := spdxlicenses.IsDeprecatedLicense(id); ok {
		return canonical, true
	}
	return "", false
}

// spdxByURL is the SPDX identifier of a licence known by its address
// ("https://www.apache.org/licenses/LICENSE-2.0.txt").
func spdxByURL(u string) (string, bool) {
	u = strings.TrimSpace(u)
	if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		return "", false
	}
	n := licensing.Normalize(u)
	if n == u {
		return "", false
	}
	return spdxListed(strings.TrimSuffix(n, "+"))
}

// splitOutsideQuotes splits a manifest header on sep where sep is not
// inside a double-quoted value (a backslash escapes within one).
func splitOutsideQuotes(s string, sep byte) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if quoted {
				i++
			}
		case '"':
			quoted = !quoted
		case sep:
			if !quoted {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}
