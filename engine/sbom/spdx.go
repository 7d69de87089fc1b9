package sbom

import (
	"bytes"
	"fmt"
	"strings"

	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx"
	"github.com/spdx/tools-golang/spdx/v2/common"
	"github.com/spdx/tools-golang/tagvalue"
)

// decodeSPDX reads an SPDX 2.x document, JSON or tag-value.
func decodeSPDX(data []byte, tagValue bool) (*Document, error) {
	var (
		doc *spdx.Document
		err error
	)
	if tagValue {
		doc, err = tagvalue.Read(bytes.NewReader(data))
	} else {
		doc, err = spdxjson.Read(bytes.NewReader(data))
	}
	if err != nil {
		return nil, fmt.Errorf("read SPDX: %w", err)
	}
	return spdxDocument(doc), nil
}

// SPDX package IDs as Trivy (and docker scan) prefix them, and the
// package purposes other tools set.
const (
	spdxIDOperatingSystem = "OperatingSystem"
	spdxIDApplication     = "Application"
	purposeOS             = "OPERATING-SYSTEM"
	purposeContainer      = "CONTAINER"
)

func spdxDocument(doc *spdx.Document) *Document {
	b := newBOM()
	var rootID common.ElementID
	files := map[common.ElementID]*spdx.File{}
	for _, f := range doc.Files {
		if f != nil {
			files[f.FileSPDXIdentifier] = f
		}
	}
	// A package's file: a CONTAINS relationship to a file element.
	pkgFile := map[common.ElementID]string{}
	for _, r := range doc.Relationships {
		if r == nil {
			continue
		}
		rel := strings.ToUpper(r.Relationship)
		if r.RefA.ElementRefID == "DOCUMENT" && (rel == common.TypeRelationshipDescribe || rel == "DESCRIBE") && rootID == "" {
			rootID = r.RefB.ElementRefID
		}
		if f := files[r.RefB.ElementRefID]; f != nil && (rel == common.TypeRelationshipContains || rel == "CONTAIN") {
			if _, ok := pkgFile[r.RefA.ElementRefID]; !ok {
				pkgFile[r.RefA.ElementRefID] = f.FileName
			}
		}
	}
	// Tag-value documents list annotations apart, each naming its element.
	annotations := map[common.ElementID][]string{}
	for _, a := range doc.Annotations {
		if a != nil {
			id := a.AnnotationSPDXIdentifier.ElementRefID
			annotations[id] = append(annotations[id], a.AnnotationComment)
		}
	}
	for _, p := range doc.Packages {
		if p == nil {
			continue
		}
		c := spdxComponent(p, annotations[p.PackageSPDXIdentifier])
		id := p.PackageSPDXIdentifier
		c.ref = string(id)
		switch {
		case id == rootID && rootID != "":
			c.kind = kindRoot
		case strings.HasPrefix(string(id), spdxIDOperatingSystem) || p.PrimaryPackagePurpose == purposeOS:
			c.kind = kindOS
		case strings.HasPrefix(string(id), spdxIDApplication) && c.prop(propType) != "":
			c.kind = kindApplication
		case strings.HasPrefix(string(id), spdxIDApplication) && p.PackageSourceInfo != "":
			// Older Trivy: the type as the name, the file as source info.
			c.addProp(propType, c.name)
			c.name, c.kind = p.PackageSourceInfo, kindApplication
		case p.PrimaryPackagePurpose == purposeContainer && c.purl == "":
			c.kind = kindRoot
		}
		if f, ok := pkgFile[id]; ok && c.filePath == "" {
			c.filePath = f
		}
		b.add(c)
	}
	for _, r := range doc.Relationships {
		if r == nil {
			continue
		}
		a, z := string(r.RefA.ElementRefID), string(r.RefB.ElementRefID)
		switch strings.ToUpper(r.Relationship) {
		case common.TypeRelationshipDescribe, "DESCRIBE":
		case common.TypeRelationshipContainedBy, common.TypeRelationshipDependencyOf:
			b.link(z, a)
		default:
			b.link(a, z)
		}
	}
	return b.document(FormatSPDX)
}

// sourcePrefix starts the source info of Trivy's OS packages: "built
// package from: openssl 3.0.11-1~deb12u2".
const sourcePrefix = "built package from: "

func spdxComponent(p *spdx.Package, apart []string) *component {
	c := &component{name: p.PackageName, version: p.PackageVersion}
	for _, ref := range p.PackageExternalReferences {
		if ref != nil && ref.RefType == common.TypePackageManagerPURL && strings.EqualFold(ref.Category, common.CategoryPackageManager) && c.purl == "" {
			c.purl = ref.Locator
		}
	}
	if l := p.PackageLicenseDeclared; l != "" && l != "NONE" && l != "NOASSERTION" {
		c.licenses = []string{l}
	}
	if src, ok := strings.CutPrefix(p.PackageSourceInfo, sourcePrefix); ok {
		c.srcName, c.srcVersion, _ = strings.Cut(strings.TrimSpace(src), " ")
	}
	if len(p.PackageChecksums) > 0 {
		h := p.PackageChecksums[0]
		c.digest = hashName(string(h.Algorithm)) + ":" + h.Value
	}
	// Trivy writes its properties as annotations, "Name: value" (older
	// versions as attribution texts).
	texts := p.PackageAttributionTexts
	if len(p.Annotations) > 0 || len(apart) > 0 {
		texts = apart
		for _, a := range p.Annotations {
			texts = append(texts, a.AnnotationComment)
		}
	}
	for _, t := range texts {
		if k, v, ok := strings.Cut(t, ": "); ok {
			c.addProp(k, v)
		}
	}
	for _, f := range p.Files {
		if f != nil && f.FileName != "" {
			c.filePath = f.FileName
			break
		}
	}
	return c
}
