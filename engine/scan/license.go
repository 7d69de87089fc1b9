package scan

import (
	"cmp"
	"slices"
	"strings"

	"github.com/docker-scan/docker-scan/engine/families"
	"github.com/docker-scan/docker-scan/engine/licensing"
	"github.com/docker-scan/docker-scan/engine/types"
)

// ScannerLicense classifies the licences of packages (and, with
// LicenseFull, of licence texts found in files).
const ScannerLicense = "license"

// License result targets, as Trivy names them.
const (
	targetOSLicenses   = "OS Packages"
	targetFileLicenses = "Loose File License(s)"
)

// unknownLicense names the licence of a package whose metadata declares
// none: the report lists it so that what is unknown is seen.
const unknownLicense = "UNKNOWN"

// licenseClassifier is the classifier of the options' categories.
func (o Options) licenseClassifier() *licensing.Classifier {
	return licensing.NewClassifier(o.LicenseCategories)
}

// attachClassifiedLicenses gives the dpkg packages whose copyright file
// names no licence the licences --license-full found in its text, and
// leaves the other licence files as loose files.
func attachClassifiedLicenses(art *types.Artifact) {
	byPkg := map[string][]string{}
	art.Licenses = slices.DeleteFunc(slices.Clone(art.Licenses), func(f types.LicenseFile) bool {
		if f.Type != types.LicenseTypeDpkg || f.PkgName == "" {
			return false
		}
		for _, fd := range f.Findings {
			byPkg[f.PkgName] = append(byPkg[f.PkgName], fd.Name)
		}
		return true
	})
	if len(byPkg) == 0 {
		return
	}
	for i := range art.PackageDBs {
		db := &art.PackageDBs[i]
		if db.Type != "dpkg" {
			continue
		}
		for j := range db.Packages {
			p := &db.Packages[j]
			if names, ok := byPkg[p.Name]; ok && len(p.Licenses) == 0 {
				p.Licenses = slices.Clone(names)
			}
		}
	}
}

// licenseResults are the licence results of an artifact, in Trivy's
// order: the OS packages, each language result, the loose licence files
// (with LicenseFull).
func licenseResults(art types.Artifact, opts Options) []types.Result {
	cls := opts.licenseClassifier()
	var out []types.Result
	if art.OS.Detected() && opts.wants(PkgTypeOS) {
		var found []types.DetectedLicense
		for _, p := range reportPackages(art.PackageDBs, families.IsOSPackageType) {
			found = append(found, packageLicenses(cls, p, "", osLicenseReason(p))...)
		}
		if len(found) > 0 {
			out = append(out, types.Result{Target: targetOSLicenses, Class: types.ClassLicense, Licenses: found})
		}
	}
	if opts.wants(PkgTypeLibrary) {
		for _, g := range langGroups(art) {
			eco, _ := families.EcosystemByType(g.typ)
			var found []types.DetectedLicense
			for _, p := range g.packages {
				file := p.FilePath
				if file == "" {
					file = g.target
				}
				reason := ""
				if !eco.PerFile {
					// Binaries and lock files carry no licences: saying
					// so for each of their packages would be noise.
					reason = "its metadata (" + file + ") declares no licence"
				}
				found = append(found, packageLicenses(cls, p, file, reason)...)
			}
			if len(found) > 0 {
				out = append(out, types.Result{Target: g.target, Class: types.ClassLicense, Licenses: found})
			}
		}
	}
	if opts.LicenseFull {
		// As in Trivy, the loose files' result is there even when no
		// licence text was found.
		var found []types.DetectedLicense
		for _, f := range art.Licenses {
			for _, fd := range f.Findings {
				cat, sev := cls.Classify(fd.Name)
				found = append(found, types.DetectedLicense{
					Severity: sev, Category: cat, FilePath: f.FilePath, Name: fd.Name,
					Confidence: fd.Confidence, Link: fd.Link,
				})
			}
		}
		out = append(out, types.Result{Target: targetFileLicenses, Class: types.ClassLicenseFile, Licenses: found})
	}
	return out
}

// packageLicenses classifies each licence of a package; a package with
// none is one UNKNOWN entry with the reason, unless reason is empty.
func packageLicenses(cls *licensing.Classifier, p types.Package, file, reason string) []types.DetectedLicense {
	if len(p.Licenses) == 0 {
		if reason == "" {
			return nil
		}
		return []types.DetectedLicense{{
			Severity: licensing.Severity(types.LicenseCategoryUnknown), Category: types.LicenseCategoryUnknown,
			PkgName: p.Name, FilePath: file, Name: unknownLicense, Confidence: 1, Reason: reason,
		}}
	}
	out := make([]types.DetectedLicense, 0, len(p.Licenses))
	for _, l := range p.Licenses {
		d := types.DetectedLicense{PkgName: p.Name, FilePath: file, Name: l, Confidence: 1}
		d.Category, d.Severity = cls.Classify(l)
		if text, ok := strings.CutPrefix(l, licensing.TextPrefix); ok {
			d.Text = text
			d.Name = licensing.CustomName(text)
		}
		out = append(out, d)
	}
	return out
}

// osLicenseReason says where an OS package's licence would have been.
func osLicenseReason(p types.Package) string {
	switch p.AnalyzedBy {
	case "dpkg":
		return "usr/share/doc/" + p.Name + "/copyright is missing or names no licence"
	case "apk":
		return "the apk database gives no licence (L:)"
	case "rpm":
		return "the rpm database gives no License"
	}
	return "the package database gives no licence"
}

// langGroup is the packages of one language result: one per ecosystem,
// or per file (a binary, a lock file) where Trivy reports them so.
type langGroup struct {
	target, typ string
	// files are the package DB files of the group.
	files    map[string]bool
	packages []types.Package
}

// langGroups groups the language packages of an artifact as the report
// lists them, sorted by type and target.
func langGroups(art types.Artifact) []langGroup {
	type key struct{ target, typ string }
	index := map[key]int{}
	var groups []langGroup
	for _, db := range art.PackageDBs {
		if families.IsOSPackageType(db.Type) {
			continue
		}
		eco, _ := families.EcosystemByType(db.Type)
		k := key{eco.Target, db.Type}
		if k.target == "" || eco.PerFile {
			k.target = db.FilePath
		}
		i, ok := index[k]
		if !ok {
			i = len(groups)
			index[k] = i
			groups = append(groups, langGroup{target: k.target, typ: k.typ, files: map[string]bool{}})
		}
		groups[i].files[db.FilePath] = true
	}
	slices.SortFunc(groups, func(a, b langGroup) int { return cmp.Or(cmp.Compare(a.typ, b.typ), cmp.Compare(a.target, b.target)) })
	for i := range groups {
		g := &groups[i]
		for _, p := range reportPackages(art.PackageDBs, func(t string) bool { return t == g.typ }) {
			if g.files[p.FilePath] {
				g.packages = append(g.packages, p)
			}
		}
	}
	return groups
}
