package families

import (
	"slices"
	"strconv"

	"github.com/package-url/packageurl-go"

	"github.com/docker-scan/docker-scan/engine/types"
)

// PackageManager is an OS package manager, shared by the families whose
// packages it installs.
type PackageManager struct {
	// Type is the package-database type its analyzer reports.
	Type string
	// PURLType is the PURL type of its packages; their namespace is the
	// OS family.
	PURLType string
	// DistroWithFamily: the PURL distro qualifier is FAMILY-RELEASE
	// (debian-12.7) rather than the release alone (3.20.3).
	DistroWithFamily bool
	// NoNamespace: the PURLs have no namespace.
	NoNamespace bool
	// Fallback is the family assumed when an image has this package
	// database but no release file (distroless Debian keeps only dpkg's
	// status.d).
	Fallback string
}

var (
	apk  = PackageManager{Type: "apk", PURLType: packageurl.TypeApk}
	dpkg = PackageManager{Type: "dpkg", PURLType: packageurl.TypeDebian, DistroWithFamily: true, Fallback: "debian"}
	rpm  = PackageManager{Type: "rpm", PURLType: packageurl.TypeRPM, DistroWithFamily: true}
	// Bottlerocket's PURLs have a type of their own and no namespace
	// (pkg:bottlerocket/glibc@2.40?arch=x86_64&distro=bottlerocket-1.34.0&epoch=1).
	bottlerocket = PackageManager{Type: "bottlerocket", PURLType: "bottlerocket", DistroWithFamily: true, NoNamespace: true}
)

// PackageManagerByType is the OS package manager of a package-database
// type.
func PackageManagerByType(typ string) (PackageManager, bool) {
	i := slices.IndexFunc(osFamilies, func(f OSFamily) bool { return f.Packages.Type != "" && f.Packages.Type == typ })
	if i < 0 {
		return PackageManager{}, false
	}
	return osFamilies[i].Packages, true
}

// IsOSPackageType reports whether a package-database type is an OS
// package manager's.
func IsOSPackageType(typ string) bool {
	_, ok := PackageManagerByType(typ)
	return ok
}

// PURL names an OS package; the distro qualifier needs the OS, which only
// the merged image knows.
func (m PackageManager) PURL(p types.Package, os types.OS) string {
	q := packageurl.Qualifiers{}
	if p.Arch != "" {
		q = append(q, packageurl.Qualifier{Key: "arch", Value: p.Arch})
	}
	distro := os.Name
	if m.DistroWithFamily {
		distro = os.Family + "-" + os.Name
	}
	if os.Name != "" {
		q = append(q, packageurl.Qualifier{Key: "distro", Value: distro})
	}
	if p.Epoch > 0 {
		q = append(q, packageurl.Qualifier{Key: "epoch", Value: strconv.Itoa(p.Epoch)})
	}
	// A modular rpm's module (name:stream:version:context), as Trivy adds it.
	if p.Modularitylabel != "" {
		q = append(q, packageurl.Qualifier{Key: "modularitylabel", Value: p.Modularitylabel})
	}
	namespace := os.Family
	if f, ok := ByName(os.Family); ok && f.PURLNamespace != "" {
		namespace = f.PURLNamespace
	}
	if namespace == "" {
		namespace = m.PURLType
	}
	if m.NoNamespace {
		namespace = ""
	}
	// The version is version-release; the epoch is a qualifier.
	version := p.Version
	if p.Release != "" {
		version += "-" + p.Release
	}
	return packageurl.NewPackageURL(m.PURLType, namespace, p.Name, version, q, "").ToString()
}
