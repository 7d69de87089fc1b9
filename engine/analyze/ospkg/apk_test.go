package ospkg

import (
	"os"
	"reflect"
	"slices"
	"testing"
)

func TestParseApk(t *testing.T) {
	content, err := os.ReadFile("testdata/apk-installed")
	if err != nil {
		t.Fatal(err)
	}
	pkgs, err := ParseApk(content)
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		id, src, arch string
		licenses      []string
		files         []string
	}
	wants := []want{
		{"musl@1.2.2-r4", "musl", "x86_64", []string{"MIT"}, []string{"lib/ld-musl-x86_64.so.1", "lib/libc.musl-x86_64.so.1"}},
		{"busybox@1.33.1-r6", "busybox", "x86_64", []string{"GPL-2.0-only"}, []string{"bin/busybox", "bin/sh", "etc/securetty"}},
		{"libcrypto1.1@1.1.1l-r0", "openssl", "x86_64", []string{"OpenSSL"}, []string{"lib/libcrypto.so.1.1"}},
		{"ca-certificates-bundle@20191127-r5", "ca-certificates", "x86_64", []string{"MPL-2.0", "MIT"}, []string{"etc/ssl/certs/ca-certificates.crt"}},
	}
	if len(pkgs) != len(wants) {
		t.Fatalf("got %d packages, want %d", len(pkgs), len(wants))
	}
	for i, w := range wants {
		p := pkgs[i]
		if p.ID != w.id || p.SrcName != w.src || p.Arch != w.arch || p.SrcVersion != p.Version {
			t.Errorf("package %d = %s src %s/%s arch %s; want %s src %s arch %s", i, p.ID, p.SrcName, p.SrcVersion, p.Arch, w.id, w.src, w.arch)
		}
		if !reflect.DeepEqual(p.Licenses, w.licenses) {
			t.Errorf("%s licenses = %q, want %q", p.ID, p.Licenses, w.licenses)
		}
		if !reflect.DeepEqual(p.InstalledFiles, w.files) {
			t.Errorf("%s files = %q, want %q", p.ID, p.InstalledFiles, w.files)
		}
	}
	if pkgs[0].Maintainer != "Timo Teräs <timo.teras@iki.fi>" {
		t.Errorf("maintainer = %q", pkgs[0].Maintainer)
	}
}

// DependsOn names packages by ID, through what they provide
// (so:libc.musl-x86_64.so.1 is musl's), as Trivy lists them.
func TestApkDependsOn(t *testing.T) {
	content, err := os.ReadFile("testdata/apk-installed")
	if err != nil {
		t.Fatal(err)
	}
	// zlib needs musl by its shared object and busybox by name at a
	// version; "!uclibc-utils" is a conflict; libmissing is not installed.
	content = append(content, []byte("\nP:zlib\nV:1.2.12-r3\nA:x86_64\nD:so:libc.musl-x86_64.so.1 busybox>=1.33 !uclibc-utils libmissing\np:so:libz.so.1=1.2.12\n")...)
	pkgs, err := ParseApk(content)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"musl":                   nil,
		"busybox":                {"musl@1.2.2-r4"},
		"libcrypto1.1":           {"musl@1.2.2-r4"},
		"ca-certificates-bundle": nil,
		"zlib":                   {"busybox@1.33.1-r6", "musl@1.2.2-r4"},
	}
	if len(pkgs) != len(want) {
		t.Fatalf("%d packages", len(pkgs))
	}
	for _, p := range pkgs {
		if !slices.Equal(p.DependsOn, want[p.Name]) {
			t.Errorf("%s depends on %q, want %q", p.Name, p.DependsOn, want[p.Name])
		}
	}
}

func TestParseApkErrors(t *testing.T) {
	for name, content := range map[string]string{
		"not a field":     "P:musl\nV:1.2.2-r4\nthis is not apk\n",
		"missing version": "P:musl\nA:x86_64\n\nP:zlib\nV:1.2.11-r3\n",
		"missing name":    "V:1.0-r0\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseApk([]byte(content)); err == nil {
				t.Fatal("no error for a malformed database")
			}
		})
	}
}

func TestParseApkEmpty(t *testing.T) {
	pkgs, err := ParseApk([]byte("\n\n"))
	if err != nil || len(pkgs) != 0 {
		t.Fatalf("got %v, %v; want no packages and no error", pkgs, err)
	}
}

func FuzzParseApk(f *testing.F) {
	seed, err := os.ReadFile("testdata/apk-installed")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte("P:a\nV:1\n\n\nP:b\nV:2\nF:x\nR:y\n"))
	f.Fuzz(func(t *testing.T, content []byte) {
		pkgs, err := ParseApk(content)
		if err != nil {
			return
		}
		for _, p := range pkgs {
			if p.Name == "" || p.Version == "" || p.ID != p.Name+"@"+p.Version {
				t.Fatalf("package with missing name or version accepted: %+v", p)
			}
		}
	})
}
