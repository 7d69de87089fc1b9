package sbom

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// MaxSize is the largest SBOM read: an image of many thousand packages
// writes a few tens of MiB.
const MaxSize = 512 << 20

// ErrUnknownFormat is returned for input that is no SBOM the scanner reads.
var ErrUnknownFormat = errors.New("not a CycloneDX (JSON or XML) or SPDX (JSON or tag-value) SBOM, nor an in-toto statement carrying one")

// Predicate types of in-toto statements that carry an SBOM.
const (
	PredicateSPDX      = "https://spdx.dev/Document"
	PredicateCycloneDX = "https://cyclonedx.org/bom"
)

// Decode reads one SBOM: CycloneDX JSON or XML, SPDX JSON or tag-value,
// or an in-toto statement (bare, as BuildKit stores it, or in a DSSE
// envelope, as cosign attests it) whose predicate is one of those.
func Decode(r io.Reader) (doc *Document, err error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read SBOM: %w", err)
	}
	if len(data) > MaxSize {
		return nil, fmt.Errorf("SBOM is over %d MiB", MaxSize>>20)
	}
	// The libraries below read documents of any shape; a malformed one
	// must give an error, not take the scan down.
	defer func() {
		if p := recover(); p != nil {
			doc, err = nil, fmt.Errorf("malformed SBOM: %v", p)
		}
	}()
	return decode(data, 0)
}

// decode reads data; depth counts the envelopes already opened.
func decode(data []byte, depth int) (*Document, error) {
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	switch {
	case len(trimmed) == 0:
		return nil, errors.New("empty SBOM")
	case trimmed[0] == '{':
		return decodeJSON(trimmed, depth)
	case trimmed[0] == '<':
		if bytes.Contains(firstBytes(trimmed, 4096), []byte("http://cyclonedx.org/schema/bom")) {
			return decodeCycloneDX(trimmed, cdx.BOMFileFormatXML)
		}
	case bytes.HasPrefix(trimmed, []byte("SPDXVersion:")):
		return decodeSPDX(trimmed, true)
	}
	return nil, ErrUnknownFormat
}

func firstBytes(b []byte, n int) []byte { return b[:min(len(b), n)] }

// sniff is what tells the JSON formats apart.
type sniff struct {
	BOMFormat   string `json:"bomFormat"`
	SPDXVersion string `json:"spdxVersion"`
	// An in-toto statement.
	Type          string          `json:"_type"`
	PredicateType string          `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate"`
	// A DSSE envelope.
	PayloadType string `json:"payloadType"`
	Payload     string `json:"payload"`
}

func decodeJSON(data []byte, depth int) (*Document, error) {
	var s sniff
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnknownFormat, err)
	}
	switch {
	case s.BOMFormat == "CycloneDX":
		return decodeCycloneDX(data, cdx.BOMFileFormatJSON)
	case strings.HasPrefix(s.SPDXVersion, "SPDX-"):
		return decodeSPDX(data, false)
	case depth >= 2:
		return nil, ErrUnknownFormat
	case s.PredicateType != "" && len(s.Predicate) > 0:
		if !IsSBOMPredicate(s.PredicateType) {
			return nil, fmt.Errorf("the in-toto statement's predicate is %s, not an SBOM", s.PredicateType)
		}
		// cosign wraps a CycloneDX predicate in {"Data": ...} in old
		// versions; the document itself is what decode wants.
		pred := s.Predicate
		var wrapped struct {
			Data json.RawMessage `json:"Data"`
		}
		if json.Unmarshal(pred, &wrapped) == nil && len(wrapped.Data) > 0 {
			pred = wrapped.Data
		}
		return decode(pred, depth+1)
	case s.PayloadType != "" && s.Payload != "":
		payload, err := base64.StdEncoding.DecodeString(s.Payload)
		if err != nil {
			return nil, fmt.Errorf("DSSE envelope: payload: %w", err)
		}
		return decode(payload, depth+1)
	}
	return nil, ErrUnknownFormat
}

// IsSBOMPredicate reports whether an in-toto predicate type is an SBOM
// this package reads: SPDX or CycloneDX, with or without a version
// suffix (https://spdx.dev/Document/v2.3).
func IsSBOMPredicate(t string) bool {
	return strings.HasPrefix(t, PredicateSPDX) || strings.HasPrefix(t, PredicateCycloneDX)
}
