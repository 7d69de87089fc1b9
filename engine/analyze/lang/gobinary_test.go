package lang

import (
	"bytes"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/analyze/lang/hostilebin"
	"github.com/docker-scan/docker-scan/engine/testenv"
	"github.com/docker-scan/docker-scan/engine/types"
)

// buildGoBinary compiles a program that depends on golang.org/x/text
// v0.3.5 (through the module proxy; kept in the test cache).
func buildGoBinary(t *testing.T) string {
	t.Helper()
	bin, err := testenv.GoBinary(t, nil, "golang.org/x/text@v0.3.5")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skipf("skipped: cannot build a Go binary here: %v", err)
	}
	return bin
}

func TestGoBinary(t *testing.T) {
	bin := buildGoBinary(t)
	if (GoBinary{}).WantsStream("usr/local/bin/app", 1000, 0o644, []byte("\x7fELF")) {
		t.Error("a file that is not executable is wanted")
	}
	res := streamBinary(t, bin)
	var ids []string
	for _, db := range res.PackageDBs {
		for _, p := range db.Packages {
			ids = append(ids, p.ID)
		}
	}
	goVersion := strings.TrimPrefix(runtime.Version(), "go")
	want := "golang.org/x/text@0.3.5,stdlib@" + goVersion
	if strings.Join(ids, ",") != want {
		t.Errorf("got %v, want %s (the main module is (devel): no version, not reported)", ids, want)
	}
	// Not a Go binary: nothing, no error.
	sh := &types.LayerResult{}
	if err := (GoBinary{}).AnalyzeStream("bin/sh", 100, strings.NewReader("\x7fELF"+strings.Repeat("\x00", 200)), sh); err != nil || len(sh.PackageDBs) != 0 {
		t.Errorf("not Go: %v %+v", err, sh.PackageDBs)
	}
}

func FuzzGoBinary(f *testing.F) {
	f.Add([]byte("\x7fELF\x02\x01\x01" + strings.Repeat("\x00", 100)))
	f.Add([]byte("\xcf\xfa\xed\xfe" + strings.Repeat("\x00", 60) + "\xff Go buildinf:\x08\x02" + strings.Repeat("\x00", 16) + "\x05go1.x\x03abc"))
	f.Add([]byte("MZ" + strings.Repeat("\x00", 62) + "\xff Go buildinf:\x08\x00" + strings.Repeat("\x01", 16)))
	f.Add(hostilebin.GoPointerOverflowELF())
	f.Add(hostilebin.RustDepELF(`{"packages":[{"name":"smallvec","version":"1.6.0"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		res := &types.LayerResult{}
		if err := (GoBinary{}).AnalyzeStream("x", int64(len(data)), strings.NewReader(string(data)), res); err != nil {
			t.Fatal(err)
		}
		for _, is := range res.Issues {
			if strings.HasPrefix(is.Reason, "could not be parsed") {
				t.Fatalf("the parser panicked: %s", is.Reason)
			}
		}
	})
}

// TestGoBinaryFormats builds the same program for each executable format,
// pointer size and byte order, with today's Go (inline build info) and
// with Go 1.17 (pointer build info, fetched through the module proxy),
// and checks the streamed reading against `go version -m`, Go's own
// reader of the whole file. The binaries are kept in the test cache: a
// second run neither compiles nor downloads.
func TestGoBinaryFormats(t *testing.T) {
	testenv.E2E(t, "cross-compiles nine binaries, with a Go 1.17 toolchain from the module proxy")
	old := "GOTOOLCHAIN=go1.17.13"
	for _, tc := range []struct {
		name string
		env  []string
		none bool // a format whose pre-1.18 build info is not read
	}{
		{"elf-amd64", []string{"GOOS=linux", "GOARCH=amd64"}, false},
		{"elf-386", []string{"GOOS=linux", "GOARCH=386"}, false},
		{"elf-s390x-big-endian", []string{"GOOS=linux", "GOARCH=s390x"}, false},
		{"macho-arm64", []string{"GOOS=darwin", "GOARCH=arm64"}, false},
		{"pe-amd64", []string{"GOOS=windows", "GOARCH=amd64"}, false},
		{"go1.17-elf-amd64", []string{old, "GOOS=linux", "GOARCH=amd64"}, false},
		{"go1.17-elf-386", []string{old, "GOOS=linux", "GOARCH=386"}, false},
		{"go1.17-elf-s390x-big-endian", []string{old, "GOOS=linux", "GOARCH=s390x"}, false},
		{"go1.17-macho-amd64", []string{old, "GOOS=darwin", "GOARCH=amd64"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bin, err := testenv.GoBinary(t, tc.env, "golang.org/x/text@v0.3.5")
			if err != nil {
				if os.Getenv("CI") != "" {
					t.Fatal(err)
				}
				t.Skipf("skipped: cannot build here: %v", err)
			}
			var got []string
			for _, db := range streamBinary(t, bin).PackageDBs {
				for _, p := range db.Packages {
					got = append(got, p.ID)
				}
			}
			want := goVersionM(t, bin)
			if len(want) != 2 {
				t.Fatalf("go version -m: %v, want x/text and stdlib", want)
			}
			if tc.none {
				want = nil
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}

// goVersionM lists what `go version -m` finds in a binary, as package IDs
// in our order: dependencies (replaced where replaced), then stdlib.
func goVersionM(t *testing.T, bin string) []string {
	t.Helper()
	out, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	var stdlib string
	for i, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		switch {
		case i == 0 && len(f) == 2:
			stdlib = "stdlib@" + strings.TrimPrefix(f[1], "go")
		case len(f) >= 3 && f[0] == "mod" && f[2] != "(devel)":
			ids = append(ids, f[1]+"@"+strings.TrimPrefix(f[2], "v"))
		case len(f) >= 3 && f[0] == "dep":
			ids = append(ids, f[1]+"@"+strings.TrimPrefix(f[2], "v"))
		case len(f) >= 3 && f[0] == "=>":
			ids[len(ids)-1] = f[1] + "@" + strings.TrimPrefix(f[2], "v")
		}
	}
	if stdlib == "" {
		t.Fatalf("go version -m found no Go version: %s", out)
	}
	return append(ids, stdlib)
}

// TestGoBinaryDebianPackaged reads the Go programs Debian ships in the
// packages CI installs (docker.io, containerd, runc, podman): built with
// cgo and linked by GNU ld, their build info sits deep in the data
// segment, after .data.rel.ro, not at its start.
func TestGoBinaryDebianPackaged(t *testing.T) {
	var bins []string
	for _, f := range []string{"/usr/bin/docker", "/usr/sbin/dockerd", "/usr/bin/containerd", "/usr/sbin/runc", "/usr/bin/runc", "/usr/bin/podman"} {
		if _, err := os.Stat(f); err == nil {
			bins = append(bins, f)
		}
	}
	if len(bins) == 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("no Debian-packaged Go binary: .ci/run installs docker.io")
		}
		t.Skip("skipped: no Debian-packaged Go binary installed")
	}
	for _, bin := range bins {
		var got []string
		for _, db := range streamBinary(t, bin).PackageDBs {
			for _, p := range db.Packages {
				got = append(got, p.ID)
			}
		}
		if want := goVersionM(t, bin); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: got %v, want %v", bin, got, want)
		}
	}
}

// BenchmarkGoBinary streams a large Go program (Debian's dockerd: cgo,
// linked by GNU ld, build info deep in the data segment) through the
// reader, as the layer walker would: throughput and allocations.
func BenchmarkGoBinary(b *testing.B) {
	const bin = "/usr/sbin/dockerd"
	data, err := os.ReadFile(bin)
	if err != nil {
		b.Skipf("skipped: %s: %v", bin, err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		res := &types.LayerResult{}
		if err := (GoBinary{}).AnalyzeStream("usr/sbin/dockerd", int64(len(data)), bytes.NewReader(data), res); err != nil || len(res.PackageDBs) != 1 {
			b.Fatalf("%v %v", err, res.PackageDBs)
		}
	}
}
