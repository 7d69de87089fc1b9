// Package sbom reads software bills of materials (CycloneDX JSON and XML,
// SPDX JSON and tag-value, bare or wrapped in an in-toto statement as
// BuildKit and cosign attach them) into the scanner's own model: the OS and
// its packages, and language packages grouped per file, as an image
// analysis would have found them. It reads the SBOMs docker scan and Trivy
// write (their aquasecurity:trivy:* properties say everything) and other
// tools' (Syft's), where the package URL says the rest.
package sbom

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/docker-scan/docker-scan/engine/families"
	"github.com/docker-scan/docker-scan/engine/types"
)

// Formats of a Document.
const (
	FormatCycloneDX = "cyclonedx"
	FormatSPDX      = "spdx"
)

// Document is what a scan needs of an SBOM.
type Document struct {
	// Format is FormatCycloneDX or FormatSPDX, the report's ArtifactType.
	Format string
	// OS is the operating system the SBOM names, from its OS component or
	// the distro qualifier of its OS packages' PURLs.
	OS types.OS
	// PackageDBs hold the packages: the OS packages in one database, the
	// language packages in one per file they were found in.
	PackageDBs []types.PackageDB
	// Metadata is what the SBOM says of the image it describes (ID,
	// diffIDs, tags, digests, reference, size).
	Metadata types.Metadata
	// Skipped counts the components left out: no PURL, or a PURL type
	// the scanner has no package type for.
	Skipped int
}

// componentKind is what a component stands for.
type componentKind int

const (
	kindLibrary componentKind = iota
	kindOS
	kindApplication
	// kindRoot is the component the document describes (the image).
	kindRoot
)

// component is one CycloneDX component or SPDX package, in the terms
// both formats share.
type component struct {
	ref     string
	kind    componentKind
	name    string
	group   string
	version string
	purl    string
	// props are the properties under Trivy's names without the
	// aquasecurity:trivy: prefix (PkgID, PkgType, SrcName, ...), and
	// Syft's under theirs; several values per name keep their order.
	props    map[string][]string
	licenses []string
	// digest is the package's own checksum, "<algorithm>:<hex>".
	digest string
	// filePath is where the package was found (a file component or
	// evidence), when the properties do not say.
	filePath string
	// srcName and srcVersion come from SPDX's "built package from" source
	// info.
	srcName, srcVersion string
}

func (c *component) prop(name string) string {
	if v := c.props[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (c *component) addProp(name, value string) {
	if c.props == nil {
		c.props = map[string][]string{}
	}
	c.props[name] = append(c.props[name], value)
}

// bom is a document's components and the edges between them (contains
// and depends-on alike: both say "below").
type bom struct {
	components []*component
	byRef      map[string]*component
	children   map[string][]string
}

func newBOM() *bom {
	return &bom{byRef: map[string]*component{}, children: map[string][]string{}}
}

func (b *bom) add(c *component) {
	if c.ref == "" || b.byRef[c.ref] != nil {
		// A component without a reference (or a duplicate) still counts,
		// under a reference of its own.
		c.ref = "\x00" + strconv.Itoa(len(b.components))
		for b.byRef[c.ref] != nil {
			c.ref += "\x00"
		}
	}
	b.components = append(b.components, c)
	b.byRef[c.ref] = c
}

func (b *bom) link(parent, child string) {
	if parent == child || !slices.Contains(b.children[parent], child) {
		b.children[parent] = append(b.children[parent], child)
	}
}

// tracePrefix is how Trivy's CycloneDX properties start.
const tracePrefix = "aquasecurity:trivy:"

// Trivy's property names (without the prefix).
const (
	propPkgID           = "PkgID"
	propPkgType         = "PkgType"
	propType            = "Type"
	propSrcName         = "SrcName"
	propSrcVersion      = "SrcVersion"
	propSrcRelease      = "SrcRelease"
	propSrcEpoch        = "SrcEpoch"
	propModularitylabel = "Modularitylabel"
	propFilePath        = "FilePath"
	propLayerDigest     = "LayerDigest"
	propLayerDiffID     = "LayerDiffID"
	propImageID         = "ImageID"
	propDiffID          = "DiffID"
	propRepoTag         = "RepoTag"
	propRepoDigest      = "RepoDigest"
	propReference       = "Reference"
	propSize            = "Size"
	// Syft's: the package type and the first file it was read from.
	propSyftType     = "syft:package:type"
	propSyftLocation = "syft:location:0:path"
	propSyftLayerID  = "syft:location:0:layerID"
)

// document turns the components into packages.
func (b *bom) document(format string) *Document {
	doc := &Document{Format: format}
	var root *component
	for _, c := range b.components {
		switch {
		case c.kind == kindRoot && root == nil:
			root = c
		case c.kind == kindOS && !doc.OS.Detected():
			doc.OS = osOf(c.name, c.version)
		}
	}
	if root != nil {
		doc.Metadata = metadataOf(root)
	}
	// Each package's application: the nearest one above it, walking down
	// from every application in document order.
	appOf := map[string]*component{}
	for _, c := range b.components {
		if c.kind == kindApplication {
			b.walk(c.ref, func(ref string) bool {
				if d := b.byRef[ref]; d == nil || d.kind != kindLibrary || appOf[ref] != nil {
					return false
				}
				appOf[ref] = c
				return true
			})
		}
	}
	pkgs := map[string]*types.Package{} // by ref
	var osPkgs []*types.Package
	osType := ""
	type dbKey struct{ typ, path string }
	langDBs := map[dbKey][]*types.Package{}
	var keys []dbKey
	for _, c := range b.components {
		if c.kind != kindLibrary {
			continue
		}
		p, class, ok := packageOf(c)
		if !ok {
			doc.Skipped++
			continue
		}
		pkgs[c.ref] = p
		if class.os {
			// One OS has one package manager: packages of another (an
			// rpm listed beside dpkg's) are left out, as Trivy refuses
			// such documents.
			if osType != "" && class.typ != osType {
				doc.Skipped++
				delete(pkgs, c.ref)
				continue
			}
			osType = class.typ
			osPkgs = append(osPkgs, p)
			if !doc.OS.Detected() {
				doc.OS = class.distro
			}
			continue
		}
		path := p.FilePath
		// Trivy names the application of an ecosystem whose packages it
		// reports together after the ecosystem ("Node.js"): no file.
		if app := appOf[c.ref]; app != nil && (path == "" || class.perFile) && app.name != ecosystemTarget(class.typ) {
			path = app.name
		}
		p.FilePath = path
		k := dbKey{class.typ, path}
		if _, seen := langDBs[k]; !seen {
			keys = append(keys, k)
		}
		langDBs[k] = append(langDBs[k], p)
	}
	// Dependencies between packages, by package ID.
	for ref, p := range pkgs {
		for _, child := range b.children[ref] {
			if d, ok := pkgs[child]; ok && d.ID != p.ID && !slices.Contains(p.DependsOn, d.ID) {
				p.DependsOn = append(p.DependsOn, d.ID)
			}
		}
		slices.Sort(p.DependsOn)
	}
	if len(osPkgs) > 0 {
		doc.PackageDBs = append(doc.PackageDBs, types.PackageDB{Type: osType, Packages: values(osPkgs)})
	}
	slices.SortFunc(keys, func(a, b dbKey) int { return cmp.Or(cmp.Compare(a.typ, b.typ), cmp.Compare(a.path, b.path)) })
	for _, k := range keys {
		doc.PackageDBs = append(doc.PackageDBs, types.PackageDB{Type: k.typ, FilePath: k.path, Packages: values(langDBs[k])})
	}
	return doc
}

// walk visits what lies below ref, breadth first, each component once;
// visit says whether to go on below the one it was given.
func (b *bom) walk(ref string, visit func(ref string) bool) {
	seen := map[string]bool{ref: true}
	queue := []string{ref}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, child := range b.children[cur] {
			if seen[child] {
				continue
			}
			seen[child] = true
			if visit(child) {
				queue = append(queue, child)
			}
		}
	}
}

func values(ps []*types.Package) []types.Package {
	out := make([]types.Package, 0, len(ps))
	for _, p := range ps {
		out = append(out, *p)
	}
	return out
}

// metadataOf reads the image facts Trivy writes on the root component.
func metadataOf(root *component) types.Metadata {
	m := types.Metadata{
		ImageID:     root.prop(propImageID),
		DiffIDs:     root.props[propDiffID],
		RepoTags:    root.props[propRepoTag],
		RepoDigests: root.props[propRepoDigest],
		Reference:   root.prop(propReference),
	}
	if n, ok := parseInt(root.prop(propSize)); ok {
		m.Size = int64(n)
	}
	return m
}

// cleanPath is a file path as reports give it: relative to the image root.
func cleanPath(p string) string { return strings.TrimLeft(p, "/") }

func ecosystemTarget(typ string) string {
	eco, _ := families.EcosystemByType(typ)
	return eco.Target
}
