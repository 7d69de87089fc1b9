package server

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/docker-scan/docker-scan/engine/analyze"
	"github.com/docker-scan/docker-scan/engine/analyze/ospkg"
	"github.com/docker-scan/docker-scan/engine/families"
	"github.com/docker-scan/docker-scan/engine/merge"
	"github.com/docker-scan/docker-scan/engine/server/rpc/cache"
	"github.com/docker-scan/docker-scan/engine/server/rpc/common"
	"github.com/docker-scan/docker-scan/engine/types"
)

// layerExtras is what a LayerResult holds beyond BlobInfo's fields: the
// release files behind BlobInfo.os, every repository file, the facts dpkg
// keeps beside its database, symlinks, analysis issues, our schema
// version, and per package database our type and the package fields the
// wire lacks.
type layerExtras struct {
	SchemaVersion int
	OSReleases    []types.OSRelease     `json:",omitempty"`
	Repositories  []types.Repository    `json:",omitempty"`
	PackageFacts  []types.PackageFacts  `json:",omitempty"`
	Symlinks      []types.Symlink       `json:",omitempty"`
	Issues        []types.AnalysisIssue `json:",omitempty"`
	// Misconfigurations are the results of the Dockerfiles of the layer
	// (Trivy's BlobInfo.misconfigurations has another shape: they do not
	// travel to or from a Trivy peer).
	Misconfigurations []types.Result `json:",omitempty"`
	// PackageDBs has one entry per LayerResult.PackageDBs, in order: the
	// wire splits them in two lists and this puts them back together.
	PackageDBs []packageDBExtras `json:",omitempty"`
}

type packageDBExtras struct {
	// App: the database went to BlobInfo.applications, else to
	// package_infos.
	App  bool `json:",omitempty"`
	Type string
	// FilledAnalyzedBy: the packages had no AnalyzedBy and the wire got
	// Trivy's analyzer name for them.
	FilledAnalyzedBy bool            `json:",omitempty"`
	Packages         []packageExtras `json:",omitempty"`
}

// trivyOSAnalyzers are the names Trivy's OS package analyzers give
// themselves (Package.analyzed_by) where they differ from our types.
var trivyOSAnalyzers = map[string]string{"bottlerocket": "bottlerocket-inventory"}

// BlobFromLayer is the BlobInfo a Trivy client would send for a layer:
// the OS its release files name, OS package databases as package_infos,
// language ones as applications, secrets, the apk repository, whiteouts,
// digests, size and build info; the rest rides in one custom resource of
// type LayerExtrasType.
func BlobFromLayer(r *types.LayerResult) *cache.BlobInfo {
	b := &cache.BlobInfo{
		SchemaVersion: TrivyBlobSchemaVersion,
		Os:            layerOSToWire(r),
		OpaqueDirs:    r.OpaqueDirs,
		WhiteoutFiles: r.WhiteoutFiles,
		Digest:        r.Digest,
		DiffId:        r.DiffID,
		Size:          r.Size,
	}
	if repo := lastRepository(r.Repositories); repo != nil {
		b.Repository = &common.Repository{Family: repo.Family, Release: repo.Release}
	}
	if r.BuildInfo != nil {
		b.BuildInfo = &common.BuildInfo{ContentSets: r.BuildInfo.ContentSets, Nvr: r.BuildInfo.Nvr, Arch: r.BuildInfo.Arch}
	}
	extras := layerExtras{
		SchemaVersion: r.SchemaVersion,
		OSReleases:    r.OSReleases,
		Repositories:  r.Repositories,
		PackageFacts:  r.PackageFacts,
		Symlinks:      r.Symlinks,
		Issues:        r.Issues,

		Misconfigurations: r.Misconfigurations,
	}
	for i := range r.PackageDBs {
		db := &r.PackageDBs[i]
		pkgs, pkgExtras := packagesToWire(db.Packages)
		dbx := packageDBExtras{Type: db.Type, Packages: pkgExtras}
		analyzer := db.Type
		if families.IsOSPackageType(db.Type) {
			if name, ok := trivyOSAnalyzers[db.Type]; ok {
				analyzer = name
			}
			b.PackageInfos = append(b.PackageInfos, &common.PackageInfo{FilePath: db.FilePath, Packages: pkgs})
		} else {
			dbx.App = true
			b.Applications = append(b.Applications, &common.Application{Type: db.Type, FilePath: db.FilePath, Packages: pkgs})
		}
		if len(pkgs) > 0 && !slices.ContainsFunc(pkgs, func(p *common.Package) bool { return p.AnalyzedBy != "" }) {
			for _, p := range pkgs {
				p.AnalyzedBy = analyzer
			}
			dbx.FilledAnalyzedBy = true
		}
		extras.PackageDBs = append(extras.PackageDBs, dbx)
	}
	for _, sf := range r.Secrets {
		b.Secrets = append(b.Secrets, secretFileToWire(sf))
	}
	data, err := extrasToWire(extras)
	if err != nil {
		// Our own plain structs always marshal; a failure is a bug.
		panic(fmt.Sprintf("marshal layer extras: %v", err))
	}
	b.CustomResources = append(b.CustomResources, &common.CustomResource{Type: LayerExtrasType, FilePath: r.DiffID,
		// Trivy reads a resource's layer without checking it is there.
		Layer: &common.Layer{Digest: r.Digest, DiffId: r.DiffID}, Data: data})
	validUTF8(b.ProtoReflect())
	return b
}

// layerOSToWire is the OS this layer's release files name, resolved as
// merge resolves them for an image of this one layer; an extended
// support record goes in the extended flag (Trivy's ubuntu-esm), not in
// the version.
func layerOSToWire(r *types.LayerResult) *common.OS {
	if len(r.OSReleases) == 0 {
		return nil
	}
	os := merge.Layers([]*types.LayerResult{{OSReleases: r.OSReleases}}).OS
	extended := false
	for _, rel := range r.OSReleases {
		if f, ok := families.ExtendedByStatusFile(rel.FilePath); ok && rel.Family == f.Name {
			extended = true
			if os.Family == "" {
				os.Family = f.Name
			}
			if os.Family == f.Name {
				os.Name = strings.TrimSuffix(os.Name, f.Extended.Suffix)
			}
		}
	}
	if os.Family == "" {
		return nil
	}
	return &common.OS{Family: os.Family, Name: os.Name, Extended: extended}
}

// lastRepository is the repository file merge would keep of one layer's.
func lastRepository(repos []types.Repository) *types.Repository {
	var best *types.Repository
	for i := range repos {
		if best == nil || repos[i].FilePath >= best.FilePath {
			best = &repos[i]
		}
	}
	return best
}

// LayerFromBlob is the LayerResult a BlobInfo stands for. A blob that
// carries our extras (one a docker-scan client sent) comes back as it
// left; one from a Trivy client is read the way merge and detect need
// it: the OS as a release record, package databases typed from Trivy's
// analyzer and path names, dpkg licenses as package facts.
func LayerFromBlob(b *cache.BlobInfo) (*types.LayerResult, error) {
	if b == nil {
		return nil, fmt.Errorf("empty blob")
	}
	budget := &wireBudget{}
	r := &types.LayerResult{Digest: b.Digest, DiffID: b.DiffId, SchemaVersion: analyze.ResultSchemaVersion}
	if b.Size < 0 {
		return nil, fmt.Errorf("layer %s: negative size %d", b.DiffId, b.Size)
	}
	r.Size = b.Size
	fail := func(err error) (*types.LayerResult, error) {
		return nil, fmt.Errorf("layer %s: %w", b.DiffId, err)
	}
	if err := budget.take(len(b.OpaqueDirs)+len(b.WhiteoutFiles)+len(b.CustomResources)+len(b.Licenses), "entries"); err != nil {
		return fail(err)
	}
	for _, p := range slices.Concat(b.OpaqueDirs, b.WhiteoutFiles) {
		if err := checkWirePath(p, "whiteout path"); err != nil {
			return fail(err)
		}
	}
	r.OpaqueDirs, r.WhiteoutFiles = b.OpaqueDirs, b.WhiteoutFiles
	if bi := b.BuildInfo; bi != nil {
		if err := budget.take(len(bi.ContentSets), "content sets"); err != nil {
			return fail(err)
		}
		r.BuildInfo = &types.BuildInfo{ContentSets: bi.ContentSets, Nvr: bi.Nvr, Arch: bi.Arch}
	}
	if err := budget.take(len(b.Secrets), "secret files"); err != nil {
		return fail(err)
	}
	for _, s := range b.Secrets {
		sf, err := secretFileFromWire(s, budget)
		if err != nil {
			return fail(err)
		}
		r.Secrets = append(r.Secrets, sf)
	}

	var extras *layerExtras
	for _, c := range b.CustomResources {
		if c.GetType() != LayerExtrasType {
			continue
		}
		if extras != nil {
			return fail(fmt.Errorf("more than one %s resource", LayerExtrasType))
		}
		extras = &layerExtras{}
		if err := extrasFromWire(c.Data, extras); err != nil {
			return fail(fmt.Errorf("read %s resource: %w", LayerExtrasType, err))
		}
	}
	if extras != nil {
		if err := applyLayerExtras(r, b, extras, budget); err != nil {
			return fail(err)
		}
		return r, nil
	}
	if err := readTrivyBlob(r, b, budget); err != nil {
		return fail(err)
	}
	return r, nil
}

// applyLayerExtras rebuilds a layer we sent: the package databases in
// their first order and types, and the details the wire has no room for.
func applyLayerExtras(r *types.LayerResult, b *cache.BlobInfo, x *layerExtras, budget *wireBudget) error {
	if err := budget.take(len(x.OSReleases)+len(x.Repositories)+len(x.PackageFacts)+len(x.Symlinks)+len(x.Issues)+len(x.PackageDBs)+len(x.Misconfigurations), "layer details"); err != nil {
		return err
	}
	for _, m := range x.Misconfigurations {
		if err := budget.take(len(m.Misconfigurations), "misconfigurations"); err != nil {
			return err
		}
	}
	for _, f := range x.PackageFacts {
		n := len(f.Licenses) + len(f.InstalledFiles) + len(f.Digests)
		if err := budget.take(n, "package facts"); err != nil {
			return err
		}
	}
	var paths []string
	for _, rel := range x.OSReleases {
		paths = append(paths, rel.FilePath)
	}
	for _, repo := range x.Repositories {
		paths = append(paths, repo.FilePath)
	}
	for _, f := range x.PackageFacts {
		paths = append(paths, f.FilePath)
	}
	for _, s := range x.Symlinks {
		paths = append(paths, s.Path, s.Target)
	}
	for _, p := range paths {
		if err := checkWirePath(p, "path in the layer details"); err != nil {
			return err
		}
	}
	r.SchemaVersion = x.SchemaVersion
	r.OSReleases, r.Repositories, r.PackageFacts, r.Symlinks, r.Issues = x.OSReleases, x.Repositories, x.PackageFacts, x.Symlinks, x.Issues
	r.Misconfigurations = x.Misconfigurations
	apps, infos := 0, 0
	for _, dbx := range x.PackageDBs {
		var db types.PackageDB
		var wire []*common.Package
		if dbx.App {
			if apps >= len(b.Applications) || b.Applications[apps] == nil {
				return fmt.Errorf("extras list more applications than the blob has (%d)", len(b.Applications))
			}
			a := b.Applications[apps]
			apps++
			db, wire = types.PackageDB{FilePath: a.FilePath, Type: dbx.Type}, a.Packages
		} else {
			if infos >= len(b.PackageInfos) || b.PackageInfos[infos] == nil {
				return fmt.Errorf("extras list more package databases than the blob has (%d)", len(b.PackageInfos))
			}
			pi := b.PackageInfos[infos]
			infos++
			db, wire = types.PackageDB{FilePath: pi.FilePath, Type: dbx.Type}, pi.Packages
		}
		if err := checkWirePath(db.FilePath, "package database path"); err != nil {
			return err
		}
		pkgs, err := packagesFromWire(wire, budget)
		if err != nil {
			return fmt.Errorf("%s: %w", db.FilePath, err)
		}
		if dbx.FilledAnalyzedBy {
			for i := range pkgs {
				pkgs[i].AnalyzedBy = ""
			}
		}
		if err := applyPackageExtras(pkgs, dbx.Packages, budget); err != nil {
			return fmt.Errorf("%s: %w", db.FilePath, err)
		}
		db.Packages = pkgs
		r.PackageDBs = append(r.PackageDBs, db)
	}
	if apps != len(b.Applications) || infos != len(b.PackageInfos) {
		return fmt.Errorf("the blob has %d applications and %d package databases, its extras %d and %d",
			len(b.Applications), len(b.PackageInfos), apps, infos)
	}
	return nil
}

// readTrivyBlob reads what a Trivy client sent into r.
func readTrivyBlob(r *types.LayerResult, b *cache.BlobInfo, budget *wireBudget) error {
	if err := budget.take(len(b.PackageInfos)+len(b.Applications), "package databases"); err != nil {
		return err
	}
	family := b.GetOs().GetFamily()
	if os := b.GetOs(); os != nil && os.Family != "" {
		r.OSReleases = osReleasesFromWire(os)
	}
	if repo := b.GetRepository(); repo != nil && repo.Family != "" {
		r.Repositories = []types.Repository{{FilePath: ospkg.ApkRepositoriesFile, Family: repo.Family, Release: repo.Release}}
	}
	for _, pi := range b.PackageInfos {
		if pi == nil {
			return fmt.Errorf("empty package database entry")
		}
		if err := checkWirePath(pi.FilePath, "package database path"); err != nil {
			return err
		}
		pkgs, err := packagesFromWire(pi.Packages, budget)
		if err != nil {
			return fmt.Errorf("%s: %w", pi.FilePath, err)
		}
		typ, err := trivyOSPackageType(pi, family)
		if err != nil {
			return err
		}
		r.PackageDBs = append(r.PackageDBs, types.PackageDB{FilePath: pi.FilePath, Type: typ, Packages: pkgs})
	}
	for _, a := range b.Applications {
		if a == nil {
			return fmt.Errorf("empty application entry")
		}
		if err := checkWirePath(a.FilePath, "application path"); err != nil {
			return err
		}
		pkgs, err := packagesFromWire(a.Packages, budget)
		if err != nil {
			return fmt.Errorf("%s: %w", a.FilePath, err)
		}
		// Our reports group a database's packages by the file they were
		// found in, which is the database's own path.
		for i := range pkgs {
			pkgs[i].FilePath = a.FilePath
		}
		r.PackageDBs = append(r.PackageDBs, types.PackageDB{FilePath: a.FilePath, Type: trivyLangType(a.Type), Packages: pkgs})
	}
	// Trivy's dpkg-license analyzer reports copyright files as license
	// files of a package; ours records them as package facts.
	for _, l := range b.Licenses {
		if l.GetLicenseType() != common.LicenseType_DPKG || l.PkgName == "" {
			continue
		}
		if err := checkWirePath(l.FilePath, "license file path"); err != nil {
			return err
		}
		if err := budget.take(len(l.Fingings), "license findings"); err != nil {
			return err
		}
		facts := types.PackageFacts{FilePath: l.FilePath, Type: "dpkg", Package: l.PkgName}
		for _, f := range l.Fingings {
			if f.GetName() != "" && !slices.Contains(facts.Licenses, f.GetName()) {
				facts.Licenses = append(facts.Licenses, f.GetName())
			}
		}
		r.PackageFacts = append(r.PackageFacts, facts)
	}
	return nil
}

// osReleasesFromWire records a Trivy blob's OS where merge looks for it:
// the family's own release file, or os-release for a family without one,
// and the extended-support status file when the blob says it is on.
func osReleasesFromWire(os *common.OS) []types.OSRelease {
	file := families.EtcOSRelease
	f, known := families.ByName(os.Family)
	if known && len(f.ReleaseFiles) > 0 {
		file = f.ReleaseFiles[0]
	}
	var out []types.OSRelease
	name := os.Name
	if known && f.Extended != nil {
		name = strings.TrimSuffix(name, f.Extended.Suffix)
	}
	if name != "" || !os.Extended {
		out = append(out, types.OSRelease{FilePath: file, Family: os.Family, Name: name})
	}
	if os.Extended && known && f.Extended != nil {
		out = append(out, types.OSRelease{FilePath: f.Extended.StatusFile, Family: f.Name})
	}
	return out
}

// trivyOSPackageType is our type of a Trivy package_infos entry: from the
// analyzer that found its packages, else the database's path, else the
// package manager of the blob's OS.
func trivyOSPackageType(pi *common.PackageInfo, family string) (string, error) {
	for _, p := range pi.Packages {
		switch p.GetAnalyzedBy() {
		case "apk", "dpkg", "rpm":
			return p.AnalyzedBy, nil
		case "rpmqa", "rpm-archive":
			return "rpm", nil
		case "bottlerocket-inventory":
			return "bottlerocket", nil
		}
	}
	p := pi.FilePath
	switch base := path.Base(p); {
	case strings.HasSuffix(p, "apk/db/installed"):
		return "apk", nil
	case strings.Contains(p, "var/lib/dpkg/"):
		return "dpkg", nil
	case strings.Contains(p, "rpm") && (base == "Packages" || base == "Packages.db" || base == "rpmdb.sqlite"):
		return "rpm", nil
	}
	if f, ok := families.ByName(family); ok && f.Packages.Type != "" {
		return f.Packages.Type, nil
	}
	return "", fmt.Errorf("cannot tell which package manager wrote %s (OS %q)", pi.FilePath, family)
}

// trivyLangTypes maps Trivy's language types that we do not name
// ourselves to the ecosystem of ours whose advisories apply to them.
var trivyLangTypes = map[string]string{
	"npm": "node-pkg", "yarn": "node-pkg", "pnpm": "node-pkg", "bun": "node-pkg",
	"pip": "python-pkg", "pipenv": "python-pkg", "poetry": "python-pkg", "uv": "python-pkg", "pylock": "python-pkg",
	"pom": "jar", "gradle": "jar", "sbt": "jar",
	"bundler":         "gemspec",
	"composer-vendor": "composer",
	"nuget":           "dotnet-core", "packages-props": "dotnet-core",
	"gomod":             "gobinary",
	"conda-environment": "conda-pkg",
}

// trivyLangType is our type of a Trivy application type; a type we have
// no ecosystem for stays as it is (listed, not matched).
func trivyLangType(t string) string {
	if _, ok := families.EcosystemByType(t); ok {
		return t
	}
	if ours, ok := trivyLangTypes[t]; ok {
		return ours
	}
	return t
}
