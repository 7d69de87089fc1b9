package ospkg

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
)

func TestParseDpkgStatus(t *testing.T) {
	content, err := os.ReadFile("testdata/dpkg-status")
	if err != nil {
		t.Fatal(err)
	}
	pkgs, err := ParseDpkgStatus(content, false)
	if err != nil {
		t.Fatal(err)
	}
	// Split as Trivy splits them: Version is the upstream version, Release
	// the Debian revision, the epoch apart; the ID keeps dpkg's version.
	want := []types.Package{
		{ID: "libc6@2.36-9+deb12u7", Name: "libc6", Version: "2.36", Release: "9+deb12u7", Arch: "amd64", SrcName: "glibc", SrcVersion: "2.36", SrcRelease: "9+deb12u7",
			Maintainer: "GNU Libc Maintainers <debian-glibc@lists.debian.org>"},
		{ID: "passwd@1:4.13+dfsg1-1+b1", Name: "passwd", Version: "4.13+dfsg1", Release: "1+b1", Epoch: 1, Arch: "amd64", SrcName: "shadow", SrcVersion: "4.13+dfsg1", SrcRelease: "1+b1", SrcEpoch: 1,
			Maintainer: "Shadow package maintainers <pkg-shadow-devel@lists.alioth.debian.org>",
			// Depends: libaudit1 (not installed here), libc6 (>= 2.34).
			DependsOn: []string{"libc6@2.36-9+deb12u7"}},
		// A Source with its own version: binNMUs (+b1) differ from their source.
		{ID: "libgnutls30@3.7.9-2+deb12u3+b1", Name: "libgnutls30", Version: "3.7.9", Release: "2+deb12u3+b1", Arch: "amd64", SrcName: "gnutls28", SrcVersion: "3.7.9", SrcRelease: "2+deb12u3"},
		// oldpkg is only config-files: not installed, not listed.
		{ID: "tzdata@2024a-0+deb12u1", Name: "tzdata", Version: "2024a", Release: "0+deb12u1", Arch: "all", SrcName: "tzdata", SrcVersion: "2024a", SrcRelease: "0+deb12u1"},
	}
	for i := range want {
		// Debian's maintainers: all from the distribution.
		want[i].Repository.Class = types.RepositoryClassOfficial
	}
	for _, p := range pkgs {
		if got := p.Name + "@" + p.FullVersion(); got != p.ID {
			t.Errorf("%s: FullVersion joins back to %s", p.ID, got)
		}
	}
	if !reflect.DeepEqual(pkgs, want) {
		t.Errorf("got\n%+v\nwant\n%+v", pkgs, want)
	}
}

func TestSplitDebVersion(t *testing.T) {
	for in, want := range map[string]debVersion{
		"2.36-9+deb12u4":        {0, "2.36", "9+deb12u4"},
		"1:4.13+dfsg1-1+b1":     {1, "4.13+dfsg1", "1+b1"},
		"12.4+deb12u5":          {0, "12.4+deb12u5", ""}, // a native package: no revision
		"1:9.18.28-1~deb12u2":   {1, "9.18.28", "1~deb12u2"},
		"2:1.0-beta-2-1":        {2, "1.0-beta-2", "1"}, // the revision follows the last hyphen
		"0:1.2-3":               {0, "1.2", "3"},
		" 5.2.15-2+b7 ":         {0, "5.2.15", "2+b7"},
		"1.2.3.dfsg-4ubuntu1":   {0, "1.2.3.dfsg", "4ubuntu1"},
		"7:4.4.2-0+deb12u1":     {7, "4.4.2", "0+deb12u1"},
		"2024a-0+deb12u1":       {0, "2024a", "0+deb12u1"},
		"1:2.38.1-5+deb12u3":    {1, "2.38.1", "5+deb12u3"},
		"3.0.11-1~deb12u2":      {0, "3.0.11", "1~deb12u2"},
		"1.21.1+dfsg-2+deb12u1": {0, "1.21.1+dfsg", "2+deb12u1"},
	} {
		got, err := splitDebVersion(in)
		if err != nil || got != want {
			t.Errorf("splitDebVersion(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "1:", "x:1.0", "-1:1.0", "1.0-", "-1", "0:1:2-3", "1.0-2:3"} {
		if v, err := splitDebVersion(bad); err == nil {
			t.Errorf("splitDebVersion(%q) = %+v, want an error", bad, v)
		}
	}
}

func TestDpkgDependsOn(t *testing.T) {
	status := "Package: apt\nStatus: install ok installed\nVersion: 2.6.1\nArchitecture: amd64\n" +
		"Depends: adduser, gpgv | gpgv2 | gpgv1, libapt-pkg6.0 (>= 2.6.1), debian-archive-keyring, libc6 (>= 2.34)\n\n" +
		"Package: gpgv\nStatus: install ok installed\nVersion: 2.2.40-1.1\nArchitecture: amd64\nDepends: libc6 (>= 2.34)\n\n" +
		"Package: libapt-pkg6.0\nStatus: install ok installed\nVersion: 2.6.1\nArchitecture: amd64\nDepends: libc6 (>= 2.34), libc6 (>= 2.33)\n\n" +
		"Package: libc6\nStatus: install ok installed\nVersion: 2.36-9+deb12u4\nArchitecture: amd64\nDepends: libgcc-s1\n"
	pkgs, err := ParseDpkgStatus([]byte(status), false)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		// adduser and debian-archive-keyring are not installed; of the
		// alternatives, the installed one.
		"apt":           {"gpgv@2.2.40-1.1", "libapt-pkg6.0@2.6.1", "libc6@2.36-9+deb12u4"},
		"gpgv":          {"libc6@2.36-9+deb12u4"},
		"libapt-pkg6.0": {"libc6@2.36-9+deb12u4"},
		"libc6":         nil,
	}
	for _, p := range pkgs {
		if !reflect.DeepEqual(p.DependsOn, want[p.Name]) {
			t.Errorf("%s depends on %q, want %q", p.Name, p.DependsOn, want[p.Name])
		}
	}
}

// TestDpkgDependsOnRealStatus reads the status file debootstrap wrote for
// a bookworm minbase (testdata/dpkg-status-minbase; each Description cut
// to its synopsis line, the rest is Debian's prose): Pre-Depends count
// (base-files pre-depends on awk, which mawk provides; login's libraries
// are all Pre-Depends), virtual packages resolve through Provides
// (debconf-2.0), of alternatives the installed one (usr-is-merged, not
// usrmerge).
func TestDpkgDependsOnRealStatus(t *testing.T) {
	content, err := os.ReadFile("testdata/dpkg-status-minbase")
	if err != nil {
		t.Fatal(err)
	}
	pkgs, err := ParseDpkgStatus(content, false)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]types.Package{}
	for _, p := range pkgs {
		byName[p.Name] = p
	}
	want := map[string][]string{
		"base-files":          {"mawk@1.3.4.20200120-3.1"},
		"init-system-helpers": {"usr-is-merged@37~deb12u1"},
		"libc-bin":            {"libc6@2.36-9+deb12u14"},
		"libpam-runtime":      {"debconf@1.5.82", "libpam-modules@1.5.2-6+deb12u2"},
		"login": {"libaudit1@1:3.0.9-1", "libc6@2.36-9+deb12u14", "libcrypt1@1:4.4.33-2", "libpam-modules@1.5.2-6+deb12u2",
			"libpam-runtime@1.5.2-6+deb12u2", "libpam0g@1.5.2-6+deb12u2"},
		"libpam-modules": {"debconf@1.5.82", "libaudit1@1:3.0.9-1", "libc6@2.36-9+deb12u14", "libcrypt1@1:4.4.33-2", "libdb5.3@5.3.28+dfsg2-1",
			"libpam-modules-bin@1.5.2-6+deb12u2", "libpam0g@1.5.2-6+deb12u2", "libselinux1@3.4-1+b6"},
	}
	for name, deps := range want {
		if got := byName[name].DependsOn; !reflect.DeepEqual(got, deps) {
			t.Errorf("%s depends on %q, want %q", name, got, deps)
		}
	}
	ids := map[string]bool{}
	for _, p := range pkgs {
		ids[p.ID] = true
	}
	for _, p := range pkgs {
		if !slices.IsSorted(p.DependsOn) || len(slices.Compact(slices.Clone(p.DependsOn))) != len(p.DependsOn) || slices.Contains(p.DependsOn, p.ID) {
			t.Errorf("%s: DependsOn %q not sorted, unique and without itself", p.ID, p.DependsOn)
		}
		for _, d := range p.DependsOn {
			if !ids[d] {
				t.Errorf("%s depends on %s, which is not installed", p.ID, d)
			}
		}
	}

	// dpkg's own reading of the same database: every installed package
	// that a Depends or Pre-Depends alternative names, directly or as a
	// provider, is an edge, and there is no other.
	if _, err := exec.LookPath("dpkg-query"); err != nil {
		t.Skip("no dpkg-query to compare with (not a Debian host)")
	}
	admin := t.TempDir()
	if err := os.WriteFile(filepath.Join(admin, "status"), content, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("dpkg-query", "--admindir", admin, "-W", "-f", "${Package}\t${Version}\t${Pre-Depends}\t${Depends}\t${Provides}\n").Output()
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ id, deps, provides string }
	rows := map[string]row{}
	satisfy := map[string][]string{} // name -> IDs of installed packages that are or provide it
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(l, "\t")
		r := row{f[0] + "@" + f[1], f[2] + "," + f[3], f[4]}
		rows[f[0]] = r
		satisfy[f[0]] = append(satisfy[f[0]], r.id)
		for _, v := range strings.Split(r.provides, ",") {
			if v = strings.TrimSpace(strings.Split(v, "(")[0]); v != "" {
				satisfy[v] = append(satisfy[v], r.id)
			}
		}
	}
	if len(rows) != len(pkgs) {
		t.Errorf("dpkg-query lists %d packages, we %d", len(rows), len(pkgs))
	}
	for name, r := range rows {
		var oracle []string
		for _, alt := range strings.FieldsFunc(r.deps, func(c rune) bool { return c == ',' || c == '|' }) {
			n := strings.TrimSpace(strings.Split(alt, "(")[0])
			n = strings.Split(n, ":")[0]
			for _, id := range satisfy[n] {
				if id != r.id && !slices.Contains(oracle, id) {
					oracle = append(oracle, id)
				}
			}
		}
		slices.Sort(oracle)
		if got := byName[name].DependsOn; !slices.Equal(got, oracle) {
			t.Errorf("%s: DependsOn %q, dpkg's data says %q", name, got, oracle)
		}
	}
}

// A crafted database where every package provides the same name and
// depends on it gives a bounded graph, and a note.
func TestDpkgDependsOnBounded(t *testing.T) {
	var b strings.Builder
	const n = 3000
	for i := range n {
		fmt.Fprintf(&b, "Package: p%d\nStatus: install ok installed\nVersion: 1\nProvides: v\nDepends: v, p%d:any\n\n", i, (i+1)%n)
	}
	b.WriteString("Package: hub\nStatus: install ok installed\nVersion: 1\nDepends: ")
	for i := range n {
		fmt.Fprintf(&b, "p%d, ", i)
	}
	b.WriteString("\n")
	pkgs, skipped, err := parseDpkgStatus([]byte(b.String()), false)
	if err != nil || len(pkgs) != n+1 {
		t.Fatalf("%d packages, %v", len(pkgs), err)
	}
	for _, p := range pkgs {
		if len(p.DependsOn) > maxDpkgDependsOn {
			t.Fatalf("%s: %d dependencies", p.ID, len(p.DependsOn))
		}
	}
	// p1 is among the first providers of v, and named with :any.
	if !slices.Contains(pkgs[0].DependsOn, "p1@1") || slices.Contains(pkgs[0].DependsOn, "p0@1") {
		t.Errorf("p0 depends on %d packages: %q...", len(pkgs[0].DependsOn), pkgs[0].DependsOn[:3])
	}
	if hub := pkgs[n]; len(hub.DependsOn) != maxDpkgDependsOn {
		t.Errorf("hub depends on %d packages", len(hub.DependsOn))
	}
	if len(skipped.order) != 2 {
		t.Errorf("notes %q, want one of the providers and one of the dependencies left out", skipped.order)
	}
}

func TestParseDpkgStatusD(t *testing.T) {
	// distroless: one stanza per file, no Status field.
	pkgs, err := ParseDpkgStatus([]byte("Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n"), true)
	if err != nil || len(pkgs) != 1 || pkgs[0].Name != "base-files" {
		t.Fatalf("got %+v, %v", pkgs, err)
	}
	// In a full status file a stanza without Status is not installed.
	pkgs, err = ParseDpkgStatus([]byte("Package: base-files\nVersion: 12.4+deb12u5\n"), false)
	if err != nil || len(pkgs) != 0 {
		t.Fatalf("got %+v, %v", pkgs, err)
	}
}

func TestParseDpkgStatusErrors(t *testing.T) {
	for name, content := range map[string]string{
		"no package":          "Status: install ok installed\nVersion: 1.0\n",
		"not a field":         "Package: a\nthis line has no colon\n",
		"continuation first":  " leading continuation\nPackage: a\n",
		"bad epoch":           "Package: a\nStatus: install ok installed\nVersion: x:1.0\n",
		"no version":          "Package: a\nStatus: install ok installed\n",
		"bad source epoch":    "Package: a\nStatus: install ok installed\nVersion: 1.0\nSource: b (q:1)\n",
		"space in field name": "Package: a\nBad Field: x\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseDpkgStatus([]byte(content), false); err == nil {
				t.Fatal("no error for a malformed status file")
			}
		})
	}
}

func TestParseCopyright(t *testing.T) {
	for file, want := range map[string][]string{
		"testdata/copyright-dep5":     {"Zlib", "GPL-2.0-or-later", "Artistic-1.0-Perl"},
		"testdata/copyright-freeform": {"GPL-3.0-only"},
	} {
		content, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if got := ParseCopyright(content); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %q, want %q", file, got, want)
		}
	}
}

func TestDpkgFactsWants(t *testing.T) {
	a := DpkgFacts{}
	for p, want := range map[string]bool{
		"var/lib/dpkg/info/libc6:amd64.md5sums": true,
		"var/lib/dpkg/info/bash.md5sums":        true,
		"var/lib/dpkg/status.d/tzdata.md5sums":  true,
		"var/lib/dpkg/info/bash.list":           false,
		"var/lib/dpkg/info/bash.conffiles":      false,
		"var/lib/dpkg/status.d/tzdata":          false,
		"usr/share/doc/bash/copyright":          true,
		"usr/share/doc/bash/changelog.gz":       false,
		"usr/share/doc/bash/examples/copyright": false,
		"var/lib/dpkg/available":                true,
		"var/lib/dpkg/available-old":            false,
	} {
		if got := a.Wants(p, 100); got != want {
			t.Errorf("Wants(%q) = %v, want %v", p, got, want)
		}
	}
}

func FuzzParseDpkgStatus(f *testing.F) {
	seed, err := os.ReadFile("testdata/dpkg-status")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed, false)
	f.Add([]byte("Package: a\nVersion: 1:2-3\nSource: b (1:2)\n"), true)
	f.Add([]byte("Package: a\nVersion: 1\nPre-Depends: awk\nDepends: b:any (>= 1) | c, a\n\nPackage: m\nVersion: 2\nProvides: awk, a\n\nPackage: b\nVersion: 3\nDepends: a\n"), true)
	if minbase, err := os.ReadFile("testdata/dpkg-status-minbase"); err == nil {
		f.Add(minbase, false)
	}
	f.Fuzz(func(t *testing.T, content []byte, assumeInstalled bool) {
		pkgs, err := ParseDpkgStatus(content, assumeInstalled)
		if err != nil {
			return
		}
		ids := map[string]bool{}
		for _, p := range pkgs {
			ids[p.ID] = true
		}
		for _, p := range pkgs {
			if !slices.IsSorted(p.DependsOn) || len(slices.Compact(slices.Clone(p.DependsOn))) != len(p.DependsOn) ||
				slices.Contains(p.DependsOn, p.ID) || len(p.DependsOn) > maxDpkgDependsOn {
				t.Fatalf("%s: DependsOn %q", p.ID, p.DependsOn)
			}
			for _, d := range p.DependsOn {
				if !ids[d] {
					t.Fatalf("%s depends on %s, not in the database", p.ID, d)
				}
			}
			if p.Name == "" || p.Version == "" || p.SrcName == "" || p.SrcVersion == "" {
				t.Fatalf("incomplete package accepted: %+v", p)
			}
			// The parts join back to a version that splits the same way.
			for _, v := range []debVersion{{p.Epoch, p.Version, p.Release}, {p.SrcEpoch, p.SrcVersion, p.SrcRelease}} {
				joined := v.upstream
				if v.revision != "" {
					joined += "-" + v.revision
				}
				if v.epoch > 0 {
					joined = strconv.Itoa(v.epoch) + ":" + joined
				}
				if again, err := splitDebVersion(joined); err != nil || again != v {
					t.Fatalf("%+v joins to %q, which splits to %+v, %v", v, joined, again, err)
				}
			}
		}
	})
}

// testdata/dpkg-available and dpkg-available-status are stanzas of a real
// Debian 12 system's var/lib/dpkg/available (written by debootstrap, with
// the .debs' checksums) and status (after upgrades: libc6 is at a later
// version than available lists). A package gets sha256:<SHA256> only when
// available has its exact version, epoch included, as Trivy gives it.
func TestDpkgAvailable(t *testing.T) {
	content, err := os.ReadFile("testdata/dpkg-available")
	if err != nil {
		t.Fatal(err)
	}
	digests, err := ParseDpkgAvailable(content)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"libacl1@2.3.1-3":       "sha256:8be9df5795114bfe90e2be3d208ef47a5edd3fc7b3e20d387a597486d444e5e2",
		"adduser@3.134":         "sha256:c24fe4eb8e60d8632d72ed104cce7c92cff200847c897dc8ba764b6c47b519e0",
		"libattr1@1:2.5.1-4":    "sha256:c4945123d66d0503ba42e2fc0585abc76d0838978c6d277b9cc37a4da25d1a34",
		"libc6@2.36-9+deb12u10": "sha256:5dc83256f10ca4d0f2a53dd6583ffd0d0e319af30074ea6c82fb0ae77bd16365",
	}
	if !reflect.DeepEqual(digests, want) {
		t.Errorf("digests = %v, want %v", digests, want)
	}
	status, err := os.ReadFile("testdata/dpkg-available-status")
	if err != nil {
		t.Fatal(err)
	}
	pkgs, err := ParseDpkgStatus(status, false)
	if err != nil {
		t.Fatal(err)
	}
	matched := map[string]bool{}
	for _, p := range pkgs {
		if _, ok := digests[p.ID]; ok {
			matched[p.Name] = true
		}
	}
	if !reflect.DeepEqual(matched, map[string]bool{"libacl1": true, "adduser": true, "libattr1": true}) {
		t.Errorf("status IDs with a digest: %v; want all but the upgraded libc6", matched)
	}

	// Through the analyzer: one fact of digests; a stanza without SHA256
	// is no digest; a file without any is no fact; a bad line an error.
	res := &types.LayerResult{}
	if err := (DpkgFacts{}).Analyze(DpkgAvailable, content, res); err != nil {
		t.Fatal(err)
	}
	if len(res.PackageFacts) != 1 || res.PackageFacts[0].Package != "" || res.PackageFacts[0].Type != "dpkg" || !reflect.DeepEqual(res.PackageFacts[0].Digests, want) {
		t.Errorf("facts = %+v", res.PackageFacts)
	}
	res = &types.LayerResult{}
	if err := (DpkgFacts{}).Analyze(DpkgAvailable, []byte("Package: tar\nVersion: 1.34+dfsg-1.2+deb12u1\nMD5sum: 2778ee13125dd948e3840af6ee5d9a83\n"), res); err != nil || len(res.PackageFacts) != 0 {
		t.Errorf("no SHA256: %v %+v", err, res.PackageFacts)
	}
	if err := (DpkgFacts{}).Analyze(DpkgAvailable, []byte("Package: tar\nnot a field\n"), res); err == nil {
		t.Error("a malformed available file gave no error")
	}
}

func FuzzParseDpkgAvailable(f *testing.F) {
	seed, err := os.ReadFile("testdata/dpkg-available")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte("Package: tar\nVersion: 1.34\nSHA256: 00\n\nPackage: tar\nVersion: 1.34\nSHA256: 11\n"))
	f.Fuzz(func(t *testing.T, content []byte) {
		digests, err := ParseDpkgAvailable(content)
		if err != nil {
			return
		}
		for id, d := range digests {
			if !strings.Contains(id, "@") || !strings.HasPrefix(d, "sha256:") || len(d) == len("sha256:") {
				t.Fatalf("digest %q for %q", d, id)
			}
		}
	})
}
