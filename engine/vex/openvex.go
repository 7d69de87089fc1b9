package vex

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	openvex "github.com/openvex/go-vex/pkg/vex"
)

// isOpenVEXContext says whether a JSON-LD @context (or an in-toto
// predicate type) is OpenVEX's: the namespace, bare or versioned
// ("https://openvex.dev/ns/v0.2.0").
func isOpenVEXContext(s string) bool {
	return s == openvex.TypeURI || strings.HasPrefix(s, openvex.TypeURI+"/")
}

// parseOpenVEX reads an OpenVEX document. Its statements take effect in
// the order of their timestamps (a statement without one has the
// document's), and in document order when the times are equal: the
// later statement about a vulnerability and product has the last word.
func parseOpenVEX(data []byte, source string) (*Document, error) {
	var doc openvex.VEX
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("bad OpenVEX document: %s", jsonError(data, err))
	}
	return fromOpenVEX(&doc, source)
}

func fromOpenVEX(doc *openvex.VEX, source string) (*Document, error) {
	var docTime time.Time
	if doc.Timestamp != nil {
		docTime = *doc.Timestamp
	}
	stmts := make([]statement, 0, len(doc.Statements))
	for i, st := range doc.Statements {
		status := string(st.Status)
		switch status {
		case StatusNotAffected, StatusFixed, StatusAffected, StatusUnderInvestigation:
		default:
			return nil, fmt.Errorf("bad OpenVEX document: statement %d has status %q (want not_affected, affected, fixed or under_investigation)", i+1, clip(status))
		}
		s := statement{
			vulns:  vulnIDs(st.Vulnerability),
			status: status,
			text:   cmp.Or(string(st.Justification), st.ImpactStatement, st.StatusNotes),
			at:     docTime,
		}
		if st.Timestamp != nil && !st.Timestamp.IsZero() {
			s.at = *st.Timestamp
		}
		if len(s.vulns) == 0 {
			return nil, fmt.Errorf("bad OpenVEX document: statement %d names no vulnerability", i+1)
		}
		for _, p := range st.Products {
			prod := product{ids: componentIDs(p.Component)}
			for _, sub := range p.Subcomponents {
				if ids := componentIDs(sub.Component); len(ids) > 0 {
					prod.subs = append(prod.subs, ids)
				}
			}
			s.products = append(s.products, prod)
		}
		stmts = append(stmts, s)
	}
	slices.SortStableFunc(stmts, func(a, b statement) int { return a.at.Compare(b.at) })
	return newDocument(source, stmts), nil
}

func vulnIDs(v openvex.Vulnerability) []string {
	var ids []string
	for _, id := range append([]string{string(v.Name), v.ID}, aliases(v.Aliases)...) {
		if id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids
}

func aliases(a []openvex.VulnerabilityID) []string {
	out := make([]string, len(a))
	for i, id := range a {
		out[i] = string(id)
	}
	return out
}

// componentIDs are every identifier of an OpenVEX component: its @id,
// its identifiers (purl, cpe) and its hashes.
func componentIDs(c openvex.Component) []string {
	var ids []string
	if c.ID != "" {
		ids = append(ids, c.ID)
	}
	// Map order is random: sorted, so that matching is the same each run.
	var more []string
	for _, id := range c.Identifiers {
		more = append(more, id)
	}
	for _, h := range c.Hashes {
		more = append(more, string(h))
	}
	slices.Sort(more)
	for _, id := range more {
		if id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}
