package merge

import (
	"strconv"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/docker-scan/docker-scan/engine/types"
)

// purlType maps package-database types to PURL types.
var purlType = map[string]string{
	"apk":  packageurl.TypeApk,
	"dpkg": packageurl.TypeDebian,
}

// setPURLs names each OS package with a PURL; the distro qualifier needs the
// OS, which only the merged image knows.
func setPURLs(dbs []types.PackageDB, os types.OS) {
	for _, db := range dbs {
		if langPURL, ok := langPURLs[db.Type]; ok {
			for i := range db.Packages {
				db.Packages[i].Identifier.PURL = langPURL(db.Packages[i])
			}
			continue
		}
		typ, ok := purlType[db.Type]
		if !ok {
			continue
		}
		for i := range db.Packages {
			db.Packages[i].Identifier.PURL = osPURL(typ, db.Packages[i], os)
		}
	}
}

func osPURL(typ string, p types.Package, os types.OS) string {
	q := packageurl.Qualifiers{}
	if p.Arch != "" {
		q = append(q, packageurl.Qualifier{Key: "arch", Value: p.Arch})
	}
	distro := os.Name
	if typ == packageurl.TypeDebian {
		distro = os.Family + "-" + os.Name
	}
	if os.Name != "" {
		q = append(q, packageurl.Qualifier{Key: "distro", Value: distro})
	}
	if p.Epoch > 0 {
		q = append(q, packageurl.Qualifier{Key: "epoch", Value: strconv.Itoa(p.Epoch)})
	}
	namespace := os.Family
	if namespace == "" {
		namespace = typ
	}
	return packageurl.NewPackageURL(typ, namespace, p.Name, p.Version, q, "").ToString()
}

// langPURLs name language packages, by package-database type.
var langPURLs = map[string]func(types.Package) string{
	"node-pkg": func(p types.Package) string {
		namespace, name := "", p.Name
		if strings.HasPrefix(name, "@") {
			namespace, name, _ = strings.Cut(name, "/")
		}
		return packageurl.NewPackageURL(packageurl.TypeNPM, namespace, name, p.Version, nil, "").ToString()
	},
	"jar": func(p types.Package) string {
		group, artifact, ok := strings.Cut(p.Name, ":")
		if !ok {
			group, artifact = "", p.Name
		}
		return packageurl.NewPackageURL(packageurl.TypeMaven, group, artifact, p.Version, nil, "").ToString()
	},
	"gemspec": func(p types.Package) string {
		return packageurl.NewPackageURL(packageurl.TypeGem, "", p.Name, p.Version, nil, "").ToString()
	},
	"composer": func(p types.Package) string {
		vendor, name, _ := strings.Cut(p.Name, "/")
		return packageurl.NewPackageURL(packageurl.TypeComposer, vendor, name, p.Version, nil, "").ToString()
	},
	"dotnet-core": func(p types.Package) string {
		return packageurl.NewPackageURL(packageurl.TypeNuget, "", p.Name, p.Version, nil, "").ToString()
	},
	"gobinary": func(p types.Package) string {
		namespace, name := "", p.Name
		if i := strings.LastIndex(name, "/"); i >= 0 {
			namespace, name = name[:i], name[i+1:]
		}
		return packageurl.NewPackageURL(packageurl.TypeGolang, namespace, name, "v"+p.Version, nil, "").ToString()
	},
	"cargo":      cargoPURL,
	"rustbinary": cargoPURL,
	"python-pkg": func(p types.Package) string {
		return packageurl.NewPackageURL(packageurl.TypePyPi, "", NormalizePyPI(p.Name), p.Version, nil, "").ToString()
	},
}

// NormalizePyPI is a Python distribution's name as indexes compare it:
// lower case, with runs of "_", "." and "-" as one "-".
func NormalizePyPI(name string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(name), func(r rune) bool { return r == '_' || r == '.' || r == '-' }), "-")
}

func cargoPURL(p types.Package) string {
	return packageurl.NewPackageURL(packageurl.TypeCargo, "", p.Name, p.Version, nil, "").ToString()
}
