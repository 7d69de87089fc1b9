package sbom

import (
	"bytes"
	"fmt"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// decodeCycloneDX reads a CycloneDX document, JSON or XML.
func decodeCycloneDX(data []byte, format cdx.BOMFileFormat) (*Document, error) {
	var doc cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(data), format).Decode(&doc); err != nil {
		return nil, fmt.Errorf("read CycloneDX: %w", err)
	}
	b := newBOM()
	if doc.Metadata != nil && doc.Metadata.Component != nil {
		addCDXComponent(b, "", *doc.Metadata.Component, true, 0)
	}
	if doc.Components != nil {
		for _, c := range *doc.Components {
			addCDXComponent(b, "", c, false, 0)
		}
	}
	if doc.Dependencies != nil {
		for _, d := range *doc.Dependencies {
			if d.Dependencies == nil {
				continue
			}
			for _, child := range *d.Dependencies {
				b.link(d.Ref, child)
			}
		}
	}
	return b.document(FormatCycloneDX), nil
}

// maxNesting bounds how deep nested components are read.
const maxNesting = 32

// addCDXComponent adds a component and those nested in it (Syft and
// older Trivy nest a jar's packages in it), linked below their parent.
func addCDXComponent(b *bom, parent string, c cdx.Component, root bool, depth int) {
	comp := &component{ref: c.BOMRef, name: c.Name, group: c.Group, version: c.Version, purl: c.PackageURL}
	if c.Properties != nil {
		for _, p := range *c.Properties {
			name := p.Name
			if trimmed, ok := strings.CutPrefix(name, tracePrefix); ok {
				name = trimmed
			}
			comp.addProp(name, p.Value)
		}
	}
	if c.Licenses != nil {
		for _, l := range *c.Licenses {
			switch {
			case l.Expression != "":
				comp.licenses = append(comp.licenses, l.Expression)
			case l.License != nil && l.License.ID != "":
				comp.licenses = append(comp.licenses, l.License.ID)
			case l.License != nil && l.License.Name != "":
				comp.licenses = append(comp.licenses, l.License.Name)
			}
		}
	}
	if c.Hashes != nil && len(*c.Hashes) > 0 {
		h := (*c.Hashes)[0]
		comp.digest = hashName(string(h.Algorithm)) + ":" + h.Value
	}
	if c.Evidence != nil && c.Evidence.Occurrences != nil && len(*c.Evidence.Occurrences) > 0 {
		comp.filePath = (*c.Evidence.Occurrences)[0].Location
	}
	switch {
	case root:
		comp.kind = kindRoot
	case c.Type == cdx.ComponentTypeOS:
		comp.kind = kindOS
	case c.Type == cdx.ComponentTypeApplication && comp.prop(propType) != "":
		// Trivy's application: a lock file or binary and its packages.
		comp.kind = kindApplication
	case c.Type == cdx.ComponentTypeContainer && comp.purl == "":
		comp.kind = kindRoot
	default:
		comp.kind = kindLibrary
	}
	b.add(comp)
	if parent != "" {
		b.link(parent, comp.ref)
	}
	if c.Components == nil || depth >= maxNesting {
		return
	}
	for _, nested := range *c.Components {
		addCDXComponent(b, comp.ref, nested, false, depth+1)
	}
}

// hashName is a CycloneDX hash algorithm as package digests name it
// ("SHA-256" -> "sha256").
func hashName(alg string) string {
	return strings.ToLower(strings.ReplaceAll(alg, "-", ""))
}
