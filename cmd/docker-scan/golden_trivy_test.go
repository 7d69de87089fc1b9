package main

// TestGoldenTrivyShape pins the Packages objects and findings of a Debian,
// an Alpine and a Go-binary image in testdata/golden/trivy-shape.json
// (rewritten with -update), and checks the JSON against the field order of
// Trivy's Package, PkgIdentifier, Layer and DetectedVulnerability structs,
// so that a diff against Trivy's report on the same image and DB shows
// values, not layout.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/testenv"
	"github.com/docker-scan/docker-scan/engine/types"
)

// Field order of Trivy's JSON (pkg/fanal/types Package and PkgIdentifier,
// pkg/types DetectedVulnerability and the embedded Vulnerability of
// trivy-db). A report may leave any field out (omitempty), never reorder.
var (
	trivyPackageFields = []string{"ID", "Name", "Identifier", "Version", "Release", "Epoch", "Arch", "Dev",
		"SrcName", "SrcVersion", "SrcRelease", "SrcEpoch", "Licenses", "Maintainer", "Modularitylabel", "BuildInfo",
		"Repository", "Indirect", "Relationship", "DependsOn", "Layer", "FilePath", "Digest", "Locations", "InstalledFiles", "AnalyzedBy"}
	trivyIdentifierFields    = []string{"PURL", "UID", "BOMRef"}
	trivyLayerFields         = []string{"Digest", "DiffID"}
	trivyVulnerabilityFields = []string{"VulnerabilityID", "VendorIDs", "PkgID", "PkgName", "PkgPath", "PkgIdentifier",
		"InstalledVersion", "FixedVersion", "Status", "Layer", "SeveritySource", "PrimaryURL", "DataSource",
		"Fingerprint", "Custom", "Title", "Description", "Severity", "CweIDs", "VendorSeverity", "CVSS", "References", "PublishedDate", "LastModifiedDate"}
)

// Debian 12 stanzas as dpkg writes them (bookworm, early 2024): an epoch
// (passwd), a source with its own version (libgnutls30, a binNMU), a
// native package without revision (base-files).
const trivyShapeDpkgStatus = `Package: base-files
Essential: yes
Status: install ok installed
Priority: required
Section: admin
Installed-Size: 371
Maintainer: Santiago Vila <sanvila@debian.org>
Architecture: amd64
Multi-Arch: foreign
Version: 12.4+deb12u5
Replaces: base, dpkg (<= 1.15.0), miscutils
Provides: base
Pre-Depends: awk
Breaks: debian-security-support (<< 2019.04.25), initscripts (<< 2.88dsf-13.3), sendfile (<< 2.1b.20080616-5.2~), usrmerge (<< 25)
Description: Debian base system miscellaneous files
 This package contains the basic filesystem hierarchy of a Debian system, and
 several important miscellaneous files, such as /etc/debian_version,
 /etc/host.conf, /etc/issue, /etc/motd, /etc/profile, and others,
 and the text of several common licenses in use on Debian systems.

Package: libc6
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 12985
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u4
Replaces: libc6-amd64
Depends: libgcc-s1
Recommends: libidn2-0 (>= 2.0.5~)
Description: GNU C Library: Shared libraries
 Contains the standard libraries that are used by nearly all programs on
 the system.
Homepage: https://www.gnu.org/software/libc/libc.html

Package: libgnutls30
Status: install ok installed
Priority: optional
Section: libs
Maintainer: Debian GnuTLS Maintainers <pkg-gnutls-maint@lists.alioth.debian.org>
Architecture: amd64
Multi-Arch: same
Source: gnutls28 (3.7.9-2+deb12u2)
Version: 3.7.9-2+deb12u2+b1
Description: GNU TLS library - main runtime library

Package: passwd
Status: install ok installed
Priority: required
Section: admin
Installed-Size: 2813
Maintainer: Shadow package maintainers <pkg-shadow-devel@lists.alioth.debian.org>
Architecture: amd64
Source: shadow
Version: 1:4.13+dfsg1-1+b1
Depends: libaudit1 (>= 1:2.2.1), libc6 (>= 2.34)
Description: change and administer password and group data
`

// An excerpt of libc6's file list as dpkg writes it (directories first).
const trivyShapeLibc6List = `/.
/etc
/etc/ld.so.conf.d
/etc/ld.so.conf.d/x86_64-linux-gnu.conf
/lib64
/usr
/usr/lib
/usr/lib/x86_64-linux-gnu
/usr/lib/x86_64-linux-gnu/libc.so.6
/usr/lib/x86_64-linux-gnu/libm.so.6
/usr/share
/usr/share/doc
/usr/share/doc/libc6
/usr/share/doc/libc6/copyright
/lib64/ld-linux-x86-64.so.2
`

// The same files in libc6's md5sums, which list the regular files only
// (not the conffile in etc, nor the lib64 symlink): the files Trivy, and
// so docker scan, report.
const trivyShapeLibc6Md5sums = `33f1cb6525f26614bd3a334d63632484  usr/lib/x86_64-linux-gnu/libc.so.6
0bad608cf3b419469e271d110f619989  usr/lib/x86_64-linux-gnu/libm.so.6
d848be5c37cd71d76c5a7b9e7e28868a  usr/share/doc/libc6/copyright
`

// musl as alpine-minirootfs-3.14.10 lists it, and zlib as Alpine 3.14.1
// shipped it (1.2.11-r3, below both 3.14 zlib fixes).
const trivyShapeApkDB = `C:Q1nKjYrU7ICxnn6Ov+c4MDS4pM1JU=
P:musl
V:1.2.2-r4
A:x86_64
S:382801
I:622592
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Timo Teräs <timo.teras@iki.fi>
t:1678012587
c:3b651e94fabfbeee5d19b4cddc1a453377bf0a9d
p:so:libc.musl-x86_64.so.1=1
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755
Z:Q1knPWar9z+vAbjdP5HG8zLWOVxEs=
R:libc.musl-x86_64.so.1
a:0:0:777
Z:Q17yJ3JFNypA4mxhJJr0ou6CzsJVI=

P:zlib
V:1.2.11-r3
A:x86_64
T:A compression/decompression Library
U:https://zlib.net/
L:Zlib
o:zlib
m:Natanael Copa <ncopa@alpinelinux.org>
D:so:libc.musl-x86_64.so.1
p:so:libz.so.1=1.2.11
F:lib
R:libz.so.1
a:0:0:777
R:libz.so.1.2.11
a:0:0:755

`

func TestGoldenTrivyShape(t *testing.T) {
	goBin, err := testenv.GoBinary(t, nil, "golang.org/x/text@v0.3.5")
	need(t, err == nil, fmt.Sprintf("a Go toolchain and the module proxy (%v)", err))
	goBytes, err := os.ReadFile(goBin)
	if err != nil {
		t.Fatal(err)
	}
	images := []struct {
		name  string
		files []imagebuild.File
		// want: findings worked out by hand from the fixture DBs.
		want []string
	}{
		{"debian", []imagebuild.File{
			{Path: "etc/debian_version", Body: "12.5\n"},
			{Path: "etc/os-release", Body: "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\n"},
			{Path: "var/lib/dpkg/status", Body: trivyShapeDpkgStatus},
			{Path: "var/lib/dpkg/info/libc6:amd64.list", Body: trivyShapeLibc6List},
			{Path: "var/lib/dpkg/info/libc6:amd64.md5sums", Body: trivyShapeLibc6Md5sums},
			{Path: "usr/share/doc/libc6/copyright", Body: "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nCopyright: 1991-2023 Free Software Foundation, Inc.\nLicense: LGPL-2.1+\n"},
		}, []string{
			// glibc: deb12u4 is above CVE-2023-4911's deb12u3 fix (not
			// reported) and below CVE-2025-0395's deb12u10; two unfixed.
			"libc6 2.36-9+deb12u4 CVE-2018-20796 affected  LOW/debian",
			"libc6 2.36-9+deb12u4 CVE-2019-1010022 affected  LOW/debian",
			"libc6 2.36-9+deb12u4 CVE-2025-0395 fixed 2.36-9+deb12u10 UNKNOWN/",
			"passwd 1:4.13+dfsg1-1+b1 CVE-2007-5686 affected  LOW/debian",
		}},
		{"alpine", []imagebuild.File{
			{Path: "etc/alpine-release", Body: "3.14.10\n"},
			{Path: "lib/apk/db/installed", Body: trivyShapeApkDB},
		}, []string{
			"zlib 1.2.11-r3 CVE-2018-25032 fixed 1.2.12-r0 HIGH/nvd",
			"zlib 1.2.11-r3 CVE-2022-37434 fixed 1.2.12-r2 CRITICAL/nvd",
		}},
		{"gobinary", []imagebuild.File{
			{Path: "usr/local/bin/tool", Body: string(goBytes), Mode: 0o755},
		}, []string{
			"golang.org/x/text v0.3.5 CVE-2021-38561 fixed 0.3.7 HIGH/ghsa",
		}},
	}
	cache := fixtureCache(t, "../../testdata/db/debian-12.yaml", "../../testdata/db/alpine-3.14.yaml", "../../testdata/db/languages.yaml")
	var golden bytes.Buffer
	for _, img := range images {
		archive := layerArchive(t, img.name+":shape", img.files...)
		r := scanCLI(t, "image", img.name+":shape", "--input", archive, "--cache-dir", cache, "--skip-db-update", "--quiet",
			"--format", "json", "--scanners", "vuln", "--list-all-pkgs")
		if r.exit != 0 {
			t.Fatalf("%s: exit %d: %s", img.name, r.exit, r.stderr)
		}
		rep := parseReport(t, r.stdout)
		if got := findings(rep); strings.Join(got, "\n") != strings.Join(img.want, "\n") {
			t.Errorf("%s findings:\n%s\nwant:\n%s", img.name, strings.Join(got, "\n"), strings.Join(img.want, "\n"))
		}
		checkTrivyFieldOrder(t, img.name, r.stdout)
		// Only the packages and findings: the rest of the report has
		// goldens of its own. A Go binary's stdlib and its UID, and the
		// layer, depend on the toolchain that built the binary.
		var part [][]byte
		for _, res := range rep.Results {
			shape := struct {
				Target          string
				Packages        []types.Package
				Vulnerabilities []types.DetectedVulnerability
			}{res.Target, res.Packages, res.Vulnerabilities}
			b, err := json.MarshalIndent(shape, "  ", "  ")
			if err != nil {
				t.Fatal(err)
			}
			part = append(part, b)
		}
		text := string(bytes.Join(part, []byte(",\n  ")))
		if img.name == "gobinary" {
			text = normalizeGoBuild(text, rep)
		}
		fmt.Fprintf(&golden, "%q: [\n  %s\n],\n", img.name, text)
	}
	checkGoldenText(t, "trivy-shape.json", "{\n"+strings.TrimSuffix(golden.String(), ",\n")+"\n}\n")
}

// normalizeGoBuild replaces what depends on the Go toolchain that built
// the test binary: its version, stdlib's UID, the layer holding it.
func normalizeGoBuild(text string, rep types.Report) string {
	r := []string{strings.TrimPrefix(runtime.Version(), "go"), "GO-VERSION"}
	for _, res := range rep.Results {
		for _, p := range res.Packages {
			if p.Name == "stdlib" {
				r = append(r, p.Identifier.UID, "STDLIB-UID")
			}
		}
	}
	for _, l := range rep.Metadata.Layers {
		r = append(r, l.DiffID, "LAYER-DIFFID")
		if l.Digest != "" {
			r = append(r, l.Digest, "LAYER-DIGEST")
		}
	}
	return strings.NewReplacer(r...).Replace(text)
}

// checkTrivyFieldOrder reads the report's JSON as written and checks every
// package and vulnerability object lists its fields in Trivy's order.
func checkTrivyFieldOrder(t *testing.T, name, report string) {
	t.Helper()
	var raw struct {
		Results []struct {
			Packages        []orderedObject
			Vulnerabilities []orderedObject
		}
	}
	if err := json.Unmarshal([]byte(report), &raw); err != nil {
		t.Fatal(err)
	}
	check := func(what string, obj orderedObject, order []string) {
		if !isSubsequence(obj.keys, order) {
			t.Errorf("%s: %s fields %v are not in Trivy's order %v", name, what, obj.keys, order)
		}
	}
	n := 0
	for _, res := range raw.Results {
		for _, p := range res.Packages {
			check("package", p, trivyPackageFields)
			check("package Identifier", p.sub["Identifier"], trivyIdentifierFields)
			check("package Layer", p.sub["Layer"], trivyLayerFields)
			n++
		}
		for _, v := range res.Vulnerabilities {
			check("vulnerability", v, trivyVulnerabilityFields)
			check("vulnerability PkgIdentifier", v.sub["PkgIdentifier"], trivyIdentifierFields)
			check("vulnerability Layer", v.sub["Layer"], trivyLayerFields)
			n++
		}
	}
	if n == 0 {
		t.Errorf("%s: no packages or vulnerabilities to check", name)
	}
}

// orderedObject is a JSON object's keys in the order written, with its
// object-valued fields likewise.
type orderedObject struct {
	keys []string
	sub  map[string]orderedObject
}

func (o *orderedObject) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return fmt.Errorf("not an object: %s", b)
	}
	o.sub = map[string]orderedObject{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key := tok.(string)
		o.keys = append(o.keys, key)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return err
		}
		if bytes.HasPrefix(v, []byte("{")) {
			var sub orderedObject
			if err := json.Unmarshal(v, &sub); err != nil {
				return err
			}
			o.sub[key] = sub
		}
	}
	return nil
}

func isSubsequence(keys, order []string) bool {
	i := 0
	for _, k := range keys {
		j := slices.Index(order[i:], k)
		if j < 0 {
			return false
		}
		i += j + 1
	}
	return true
}
