package ospkg

import (
	"os"
	"reflect"
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
		"testdata/copyright-dep5":     {"Zlib", "GPL-2+", "Artistic"},
		"testdata/copyright-freeform": {"GPL-3"},
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
	f.Fuzz(func(t *testing.T, content []byte, assumeInstalled bool) {
		pkgs, err := ParseDpkgStatus(content, assumeInstalled)
		if err != nil {
			return
		}
		for _, p := range pkgs {
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
