package vex

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// parseCycloneDX reads a CycloneDX VEX (JSON): each vulnerability's
// analysis is a statement about the components its affects list names.
// A ref is a BOM-Link (urn:cdx:SERIAL/VERSION#BOM-REF) into the SBOM the
// VEX is about, a bom-ref of a component the VEX itself lists, or a
// package URL; each resolves to the package URL it stands for. The
// SBOM's serial number is not checked: an image scan has none to check
// it against, and the package URL the bom-ref carries (as this scanner's
// and Trivy's CycloneDX write them) identifies the package by itself.
// Vulnerabilities take effect in document order.
func parseCycloneDX(data []byte, source string) (*Document, error) {
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(data), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		return nil, fmt.Errorf("bad CycloneDX document: %s", jsonError(data, err))
	}
	if bom.Vulnerabilities == nil {
		return nil, errors.New("a CycloneDX document with no vulnerabilities: not a VEX")
	}
	purls := map[string]string{} // bom-ref -> package URL
	var walk func(cs *[]cdx.Component)
	walk = func(cs *[]cdx.Component) {
		if cs == nil {
			return
		}
		for i := range *cs {
			c := &(*cs)[i]
			if c.BOMRef != "" && c.PackageURL != "" {
				purls[c.BOMRef] = c.PackageURL
			}
			walk(c.Components)
		}
	}
	if bom.Metadata != nil && bom.Metadata.Component != nil {
		walk(&[]cdx.Component{*bom.Metadata.Component})
	}
	walk(bom.Components)

	var stmts []statement
	for i, v := range *bom.Vulnerabilities {
		if v.ID == "" {
			return nil, fmt.Errorf("bad CycloneDX VEX: vulnerability %d has no id", i+1)
		}
		if v.Analysis == nil || v.Affects == nil {
			continue // no statement: nothing to apply
		}
		s := statement{
			vulns:  []string{v.ID},
			status: cdxStatus(v.Analysis.State),
			text:   cmp.Or(string(v.Analysis.Justification), v.Analysis.Detail),
		}
		if s.status == "" {
			if v.Analysis.State == "" {
				continue
			}
			return nil, fmt.Errorf("bad CycloneDX VEX: vulnerability %s has analysis state %q", clip(v.ID), clip(string(v.Analysis.State)))
		}
		if v.References != nil {
			for _, r := range *v.References {
				if r.ID != "" {
					s.vulns = append(s.vulns, r.ID)
				}
			}
		}
		for _, a := range *v.Affects {
			if ids := cdxRefIDs(a.Ref, purls); len(ids) > 0 {
				s.products = append(s.products, product{ids: ids})
			}
		}
		stmts = append(stmts, s)
	}
	return newDocument(source, stmts), nil
}

// cdxRefIDs are the identifiers an affects ref stands for.
func cdxRefIDs(ref string, purls map[string]string) []string {
	if ref == "" {
		return nil
	}
	ids := []string{ref}
	if strings.HasPrefix(ref, "urn:cdx:") {
		// The fragment is the bom-ref, percent-encoded; PathUnescape
		// keeps a "+" (in many versions) a "+".
		if _, frag, ok := strings.Cut(ref, "#"); ok {
			if dec, err := url.PathUnescape(frag); err == nil && dec != "" {
				ids = append(ids, dec)
			}
		}
	}
	for _, id := range ids {
		if p, ok := purls[id]; ok {
			ids = append(ids, p)
			break
		}
	}
	return ids
}

// cdxStatus maps an analysis state to a VEX status as Trivy does: "" for
// a state CycloneDX does not define.
func cdxStatus(s cdx.ImpactAnalysisState) string {
	switch s {
	case cdx.IASNotAffected, cdx.IASFalsePositive:
		return StatusNotAffected
	case cdx.IASResolved, cdx.IASResolvedWithPedigree:
		return StatusFixed
	case cdx.IASExploitable:
		return StatusAffected
	case cdx.IASInTriage:
		return StatusUnderInvestigation
	}
	return ""
}
