package lang

import (
	"bufio"
	"os"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/types"
)

// auditableFixture is an ELF executable with a cargo-auditable .dep-v0
// section, written to the format (see imagebuild.RustAuditableBinary).
func auditableFixture(t *testing.T) string {
	t.Helper()
	bin, err := imagebuild.RustAuditableBinary(t.TempDir(), `{"packages":[{"name":"tool","version":"0.3.0","source":"local","root":true,"dependencies":[1,2]},`+
		`{"name":"smallvec","version":"1.6.0","source":"crates.io"},`+
		`{"name":"cc","version":"1.0.73","source":"crates.io","kind":"build"}]}`)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skipf("skipped: %v", err)
	}
	return bin
}

// streamBinary offers a file to the binary streamer as the walker would.
func streamBinary(t *testing.T, path string) *types.LayerResult {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	info, _ := f.Stat()
	r := bufio.NewReader(f)
	head, _ := r.Peek(64)
	if !(GoBinary{}).WantsStream("usr/local/bin/tool", info.Size(), info.Mode(), head) {
		t.Fatal("an ELF executable is not wanted")
	}
	res := &types.LayerResult{}
	if err := (GoBinary{}).AnalyzeStream("usr/local/bin/tool", info.Size(), r, res); err != nil {
		t.Fatal(err)
	}
	return res
}

func TestRustBinary(t *testing.T) {
	res := streamBinary(t, auditableFixture(t))
	var ids []string
	for _, db := range res.PackageDBs {
		if db.Type != TypeRustBinary {
			t.Errorf("type %s", db.Type)
		}
		for _, p := range db.Packages {
			ids = append(ids, p.ID)
		}
	}
	// Build-time dependencies (cc) are not in the binary.
	if got := strings.Join(ids, ","); got != "smallvec@1.6.0,tool@0.3.0" {
		t.Errorf("packages %s", got)
	}
	// The root crate is the root, as Trivy has it; the others unknown.
	if pkgs := res.PackageDBs[0].Packages; len(pkgs) != 2 || pkgs[0].Relationship != types.RelationshipUnknown || pkgs[1].Relationship != types.RelationshipRoot {
		t.Errorf("relationships: %+v", pkgs)
	}
	// A plain ELF (no .dep-v0): nothing.
	plain, _ := os.Open("/bin/true")
	defer plain.Close()
	pinfo, _ := plain.Stat()
	none := &types.LayerResult{}
	(GoBinary{}).AnalyzeStream("bin/true", pinfo.Size(), plain, none)
	if len(none.PackageDBs) != 0 {
		t.Errorf("plain ELF: %+v", none.PackageDBs)
	}
}
