package report

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/docker-scan/docker-scan/engine/types"
)

// Bounds on one package's tree. The graph comes from the image, and a
// real one is already wide: in a Debian image nearly every package
// depends on libc6, so its reversed tree is the whole image. Each package
// is expanded once per tree (a later occurrence is a leaf marked "see
// above"), a node shows its first maxTreeParents parents, the tree goes
// maxTreeDepth levels deep and prints at most maxTreeLines lines; a tree
// that was cut says so. The JSON report's DependsOn has the whole graph.
const (
	maxTreeParents = 10
	maxTreeDepth   = 12
	maxTreeLines   = 150
	maxTreeIDRunes = 200
)

// dependencyTree prints, under a result's vulnerability table, the chain
// of packages that pull each vulnerable package in (--dependency-tree):
// Trivy's "Dependency Origin Tree (Reversed)", each vulnerable package
// with the packages that depend on it below it, theirs below them, up to
// the packages nothing depends on. Unlike Trivy, which shows the direct
// dependencies of the project and elides the rest, the whole chain is
// drawn: for OS packages (where nothing is "direct") that is the only way
// to see why a library is installed. A result whose packages have no
// dependency data prints nothing, as in Trivy.
func dependencyTree(w io.Writer, res types.Result, opts Options) error {
	parents := parentsOf(res.Packages)
	if len(parents) == 0 {
		return nil
	}
	counts := map[string][]int{} // package ID -> count per severity
	for _, v := range res.Vulnerabilities {
		c := counts[v.PkgID]
		if c == nil {
			c = make([]int, len(types.SeverityNames))
			counts[v.PkgID] = c
		}
		s := types.SeverityUnknown
		if len(v.Severity) <= len("CRITICAL")+2 {
			s, _ = types.ParseSeverity(v.Severity)
		}
		c[s]++
	}
	var roots []string
	for _, p := range res.Packages {
		if counts[p.ID] != nil && !slices.Contains(roots, p.ID) {
			roots = append(roots, p.ID)
		}
	}
	if len(roots) == 0 {
		return nil
	}

	bw := bufio.NewWriter(w)
	title := "Dependency Origin Tree (Reversed)"
	fmt.Fprintf(bw, "\n%s\n%s\n%s\n", title, strings.Repeat("=", len(title)), line(res.Target))
	for i, id := range roots {
		var parts []string
		for s, n := range counts[id] {
			parts = append(parts, fmt.Sprintf("%s: %d", types.SeverityNames[s], n))
		}
		label := fmt.Sprintf("%s, (%s)", treeID(id), strings.Join(parts, ", "))
		if opts.Color {
			label = "\x1b[31m" + label + "\x1b[0m"
		}
		last := i == len(roots)-1
		fmt.Fprintf(bw, "%s%s\n", branch(last), label)
		t := &tree{w: bw, parents: parents, expanded: map[string]bool{id: true}, onPath: map[string]bool{id: true}}
		t.parentsOf(id, indent("", last), 1, maxTreeLines)
		if t.full {
			fmt.Fprintf(bw, "%s… cut at %d lines\n", indent("", last), maxTreeLines)
		}
	}
	return bw.Flush()
}

// parentsOf maps each package ID to the IDs of the packages that depend
// on it, sorted and unique.
func parentsOf(pkgs []types.Package) map[string][]string {
	parents := map[string][]string{}
	for _, p := range pkgs {
		for _, d := range p.DependsOn {
			if d != p.ID {
				parents[d] = append(parents[d], p.ID)
			}
		}
	}
	for id, ps := range parents {
		slices.Sort(ps)
		parents[id] = slices.Compact(ps)
	}
	return parents
}

// tree draws the parents of one vulnerable package, depth first.
type tree struct {
	w        *bufio.Writer
	parents  map[string][]string
	expanded map[string]bool // packages whose parents are drawn already
	onPath   map[string]bool // the chain from the vulnerable package down to here
	lines    int
	full     bool // maxTreeLines were drawn: the rest is left out
}

// print draws one line if fewer than limit lines are drawn; it reports
// whether it did.
func (t *tree) print(prefix string, last bool, text string, limit int) bool {
	if t.lines >= limit {
		t.full = true
		return false
	}
	t.lines++
	fmt.Fprintf(t.w, "%s%s%s\n", prefix, branch(last), text)
	return true
}

// parentsOf draws the packages that depend on id below prefix, in at
// most limit lines of the tree in all. The subtree of each parent leaves
// room for the lines of the parents after it, so that a deep first branch
// does not crowd out its siblings: the packages that depend on the
// vulnerable package directly are always drawn. A parent already on the
// chain is a cycle (libc6 and libgcc-s1 depend on each other): it is left
// out, as Trivy does.
func (t *tree) parentsOf(id, prefix string, depth, limit int) {
	var ps []string
	for _, p := range t.parents[id] {
		if !t.onPath[p] {
			ps = append(ps, p)
		}
	}
	more := 0
	if len(ps) > maxTreeParents {
		ps, more = ps[:maxTreeParents], len(ps)-maxTreeParents
	}
	for i, p := range ps {
		last := i == len(ps)-1 && more == 0
		after := len(ps) - 1 - i // lines kept for the parents after this one
		if more > 0 {
			after++
		}
		switch {
		case t.expanded[p] && len(t.parents[p]) > 0:
			t.print(prefix, last, treeID(p)+" (see above)", limit)
		case depth >= maxTreeDepth && len(t.parents[p]) > 0:
			t.print(prefix, last, treeID(p)+" …", limit)
		default:
			if !t.print(prefix, last, treeID(p), limit) {
				return
			}
			t.expanded[p], t.onPath[p] = true, true
			t.parentsOf(p, indent(prefix, last), depth+1, limit-after)
			delete(t.onPath, p)
		}
	}
	if more > 0 {
		t.print(prefix, true, fmt.Sprintf("… and %d more", more), limit)
	}
}

func branch(last bool) string {
	if last {
		return "└── "
	}
	return "├── "
}

func indent(prefix string, last bool) string {
	if last {
		return prefix + "    "
	}
	return prefix + "│   "
}

// treeID is a package ID as the tree shows it: printable and short.
func treeID(id string) string {
	return printable(truncate(id, maxTreeIDRunes), false)
}
