package main

// The licences of a real Debian: debootstrap's bookworm minbase, scanned
// as an image. Every dpkg package has licences, or is reported as unknown
// with the reason; and for 20 packages across the alphabet the licences
// are those their /usr/share/doc/<pkg>/copyright file names, as this test
// reads the file itself (its own small reader and its own table from
// Debian's short names to SPDX identifiers, not engine/licensing).

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// debianLicensePackages are checked against their copyright files: 20 of
// minbase's 89, from adduser to zlib1g, machine-readable and free-form
// files, one to 223 License: fields.
var debianLicensePackages = []string{
	"adduser", "apt", "base-files", "bash", "coreutils", "dash", "debconf", "gcc-12-base", "gzip", "libc6",
	"libpam0g", "login", "mawk", "ncurses-base", "perl-base", "sed", "tar", "tzdata", "util-linux", "zlib1g",
}

// debianShortNameSPDX is the SPDX identifier of each Debian short name
// (DEP-5's list, and the names of /usr/share/common-licenses) that these
// packages' copyright files use and that has one. Names with none
// (public-domain, permissive, Debian's own names for one file's terms)
// are reported as written. Bare "GPL" and "LGPL" (no version: the file
// says which elsewhere, in prose) are read as version 2 or later, as
// Trivy and the ORT mapping read them.
var debianShortNameSPDX = map[string]string{
	"GPL": "GPL-2.0-or-later", "GPL-1": "GPL-1.0-only", "GPL-1+": "GPL-1.0-or-later",
	"GPL-2": "GPL-2.0-only", "GPL-2+": "GPL-2.0-or-later", "GPL-3": "GPL-3.0-only", "GPL-3+": "GPL-3.0-or-later",
	"LGPL": "LGPL-2.0-or-later", "LGPL-2": "LGPL-2.0-only", "LGPL-2+": "LGPL-2.0-or-later",
	"LGPL-2.1": "LGPL-2.1-only", "LGPL-2.1+": "LGPL-2.1-or-later", "LGPL-3": "LGPL-3.0-only", "LGPL-3+": "LGPL-3.0-or-later",
	"GFDL-1.2": "GFDL-1.2-only", "GFDL-1.3": "GFDL-1.3-only",
	"GFDL-NIV-1.3": "GFDL-1.3-no-invariants-only", "GFDL-NIV-1.3+": "GFDL-1.3-no-invariants-or-later",
	"GPL-3+ with Bison exception": "GPL-3.0-or-later WITH Bison-exception-2.2",
	"GPL-3+-WITH-BISON-EXCEPTION": "GPL-3.0-or-later WITH Bison-exception-2.2",
	// Debian's Artistic is Perl's Artistic Licence, version 1.
	"Artistic": "Artistic-1.0-Perl", "Artistic-2": "Artistic-2.0",
	"BSD-2-clause": "BSD-2-Clause", "BSD-3-clause": "BSD-3-Clause", "BSD-3-Clause": "BSD-3-Clause",
	"BSD-4-clause": "BSD-4-Clause", "BSD-4-clause-UC": "BSD-4-Clause-UC",
	"Expat": "MIT", "MIT": "MIT", "MIT/X11": "MIT", "X11": "X11",
	// A licence "like" MIT counts as MIT, the convention of Trivy's and
	// ORT's tables (bash's is DEC's permission notice: as permissive).
	"MIT-like": "MIT",
	"Zlib":     "Zlib", "ZLIB": "Zlib", "ISC": "ISC", "CC0-1.0": "CC0-1.0", "CC-BY-3.0": "CC-BY-3.0",
	"BSL-1": "BSL-1.0", "Beerware": "Beerware", "FSFULLR": "FSFULLR", "Latex2e": "Latex2e",
}

var (
	copyrightAlternatives = regexp.MustCompile(`,?\s+(?:or|and)\s+|,\s*`)
	copyrightCommonRef    = regexp.MustCompile(`/usr/share/common-licenses/([A-Za-z0-9._+-]*[A-Za-z0-9+])`)
)

// licencesInCopyright is what a copyright file says: the short names of
// its License: fields (the first line; a parenthesised remark dropped;
// "A or B, and C" is three), and every licence it refers to in
// /usr/share/common-licenses, each in SPDX where it has an identifier.
func licencesInCopyright(content string) []string {
	var names []string
	add := func(n string) {
		n = strings.TrimSpace(n)
		if spdx, ok := debianShortNameSPDX[n]; ok {
			n = spdx
		}
		if n != "" && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	for _, line := range strings.Split(content, "\n") {
		if value, ok := strings.CutPrefix(line, "License:"); ok {
			value, _, _ = strings.Cut(value, "(")
			for _, n := range copyrightAlternatives.Split(strings.TrimSpace(value), -1) {
				add(n)
			}
			continue
		}
		for _, m := range copyrightCommonRef.FindAllStringSubmatch(line, -1) {
			add(m[1])
		}
	}
	slices.Sort(names)
	return names
}

type debianLicenseReport struct {
	Results []struct {
		Target, Class string
		Packages      []struct {
			Name     string
			Licenses []string
		}
		Licenses []struct {
			Severity, Category, PkgName, FilePath, Name, Reason string
		}
	}
}

func TestDebianLicenses(t *testing.T) {
	need(t, haveCommand("debootstrap"), "debootstrap (apt-get install debootstrap)")
	need(t, os.Geteuid() == 0, "root for debootstrap")
	root := debianRoot(t)
	archive := rootArchive(t, root, "debian:licenses")
	cache := t.TempDir()

	scan := func(args ...string) debianLicenseReport {
		t.Helper()
		r := scanCLI(t, append([]string{"image", "--input", archive, "--cache-dir", cache, "--skip-db-update", "--quiet", "--format", "json"}, args...)...)
		if r.exit != 0 {
			t.Fatalf("docker scan %q: exit %d: %s", args, r.exit, r.stderr)
		}
		var rep debianLicenseReport
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatalf("%v\n%s", err, r.stdout)
		}
		return rep
	}

	// The packages, with their licences.
	licences := map[string][]string{}
	for _, res := range scan("--scanners", "none", "--list-all-pkgs").Results {
		if res.Class != "os-pkgs" {
			continue
		}
		for _, p := range res.Packages {
			licences[p.Name] = p.Licenses
		}
	}
	if len(licences) < 80 {
		t.Fatalf("%d dpkg packages in minbase, want about 89", len(licences))
	}

	// (b) 20 packages: what their copyright files say.
	for _, pkg := range debianLicensePackages {
		got, ok := licences[pkg]
		if !ok {
			t.Errorf("%s: not in the report", pkg)
			continue
		}
		content, err := os.ReadFile(filepath.Join(root, "usr/share/doc", pkg, "copyright"))
		if err != nil {
			t.Errorf("%s: %v", pkg, err)
			continue
		}
		want := licencesInCopyright(string(content))
		sorted := slices.Sorted(slices.Values(got))
		if len(want) == 0 {
			t.Errorf("%s: the test reads no licence in its copyright file", pkg)
		}
		if !slices.Equal(sorted, want) {
			t.Errorf("%s: licences %q\nits copyright file says %q", pkg, sorted, want)
		}
	}

	// (a) Every package has licences, or its copyright file names none
	// (or it has none of its own: libgcc-s1's doc directory is a link
	// to gcc-12-base's).
	for pkg, l := range licences {
		for _, name := range l {
			// A License: field's first line is a short name, and a
			// reference a file name: neither is a licence text.
			if strings.HasPrefix(name, "text://") {
				t.Errorf("%s: licence %q read as a text", pkg, name)
			}
		}
		if len(l) > 0 {
			continue
		}
		content, err := os.ReadFile(filepath.Join(root, "usr/share/doc", pkg, "copyright"))
		if fi, lerr := os.Lstat(filepath.Join(root, "usr/share/doc", pkg)); err == nil && lerr == nil && fi.Mode()&os.ModeSymlink == 0 {
			if says := licencesInCopyright(string(content)); len(says) > 0 {
				t.Errorf("%s: no licence, but its copyright file says %q", pkg, says)
			}
		}
	}

	if !scannerListed(t, "license") {
		t.Logf("--scanners license is not there yet: the licence findings are not checked")
		return
	}
	// The licence scanner: one finding per licence of each package, and
	// one UNKNOWN finding, with the reason, for a package without any.
	findings := map[string][]string{}
	for _, res := range scan("--scanners", "license").Results {
		if res.Class != "license" {
			continue
		}
		if res.Target != "OS Packages" {
			t.Errorf("licence result target %q, want OS Packages", res.Target)
		}
		for _, f := range res.Licenses {
			findings[f.PkgName] = append(findings[f.PkgName], f.Name)
			if f.Name == "UNKNOWN" && (f.Category != "unknown" || f.Severity != "UNKNOWN" || !strings.Contains(f.Reason, "usr/share/doc/"+f.PkgName+"/copyright")) {
				t.Errorf("%s: unknown licence finding %+v: want category unknown, severity UNKNOWN, and the reason naming its copyright file", f.PkgName, f)
			}
			if f.Name != "UNKNOWN" && (f.Category == "" || f.Severity == "") {
				t.Errorf("%s: finding %+v is not classified", f.PkgName, f)
			}
		}
	}
	for pkg, l := range licences {
		want := l
		if len(want) == 0 {
			want = []string{"UNKNOWN"}
		}
		want = slices.Clone(want)
		for i, n := range want {
			// A licence given as text is reported by its first words.
			if text, ok := strings.CutPrefix(n, "text://"); ok && i < len(findings[pkg]) && strings.HasPrefix(findings[pkg][i], "CUSTOM License: ") &&
				strings.HasPrefix(text, strings.TrimSuffix(strings.TrimPrefix(findings[pkg][i], "CUSTOM License: "), "...")) {
				want[i] = findings[pkg][i]
			}
		}
		if !slices.Equal(findings[pkg], want) {
			t.Errorf("%s: licence findings %q, want %q", pkg, findings[pkg], want)
		}
	}
	for pkg := range findings {
		if _, ok := licences[pkg]; !ok {
			t.Errorf("licence findings for %s, which is not a package", pkg)
		}
	}
}

// scannerListed reports whether `docker scan image --help` offers this
// scanner (the help of --scanners, wrapped over lines, names each as
// "name (what it finds)").
func scannerListed(t *testing.T, name string) bool {
	t.Helper()
	r := scanCLI(t, "image", "--help")
	var help []string
	in := false
	for _, line := range strings.Split(r.stdout, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "-") {
			in = strings.HasPrefix(trimmed, "--scanners ")
		}
		if in {
			help = append(help, trimmed)
		}
	}
	return strings.Contains(strings.Join(strings.Fields(strings.Join(help, " ")), " "), " "+name+" (")
}
