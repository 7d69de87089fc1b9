package vex

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// The CSAF 2.0 document, as far as VEX needs it. gocsaf/csaf's model
// package is not used: it imports the library's util package, which
// brings a JSONPath engine, an expression evaluator, an HTTP client and a
// rate limiter into the binary for the handful of fields read here.
type csafDocument struct {
	Document struct {
		Category    string `json:"category"`
		CSAFVersion string `json:"csaf_version"`
	} `json:"document"`
	ProductTree     *csafProductTree    `json:"product_tree"`
	Vulnerabilities []csafVulnerability `json:"vulnerabilities"`
}

type csafProductTree struct {
	Branches         []csafBranch      `json:"branches"`
	FullProductNames []csafProductName `json:"full_product_names"`
	ProductGroups    []struct {
		GroupID    string   `json:"group_id"`
		ProductIDs []string `json:"product_ids"`
	} `json:"product_groups"`
	Relationships []struct {
		Category         string          `json:"category"`
		FullProductName  csafProductName `json:"full_product_name"`
		ProductReference string          `json:"product_reference"`
		RelatesTo        string          `json:"relates_to_product_reference"`
	} `json:"relationships"`
}

type csafBranch struct {
	Branches []csafBranch     `json:"branches"`
	Product  *csafProductName `json:"product"`
}

type csafProductName struct {
	ProductID string `json:"product_id"`
	Helper    *struct {
		PURL  string   `json:"purl"`
		PURLs []string `json:"purls"` // CSAF 2.1
		CPE   string   `json:"cpe"`
	} `json:"product_identification_helper"`
}

type csafVulnerability struct {
	CVE string `json:"cve"`
	IDs []struct {
		Text string `json:"text"`
	} `json:"ids"`
	ProductStatus struct {
		KnownNotAffected []string `json:"known_not_affected"`
		Fixed            []string `json:"fixed"`
		FirstFixed       []string `json:"first_fixed"`
	} `json:"product_status"`
	Flags   []csafRemark `json:"flags"`
	Threats []struct {
		csafRemark
		Category string `json:"category"`
		Details  string `json:"details"`
	} `json:"threats"`
}

// csafRemark is what flags and threats share: the products they are
// about.
type csafRemark struct {
	Label      string   `json:"label"`
	ProductIDs []string `json:"product_ids"`
	GroupIDs   []string `json:"group_ids"`
}

// csafTree resolves product IDs to package URLs.
type csafTree struct {
	purls  map[string][]string // product_id -> package URLs (and CPEs)
	groups map[string][]string // group_id -> product_ids
	// components: product_id -> (product, subcomponent) product IDs, from
	// relationships that put a component into a product.
	components map[string][][2]string
}

// parseCSAF reads a CSAF VEX: the products a vulnerability's
// product_status lists as known_not_affected or fixed are statements,
// each product a package URL from the product tree or, through a
// relationship (default_component_of, installed_on, installed_with), a
// package within a product. The statement text is the product's flag
// (a justification label such as vulnerable_code_not_in_execute_path),
// else its impact threat's details.
func parseCSAF(data []byte, source string) (*Document, error) {
	var doc csafDocument
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("bad CSAF document: %s", jsonError(data, err))
	}
	if doc.Document.CSAFVersion == "" && doc.Document.Category == "" {
		return nil, errors.New("not a VEX document: a \"document\" without csaf_version or category is not CSAF")
	}
	if doc.Vulnerabilities == nil {
		return nil, errors.New("a CSAF document with no vulnerabilities: not a VEX")
	}
	tree := newCSAFTree(doc.ProductTree)
	var stmts []statement
	for _, v := range doc.Vulnerabilities {
		ids := []string{}
		if v.CVE != "" {
			ids = append(ids, v.CVE)
		}
		for _, id := range v.IDs {
			if id.Text != "" {
				ids = append(ids, id.Text)
			}
		}
		if len(ids) == 0 {
			continue
		}
		for _, list := range []struct {
			status   string
			products []string
		}{
			{StatusNotAffected, v.ProductStatus.KnownNotAffected},
			{StatusFixed, slices.Concat(v.ProductStatus.Fixed, v.ProductStatus.FirstFixed)},
		} {
			for _, id := range list.products {
				s := statement{vulns: ids, status: list.status, text: tree.remark(v, id)}
				if p := tree.purls[id]; len(p) > 0 {
					s.products = append(s.products, product{ids: p})
				}
				for _, c := range tree.components[id] {
					prod, sub := tree.purls[c[0]], tree.purls[c[1]]
					if len(prod) > 0 && len(sub) > 0 {
						s.products = append(s.products, product{ids: prod, subs: [][]string{sub}})
					}
				}
				if len(s.products) > 0 {
					stmts = append(stmts, s)
				}
			}
		}
	}
	return newDocument(source, stmts), nil
}

func newCSAFTree(pt *csafProductTree) *csafTree {
	t := &csafTree{purls: map[string][]string{}, groups: map[string][]string{}, components: map[string][][2]string{}}
	if pt == nil {
		return t
	}
	add := func(p *csafProductName) {
		if p == nil || p.ProductID == "" || p.Helper == nil {
			return
		}
		for _, id := range append([]string{p.Helper.PURL, p.Helper.CPE}, p.Helper.PURLs...) {
			if id != "" && !slices.Contains(t.purls[p.ProductID], id) {
				t.purls[p.ProductID] = append(t.purls[p.ProductID], id)
			}
		}
	}
	// Branches nest as deep as the document does; a stack, not recursion.
	stack := slices.Clone(pt.Branches)
	for len(stack) > 0 {
		b := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		add(b.Product)
		stack = append(stack, b.Branches...)
	}
	for i := range pt.FullProductNames {
		add(&pt.FullProductNames[i])
	}
	for _, g := range pt.ProductGroups {
		t.groups[g.GroupID] = append(t.groups[g.GroupID], g.ProductIDs...)
	}
	for i := range pt.Relationships {
		r := &pt.Relationships[i]
		add(&r.FullProductName)
		switch r.Category {
		case "default_component_of", "installed_on", "installed_with":
			if id := r.FullProductName.ProductID; id != "" {
				t.components[id] = append(t.components[id], [2]string{r.RelatesTo, r.ProductReference})
			}
		}
	}
	return t
}

// remark is the statement text for product id: its flag's label, else
// its impact threat's details.
func (t *csafTree) remark(v csafVulnerability, id string) string {
	for _, f := range v.Flags {
		if t.covers(f, id) && f.Label != "" {
			return f.Label
		}
	}
	for _, th := range v.Threats {
		if th.Category == "impact" && t.covers(th.csafRemark, id) {
			if text := cmp.Or(th.Details, th.Label); text != "" {
				return text
			}
		}
	}
	return ""
}

// covers says whether a flag or threat is about product id (one that
// names no product is about every product).
func (t *csafTree) covers(r csafRemark, id string) bool {
	if len(r.ProductIDs) == 0 && len(r.GroupIDs) == 0 {
		return true
	}
	if slices.Contains(r.ProductIDs, id) {
		return true
	}
	for _, g := range r.GroupIDs {
		if slices.Contains(t.groups[g], id) {
			return true
		}
	}
	return false
}
