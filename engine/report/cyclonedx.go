package report

// CycloneDX 1.7 (JSON and XML), in the shape Trivy writes it, so that Trivy
// and other consumers read our SBOMs with full fidelity:
//
//	metadata.component   the image (container), bom-ref and purl its
//	                     pkg:oci PURL when it has a repo digest
//	  -> operating-system component (family, version)
//	       -> every OS package (library)
//	  -> application component per lock file or binary (its Target)
//	       -> its root/direct packages -> their dependencies
//	  -> packages of aggregating types (node_modules, site-packages, jars:
//	     one result per ecosystem), directly under the image
//
// Facts CycloneDX has no field for are properties with Trivy's names
// (aquasecurity:trivy:SrcName, ...): an interchange fact, which Trivy's
// and our own SBOM readers rely on (Debian matching needs SrcName).

import (
	"cmp"
	"fmt"
	"io"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/docker-scan/docker-scan/engine/types"
)

const (
	// cdxPropPrefix namespaces Trivy's properties.
	cdxPropPrefix = "aquasecurity:trivy:"
	// cdxComposePrefix namespaces our compose properties (Trivy has none).
	cdxComposePrefix = "docker-scan:compose:"
	// cdxTimeLayout is the RFC 3339 form Trivy writes.
	cdxTimeLayout = "2006-01-02T15:04:05+00:00"
)

// aggregatingTypes are the package types reported as one result per
// ecosystem rather than per file; Trivy puts their packages directly under
// the image, without an application component.
var aggregatingTypes = map[string]bool{
	"python-pkg": true, "conda-pkg": true, "gemspec": true, "node-pkg": true, "jar": true,
}

func writeCycloneDXJSON(w io.Writer, r *types.Report, opts Options) error {
	return encodeCycloneDX(w, imageBOM(r, opts), cdx.BOMFileFormatJSON)
}

func writeCycloneDXXML(w io.Writer, r *types.Report, opts Options) error {
	return encodeCycloneDX(w, imageBOM(r, opts), cdx.BOMFileFormatXML)
}

func writeStackCycloneDXJSON(w io.Writer, r *types.StackReport, opts Options) error {
	return encodeCycloneDX(w, stackBOM(r, opts), cdx.BOMFileFormatJSON)
}

func writeStackCycloneDXXML(w io.Writer, r *types.StackReport, opts Options) error {
	return encodeCycloneDX(w, stackBOM(r, opts), cdx.BOMFileFormatXML)
}

func encodeCycloneDX(w io.Writer, bom *cdx.BOM, format cdx.BOMFileFormat) error {
	if err := cdx.NewBOMEncoder(w, format).SetPretty(true).SetEscapeHTML(false).Encode(bom); err != nil {
		return fmt.Errorf("write CycloneDX: %w", err)
	}
	return nil
}

// imageBOM is the bill of materials of one image.
func imageBOM(r *types.Report, opts Options) *cdx.BOM {
	b := newCDXBuilder(opts)
	b.countPURLs(r)
	root := b.imageComponent(r, "")
	b.addImage(r, root.BOMRef, "")
	return b.bom(root)
}

// stackBOM is the bill of materials of a compose project. The project is
// the metadata component (an application); each distinct image is a
// container component that the project depends on, holding its OS,
// applications and packages exactly as in an image's SBOM. All components
// are listed flat: the dependency graph says which image holds what, so
// that readers that do not walk nested components (Trivy's) still see
// every package, and a package in two images is two components, each with
// its own layer facts.
func stackBOM(r *types.StackReport, opts Options) *cdx.BOM {
	b := newCDXBuilder(opts)
	refs := make([]string, 0, len(r.Images))
	for ref, img := range r.Images {
		if img != nil {
			refs = append(refs, ref)
		}
	}
	sort.Strings(refs)
	for _, ref := range refs {
		b.countPURLs(r.Images[ref])
	}
	root := cdx.Component{
		BOMRef: nameUUID("compose", r.ProjectName),
		Type:   cdx.ComponentTypeApplication,
		Name:   r.ProjectName,
	}
	var props []cdx.Property
	for _, f := range r.ConfigFiles {
		props = append(props, cdx.Property{Name: cdxComposePrefix + "ConfigFile", Value: f})
	}
	root.Properties = sortedProps(props)
	services := map[string][]string{} // image reference -> services
	for svc, res := range r.Services {
		services[res.Image] = append(services[res.Image], svc)
	}
	b.depend(root.BOMRef, "")
	for _, ref := range refs {
		img := b.imageComponent(r.Images[ref], ref)
		svcs := services[ref]
		sort.Strings(svcs)
		props := *img.Properties
		for _, s := range svcs {
			props = append(props, cdx.Property{Name: cdxComposePrefix + "Service", Value: s})
		}
		img.Properties = sortedProps(props)
		b.components = append(b.components, img)
		b.depend(root.BOMRef, img.BOMRef)
		b.addImage(r.Images[ref], img.BOMRef, ref)
	}
	return b.bom(root)
}

// cdxBuilder collects the components, graph and vulnerabilities of a BOM.
type cdxBuilder struct {
	opts       Options
	components []cdx.Component
	// deps is the dependency graph by bom-ref; every component has an
	// entry, empty when it depends on nothing.
	deps map[string][]string
	// vulns by ID: one entry per vulnerability, affecting every package
	// that has it.
	vulns map[string]*cdx.Vulnerability
	// purls counts each package PURL in the document: a PURL that names
	// two components cannot be their bom-ref.
	purls map[string]int
	used  map[string]bool
}

func newCDXBuilder(opts Options) *cdxBuilder {
	return &cdxBuilder{opts: opts, deps: map[string][]string{}, vulns: map[string]*cdx.Vulnerability{},
		purls: map[string]int{}, used: map[string]bool{}}
}

func (b *cdxBuilder) countPURLs(r *types.Report) {
	for _, res := range r.Results {
		if res.Class != types.ClassOSPkg && res.Class != types.ClassLangPkg {
			continue
		}
		for _, p := range res.Packages {
			if p.Identifier.PURL != "" {
				b.purls[p.Identifier.PURL]++
			}
		}
	}
}

// depend records that parent depends on child; an empty child only makes
// sure parent has an entry.
func (b *cdxBuilder) depend(parent, child string) {
	deps, ok := b.deps[parent]
	if !ok {
		b.deps[parent] = nil
	}
	if child != "" && !slices.Contains(deps, child) {
		b.deps[parent] = append(deps, child)
	}
}

// uniqueRef reserves ref, or a variant of it when already taken.
func (b *cdxBuilder) uniqueRef(ref string) string {
	for i := 2; b.used[ref]; i++ {
		ref = nameUUID(ref, strconv.Itoa(i))
	}
	b.used[ref] = true
	return ref
}

// imageComponent is the container component of an image; key tells images
// of one document apart (the compose reference; "" for a lone image).
func (b *cdxBuilder) imageComponent(r *types.Report, key string) cdx.Component {
	m := r.Metadata
	c := cdx.Component{Type: cdx.ComponentTypeContainer, Name: r.ArtifactName, PackageURL: m.ImagePURL()}
	c.BOMRef = c.PackageURL
	if c.BOMRef == "" {
		c.BOMRef = nameUUID("image", key, m.ImageID, r.ArtifactName)
	}
	c.BOMRef = b.uniqueRef(c.BOMRef)
	props := []cdx.Property{trivyProp("SchemaVersion", strconv.Itoa(cmp.Or(r.SchemaVersion, types.SchemaVersion)))}
	props = append(props, trivyProp("ImageID", m.ImageID))
	for k, v := range m.ImageConfig.Config.Labels {
		props = append(props, trivyProp("Labels:"+k, v))
	}
	if m.Size != 0 {
		props = append(props, trivyProp("Size", strconv.FormatInt(m.Size, 10)))
	}
	for _, d := range m.RepoDigests {
		props = append(props, trivyProp("RepoDigest", d))
	}
	for _, d := range m.DiffIDs {
		props = append(props, trivyProp("DiffID", d))
	}
	for _, t := range m.RepoTags {
		props = append(props, trivyProp("RepoTag", t))
	}
	props = append(props, trivyProp("Reference", m.Reference))
	c.Properties = sortedProps(props)
	return c
}

// addImage adds the components of one image's results under the image
// component imageRef.
func (b *cdxBuilder) addImage(r *types.Report, imageRef, key string) {
	b.depend(imageRef, "")
	for _, res := range r.Results {
		if res.Class != types.ClassOSPkg && res.Class != types.ClassLangPkg {
			continue // secrets and misconfigurations are not materials
		}
		parent := imageRef
		if !aggregatingTypes[res.Type] {
			parent = b.resultComponent(r, res, key)
			b.depend(imageRef, parent)
		}
		b.addPackages(res, parent, key)
	}
}

// resultComponent is the operating-system component of the OS result, or
// the application component of a lock file or binary.
func (b *cdxBuilder) resultComponent(r *types.Report, res types.Result, key string) string {
	c := cdx.Component{Name: res.Target, Type: cdx.ComponentTypeApplication}
	if res.Class == types.ClassOSPkg {
		c.Type = cdx.ComponentTypeOS
		if os := r.Metadata.OS; os != nil {
			c.Name, c.Version = os.Family, os.Name
		}
	}
	c.BOMRef = b.uniqueRef(nameUUID("result", key, res.Class, res.Type, res.Target))
	c.Properties = sortedProps([]cdx.Property{trivyProp("Type", res.Type), trivyProp("Class", res.Class)})
	b.components = append(b.components, c)
	return c.BOMRef
}

// addPackages adds the packages of one result, with their graph and
// vulnerabilities. The parent holds every OS package; of an application,
// the packages nothing else in it depends on (its root, or its direct
// dependencies when it has no root), as Trivy has it, and any package the
// graph does not reach from them (a cycle).
func (b *cdxBuilder) addPackages(res types.Result, parent, key string) {
	refByID := make(map[string]string, len(res.Packages))
	refs := make([]string, len(res.Packages))
	byUID := map[string]string{}
	for i, p := range res.Packages {
		c := b.packageComponent(res, p, key)
		refs[i] = c.BOMRef
		b.components = append(b.components, c)
		if id := packageID(p); refByID[id] == "" {
			refByID[id] = c.BOMRef
		}
		if p.Identifier.UID != "" {
			byUID[p.Identifier.UID] = c.BOMRef
		}
	}
	hasParent := map[string]bool{}
	hasRoot := false
	for i, p := range res.Packages {
		b.depend(refs[i], "")
		for _, dep := range p.DependsOn {
			if ref, ok := refByID[dep]; ok && ref != refs[i] {
				b.depend(refs[i], ref)
				hasParent[ref] = true
			}
		}
		hasRoot = hasRoot || p.Relationship == types.RelationshipRoot
	}
	for i, p := range res.Packages {
		top := !hasParent[refs[i]]
		if p.Relationship == types.RelationshipDirect {
			top = !hasRoot
		}
		if res.Class == types.ClassOSPkg || top {
			b.depend(parent, refs[i])
		}
	}
	if res.Class != types.ClassOSPkg {
		b.attachUnreached(parent, refs)
	}
	for _, v := range res.Vulnerabilities {
		ref := byUID[v.PkgIdentifier.UID]
		if ref == "" {
			ref = refByID[cmp.Or(v.PkgID, v.PkgName+"@"+v.InstalledVersion)]
		}
		if ref != "" {
			b.addVulnerability(v, ref)
		}
	}
}

// attachUnreached makes parent depend on each of refs the graph does not
// reach from parent, so that no package of the result is orphaned.
func (b *cdxBuilder) attachUnreached(parent string, refs []string) {
	seen := map[string]bool{}
	stack := slices.Clone(b.deps[parent])
	for len(stack) > 0 {
		r := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[r] {
			continue
		}
		seen[r] = true
		stack = append(stack, b.deps[r]...)
	}
	for _, r := range refs {
		if !seen[r] {
			b.depend(parent, r)
			seen[r] = true
			stack = append(stack[:0], b.deps[r]...)
			for len(stack) > 0 {
				d := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				if !seen[d] {
					seen[d] = true
					stack = append(stack, b.deps[d]...)
				}
			}
		}
	}
}

// packageID is the ID DependsOn names a package by.
func packageID(p types.Package) string {
	if p.ID != "" {
		return p.ID
	}
	return p.Name + "@" + p.Version
}

func (b *cdxBuilder) packageComponent(res types.Result, p types.Package, key string) cdx.Component {
	c := cdx.Component{
		Type:       cdx.ComponentTypeLibrary,
		Name:       p.Name,
		Version:    p.FullVersion(),
		PackageURL: p.Identifier.PURL,
		Hashes:     cdxHashes(p.Digest),
		Licenses:   cdxLicenses(p.Licenses),
	}
	if p.Maintainer != "" {
		c.Supplier = &cdx.OrganizationalEntity{Name: p.Maintainer}
	}
	if purl := parsePURL(p.Identifier.PURL); purl != nil {
		// The PURL's version, with a non-zero epoch qualifier in front,
		// as Trivy writes it; maven and npm name the group apart.
		c.Version = purl.version
		if e := purl.qualifiers["epoch"]; e != "" && e != "0" {
			c.Version = e + ":" + c.Version
		}
		if purl.typ == "maven" || purl.typ == "npm" {
			c.Group, c.Name = purl.namespace, purl.name
		}
	}
	if p.Identifier.PURL != "" && b.purls[p.Identifier.PURL] == 1 && !b.used[p.Identifier.PURL] {
		c.BOMRef = b.uniqueRef(p.Identifier.PURL)
	} else {
		c.BOMRef = b.uniqueRef(nameUUID("package", key, res.Target, cmp.Or(p.Identifier.UID, packageID(p)+"|"+p.FilePath)))
	}
	props := []cdx.Property{
		trivyProp("PkgID", p.ID),
		trivyProp("PkgType", res.Type),
		trivyProp("FilePath", p.FilePath),
		trivyProp("SrcName", p.SrcName),
		trivyProp("SrcVersion", p.SrcVersion),
		trivyProp("SrcRelease", p.SrcRelease),
		trivyProp("Modularitylabel", p.Modularitylabel),
		trivyProp("LayerDigest", p.Layer.Digest),
		trivyProp("LayerDiffID", p.Layer.DiffID),
	}
	if p.SrcEpoch != 0 {
		props = append(props, trivyProp("SrcEpoch", strconv.Itoa(p.SrcEpoch)))
	}
	if bi := p.BuildInfo; bi != nil {
		for _, cs := range bi.ContentSets {
			props = append(props, trivyProp("ContentSet", cs))
		}
		props = append(props, trivyProp("NVR", bi.Nvr), trivyProp("Arch", bi.Arch))
	}
	c.Properties = sortedProps(props)
	return c
}

func trivyProp(name, value string) cdx.Property {
	return cdx.Property{Name: cdxPropPrefix + name, Value: value}
}

// sortedProps drops empty properties and orders the rest by name, as
// Trivy does; values of one name keep their order (DiffIDs are in layer
// order).
func sortedProps(props []cdx.Property) *[]cdx.Property {
	out := make([]cdx.Property, 0, len(props))
	for _, p := range props {
		if p.Value != "" {
			out = append(out, p)
		}
	}
	slices.SortStableFunc(out, func(a, b cdx.Property) int { return cmp.Compare(a.Name, b.Name) })
	return &out
}

// cdxHashes is a package's own checksum ("sha1:<hex>") as a CycloneDX
// hash; an algorithm CycloneDX does not name, or a value that is not
// hex, is left out.
func cdxHashes(digest string) *[]cdx.Hash {
	algs := map[string]cdx.HashAlgorithm{"md5": cdx.HashAlgoMD5, "sha1": cdx.HashAlgoSHA1, "sha256": cdx.HashAlgoSHA256, "sha512": cdx.HashAlgoSHA512}
	alg, value, ok := splitDigest(digest)
	if a, known := algs[alg]; ok && known {
		return &[]cdx.Hash{{Algorithm: a, Value: value}}
	}
	return nil
}

// cdxLicenses writes licences as Trivy does: when every one is a valid
// SPDX expression and one of them is compound, a single expression (their
// AND); otherwise one entry each, license.id for a listed SPDX id and
// license.name for anything else.
func cdxLicenses(licenses []string) *cdx.Licenses {
	var exprs []licenseExpr
	for _, l := range licenses {
		if strings.TrimSpace(l) != "" {
			exprs = append(exprs, parseLicense(l))
		}
	}
	if len(exprs) == 0 {
		return nil
	}
	allValid, anyCompound := true, false
	for _, e := range exprs {
		allValid = allValid && e.Valid
		anyCompound = anyCompound || e.Compound
	}
	if allValid && anyCompound {
		parts := make([]string, len(exprs))
		for i, e := range exprs {
			parts[i] = e.String
			if len(exprs) > 1 && e.Compound {
				parts[i] = "(" + e.String + ")"
			}
		}
		return &cdx.Licenses{{Expression: strings.Join(parts, " AND ")}}
	}
	out := make(cdx.Licenses, len(exprs))
	for i, e := range exprs {
		if e.Valid && !e.Compound && !strings.HasSuffix(e.String, "+") && !strings.Contains(e.String, "Ref-") {
			out[i] = cdx.LicenseChoice{License: &cdx.License{ID: e.String}}
		} else {
			out[i] = cdx.LicenseChoice{License: &cdx.License{Name: e.String}}
		}
	}
	return &out
}

// addVulnerability records that the package ref has v; the same ID in
// several packages is one vulnerability affecting each.
func (b *cdxBuilder) addVulnerability(v types.DetectedVulnerability, ref string) {
	affect := cdx.Affects{Ref: ref, Range: &[]cdx.AffectedVersions{{Version: v.InstalledVersion, Status: cdx.VulnerabilityStatusAffected}}}
	if cv, ok := b.vulns[v.VulnerabilityID]; ok {
		for _, a := range *cv.Affects {
			if a.Ref == ref {
				return
			}
		}
		*cv.Affects = append(*cv.Affects, affect)
		if v.FixedVersion != "" {
			rec := upgradeAdvice(v)
			recs := strings.Split(cv.Recommendation, "; ")
			if cv.Recommendation == "" {
				recs = nil
			}
			if !slices.Contains(recs, rec) {
				recs = append(recs, rec)
				slices.Sort(recs)
				cv.Recommendation = strings.Join(recs, "; ")
			}
		}
		return
	}
	cv := &cdx.Vulnerability{
		ID:          v.VulnerabilityID,
		Ratings:     cdxRatings(v.Vulnerability),
		CWEs:        cdxCWEs(v.CweIDs),
		Description: v.Description,
		Advisories:  cdxAdvisories(append([]string{v.PrimaryURL}, v.References...)),
		Affects:     &[]cdx.Affects{affect},
	}
	if ds := v.DataSource; ds != nil {
		cv.Source = &cdx.Source{Name: ds.ID, URL: ds.URL}
	}
	if v.FixedVersion != "" {
		cv.Recommendation = upgradeAdvice(v)
	}
	if v.PublishedDate != nil {
		cv.Published = v.PublishedDate.UTC().Format(cdxTimeLayout)
	}
	if v.LastModifiedDate != nil {
		cv.Updated = v.LastModifiedDate.UTC().Format(cdxTimeLayout)
	}
	b.vulns[v.VulnerabilityID] = cv
}

func upgradeAdvice(v types.DetectedVulnerability) string {
	return fmt.Sprintf("Upgrade %s to version %s", v.PkgName, v.FixedVersion)
}

// cdxRatings are Trivy's ratings: for each source with a severity, one
// rating per CVSS version it scored (v2, v3/v3.1, v4) or, without scores,
// the severity alone. A source with scores but no severity gets the
// severity its v3 score (else v4, v2) falls in.
func cdxRatings(v types.Vulnerability) *[]cdx.VulnerabilityRating {
	sources := map[string]bool{}
	for s := range v.VendorSeverity {
		sources[s] = true
	}
	for s := range v.CVSS {
		sources[s] = true
	}
	rates := make([]cdx.VulnerabilityRating, 0, len(sources))
	for src := range sources {
		sev, hasSev := v.VendorSeverity[src]
		cvss, hasCVSS := v.CVSS[src]
		if !hasSev {
			sev = severityOfScore(cmp.Or(cvss.V3Score, cvss.V40Score, cvss.V2Score))
		}
		if !hasCVSS || (cvss.V2Score == 0 && cvss.V2Vector == "" && cvss.V3Score == 0 && cvss.V3Vector == "" && cvss.V40Score == 0 && cvss.V40Vector == "") {
			rates = append(rates, cdx.VulnerabilityRating{Source: &cdx.Source{Name: src}, Severity: cdxSeverity(sev)})
			continue
		}
		if cvss.V2Score != 0 || cvss.V2Vector != "" {
			s := cdxSeverity(sev)
			if src == "nvd" {
				// NVD's severity is v3's; v2 has its own ranges.
				s = nvdV2Severity(cvss.V2Score)
			}
			rates = append(rates, cdx.VulnerabilityRating{Source: &cdx.Source{Name: src}, Score: new(cvss.V2Score),
				Method: cdx.ScoringMethodCVSSv2, Severity: s, Vector: cvss.V2Vector})
		}
		if cvss.V3Score != 0 || cvss.V3Vector != "" {
			m := cdx.ScoringMethodCVSSv3
			if strings.HasPrefix(cvss.V3Vector, "CVSS:3.1") {
				m = cdx.ScoringMethodCVSSv31
			}
			rates = append(rates, cdx.VulnerabilityRating{Source: &cdx.Source{Name: src}, Score: new(cvss.V3Score),
				Method: m, Severity: cdxSeverity(sev), Vector: cvss.V3Vector})
		}
		if cvss.V40Score != 0 || cvss.V40Vector != "" {
			rates = append(rates, cdx.VulnerabilityRating{Source: &cdx.Source{Name: src}, Score: new(cvss.V40Score),
				Method: cdx.ScoringMethodCVSSv4, Severity: cdxSeverity(sev), Vector: cvss.V40Vector})
		}
	}
	slices.SortFunc(rates, func(a, b cdx.VulnerabilityRating) int {
		return cmp.Or(cmp.Compare(a.Source.Name, b.Source.Name), cmp.Compare(a.Method, b.Method), cmp.Compare(a.Vector, b.Vector))
	})
	return &rates
}

func cdxSeverity(s types.Severity) cdx.Severity {
	switch s {
	case types.SeverityLow:
		return cdx.SeverityLow
	case types.SeverityMedium:
		return cdx.SeverityMedium
	case types.SeverityHigh:
		return cdx.SeverityHigh
	case types.SeverityCritical:
		return cdx.SeverityCritical
	}
	return cdx.SeverityUnknown
}

// nvdV2Severity is NVD's CVSS v2 rating of a score.
func nvdV2Severity(score float64) cdx.Severity {
	switch {
	case score < 4.0:
		return cdx.SeverityInfo
	case score < 7.0:
		return cdx.SeverityMedium
	}
	return cdx.SeverityHigh
}

// severityOfScore is the CVSS v3 qualitative rating of a score.
func severityOfScore(score float64) types.Severity {
	switch {
	case score >= 9.0:
		return types.SeverityCritical
	case score >= 7.0:
		return types.SeverityHigh
	case score >= 4.0:
		return types.SeverityMedium
	case score > 0:
		return types.SeverityLow
	}
	return types.SeverityUnknown
}

// cdxCWEs are the numbers of "CWE-79" style IDs.
func cdxCWEs(ids []string) *[]int {
	var out []int
	for _, id := range ids {
		if n, err := strconv.Atoi(strings.TrimPrefix(strings.ToLower(id), "cwe-")); err == nil && n >= 0 {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return &out
}

// cdxAdvisories are the reference URLs, once each; a reference with words
// around its URL gives the URL.
func cdxAdvisories(refs []string) *[]cdx.Advisory {
	var out []cdx.Advisory
	seen := map[string]bool{}
	for _, r := range refs {
		for f := range strings.FieldsSeq(r) {
			if u, err := url.Parse(f); err == nil && u.Scheme != "" && u.Host != "" {
				if !seen[f] {
					seen[f] = true
					out = append(out, cdx.Advisory{URL: f})
				}
				break
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return &out
}

// bom assembles the document around its metadata component.
func (b *cdxBuilder) bom(root cdx.Component) *cdx.BOM {
	bom := cdx.NewBOM() // CycloneDX 1.7, as Trivy 0.74 writes; encoded as is
	bom.SerialNumber = "urn:uuid:" + randomUUID()
	bom.Version = 1
	bom.Metadata = &cdx.Metadata{
		Timestamp: b.opts.now().UTC().Format(cdxTimeLayout),
		Tools: &cdx.ToolsChoice{Components: &[]cdx.Component{{
			Type:    cdx.ComponentTypeApplication,
			Group:   "docker",
			Name:    "docker-scan",
			Version: cmp.Or(b.opts.ToolVersion, "dev"),
		}}},
		Component: &root,
	}
	comps := b.components
	slices.SortStableFunc(comps, func(x, y cdx.Component) int { return cmp.Compare(x.BOMRef, y.BOMRef) })
	bom.Components = &comps
	deps := make([]cdx.Dependency, 0, len(b.deps))
	for ref, on := range b.deps {
		on = slices.Clone(on)
		if on == nil {
			on = []string{}
		}
		slices.Sort(on)
		deps = append(deps, cdx.Dependency{Ref: ref, Dependencies: &on})
	}
	slices.SortFunc(deps, func(x, y cdx.Dependency) int { return cmp.Compare(x.Ref, y.Ref) })
	bom.Dependencies = &deps
	if !b.opts.PackagesOnly || len(b.vulns) > 0 {
		vulns := make([]cdx.Vulnerability, 0, len(b.vulns))
		for _, v := range b.vulns {
			slices.SortFunc(*v.Affects, func(x, y cdx.Affects) int { return cmp.Compare(x.Ref, y.Ref) })
			vulns = append(vulns, *v)
		}
		slices.SortFunc(vulns, func(x, y cdx.Vulnerability) int { return cmp.Compare(x.ID, y.ID) })
		bom.Vulnerabilities = &vulns
	}
	return bom
}

// purlParts are the parts of a package URL the writers need.
type purlParts struct {
	typ, namespace, name, version string
	qualifiers                    map[string]string
}

// parsePURL splits a package URL; nil when it is not one.
func parsePURL(s string) *purlParts {
	p, err := packageURL(s)
	if err != nil {
		return nil
	}
	q := map[string]string{}
	for _, kv := range p.Qualifiers {
		q[kv.Key] = kv.Value
	}
	return &purlParts{typ: p.Type, namespace: p.Namespace, name: p.Name, version: p.Version, qualifiers: q}
}
