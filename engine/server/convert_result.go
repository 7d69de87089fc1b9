package server

import (
	"fmt"
	"strings"

	"github.com/docker-scan/docker-scan/engine/families"
	"github.com/docker-scan/docker-scan/engine/server/rpc/common"
	"github.com/docker-scan/docker-scan/engine/server/rpc/scanner"
	"github.com/docker-scan/docker-scan/engine/types"
)

// Result classes of Trivy's that our model has no place for: custom
// resources (a Trivy server returns the extras of the blobs we sent it as
// one) and license findings.
var trivyOnlyClasses = map[string]bool{"custom": true, "license": true, "license-file": true}

// resultExtras is what a types.Result holds beyond the wire Result's
// fields. Lists are sparse, keyed by index.
type resultExtras struct {
	Runtime           string                  `json:",omitempty"`
	NotMatched        bool                    `json:",omitempty"`
	ModifiedFindings  []types.ModifiedFinding `json:",omitempty"`
	Packages          []packageExtras         `json:",omitempty"`
	Vulnerabilities   []vulnerabilityExtras   `json:",omitempty"`
	RemovedSecrets    []int                   `json:",omitempty"`
	Misconfigurations []misconfExtras         `json:",omitempty"`
	// MisconfSummary: Trivy's Result message has none (its client
	// counts the findings).
	MisconfSummary *types.MisconfSummary `json:",omitempty"`
}

func (e *resultExtras) empty() bool {
	return e.Runtime == "" && !e.NotMatched && len(e.ModifiedFindings) == 0 && len(e.Packages) == 0 &&
		len(e.Vulnerabilities) == 0 && len(e.RemovedSecrets) == 0 && len(e.Misconfigurations) == 0 &&
		e.MisconfSummary == nil
}

type vulnerabilityExtras struct {
	I           int
	Fingerprint string `json:",omitempty"`
	BaseID      string `json:",omitempty"`
	// Severity when it is not one of the names the wire's enum has.
	Severity *string `json:",omitempty"`
	// VendorSeverity entries whose value is outside the wire's enum.
	VendorSeverity map[string]types.Severity `json:",omitempty"`
}

// misconfExtras are a misconfiguration's fields the wire lacks: a
// severity outside its enum, and the compose service and line.
type misconfExtras struct {
	I         int
	Severity  *string `json:",omitempty"`
	Service   string  `json:",omitempty"`
	StartLine int     `json:",omitempty"`
	// NoStatus: the wire got "FAIL" for a finding with no Status.
	NoStatus bool `json:",omitempty"`
}

// ResultsToWire is the wire form of a report's results and OS, as a
// Trivy server answers a Scan. The fields the wire lacks ride in one
// custom resource of type ResultExtrasType per result that has any;
// StripExtras removes them for a peer that is not docker-scan.
func ResultsToWire(rep *types.Report) ([]*scanner.Result, *common.OS) {
	if rep == nil {
		return nil, nil
	}
	out := make([]*scanner.Result, 0, len(rep.Results))
	for i := range rep.Results {
		out = append(out, resultToWire(&rep.Results[i]))
	}
	os := commonOSToWire(rep.Metadata.OS)
	if os != nil {
		validUTF8(os.ProtoReflect())
	}
	return out, os
}

func resultToWire(r *types.Result) *scanner.Result {
	w := &scanner.Result{Target: r.Target, Class: r.Class, Type: r.Type}
	extras := resultExtras{Runtime: r.Runtime, NotMatched: r.NotMatched, ModifiedFindings: r.ModifiedFindings, MisconfSummary: r.MisconfSummary}
	w.Packages, extras.Packages = packagesToWire(r.Packages)
	for i := range r.Vulnerabilities {
		v, x := vulnerabilityToWire(i, &r.Vulnerabilities[i])
		w.Vulnerabilities = append(w.Vulnerabilities, v)
		if x != nil {
			extras.Vulnerabilities = append(extras.Vulnerabilities, *x)
		}
	}
	for i := range r.Secrets {
		w.Secrets = append(w.Secrets, secretFindingToWire(&r.Secrets[i]))
		if r.Secrets[i].Removed {
			extras.RemovedSecrets = append(extras.RemovedSecrets, i)
		}
	}
	for i, m := range r.Misconfigurations {
		w.Misconfigurations = append(w.Misconfigurations, misconfToWire(m))
		x := misconfExtras{I: i, Service: m.Service, StartLine: m.StartLine, NoStatus: m.Status == ""}
		if !severityRoundTrips(m.Severity) {
			x.Severity = &m.Severity
		}
		if x != (misconfExtras{I: i}) {
			extras.Misconfigurations = append(extras.Misconfigurations, x)
		}
	}
	for _, l := range r.Licenses {
		w.Licenses = append(w.Licenses, &common.DetectedLicense{
			Severity: severityToWire(l.Severity), Category: licenseCategoryToWire(l.Category),
			PkgName: l.PkgName, FilePath: l.FilePath, Name: l.Name,
			Confidence: float32(l.Confidence), Link: l.Link, Text: l.Text,
		})
	}
	if !extras.empty() {
		data, err := extrasToWire(&extras)
		if err != nil {
			panic(fmt.Sprintf("marshal result extras: %v", err))
		}
		w.CustomResources = append(w.CustomResources, &common.CustomResource{Type: ResultExtrasType, Layer: &common.Layer{}, Data: data})
	}
	validUTF8(w.ProtoReflect())
	return w
}

// StripExtras removes our custom resources from results bound for a
// Trivy client, whose report would otherwise list them.
func StripExtras(results []*scanner.Result) {
	for _, r := range results {
		kept := r.CustomResources[:0]
		for _, c := range r.CustomResources {
			if c.GetType() != ResultExtrasType && c.GetType() != LayerExtrasType {
				kept = append(kept, c)
			}
		}
		if len(kept) == 0 {
			kept = nil
		}
		r.CustomResources = kept
	}
}

func vulnerabilityToWire(i int, v *types.DetectedVulnerability) (*common.Vulnerability, *vulnerabilityExtras) {
	w := &common.Vulnerability{
		VulnerabilityId:  v.VulnerabilityID,
		PkgName:          v.PkgName,
		InstalledVersion: v.InstalledVersion,
		FixedVersion:     v.FixedVersion,
		Title:            v.Title,
		Description:      v.Description,
		Severity:         severityToWire(v.Severity),
		References:       v.References,
		Layer:            layerRefToWire(v.Layer),
		SeveritySource:   v.SeveritySource,
		CweIds:           v.CweIDs,
		PrimaryUrl:       v.PrimaryURL,
		PublishedDate:    timeToWire(v.PublishedDate),
		LastModifiedDate: timeToWire(v.LastModifiedDate),
		VendorIds:        v.VendorIDs,
		PkgPath:          v.PkgPath,
		PkgId:            v.PkgID,
		Status:           clampInt32(int(v.Status)),
	}
	x := &vulnerabilityExtras{I: i, Fingerprint: v.Fingerprint}
	if v.PkgIdentifier != (types.Identifier{}) {
		w.PkgIdentifier = &common.PkgIdentifier{Purl: v.PkgIdentifier.PURL, Uid: v.PkgIdentifier.UID}
	}
	if len(v.CVSS) > 0 {
		w.Cvss = make(map[string]*common.CVSS, len(v.CVSS))
		for src, c := range v.CVSS {
			w.Cvss[src] = &common.CVSS{V2Vector: c.V2Vector, V3Vector: c.V3Vector, V40Vector: c.V40Vector,
				V2Score: c.V2Score, V3Score: c.V3Score, V40Score: c.V40Score}
		}
	}
	if len(v.VendorSeverity) > 0 {
		w.VendorSeverity = make(map[string]common.Severity, len(v.VendorSeverity))
		for src, s := range v.VendorSeverity {
			w.VendorSeverity[src] = common.Severity(clampInt32(int(s)))
			if s < types.SeverityUnknown || s > types.SeverityCritical {
				if x.VendorSeverity == nil {
					x.VendorSeverity = map[string]types.Severity{}
				}
				x.VendorSeverity[src] = s
			}
		}
	}
	if d := v.DataSource; d != nil {
		w.DataSource = &common.DataSource{Id: d.ID, Name: d.Name, Url: d.URL}
		x.BaseID = d.BaseID
	}
	if !severityRoundTrips(v.Severity) {
		s := v.Severity
		x.Severity = &s
	}
	if x.Fingerprint == "" && x.BaseID == "" && x.Severity == nil && x.VendorSeverity == nil {
		x = nil
	}
	return w, x
}

func misconfToWire(m types.Misconfiguration) *common.DetectedMisconfiguration {
	status := m.Status
	if status == "" {
		// Every misconfiguration we report without a status failed.
		status = "FAIL"
	}
	w := &common.DetectedMisconfiguration{
		Type:        m.Type,
		Id:          m.ID,
		AvdId:       m.AVDID, //lint:ignore SA1019 Trivy's clients still read it
		Title:       m.Title,
		Description: m.Description,
		Message:     m.Message,
		Namespace:   m.Namespace,
		Query:       m.Query,
		Resolution:  m.Resolution,
		Severity:    severityToWire(m.Severity),
		PrimaryUrl:  m.PrimaryURL,
		References:  m.References,
		Status:      status,
	}
	if m.Layer != nil {
		w.Layer = layerRefToWire(*m.Layer)
	}
	cm := m.CauseMetadata
	if cm.Provider != "" || cm.Service != "" || cm.StartLine != 0 || cm.EndLine != 0 || len(cm.Code.Lines) > 0 {
		w.CauseMetadata = &common.CauseMetadata{Provider: cm.Provider, Service: cm.Service,
			StartLine: clampInt32(cm.StartLine), EndLine: clampInt32(cm.EndLine), Code: codeToWire(cm.Code)}
	}
	return w
}

// misconfFromWire reads a misconfiguration, bounded by b.
func misconfFromWire(m *common.DetectedMisconfiguration, b *wireBudget) (types.Misconfiguration, error) {
	cm := m.GetCauseMetadata()
	start, err := checkWireInt(cm.GetStartLine(), "misconfiguration start line")
	if err != nil {
		return types.Misconfiguration{}, err
	}
	end, err := checkWireInt(cm.GetEndLine(), "misconfiguration end line")
	if err != nil {
		return types.Misconfiguration{}, err
	}
	if err := b.take(len(m.GetReferences()), "references"); err != nil {
		return types.Misconfiguration{}, err
	}
	code, err := codeFromWire(cm.GetCode(), b)
	if err != nil {
		return types.Misconfiguration{}, err
	}
	out := types.Misconfiguration{
		Type:        m.Type,
		ID:          m.Id,
		AVDID:       m.AvdId, //lint:ignore SA1019 Trivy's servers still send it
		Title:       m.Title,
		Description: m.Description,
		Message:     m.Message,
		Namespace:   m.Namespace,
		Query:       m.Query,
		Resolution:  m.Resolution,
		Severity:    severityFromWire(m.Severity).String(),
		PrimaryURL:  m.PrimaryUrl,
		References:  m.References,
		Status:      m.Status,
		CauseMetadata: types.CauseMetadata{Provider: cm.GetProvider(), Service: cm.GetService(),
			StartLine: start, EndLine: end, Code: code},
	}
	if m.Layer != nil {
		l := layerRefFromWire(m.Layer)
		out.Layer = &l
	}
	return out, nil
}

// ResultsFromWire reads a Scan answer's results and OS. Results of the
// classes our model has no place for (custom resources, licenses) are
// left out; our own extras are applied.
func ResultsFromWire(res []*scanner.Result, os *common.OS) ([]types.Result, *types.OS, error) {
	budget := &wireBudget{}
	if err := budget.take(len(res), "results"); err != nil {
		return nil, nil, err
	}
	var out []types.Result
	for i, w := range res {
		if w == nil {
			return nil, nil, fmt.Errorf("result %d is empty", i)
		}
		if trivyOnlyClasses[w.Class] {
			continue
		}
		r, err := resultFromWire(w, budget)
		if err != nil {
			return nil, nil, fmt.Errorf("result %q: %w", truncatePath(w.Target), err)
		}
		out = append(out, r)
	}
	return out, osFromWire(os), nil
}

// osFromWire is a scan's OS; an extended-support OS (Trivy names it by
// its base version and a flag) gets the version we name it by.
func osFromWire(os *common.OS) *types.OS {
	o := commonOSFromWire(os)
	if o == nil || !os.Extended {
		return o
	}
	if f, ok := families.ByName(o.Family); ok && f.Extended != nil && o.Name != "" && !strings.HasSuffix(o.Name, f.Extended.Suffix) {
		o.Name += f.Extended.Suffix
	}
	return o
}

func resultFromWire(w *scanner.Result, b *wireBudget) (types.Result, error) {
	r := types.Result{Target: w.Target, Class: w.Class, Type: w.Type}
	if err := checkWirePath(w.Target, "target"); err != nil {
		return r, err
	}
	var extras resultExtras
	found := false
	for _, c := range w.CustomResources {
		if c.GetType() != ResultExtrasType {
			continue
		}
		if found {
			return r, fmt.Errorf("more than one %s resource", ResultExtrasType)
		}
		found = true
		if err := extrasFromWire(c.Data, &extras); err != nil {
			return r, fmt.Errorf("read %s resource: %w", ResultExtrasType, err)
		}
	}
	pkgs, err := packagesFromWire(w.Packages, b)
	if err != nil {
		return r, err
	}
	if err := applyPackageExtras(pkgs, extras.Packages, b); err != nil {
		return r, err
	}
	r.Packages = pkgs
	if err := b.take(len(w.Vulnerabilities)+len(w.Misconfigurations)+len(extras.ModifiedFindings), "findings"); err != nil {
		return r, err
	}
	for _, v := range w.Vulnerabilities {
		dv, err := vulnerabilityFromWire(v, b)
		if err != nil {
			return r, err
		}
		r.Vulnerabilities = append(r.Vulnerabilities, dv)
	}
	for _, x := range extras.Vulnerabilities {
		if x.I < 0 || x.I >= len(r.Vulnerabilities) {
			return r, fmt.Errorf("extras name vulnerability %d of %d", x.I, len(r.Vulnerabilities))
		}
		v := &r.Vulnerabilities[x.I]
		v.Fingerprint = x.Fingerprint
		if x.BaseID != "" {
			if v.DataSource == nil {
				v.DataSource = &types.DataSource{}
			}
			v.DataSource.BaseID = x.BaseID
		}
		if x.Severity != nil {
			v.Severity = *x.Severity
		}
		for src, s := range x.VendorSeverity {
			if v.VendorSeverity == nil {
				v.VendorSeverity = map[string]types.Severity{}
			}
			v.VendorSeverity[src] = s
		}
	}
	r.Secrets, err = secretFindingsFromWire(w.Secrets, b)
	if err != nil {
		return r, err
	}
	for _, i := range extras.RemovedSecrets {
		if i < 0 || i >= len(r.Secrets) {
			return r, fmt.Errorf("extras name secret %d of %d", i, len(r.Secrets))
		}
		r.Secrets[i].Removed = true
	}
	for _, m := range w.Misconfigurations {
		if m == nil {
			return r, fmt.Errorf("empty misconfiguration")
		}
		mc, err := misconfFromWire(m, b)
		if err != nil {
			return r, err
		}
		r.Misconfigurations = append(r.Misconfigurations, mc)
	}
	for _, x := range extras.Misconfigurations {
		if x.I < 0 || x.I >= len(r.Misconfigurations) {
			return r, fmt.Errorf("extras name misconfiguration %d of %d", x.I, len(r.Misconfigurations))
		}
		m := &r.Misconfigurations[x.I]
		if x.Severity != nil {
			m.Severity = *x.Severity
		}
		if x.NoStatus {
			m.Status = ""
		}
		m.Service, m.StartLine = x.Service, x.StartLine
	}
	r.MisconfSummary = extras.MisconfSummary
	r.Runtime, r.NotMatched, r.ModifiedFindings = extras.Runtime, extras.NotMatched, extras.ModifiedFindings
	return r, nil
}

func vulnerabilityFromWire(w *common.Vulnerability, b *wireBudget) (types.DetectedVulnerability, error) {
	if w == nil {
		return types.DetectedVulnerability{}, fmt.Errorf("empty vulnerability")
	}
	if err := b.take(len(w.References)+len(w.CweIds)+len(w.VendorIds)+len(w.Cvss)+len(w.VendorSeverity), "vulnerability fields"); err != nil {
		return types.DetectedVulnerability{}, err
	}
	if err := checkWirePath(w.PkgPath, "package path"); err != nil {
		return types.DetectedVulnerability{}, err
	}
	v := types.DetectedVulnerability{
		VulnerabilityID:  w.VulnerabilityId,
		VendorIDs:        w.VendorIds,
		PkgID:            w.PkgId,
		PkgName:          w.PkgName,
		PkgPath:          w.PkgPath,
		InstalledVersion: w.InstalledVersion,
		FixedVersion:     w.FixedVersion,
		Layer:            layerRefFromWire(w.Layer),
		SeveritySource:   w.SeveritySource,
		PrimaryURL:       w.PrimaryUrl,
		Vulnerability: types.Vulnerability{
			Title:       w.Title,
			Description: w.Description,
			Severity:    severityFromWire(w.Severity).String(),
			CweIDs:      w.CweIds,
			References:  w.References,
		},
	}
	if id := w.PkgIdentifier; id != nil {
		v.PkgIdentifier = types.Identifier{PURL: id.Purl, UID: id.Uid}
	}
	// A status this version does not know is unknown.
	if s := types.Status(w.Status); s > types.StatusUnknown && s <= types.StatusEndOfLife {
		v.Status = s
	}
	if len(w.Cvss) > 0 {
		v.CVSS = make(map[string]types.CVSS, len(w.Cvss))
		for src, c := range w.Cvss {
			v.CVSS[src] = types.CVSS{V2Vector: c.GetV2Vector(), V3Vector: c.GetV3Vector(), V40Vector: c.GetV40Vector(),
				V2Score: c.GetV2Score(), V3Score: c.GetV3Score(), V40Score: c.GetV40Score()}
		}
	}
	if len(w.VendorSeverity) > 0 {
		v.VendorSeverity = make(map[string]types.Severity, len(w.VendorSeverity))
		for src, s := range w.VendorSeverity {
			v.VendorSeverity[src] = severityFromWire(s)
		}
	}
	if d := w.DataSource; d != nil {
		v.DataSource = &types.DataSource{ID: d.Id, Name: d.Name, URL: d.Url}
	}
	var err error
	if v.PublishedDate, err = timeFromWire(w.PublishedDate, "published date"); err != nil {
		return v, err
	}
	if v.LastModifiedDate, err = timeFromWire(w.LastModifiedDate, "last modified date"); err != nil {
		return v, err
	}
	return v, nil
}

// LayersToWire is ScanResponse.layers: the image's layers as the report's
// metadata lists them.
func LayersToWire(layers []types.ReportLayer) []*common.Layer {
	var out []*common.Layer
	for _, l := range layers {
		out = append(out, &common.Layer{Digest: jsonValidUTF8(l.Digest), DiffId: jsonValidUTF8(l.DiffID), Size: l.Size})
	}
	return out
}

// LayersFromWire reads ScanResponse.layers.
func LayersFromWire(layers []*common.Layer) ([]types.ReportLayer, error) {
	if err := (&wireBudget{}).take(len(layers), "layers"); err != nil {
		return nil, err
	}
	var out []types.ReportLayer
	for _, l := range layers {
		if l.GetSize() < 0 {
			return nil, fmt.Errorf("layer %s: negative size %d", l.GetDiffId(), l.GetSize())
		}
		out = append(out, types.ReportLayer{Digest: l.GetDigest(), DiffID: l.GetDiffId(), Size: l.GetSize()})
	}
	return out, nil
}

// licenseCategoryToWire is the wire's enum value of a licence category.
func licenseCategoryToWire(c string) common.LicenseCategory_Enum {
	if v, ok := common.LicenseCategory_Enum_value[strings.ToUpper(c)]; ok {
		return common.LicenseCategory_Enum(v)
	}
	return common.LicenseCategory_UNKNOWN
}
