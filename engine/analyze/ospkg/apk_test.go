package ospkg

import (
	"os"
	"reflect"
	"slices"
	"strings"
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
	f.Add([]byte("C:Q11otALzX1d1D0kVawy06IairTXS0=\nC:1B2M2Y8AsgTpgAmY7PhCfg==\nP:a\nV:1\n\nC:Q1=\nP:b\nV:2\n"))
	f.Fuzz(func(t *testing.T, content []byte) {
		pkgs, err := ParseApk(content)
		if err != nil {
			return
		}
		for _, p := range pkgs {
			if p.Name == "" || p.Version == "" || p.ID != p.Name+"@"+p.Version {
				t.Fatalf("package with missing name or version accepted: %+v", p)
			}
			if p.Digest != "" && !strings.HasPrefix(p.Digest, "sha1:") && !strings.HasPrefix(p.Digest, "md5:") {
				t.Fatalf("digest %q", p.Digest)
			}
		}
	})
}

// Digest is the C: field decoded as Trivy reports it: "Q1" and base64 of a
// SHA-1 is sha1:<hex>; base64 without the prefix is an old database's MD5.
// The hex values were worked out with coreutils (base64 -d | od -tx1).
func TestApkDigest(t *testing.T) {
	content, err := os.ReadFile("testdata/apk-installed")
	if err != nil {
		t.Fatal(err)
	}
	pkgs, err := ParseApk(content)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"musl@1.2.2-r4":     "sha1:b57a53c1870df13cc883f0f3a5fe1ee542f1dc68",
		"busybox@1.33.1-r6": "sha1:959954d9fdd1e5ddd3a814ef27407ca42942b287",
	}
	for _, p := range pkgs {
		if w, ok := want[p.ID]; ok && p.Digest != w {
			t.Errorf("%s digest = %q, want %q", p.ID, p.Digest, w)
		}
		if p.Digest == "" {
			t.Errorf("%s has no digest", p.ID)
		}
	}

	// musl's record in Alpine 3.4's installed database; a second C: line
	// replaces the first, one that is not base64 is ignored, and a value
	// without "Q1" is an MD5.
	for _, tt := range []struct{ lines, want string }{
		{"C:Q11otALzX1d1D0kVawy06IairTXS0=\n", "sha1:d68b402f35f57750f49156b0cb4e886a2ad35d2d"},
		{"C:Q11otALzX1d1D0kVawy06IairTXS0=\nC:Q1EyN61aUcSJ3klZ9b0nqLoRRTFhE=\n", "sha1:13237ad5a51c489de4959f5bd27a8ba114531611"},
		{"C:Q11otALzX1d1D0kVawy06IairTXS0=\nC:Q1not*base64\n", "sha1:d68b402f35f57750f49156b0cb4e886a2ad35d2d"},
		{"C:1B2M2Y8AsgTpgAmY7PhCfg==\n", "md5:d41d8cd98f00b204e9800998ecf8427e"},
		{"C:\n", ""},
		{"", ""},
	} {
		rec := tt.lines + "P:musl\nV:1.1.14-r10\nA:x86_64\nS:445080\nI:569344\nT:the musl c library (libc) implementation\nU:http://www.musl-libc.org/\nL:MIT\no:musl\nm:Timo Teräs <timo.teras@iki.fi>\nt:1466181580\nF:lib\nR:libc.musl-x86_64.so.1\n"
		pkgs, err := ParseApk([]byte(rec))
		if err != nil || len(pkgs) != 1 {
			t.Fatalf("%q: %v %v", tt.lines, pkgs, err)
		}
		if pkgs[0].Digest != tt.want {
			t.Errorf("%q: digest %q, want %q", tt.lines, pkgs[0].Digest, tt.want)
		}
	}
}
