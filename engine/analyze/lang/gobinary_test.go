package lang

import (
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/types"
)

// buildGoBinary compiles a program that depends on golang.org/x/text
// v0.3.5 (through the module proxy).
func buildGoBinary(t *testing.T) string {
	t.Helper()
	bin, err := imagebuild.GoBinary(t.TempDir(), "golang.org/x/text@v0.3.5")
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
	f.Fuzz(func(t *testing.T, data []byte) {
		res := &types.LayerResult{}
		if err := (GoBinary{}).AnalyzeStream("x", int64(len(data)), strings.NewReader(string(data)), res); err != nil {
			t.Fatal(err)
		}
	})
}
