// Package vex reads VEX documents (OpenVEX, CycloneDX VEX, CSAF VEX) and
// decides which findings their statements suppress: a not_affected or
// fixed statement about a vulnerability, for the package itself or for
// the scanned image (or a package that pulls it in) with the package as a
// subcomponent.
//
// Each format is turned into one statement model when it is read, so
// that matching is written once.
package vex

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

// maxDocumentSize caps what is read of one VEX document: real ones are a
// few megabytes at most. (A variable for the tests.)
var maxDocumentSize = 32 << 20

// Statuses a statement can give.
const (
	StatusNotAffected        = "not_affected"
	StatusFixed              = "fixed"
	StatusAffected           = "affected"
	StatusUnderInvestigation = "under_investigation"
)

// suppresses says whether a status takes a finding out of the report.
func suppresses(status string) bool {
	return status == StatusNotAffected || status == StatusFixed
}

// Document is one VEX document, read into statements.
type Document struct {
	// Source names the document in reports: "OpenVEX file: vex.json".
	Source string
	// statements in the order they take effect: a later one overrides
	// an earlier one about the same vulnerability and product.
	statements []statement
	// byVuln indexes statements by vulnerability ID and alias.
	byVuln map[string][]int
}

// statement is what a document says about one vulnerability.
type statement struct {
	vulns    []string
	products []product
	status   string
	// text is the justification or impact statement, shown with the
	// suppressed finding.
	text string
	// at orders OpenVEX statements by their timestamp.
	at time.Time
}

// product names what a statement is about: identifiers (package URLs,
// IRIs, hashes) and, optionally, the subcomponents it is limited to.
type product struct {
	ids  []string
	subs [][]string
}

func newDocument(source string, stmts []statement) *Document {
	d := &Document{Source: source, statements: stmts, byVuln: map[string][]int{}}
	for i, s := range stmts {
		for _, id := range s.vulns {
			if id == "" {
				continue
			}
			if l := d.byVuln[id]; len(l) == 0 || l[len(l)-1] != i {
				d.byVuln[id] = append(l, i)
			}
		}
	}
	return d
}

// Len is the number of statements the document holds.
func (d *Document) Len() int { return len(d.statements) }

// verdict is the statement that has the last word on vulnerability ids
// for product target, limited to subcomponent sub when sub is not ""
// (nil when no statement applies).
func (d *Document) verdict(ids []string, target, sub string) *statement {
	var idx []int
	for _, id := range ids {
		idx = append(idx, d.byVuln[id]...)
	}
	if len(idx) == 0 {
		return nil
	}
	slices.Sort(idx)
	for i := len(idx) - 1; i >= 0; i-- {
		s := &d.statements[idx[i]]
		if s.about(target, sub) {
			return s
		}
	}
	return nil
}

// about says whether the statement names target (with sub among its
// subcomponents, when it lists any and sub is given).
func (s *statement) about(target, sub string) bool {
	for _, p := range s.products {
		if !matchesAny(p.ids, target) {
			continue
		}
		if len(p.subs) == 0 || sub == "" {
			return true
		}
		for _, ids := range p.subs {
			if matchesAny(ids, sub) {
				return true
			}
		}
	}
	return false
}

func matchesAny(ids []string, target string) bool {
	for _, id := range ids {
		if identifierMatches(id, target) {
			return true
		}
	}
	return false
}

// Load reads the VEX document at path (OpenVEX, CycloneDX VEX or CSAF
// VEX, told apart by their content). Errors name the file.
func Load(path string) (*Document, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("VEX %s: %w", path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, int64(maxDocumentSize)+1))
	if err != nil {
		return nil, fmt.Errorf("VEX %s: %w", path, err)
	}
	if len(data) > maxDocumentSize {
		return nil, fmt.Errorf("VEX %s: larger than %d MiB: not a VEX document", path, maxDocumentSize>>20)
	}
	d, err := Parse(data, path)
	if err != nil {
		return nil, fmt.Errorf("VEX %s: %w", path, err)
	}
	return d, nil
}

// Parse reads one VEX document; name is the file it came from, for the
// document's Source.
func Parse(data []byte, name string) (*Document, error) {
	if len(data) > maxDocumentSize {
		return nil, fmt.Errorf("larger than %d MiB: not a VEX document", maxDocumentSize>>20)
	}
	var probe struct {
		Context       string          `json:"@context"`
		BOMFormat     string          `json:"bomFormat"`
		Document      json.RawMessage `json:"document"`
		Type          string          `json:"_type"`
		PredicateType string          `json:"predicateType"`
		PayloadType   string          `json:"payloadType"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("not a VEX document: %s", jsonError(data, err))
	}
	switch {
	case probe.BOMFormat != "":
		if probe.BOMFormat != "CycloneDX" {
			return nil, fmt.Errorf("bomFormat %q: not a CycloneDX document", clip(probe.BOMFormat))
		}
		return parseCycloneDX(data, "CycloneDX VEX file: "+name)
	case isOpenVEXContext(probe.Context):
		return parseOpenVEX(data, "OpenVEX file: "+name)
	case len(probe.Document) > 0 && !bytes.Equal(probe.Document, []byte("null")):
		return parseCSAF(data, "CSAF VEX file: "+name)
	case probe.Type != "" || probe.PayloadType != "":
		// An attestation saved to a file: the OpenVEX document it carries.
		doc, err := openVEXAttestation(data, "OpenVEX attestation file: "+name)
		if err != nil {
			return nil, err
		}
		if doc == nil {
			return nil, errors.New("an attestation whose predicate is not OpenVEX")
		}
		return doc, nil
	case probe.Context != "":
		return nil, fmt.Errorf("@context %q is not OpenVEX's (https://openvex.dev/ns)", clip(probe.Context))
	}
	return nil, errors.New("not a VEX document: want OpenVEX, CycloneDX VEX or CSAF VEX (JSON)")
}

// jsonError words a decoding error with where it happened.
func jsonError(data []byte, err error) string {
	if len(bytes.TrimSpace(data)) == 0 {
		return "empty file"
	}
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Sprintf("invalid JSON at byte %d: %v", syn.Offset, err)
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		field := typ.Field
		if field == "" {
			field = "the document"
		}
		return fmt.Sprintf("%s: want %s, got %s", clip(field), typ.Type, typ.Value)
	}
	return err.Error()
}

// clip keeps a value from a hostile document short in an error.
func clip(s string) string {
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return strings.ToValidUTF8(s, "?")
}
