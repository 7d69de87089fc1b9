package sbom

import (
	"strconv"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/docker-scan/docker-scan/engine/families"
	"github.com/docker-scan/docker-scan/engine/types"
)

// osPURLTypes are the package-database types of the OS package PURL
// types.
var osPURLTypes = map[string]string{
	packageurl.TypeApk:    "apk",
	packageurl.TypeDebian: "dpkg",
	packageurl.TypeRPM:    "rpm",
	"bottlerocket":        "bottlerocket",
}

// langPURLTypes are the package-database types of the language package
// PURL types, where a Trivy PkgType property does not name one.
var langPURLTypes = map[string]string{
	packageurl.TypeNPM:      "node-pkg",
	packageurl.TypePyPi:     "python-pkg",
	packageurl.TypeMaven:    "jar",
	packageurl.TypeGem:      "gemspec",
	packageurl.TypeComposer: "composer",
	packageurl.TypeNuget:    "dotnet-core",
	packageurl.TypeCargo:    "cargo",
	packageurl.TypeGolang:   "gobinary",
	packageurl.TypeConda:    "conda-pkg",
}

// pkgClass is where a package belongs.
type pkgClass struct {
	// typ is the package-database type (dpkg, node-pkg, ...).
	typ string
	os  bool
	// distro is the OS the PURL's distro qualifier names (OS packages).
	distro types.OS
	// perFile: the ecosystem's packages are listed per file (a binary),
	// so the application component names the file.
	perFile bool
}

// packageOf reads a package from a component: its PURL says the type,
// version and qualifiers, the properties (Trivy's, Syft's) the rest.
// Components without a PURL, or with one of a type the scanner has no
// package type for, give false.
func packageOf(c *component) (*types.Package, pkgClass, bool) {
	if c.purl == "" {
		return nil, pkgClass{}, false
	}
	u, err := packageurl.FromString(c.purl)
	if err != nil || u.Name == "" {
		return nil, pkgClass{}, false
	}
	q := u.Qualifiers.Map()
	var class pkgClass
	p := &types.Package{Identifier: types.Identifier{PURL: c.purl}, Arch: q["arch"], Modularitylabel: q["modularitylabel"], Licenses: c.licenses, Digest: c.digest}
	if typ, ok := osPURLTypes[u.Type]; ok {
		class = pkgClass{typ: typ, os: true, distro: distroOf(u, q["distro"])}
		p.Name = u.Name
		p.Epoch, p.Version, p.Release = splitOSVersion(typ, u.Version)
		if e, ok := parseInt(q["epoch"]); ok {
			p.Epoch = e
		}
		// Syft names the source package in "upstream", with its version
		// after "@" when it differs.
		if up := q["upstream"]; up != "" {
			name, version, _ := strings.Cut(up, "@")
			p.SrcName = name
			if version != "" {
				p.SrcEpoch, p.SrcVersion, p.SrcRelease = splitOSVersion(typ, version)
			}
		}
	} else {
		typ := c.prop(propPkgType)
		if eco, ok := families.EcosystemByType(typ); !ok || typ == "" {
			typ = langPURLTypes[u.Type]
		} else {
			class.perFile = eco.PerFile
		}
		eco, ok := families.EcosystemByType(typ)
		if !ok {
			return nil, pkgClass{}, false
		}
		class.typ, class.perFile = typ, eco.PerFile
		p.Name = langName(c, u)
		p.Version = u.Version
	}
	if p.Version == "" {
		p.Version = c.version
	}
	fillFromProps(c, p, class)
	if p.ID == "" {
		p.ID = p.Name + "@" + p.FullVersion()
		if class.typ == "rpm" {
			p.ID = p.Name + "@" + p.Version + "-" + p.Release + "." + p.Arch
		}
		if p.Version == "" {
			p.ID = p.Name
		}
	}
	if class.os && p.SrcName == "" {
		p.SrcName = p.Name
	}
	if class.os && p.SrcVersion == "" {
		p.SrcEpoch, p.SrcVersion, p.SrcRelease = p.Epoch, p.Version, p.Release
	}
	return p, class, true
}

// fillFromProps takes what the properties say: Trivy's (they win) and
// Syft's file location.
func fillFromProps(c *component, p *types.Package, class pkgClass) {
	p.ID = c.prop(propPkgID)
	if v := c.prop(propSrcName); v != "" {
		p.SrcName = v
	} else if c.srcName != "" && p.SrcName == "" {
		p.SrcName = c.srcName
	}
	if v := c.prop(propSrcVersion); v != "" {
		p.SrcVersion = v
		p.SrcRelease = c.prop(propSrcRelease)
		p.SrcEpoch, _ = parseInt(c.prop(propSrcEpoch))
	} else if c.srcVersion != "" && p.SrcVersion == "" {
		p.SrcEpoch, p.SrcVersion, p.SrcRelease = splitOSVersion(class.typ, c.srcVersion)
	}
	if v := c.prop(propModularitylabel); v != "" {
		p.Modularitylabel = v
	}
	p.Layer = types.LayerRef{Digest: c.prop(propLayerDigest), DiffID: c.prop(propLayerDiffID)}
	if p.Layer.DiffID == "" {
		p.Layer.DiffID = c.prop(propSyftLayerID)
	}
	switch {
	case c.prop(propFilePath) != "":
		p.FilePath = cleanPath(c.prop(propFilePath))
	case class.os:
	case c.filePath != "":
		p.FilePath = cleanPath(c.filePath)
	case c.prop(propSyftLocation) != "":
		p.FilePath = cleanPath(c.prop(propSyftLocation))
	}
}

// langName is a language package's name as its ecosystem writes it: the
// PURL lowers case for some types (PyPI), so the component's own name
// wins, except for Maven, whose group and artifact the PURL keeps apart.
func langName(c *component, u packageurl.PackageURL) string {
	fromPURL := u.Name
	if u.Namespace != "" {
		sep := "/"
		if u.Type == packageurl.TypeMaven {
			sep = ":"
		}
		fromPURL = u.Namespace + sep + u.Name
	}
	switch {
	case u.Type == packageurl.TypeMaven || c.name == "":
		return fromPURL
	case c.group != "" && u.Type != packageurl.TypeMaven:
		return c.group + "/" + c.name
	}
	return c.name
}

// splitOSVersion splits an OS package version into epoch, version and
// release (revision) as the package manager reads it; apk versions stay
// whole, as the apk analyzer keeps them.
func splitOSVersion(typ, v string) (int, string, string) {
	if typ == "apk" {
		return 0, v, ""
	}
	epoch := 0
	if e, rest, ok := strings.Cut(v, ":"); ok {
		if n, ok := parseInt(e); ok {
			epoch, v = n, rest
		}
	}
	if i := strings.LastIndex(v, "-"); i > 0 {
		return epoch, v[:i], v[i+1:]
	}
	return epoch, v, ""
}

// distroOf reads an OS from a PURL: the family is the namespace (or the
// type, for Bottlerocket's PURLs), the version the distro qualifier
// without the family ("debian-12", Trivy's "3.20.3" for apk).
func distroOf(u packageurl.PackageURL, distro string) types.OS {
	family := u.Namespace
	if family == "" {
		family = u.Type
	}
	if distro == "" {
		return types.OS{}
	}
	version := distro
	// FAMILY-VERSION, where the family may hold dashes (opensuse-leap-15.5).
	for i := 1; i < len(distro)-1; i++ {
		if distro[i] == '-' && startsWithDigit(distro[i+1:]) && !startsWithDigit(distro) {
			family, version = distro[:i], distro[i+1:]
			break
		}
	}
	return osOf(family, version)
}

// osOf names an OS as the families table does: an os-release ID (rhel,
// ol, almalinux) is turned into the family's name; a family the table
// does not know is kept as given.
func osOf(name, version string) types.OS {
	name = strings.ToLower(strings.TrimSpace(name))
	if f, ok := families.ByName(name); ok {
		return types.OS{Family: f.Name, Name: version}
	}
	if f, ok := families.ByID(name); ok {
		return types.OS{Family: f.Name, Name: version}
	}
	// SUSE's PURL namespaces name several families.
	switch name {
	case "suse":
		name = "sles"
	case "opensuse":
		name = "opensuse-leap"
	}
	return types.OS{Family: name, Name: version}
}

func startsWithDigit(s string) bool { return s != "" && s[0] >= '0' && s[0] <= '9' }

func parseInt(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 0
}
