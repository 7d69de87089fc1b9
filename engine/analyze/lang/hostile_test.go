package lang

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/analyze/lang/hostilebin"
	"github.com/docker-scan/docker-scan/engine/types"
)

func streamBytes(t *testing.T, name string, b []byte) *types.LayerResult {
	t.Helper()
	res := &types.LayerResult{}
	if err := (GoBinary{}).AnalyzeStream(name, int64(len(b)), bytes.NewReader(b), res); err != nil {
		t.Fatal(err)
	}
	return res
}

// A pre-1.18 build info pointer of 0xFFFFFFFFFFFFFFF8 wrapped around the
// bounds check and indexed past the data segment.
func TestGoBuildInfoPointerOverflow(t *testing.T) {
	b := hostilebin.GoPointerOverflowELF()
	res := streamBytes(t, "usr/bin/app", b)
	if len(res.PackageDBs) != 0 || len(res.Issues) != 0 {
		t.Errorf("got %+v, %+v; want nothing: the pointers lead nowhere", res.PackageDBs, res.Issues)
	}
	// Every pointer size byte, not only 4 and 8, is refused, not indexed.
	for ps := range 256 {
		c := bytes.Clone(b)
		c[0x1000+14] = byte(ps)
		if r := streamBytes(t, "usr/bin/app", c); len(r.Issues) != 0 {
			t.Fatalf("pointer size %d: %+v", ps, r.Issues)
		}
	}
}

func TestRustDepsWithoutObjcopy(t *testing.T) {
	res := streamBytes(t, "usr/bin/tool", hostilebin.RustDepELF(`{"packages":[{"name":"tool","version":"0.3.0","source":"local","root":true},{"name":"smallvec","version":"1.6.0","source":"crates.io"},{"name":"cc","version":"1.0.73","kind":"build"}]}`))
	var ids []string
	for _, db := range res.PackageDBs {
		for _, p := range db.Packages {
			ids = append(ids, p.ID)
		}
	}
	if got := strings.Join(ids, ","); got != "smallvec@1.6.0,tool@0.3.0" || len(res.Issues) != 0 {
		t.Errorf("packages %s, issues %+v", got, res.Issues)
	}
	bad := streamBytes(t, "usr/bin/tool", hostilebin.RustDepELF(`{"packages":`))
	if len(bad.Issues) != 1 || !strings.Contains(bad.Issues[0].Reason, "not JSON") {
		t.Errorf("a broken list: %+v", bad.Issues)
	}
}

// A 1 MB section that inflates to 1 GiB is capped at maxRustDeps: an
// analysis issue, and memory bounded by the cap, not by the bomb.
func TestRustDepBomb(t *testing.T) {
	b, err := hostilebin.RustDepBomb(1024)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 2<<20 {
		t.Fatalf("the bomb is %d bytes", len(b))
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	res := streamBytes(t, "usr/bin/tool", b)
	runtime.ReadMemStats(&after)
	if len(res.PackageDBs) != 0 || len(res.Issues) != 1 || !strings.Contains(res.Issues[0].Reason, "inflates to more than") {
		t.Errorf("got %+v, issues %+v", res.PackageDBs, res.Issues)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4*maxRustDeps {
		t.Errorf("allocated %d MB for a capped list", alloc>>20)
	}
	// Under the cap, the same construction is read.
	small, _ := hostilebin.RustDepBomb(4)
	if res := streamBytes(t, "usr/bin/tool", small); len(res.PackageDBs) != 1 || len(res.Issues) != 0 {
		t.Errorf("4 MiB list: %+v %+v", res.PackageDBs, res.Issues)
	}
}

// One 64 MiB entry listed 50,000 times: refused at once, with an issue.
func TestJarRepeatedEntries(t *testing.T) {
	b, err := hostilebin.RepeatedEntryJar(50000, 64<<20)
	if err != nil {
		t.Fatal(err)
	}
	res := &types.LayerResult{}
	(Java{}).Analyze("app/app.jar", b, res)
	if len(res.Issues) != 1 || !strings.Contains(res.Issues[0].Reason, "share their bytes") {
		t.Errorf("issues %+v", res.Issues)
	}
	// Listed once, the same entry is a normal nested jar (of zeros).
	once, _ := hostilebin.RepeatedEntryJar(1, 1<<20)
	res = &types.LayerResult{}
	(Java{}).Analyze("app/app-1.0.jar", once, res)
	if len(res.Issues) != 0 || len(res.PackageDBs) != 1 {
		t.Errorf("once: %+v %+v", res.PackageDBs, res.Issues)
	}
}

// Distinct nested jars that together inflate past maxJarInflate: those
// within the budget are read, the rest is an issue.
func TestJarInflateBudget(t *testing.T) {
	inner := nestedJar(t, "lib", 50<<20)
	var buf bytes.Buffer
	buf.Grow(6*len(inner) + 4096)
	zw := zip.NewWriter(&buf)
	for i := range 6 {
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("BOOT-INF/lib/lib%d-1.0.jar", i), Method: zip.Store})
		w.Write(inner)
	}
	zw.Close()
	res := &types.LayerResult{}
	(Java{}).Analyze("app.jar", buf.Bytes(), res)
	if len(res.Issues) != 1 || !strings.Contains(res.Issues[0].Reason, "inflate to more than") {
		t.Errorf("issues %+v", res.Issues)
	}
	if n := len(res.PackageDBs[0].Packages); n < 2 || n > 6 {
		t.Errorf("%d packages read", n)
	}
}

// nestedJar is a jar holding a pom.properties and a stored filler entry,
// about size bytes.
func nestedJar(t *testing.T, artifact string, size int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	buf.Grow(int(size) + 4096)
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("META-INF/maven/org.example/" + artifact + "/pom.properties")
	fmt.Fprintf(w, "groupId=org.example\nartifactId=%s\nversion=1.0\n", artifact)
	w, _ = zw.CreateHeader(&zip.FileHeader{Name: "filler.bin", Method: zip.Store})
	io.CopyN(w, zeroReader{}, size)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
