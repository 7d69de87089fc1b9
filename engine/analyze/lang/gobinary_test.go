package lang

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"reflect"
	"runtime"
	"runtime/debug"
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
	// As Trivy reports them: the main module first, unversioned (it is
	// (devel)), then the modules and stdlib, with their "v".
	want := goVersionM(t, bin)
	if !strings.HasPrefix(want[0], "example.com/") || strings.Contains(want[0], "@") || want[1] != "golang.org/x/text@v0.3.5" || want[2] != "stdlib@v"+strings.TrimPrefix(runtime.Version(), "go") {
		t.Fatalf("go version -m: %v", want)
	}
	if strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Errorf("got %v, want %v", ids, want)
	}
	main := res.PackageDBs[0].Packages[0]
	if main.Version != "" || strings.Join(main.DependsOn, ",") != strings.Join(want[1:], ",") {
		t.Errorf("main module %+v: want no version, depending on %v", main, want[1:])
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
			if len(want) != 3 {
				t.Fatalf("go version -m: %v, want the main module, x/text and stdlib", want)
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
// as Trivy writes them, in our order: the main module (its path alone when
// it is "(devel)"), the dependencies (replaced where replaced), then
// stdlib, all versions with their "v".
func goVersionM(t *testing.T, bin string) []string {
	t.Helper()
	out, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	var stdlib string
	id := func(path, version string) string {
		if version == "(devel)" {
			return path
		}
		return path + "@" + version
	}
	for i, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		switch {
		case i == 0 && len(f) == 2:
			stdlib = "stdlib@v" + strings.TrimPrefix(f[1], "go")
		case len(f) >= 3 && (f[0] == "mod" || f[0] == "dep"):
			ids = append(ids, id(f[1], f[2]))
		case len(f) >= 3 && f[0] == "=>":
			ids[len(ids)-1] = id(f[1], f[2])
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

// A main module built from a work tree ((devel)) takes the version its
// build stamped with -ldflags -X, as Trivy reads it; real -ldflags of
// released tools.
func TestGoMainModuleLdflagsVersion(t *testing.T) {
	tests := []struct {
		module, version, ldflags, want string
	}{
		// Trivy's own release build: a *.ver in a package that is not main.
		{"github.com/aquasecurity/trivy", "(devel)", "-s -w -X=github.com/aquasecurity/trivy/pkg/version/app.ver=0.64.1", "0.64.1"},
		// crane: the module's cmd/ tree ranks first.
		{"github.com/google/go-containerregistry", "(devel)", `-s -w -X "github.com/google/go-containerregistry/cmd/crane/cmd.Version=v0.20.2" -X main.version=v9.9.9`, "v0.20.2"},
		{"example.com/app", "(devel)", "-X 'main.version=1.2.3' -X main.commit=0123abc", "1.2.3"},
		// Not semantic versions, or two of the same rank: unknown.
		{"example.com/app", "(devel)", "-X main.version=dev", ""},
		{"example.com/app", "(devel)", "-X main.version=1.0.0 -X main.Version=2.0.0", ""},
		// A pseudo-version gives way to a stamped one; a real one does not.
		{"example.com/app", "v0.0.0-20240101000000-0123456789ab", "-X main.version=1.4.0", "1.4.0"},
		{"example.com/app", "v1.3.0", "-X main.version=1.4.0", "v1.3.0"},
		{"example.com/app", "(devel)", "", ""},
	}
	for _, tt := range tests {
		bi := &debug.BuildInfo{GoVersion: "go1.22.3", Main: debug.Module{Path: tt.module, Version: tt.version}}
		if tt.ldflags != "" {
			bi.Settings = []debug.BuildSetting{{Key: "-ldflags", Value: tt.ldflags}}
		}
		main := goPackages(bi)[0]
		if main.Name != tt.module || main.Version != tt.want {
			t.Errorf("%s %s with %q: %s %q, want %q", tt.module, tt.version, tt.ldflags, main.Name, main.Version, tt.want)
		}
	}
	pkgs := goPackages(&debug.BuildInfo{GoVersion: "go1.22.3 X:boringcrypto", Main: debug.Module{Path: "example.com/app", Version: "(devel)"},
		Deps: []*debug.Module{{Path: "golang.org/x/net", Version: "v0.3.5", Replace: &debug.Module{Path: "golang.org/x/net", Version: "v0.7.0"}}}})
	var ids []string
	for _, p := range pkgs {
		ids = append(ids, p.ID)
	}
	if strings.Join(ids, ",") != "example.com/app,golang.org/x/net@v0.7.0,stdlib@v1.22.3" ||
		strings.Join(pkgs[0].DependsOn, ",") != "golang.org/x/net@v0.7.0,stdlib@v1.22.3" {
		t.Errorf("packages %v, main depends on %v", ids, pkgs[0].DependsOn)
	}
}

// Relationship as Trivy sets it for a Go binary: the main module is the
// root, stdlib a direct dependency, the other modules unknown (left out of
// the JSON).
func TestGoBinaryRelationship(t *testing.T) {
	pkgs := goPackages(&debug.BuildInfo{GoVersion: "go1.22.3", Main: debug.Module{Path: "example.com/app", Version: "v1.0.0"},
		Deps: []*debug.Module{{Path: "golang.org/x/net", Version: "v0.7.0"}}})
	got := map[string]types.Relationship{}
	for _, p := range pkgs {
		got[p.ID] = p.Relationship
	}
	want := map[string]types.Relationship{
		"example.com/app@v1.0.0":  types.RelationshipRoot,
		"golang.org/x/net@v0.7.0": types.RelationshipUnknown,
		"stdlib@v1.22.3":          types.RelationshipDirect,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("relationships %v, want %v", got, want)
	}
	b, err := json.Marshal(pkgs)
	if err != nil {
		t.Fatal(err)
	}
	if s := string(b); strings.Count(s, `"Relationship":"root"`) != 1 || strings.Count(s, `"Relationship":"direct"`) != 1 || strings.Count(s, `"Relationship"`) != 2 {
		t.Errorf("JSON: %s", s)
	}
	// A binary without a main module (the go command itself): stdlib is
	// still direct.
	pkgs = goPackages(&debug.BuildInfo{GoVersion: "go1.22.3"})
	if len(pkgs) != 1 || pkgs[0].Relationship != types.RelationshipDirect {
		t.Errorf("no main module: %+v", pkgs)
	}
}
