package ospkg

import (
	"os"
	"reflect"
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
	want := []types.Package{
		{ID: "libc6@2.36-9+deb12u7", Name: "libc6", Version: "2.36-9+deb12u7", Arch: "amd64", SrcName: "glibc", SrcVersion: "2.36-9+deb12u7",
			Maintainer: "GNU Libc Maintainers <debian-glibc@lists.debian.org>"},
		{ID: "passwd@1:4.13+dfsg1-1+b1", Name: "passwd", Version: "4.13+dfsg1-1+b1", Epoch: 1, Arch: "amd64", SrcName: "shadow", SrcVersion: "4.13+dfsg1-1+b1", SrcEpoch: 1,
			Maintainer: "Shadow package maintainers <pkg-shadow-devel@lists.alioth.debian.org>"},
		// A Source with its own version: binNMUs (+b1) differ from their source.
		{ID: "libgnutls30@3.7.9-2+deb12u3+b1", Name: "libgnutls30", Version: "3.7.9-2+deb12u3+b1", Arch: "amd64", SrcName: "gnutls28", SrcVersion: "3.7.9-2+deb12u3"},
		// oldpkg is only config-files: not installed, not listed.
		{ID: "tzdata@2024a-0+deb12u1", Name: "tzdata", Version: "2024a-0+deb12u1", Arch: "all", SrcName: "tzdata", SrcVersion: "2024a-0+deb12u1"},
	}
	if !reflect.DeepEqual(pkgs, want) {
		t.Errorf("got\n%+v\nwant\n%+v", pkgs, want)
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
		"var/lib/dpkg/info/libc6:amd64.list":    true,
		"var/lib/dpkg/info/bash.list":           true,
		"var/lib/dpkg/info/bash.md5sums":        false,
		"usr/share/doc/bash/copyright":          true,
		"usr/share/doc/bash/changelog.gz":       false,
		"usr/share/doc/bash/examples/copyright": false,
	} {
		if got := a.Wants(p, 100); got != want {
			t.Errorf("Wants(%q) = %v, want %v", p, got, want)
		}
	}
	res := &types.LayerResult{}
	if err := a.Analyze("var/lib/dpkg/info/libc6:amd64.list", []byte("/.\n/lib\n/lib/x86_64-linux-gnu/libc.so.6\n"), res); err != nil {
		t.Fatal(err)
	}
	got := res.PackageFacts[0]
	if got.Package != "libc6" || !reflect.DeepEqual(got.InstalledFiles, []string{"lib", "lib/x86_64-linux-gnu/libc.so.6"}) {
		t.Errorf("facts = %+v", got)
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
			if p.Name == "" || p.Version == "" || p.SrcName == "" {
				t.Fatalf("incomplete package accepted: %+v", p)
			}
		}
	})
}
