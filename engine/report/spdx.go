package report

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx/v2/common"
	"github.com/spdx/tools-golang/spdx/v2/v2_3"
	"github.com/spdx/tools-golang/tagvalue"

	"github.com/docker-scan/docker-scan/engine/families"
	"github.com/docker-scan/docker-scan/engine/types"
)

// SPDX 2.3 documents, JSON (--format spdx-json) and tag-value (--format
// spdx), in the shape Trivy writes them, so that Trivy reads ours and our
// SBOM reader reads Trivy's:
//
//	DOCUMENT DESCRIBES the image (CONTAINER, its pkg:oci PURL)
//	  image CONTAINS the OS (OPERATING-SYSTEM) and each language target (APPLICATION)
//	    OS / application CONTAINS each of its packages (LIBRARY)
//	      package DEPENDS_ON the packages its DependsOn names
//
// The kind of an element is also the start of its SPDXID (ContainerImage-,
// OperatingSystem-, Application-, Package-), which is how Trivy tells them
// apart; the rest is a hash of what identifies the element, so the same
// image gives the same ids in every run while the document namespace is
// new each time. What SPDX has no field for (the package's ID, type, layer,
// the image's ID and tags) is kept, as Trivy keeps it, in annotations whose
// comment is "Key: value" with Trivy's keys.
//
// Unlike Trivy, every package is CONTAINed by its OS or application, not
// only those no other package depends on: which packages make up the OS is
// then one relationship away whatever the dependency graph holds.

const (
	spdxNoAssertion = "NOASSERTION"
	spdxNone        = "NONE"
	// spdxNamespaceBase starts every document namespace: a URI that names
	// docker scan's documents and is never fetched.
	spdxNamespaceBase = "https://docker-scan.invalid/spdx"
	spdxDocumentID    = "DOCUMENT"
	// The kinds of elements, as SPDXID prefixes (Trivy's).
	spdxElemImage   = "ContainerImage"
	spdxElemOS      = "OperatingSystem"
	spdxElemApp     = "Application"
	spdxElemPackage = "Package"
	// spdxElemProject is the compose project a stack document describes.
	spdxElemProject = "ComposeProject"
	// Trivy's prefixes of sourceInfo, which it reads back.
	spdxSourcePackagePrefix = "built package from: "
	spdxSourceFilePrefix    = "package found in: "
	// maxSPDXText bounds one value copied from the image into the
	// document (a name, a version, an annotation); the JSON report has
	// them whole.
	maxSPDXText = 4096
	// maxSPDXLicenseText bounds a licence text kept in the document.
	maxSPDXLicenseText = 32 << 10
)

func writeSPDXJSON(w io.Writer, r *types.Report, opts Options) error {
	return writeSPDXDocument(w, imageSPDX(r, opts), false)
}

func writeSPDXTagValue(w io.Writer, r *types.Report, opts Options) error {
	return writeSPDXDocument(w, imageSPDX(r, opts), true)
}

func writeStackSPDXJSON(w io.Writer, r *types.StackReport, opts Options) error {
	return writeSPDXDocument(w, stackSPDX(r, opts), false)
}

func writeStackSPDXTagValue(w io.Writer, r *types.StackReport, opts Options) error {
	return writeSPDXDocument(w, stackSPDX(r, opts), true)
}

func writeSPDXDocument(w io.Writer, doc *v2_3.Document, tagValue bool) error {
	if tagValue {
		return tagvalue.Write(spdxTagValueForm(doc), w)
	}
	return spdxjson.Write(doc, w, spdxjson.Indent("  "), spdxjson.EscapeHTML(false))
}

// spdxTagValueForm moves the packages' annotations to the document, each
// naming its package (SPDXREF): tag-value has no annotations inside a
// package, and tools-golang's writer would drop them.
func spdxTagValueForm(doc *v2_3.Document) *v2_3.Document {
	out := *doc
	out.Packages = make([]*v2_3.Package, len(doc.Packages))
	out.Annotations = slices.Clone(doc.Annotations)
	for i, p := range doc.Packages {
		cp := *p
		for _, a := range p.Annotations {
			a.AnnotationSPDXIdentifier = common.MakeDocElementID("", string(p.PackageSPDXIdentifier))
			out.Annotations = append(out.Annotations, &a)
		}
		cp.Annotations = nil
		out.Packages[i] = &cp
	}
	return &out
}

// imageSPDX is the document of one image's report.
func imageSPDX(r *types.Report, opts Options) *v2_3.Document {
	b := newSPDXBuilder(opts)
	root := b.addImage(r, "image\x00"+r.ArtifactName, nil)
	b.relate(spdxDocumentID, root, common.TypeRelationshipDescribe)
	kind := r.ArtifactType
	if kind == "" {
		kind = types.ArtifactTypeContainerImage
	}
	return b.document(r.ArtifactName, kind)
}

// stackSPDX is the document of a compose project: it DESCRIBES the
// project (an APPLICATION made of containers), which CONTAINS each
// distinct image the services run, each with its OS, applications and
// packages as in an image's document and an annotation per service that
// runs it. An image shared by services appears once; services whose image
// was missing or failed to scan have no image to list.
func stackSPDX(r *types.StackReport, opts Options) *v2_3.Document {
	b := newSPDXBuilder(opts)
	name := spdxText(r.ProjectName)
	if name == "" {
		name = "compose-project"
	}
	var notes []v2_3.Annotation
	for _, f := range r.ConfigFiles {
		notes = b.annotate(notes, "ConfigFile", f)
	}
	project := &v2_3.Package{
		PackageName:             name,
		PackageSPDXIdentifier:   b.newID(spdxElemProject, "project", name),
		PackageDownloadLocation: spdxNone,
		PackageLicenseConcluded: spdxNoAssertion,
		PackageLicenseDeclared:  spdxNoAssertion,
		PrimaryPackagePurpose:   "APPLICATION",
		Annotations:             notes,
	}
	b.add(project)
	b.relate(spdxDocumentID, project.PackageSPDXIdentifier, common.TypeRelationshipDescribe)

	services := map[string][]string{} // image reference -> services
	for svc, res := range r.Services {
		services[res.Image] = append(services[res.Image], svc)
	}
	refs := make([]string, 0, len(r.Images))
	for ref := range r.Images {
		refs = append(refs, ref)
	}
	slices.Sort(refs)
	for _, ref := range refs {
		rep := r.Images[ref]
		if rep == nil {
			continue
		}
		slices.Sort(services[ref])
		var extra []v2_3.Annotation
		for _, svc := range services[ref] {
			extra = b.annotate(extra, "ComposeService", svc)
		}
		img := b.addImage(rep, "image\x00"+ref, extra)
		b.relate(project.PackageSPDXIdentifier, img, common.TypeRelationshipContains)
	}
	return b.document(name, "compose_project")
}

// spdxBuilder gathers one document's elements.
type spdxBuilder struct {
	created  string
	tool     string // "docker-scan-<version>"
	packages []*v2_3.Package
	rels     []*v2_3.Relationship
	used     map[common.ElementID]bool
	licenses *spdxLicenses
}

func newSPDXBuilder(opts Options) *spdxBuilder {
	version := opts.ToolVersion
	if version == "" {
		version = "dev"
	}
	return &spdxBuilder{
		created:  opts.now().UTC().Truncate(time.Second).Format(time.RFC3339),
		tool:     "docker-scan-" + spdxAgent(version),
		used:     map[common.ElementID]bool{},
		licenses: newSPDXLicenses(),
	}
}

// document is the whole: a namespace no other run shares (a random UUID
// under the artifact's kind and name).
func (b *spdxBuilder) document(name, kind string) *v2_3.Document {
	name = spdxText(name)
	if name == "" {
		name = "unknown"
	}
	var others []*v2_3.OtherLicense
	if len(b.licenses.refs) > 0 {
		others = b.licenses.refs
	}
	return &v2_3.Document{
		SPDXVersion:       v2_3.Version,
		DataLicense:       v2_3.DataLicense,
		SPDXIdentifier:    spdxDocumentID,
		DocumentName:      name,
		DocumentNamespace: spdxNamespaceBase + "/" + url.PathEscape(kind) + "/" + url.PathEscape(name) + "-" + randomUUID(),
		CreationInfo: &v2_3.CreationInfo{
			Creators: []common.Creator{{CreatorType: "Tool", Creator: b.tool}},
			Created:  b.created,
		},
		Packages:      b.packages,
		OtherLicenses: others,
		Relationships: b.rels,
	}
}

// newID is a unique SPDXID for an element of this kind, from the hash of
// what identifies it (stable across runs); a second element with the same
// identity gets a numbered one.
func (b *spdxBuilder) newID(kind string, identity ...string) common.ElementID {
	h := sha256.New()
	for _, part := range identity {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	base := kind + "-" + hex.EncodeToString(h.Sum(nil)[:8])
	id := common.ElementID(base)
	for n := 2; b.used[id]; n++ {
		id = common.ElementID(base + "-" + strconv.Itoa(n))
	}
	b.used[id] = true
	return id
}

func (b *spdxBuilder) add(p *v2_3.Package) { b.packages = append(b.packages, p) }

func (b *spdxBuilder) relate(from, to common.ElementID, typ string) {
	b.rels = append(b.rels, &v2_3.Relationship{
		RefA:         common.MakeDocElementID("", string(from)),
		RefB:         common.MakeDocElementID("", string(to)),
		Relationship: typ,
	})
}

// annotate adds "key: value" (Trivy's form of a property) when value is
// set.
func (b *spdxBuilder) annotate(notes []v2_3.Annotation, key, value string) []v2_3.Annotation {
	value = spdxText(value)
	if value == "" {
		return notes
	}
	return append(notes, v2_3.Annotation{
		Annotator:         common.Annotator{AnnotatorType: "Tool", Annotator: b.tool},
		AnnotationDate:    b.created,
		AnnotationType:    "OTHER",
		AnnotationComment: key + ": " + value,
	})
}

// addImage adds the image of report r, its OS and applications and their
// packages, and returns the image's id. seed sets the image apart from the
// other images of the document.
func (b *spdxBuilder) addImage(r *types.Report, seed string, extra []v2_3.Annotation) common.ElementID {
	elem, purpose := spdxElemImage, "CONTAINER"
	if r.ArtifactType != "" && r.ArtifactType != types.ArtifactTypeContainerImage {
		elem, purpose = spdxElemName(r.ArtifactType), "SOURCE"
	}
	m := r.Metadata
	var notes []v2_3.Annotation
	notes = b.annotate(notes, "SchemaVersion", strconv.Itoa(r.SchemaVersion))
	notes = b.annotate(notes, "ImageID", m.ImageID)
	labels := make([]string, 0, len(m.ImageConfig.Config.Labels))
	for k := range m.ImageConfig.Config.Labels {
		labels = append(labels, k)
	}
	slices.Sort(labels)
	for _, k := range labels {
		notes = b.annotate(notes, "Labels:"+k, m.ImageConfig.Config.Labels[k])
	}
	if m.Size != 0 {
		notes = b.annotate(notes, "Size", strconv.FormatInt(m.Size, 10))
	}
	for _, d := range m.RepoDigests {
		notes = b.annotate(notes, "RepoDigest", d)
	}
	for _, d := range m.DiffIDs {
		notes = b.annotate(notes, "DiffID", d)
	}
	for _, t := range m.RepoTags {
		notes = b.annotate(notes, "RepoTag", t)
	}
	notes = b.annotate(notes, "Reference", m.Reference)
	name := spdxText(r.ArtifactName)
	if name == "" {
		name = "unknown"
	}
	image := &v2_3.Package{
		PackageName:               name,
		PackageSPDXIdentifier:     b.newID(elem, seed, m.ImageID),
		PackageDownloadLocation:   spdxNone,
		PackageLicenseConcluded:   spdxNoAssertion,
		PackageLicenseDeclared:    spdxNoAssertion,
		PackageExternalReferences: spdxPURLRef(m.ImagePURL()),
		PrimaryPackagePurpose:     purpose,
		Annotations:               append(notes, extra...),
	}
	b.add(image)
	for _, res := range r.Results {
		if res.Class != types.ClassOSPkg && res.Class != types.ClassLangPkg {
			continue
		}
		target := b.addTarget(r, res, seed)
		b.relate(image.PackageSPDXIdentifier, target, common.TypeRelationshipContains)
		b.addPackages(res, target, seed)
	}
	return image.PackageSPDXIdentifier
}

// addTarget adds the OS or the application a result lists the packages
// of.
func (b *spdxBuilder) addTarget(r *types.Report, res types.Result, seed string) common.ElementID {
	elem, purpose := spdxElemApp, "APPLICATION"
	name, version := spdxText(res.Target), ""
	if res.Class == types.ClassOSPkg {
		elem, purpose = spdxElemOS, "OPERATING-SYSTEM"
		if found := r.Metadata.OS; found != nil && found.Family != "" {
			name, version = spdxText(found.Family), spdxText(found.Name)
		}
	}
	if name == "" {
		name = "unknown"
	}
	var notes []v2_3.Annotation
	notes = b.annotate(notes, "Type", res.Type)
	notes = b.annotate(notes, "Class", res.Class)
	p := &v2_3.Package{
		PackageName:             name,
		PackageSPDXIdentifier:   b.newID(elem, seed, res.Class, res.Target, res.Type),
		PackageVersion:          version,
		PackageDownloadLocation: spdxNone,
		PackageLicenseConcluded: spdxNoAssertion,
		PackageLicenseDeclared:  spdxNoAssertion,
		PrimaryPackagePurpose:   purpose,
		Annotations:             notes,
	}
	b.add(p)
	return p.PackageSPDXIdentifier
}

// addPackages adds a result's packages, CONTAINed by its target, and the
// DEPENDS_ON edges of their DependsOn (IDs of packages of the same
// result; an ID two packages share names the first, an ID no package has
// is left out).
func (b *spdxBuilder) addPackages(res types.Result, target common.ElementID, seed string) {
	advisories := map[string][]string{}
	for _, v := range res.Vulnerabilities {
		k := spdxVulnKey(v)
		if v.PrimaryURL != "" && !slices.Contains(advisories[k], v.PrimaryURL) {
			advisories[k] = append(advisories[k], v.PrimaryURL)
		}
	}
	ids := make([]common.ElementID, len(res.Packages))
	byPkgID := map[string]common.ElementID{}
	for i, p := range res.Packages {
		ids[i] = b.addPackage(res, p, seed, advisories[spdxPackageKey(p)])
		b.relate(target, ids[i], common.TypeRelationshipContains)
		if _, ok := byPkgID[spdxPkgID(p)]; !ok {
			byPkgID[spdxPkgID(p)] = ids[i]
		}
	}
	for i, p := range res.Packages {
		seen := map[common.ElementID]bool{}
		for _, dep := range p.DependsOn {
			to, ok := byPkgID[dep]
			if !ok || to == ids[i] || seen[to] {
				continue
			}
			seen[to] = true
			b.relate(ids[i], to, common.TypeRelationshipDependsOn)
		}
	}
}

func (b *spdxBuilder) addPackage(res types.Result, p types.Package, seed string, advisories []string) common.ElementID {
	pkgID := spdxPkgID(p)
	name := spdxText(p.Name)
	if name == "" {
		name = spdxText(pkgID)
	}
	var source string
	if p.SrcName != "" {
		source = spdxSourcePackagePrefix + spdxText(strings.TrimSpace(p.SrcName+" "+p.FullSrcVersion()))
	} else if res.Class == types.ClassLangPkg && !aggregatedTarget(res.Type) {
		source = spdxSourceFilePrefix + spdxText(res.Target)
	}
	supplier := &common.Supplier{Supplier: spdxNoAssertion}
	if m := spdxAgent(p.Maintainer); m != "" {
		supplier = &common.Supplier{SupplierType: "Organization", Supplier: m}
	}
	refs := spdxPURLRef(p.Identifier.PURL)
	for _, u := range advisories {
		if spdxLocator(u) {
			refs = append(refs, &v2_3.PackageExternalReference{Category: common.CategorySecurity, RefType: common.TypeSecurityAdvisory, Locator: u})
		}
	}
	var notes []v2_3.Annotation
	notes = b.annotate(notes, "PkgID", pkgID)
	notes = b.annotate(notes, "PkgType", res.Type)
	notes = b.annotate(notes, "FilePath", p.FilePath)
	notes = b.annotate(notes, "Modularitylabel", p.Modularitylabel)
	notes = b.annotate(notes, "LayerDigest", p.Layer.Digest)
	notes = b.annotate(notes, "LayerDiffID", p.Layer.DiffID)
	if bi := p.BuildInfo; bi != nil {
		for _, cs := range bi.ContentSets {
			notes = b.annotate(notes, "ContentSet", cs)
		}
		notes = b.annotate(notes, "NVR", bi.Nvr)
		notes = b.annotate(notes, "Arch", bi.Arch)
	}
	pkg := &v2_3.Package{
		PackageName:               name,
		PackageSPDXIdentifier:     b.newID(spdxElemPackage, seed, res.Target, pkgID, p.Identifier.UID, p.Identifier.PURL, p.FilePath),
		PackageVersion:            spdxText(p.FullVersion()),
		PackageSupplier:           supplier,
		PackageDownloadLocation:   spdxNoAssertion,
		PackageChecksums:          spdxChecksums(p.Digest),
		PackageSourceInfo:         source,
		PackageLicenseConcluded:   spdxNoAssertion,
		PackageLicenseDeclared:    b.licenses.expression(p.Licenses),
		PackageExternalReferences: refs,
		PrimaryPackagePurpose:     "LIBRARY",
		Annotations:               notes,
	}
	b.add(pkg)
	return pkg.PackageSPDXIdentifier
}

// spdxPkgID is the ID DependsOn names a package by.
func spdxPkgID(p types.Package) string {
	if p.ID != "" {
		return p.ID
	}
	return p.Name + "@" + p.Version
}

// spdxPackageKey and spdxVulnKey pair a finding with its package: by the
// package's UID, else by its ID and file.
func spdxPackageKey(p types.Package) string {
	if p.Identifier.UID != "" {
		return p.Identifier.UID
	}
	return spdxPkgID(p) + "\x00" + p.FilePath
}

func spdxVulnKey(v types.DetectedVulnerability) string {
	if v.PkgIdentifier.UID != "" {
		return v.PkgIdentifier.UID
	}
	return v.PkgID + "\x00" + v.PkgPath
}

// aggregatedTarget reports whether a language result gathers the packages
// of many files under the ecosystem's name ("Node.js", "Python") rather
// than naming the one file they were read from.
func aggregatedTarget(typ string) bool {
	e, ok := families.EcosystemByType(typ)
	return ok && !e.PerFile
}

// spdxPURLRef is the package-manager reference of a package URL, none when
// it is empty or not one a locator can hold.
func spdxPURLRef(purl string) []*v2_3.PackageExternalReference {
	if purl == "" || !spdxLocator(purl) {
		return nil
	}
	if _, err := packageURL(purl); err != nil {
		return nil
	}
	return []*v2_3.PackageExternalReference{{Category: common.CategoryPackageManager, RefType: common.TypePackageManagerPURL, Locator: purl}}
}

// spdxLocator reports whether s can be an external reference's locator:
// one word, of bounded length.
func spdxLocator(s string) bool {
	return s != "" && len(s) <= maxSPDXText && utf8.ValidString(s) &&
		!strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r == '<' || r == '>' })
}

// spdxChecksums is a package's own checksum ("sha256:<hex>"); an algorithm
// SPDX does not name, or a value that is not hex, is left out.
func spdxChecksums(digest string) []common.Checksum {
	algs := map[string]common.ChecksumAlgorithm{"md5": common.MD5, "sha1": common.SHA1, "sha256": common.SHA256, "sha512": common.SHA512}
	alg, value, ok := splitDigest(digest)
	if a, known := algs[alg]; ok && known {
		return []common.Checksum{{Algorithm: a, Value: value}}
	}
	return nil
}

// spdxElemName turns an artifact type ("container_image") into an element
// kind ("ContainerImage").
func spdxElemName(kind string) string {
	var b strings.Builder
	upper := true
	for _, r := range kind {
		switch {
		case r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9':
			if upper {
				r = unicode.ToUpper(r)
			}
			b.WriteRune(r)
			upper = false
		default:
			upper = true
		}
	}
	if b.Len() == 0 {
		return "Artifact"
	}
	return b.String()
}

// spdxText is a value from the image made safe for both forms of the
// document: one line (a newline would end a tag-value field and start
// another), no <text> markers (tag-value's multi-line quoting), valid
// UTF-8, at most maxSPDXText bytes.
func spdxText(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return ' '
		}
		return r
	}, s)
	return strings.TrimSpace(capText(noTextMarkers(s), maxSPDXText))
}

// spdxAgent is spdxText for a supplier or creator: tools-golang (and so
// Trivy) reads those JSON strings without unescaping them, so nothing in
// them may need an escape.
func spdxAgent(s string) string {
	return spdxText(strings.NewReplacer(`"`, "'", `\`, "/", "\u2028", " ", "\u2029", " ").Replace(s))
}

// spdxMultilineText is spdxText for a licence text: newlines kept.
func spdxMultilineText(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\n' {
			return r
		}
		if unicode.IsControl(r) || r == utf8.RuneError {
			return ' '
		}
		return r
	}, s)
	return strings.TrimSpace(capText(noTextMarkers(s), maxSPDXLicenseText))
}

func noTextMarkers(s string) string {
	if !strings.Contains(s, "text>") {
		return s
	}
	return strings.NewReplacer("<text>", "(text)", "</text>", "(/text)").Replace(s)
}

// capText cuts s to at most n bytes, on a rune boundary.
func capText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
