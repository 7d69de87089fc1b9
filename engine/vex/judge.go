package vex

import (
	"github.com/docker-scan/docker-scan/engine/types"
)

// Set is the VEX documents of a scan (each --vex), consulted in order: a
// finding is suppressed when any of them suppresses it.
type Set struct {
	Docs []*Document
}

// LoadFiles reads each VEX document.
func LoadFiles(paths []string) (*Set, error) {
	s := &Set{}
	for _, p := range paths {
		d, err := Load(p)
		if err != nil {
			return nil, err
		}
		s.Docs = append(s.Docs, d)
	}
	return s, nil
}

// Judge returns the judge of result res's findings in the image md
// describes (policy.VEX). A finding is suppressed when a statement gives
// not_affected or fixed for its vulnerability (by ID or alias) and
//   - names the finding's package as the product, or
//   - names the image (its pkg:oci package URL) as the product, with the
//     package among its subcomponents or no subcomponents at all, or
//   - names packages that depend on the finding's package in the same
//     way, so that every chain of dependencies from the image down to
//     the package passes one of them (when the result lists its
//     packages with their dependencies).
func (s *Set) Judge(md types.Metadata, res *types.Result) func(types.DetectedVulnerability) (types.ModifiedFinding, bool) {
	if s == nil || len(s.Docs) == 0 {
		return func(types.DetectedVulnerability) (types.ModifiedFinding, bool) { return types.ModifiedFinding{}, false }
	}
	j := &judge{docs: s.Docs, image: md.ImagePURL(), graph: newGraph(res.Packages)}
	return j.decide
}

type judge struct {
	docs  []*Document
	image string
	graph *graph
}

// verdict is the first document's suppressing statement about target
// (with sub as its subcomponent when sub is not "").
func (j *judge) verdict(ids []string, target, sub string) (*statement, *Document) {
	if target == "" {
		return nil, nil
	}
	for _, d := range j.docs {
		if st := d.verdict(ids, target, sub); st != nil && suppresses(st.status) {
			return st, d
		}
	}
	return nil, nil
}

// mentions says whether any document has a statement about ids.
func (j *judge) mentions(ids []string) bool {
	for _, d := range j.docs {
		for _, id := range ids {
			if len(d.byVuln[id]) > 0 {
				return true
			}
		}
	}
	return false
}

func (j *judge) decide(v types.DetectedVulnerability) (types.ModifiedFinding, bool) {
	leaf := v.PkgIdentifier.PURL
	if leaf == "" {
		return types.ModifiedFinding{}, false
	}
	ids := append([]string{v.VulnerabilityID}, v.VendorIDs...)
	found := func(st *statement, d *Document) (types.ModifiedFinding, bool) {
		return types.ModifiedFinding{Type: "vulnerability", Status: st.status, Statement: st.text, Source: d.Source, Finding: v}, true
	}
	if st, d := j.verdict(ids, leaf, ""); st != nil {
		return found(st, d)
	}
	if st, d := j.verdict(ids, j.image, leaf); st != nil {
		return found(st, d)
	}
	if !j.mentions(ids) {
		return types.ModifiedFinding{}, false
	}
	node, ok := j.graph.find(v)
	if !ok {
		return types.ModifiedFinding{}, false
	}
	ancestors := j.graph.ancestors(node)
	blocked := map[int]bool{}
	var first struct {
		st *statement
		d  *Document
	}
	for _, a := range ancestors {
		if a == node {
			continue
		}
		if st, d := j.verdict(ids, j.graph.pkgs[a].Identifier.PURL, leaf); st != nil {
			blocked[a] = true
			if first.st == nil {
				first.st, first.d = st, d
			}
		}
	}
	if len(blocked) == 0 || j.graph.reachable(node, ancestors, blocked) {
		return types.ModifiedFinding{}, false
	}
	return found(first.st, first.d)
}

// graph is a result's packages and who depends on whom.
type graph struct {
	pkgs    []types.Package
	byUID   map[string]int
	byID    map[string]int
	parents [][]int // parents[i]: the packages that depend on package i
}

func newGraph(pkgs []types.Package) *graph {
	g := &graph{pkgs: pkgs, byUID: map[string]int{}, byID: map[string]int{}, parents: make([][]int, len(pkgs))}
	for i, p := range pkgs {
		if p.Identifier.UID != "" {
			g.byUID[p.Identifier.UID] = i
		}
		if p.ID != "" {
			if _, dup := g.byID[p.ID]; !dup {
				g.byID[p.ID] = i
			}
		}
	}
	for i, p := range pkgs {
		for _, dep := range p.DependsOn {
			if c, ok := g.byID[dep]; ok && c != i {
				g.parents[c] = append(g.parents[c], i)
			}
		}
	}
	return g
}

// find is the package a finding is about.
func (g *graph) find(v types.DetectedVulnerability) (int, bool) {
	if i, ok := g.byUID[v.PkgIdentifier.UID]; ok && v.PkgIdentifier.UID != "" {
		return i, true
	}
	if i, ok := g.byID[v.PkgID]; ok && v.PkgID != "" && g.pkgs[i].Name == v.PkgName {
		return i, true
	}
	return 0, false
}

// ancestors are node and every package that depends on it, directly or
// not, in breadth-first order.
func (g *graph) ancestors(node int) []int {
	seen := map[int]bool{node: true}
	out := []int{node}
	for i := 0; i < len(out); i++ {
		for _, p := range g.parents[out[i]] {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// reachable says whether some chain from the image (through a package
// nothing depends on) reaches node without passing a blocked package.
// Packages in a dependency cycle that no top-level package reaches are
// taken as reachable from the image, so that a broken graph never
// suppresses a finding by accident.
func (g *graph) reachable(node int, ancestors []int, blocked map[int]bool) bool {
	in := make(map[int]bool, len(ancestors))
	for _, a := range ancestors {
		in[a] = true
	}
	children := map[int][]int{}
	for _, a := range ancestors {
		for _, p := range g.parents[a] {
			children[p] = append(children[p], a)
		}
	}
	walk := func(starts []int, avoid map[int]bool) map[int]bool {
		seen := map[int]bool{}
		queue := []int{}
		for _, s := range starts {
			if !avoid[s] && !seen[s] {
				seen[s] = true
				queue = append(queue, s)
			}
		}
		for len(queue) > 0 {
			n := queue[0]
			queue = queue[1:]
			for _, c := range children[n] {
				if in[c] && !avoid[c] && !seen[c] {
					seen[c] = true
					queue = append(queue, c)
				}
			}
		}
		return seen
	}
	var tops []int
	for _, a := range ancestors {
		if len(g.parents[a]) == 0 {
			tops = append(tops, a)
		}
	}
	// What the image reaches when nothing blocks: every ancestor, unless
	// cycles hide some; those count as top-level too.
	all := walk(tops, nil)
	for _, a := range ancestors {
		if !all[a] {
			tops = append(tops, a)
		}
	}
	return walk(tops, blocked)[node]
}
