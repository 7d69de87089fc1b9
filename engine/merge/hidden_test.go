package merge

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
)

// under reports whether p is dir or inside it: the definition the
// deletions tree must agree with.
func under(p, dir string) bool {
	return dir == "" || p == dir || strings.HasPrefix(p, dir+"/")
}

// hiddenByScan is the direct reading of the whiteout rules, quadratic but
// plain: the reference for deletions.hidden.
func hiddenByScan(p string, layer int, layers []*types.LayerResult) bool {
	for _, l := range layers[layer+1:] {
		for _, dir := range l.OpaqueDirs {
			if under(p, dir) && p != dir {
				return true
			}
		}
		for _, f := range l.WhiteoutFiles {
			if under(p, f) {
				return true
			}
		}
	}
	return false
}

func TestDeletionsAgreeWithTheRules(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	parts := []string{"a", "b", "ab", "a.b", "", "c"}
	randPath := func() string {
		n := rng.IntN(4)
		var p []string
		for range n {
			p = append(p, parts[rng.IntN(len(parts))])
		}
		return strings.Join(p, "/")
	}
	for round := range 300 {
		var layers []*types.LayerResult
		for range 1 + rng.IntN(4) {
			l := &types.LayerResult{}
			for range rng.IntN(3) {
				l.WhiteoutFiles = append(l.WhiteoutFiles, randPath())
			}
			for range rng.IntN(2) {
				l.OpaqueDirs = append(l.OpaqueDirs, randPath())
			}
			layers = append(layers, l)
		}
		d := newDeletions()
		for i, l := range layers {
			for _, p := range l.OpaqueDirs {
				d.opaqueDir(p, i)
			}
			for _, p := range l.WhiteoutFiles {
				d.whiteout(p, i)
			}
		}
		for range 20 {
			p, layer := randPath(), rng.IntN(len(layers))
			if got, want := d.hidden(p, layer), hiddenByScan(p, layer, layers); got != want {
				t.Fatalf("round %d: hidden(%q, layer %d) = %v, want %v; layers %s", round, p, layer, got, want, describe(layers))
			}
		}
	}
}

func describe(layers []*types.LayerResult) string {
	var b strings.Builder
	for i, l := range layers {
		fmt.Fprintf(&b, "[%d wh=%q op=%q] ", i, l.WhiteoutFiles, l.OpaqueDirs)
	}
	return b.String()
}

// bombLayers is the merge bomb: a layer of n dpkg .list facts and
// a package DB, then a layer of n whiteouts and n opaque dirs, none of
// which hides a fact.
func bombLayers(n int) []*types.LayerResult {
	l1 := &types.LayerResult{DiffID: "sha256:1"}
	l1.PackageDBs = []types.PackageDB{{FilePath: "var/lib/dpkg/status", Type: "dpkg"}}
	for i := range n {
		name := fmt.Sprintf("pkg%d", i)
		l1.PackageDBs[0].Packages = append(l1.PackageDBs[0].Packages, pkg(name, "1.0"))
		l1.PackageFacts = append(l1.PackageFacts, types.PackageFacts{FilePath: "var/lib/dpkg/info/" + name + ".list", Type: "dpkg", Package: name, InstalledFiles: []string{"usr/share/" + name}})
	}
	l2 := &types.LayerResult{DiffID: "sha256:2"}
	for i := range n {
		l2.WhiteoutFiles = append(l2.WhiteoutFiles, fmt.Sprintf("tmp/w%d", i))
		l2.OpaqueDirs = append(l2.OpaqueDirs, fmt.Sprintf("opt/o%d", i))
	}
	// Hides every other package's .list file.
	for i := 0; i < n; i += 2 {
		l2.WhiteoutFiles = append(l2.WhiteoutFiles, fmt.Sprintf("var/lib/dpkg/info/pkg%d.list", i))
	}
	return []*types.LayerResult{l1, l2}
}

func TestMergeBomb(t *testing.T) {
	const n = 20000
	art := Layers(bombLayers(n))
	if len(art.PackageDBs) != 1 || len(art.PackageDBs[0].Packages) != n {
		t.Fatalf("packages: %+v", len(art.PackageDBs))
	}
	withFiles := 0
	for _, p := range art.PackageDBs[0].Packages {
		if len(p.InstalledFiles) > 0 {
			withFiles++
		}
	}
	if withFiles != n/2 {
		t.Errorf("%d packages kept their files, want %d", withFiles, n/2)
	}
}

func BenchmarkMergeBomb(b *testing.B) {
	layers := bombLayers(20000)
	b.ResetTimer()
	for range b.N {
		Layers(layers)
	}
}
