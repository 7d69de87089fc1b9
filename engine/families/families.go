// Package families is what the scanner knows about each OS family and each
// language ecosystem, as two tables: how an image names its OS, which
// package manager installs its packages and how their PURLs read, which DB
// bucket holds its advisories and how versions are ordered, when releases
// end, and how reports name their results. Analyzers, merge, detect and
// scan read these rows; adding a family is one row (plus, at most, a
// version comparer).
package families

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// The release files every family may carry; a family's own files (its
// ReleaseFiles) are trusted before them.
const (
	EtcOSRelease  = "etc/os-release"
	UsrOSRelease  = "usr/lib/os-release"
	EtcLSBRelease = "etc/lsb-release"
)

// genericReleaseFiles, most trusted first.
var genericReleaseFiles = []string{EtcOSRelease, UsrOSRelease, EtcLSBRelease}

// OSFamily is one OS family. A row with no Bucket is one the scanner can
// name (from os-release) but whose packages it does not match yet.
type OSFamily struct {
	// Name is the family as reports, the DB and --distro name it.
	Name string
	// IDs are the os-release ID (or lsb-release DISTRIB_ID) values, lower
	// case, that name this family.
	IDs []string
	// ReleaseFiles are the family's own files whose first line is the
	// release (etc/alpine-release); they beat the generic files.
	ReleaseFiles []string
	// DerivedFrom names the family whose release file images of this one
	// also carry (Ubuntu ships etc/debian_version): when both are present,
	// the generic files tell the truth and the parent's file does not.
	DerivedFrom string
	// Packages is the package manager that installs the OS packages.
	Packages PackageManager
	// Bucket is the DB platform bucket; %s, when present, is replaced by
	// the release Cut gives. A bucket without %s is versionless (wolfi).
	Bucket string
	// Cut turns an OS version into the release buckets and EOL dates use.
	Cut func(version string) string
	// ParseVersion reads a version of the package manager, for ordering.
	ParseVersion func(string) (Version, error)
	// SourceNames: advisories are filed against source packages (apk
	// origin, dpkg Source), and the source version is compared.
	SourceNames bool
	// ReadRelease reads the family's own release file; nil takes its
	// first line as the version. It may name another family (CentOS's
	// etc/redhat-release says "CentOS Linux release 7.9.2009 (Core)").
	ReadRelease func(content []byte) (family, version string)
	// Advisories says how advisories are looked up (BucketLookup,
	// RedHatCPE).
	Advisories string
	// ModularNames: packages built in an rpm module are looked up as
	// "module:stream::name".
	ModularNames bool
	// Flavours: advisories are per package flavour (Oracle's normal,
	// ksplice and fips builds), told apart by the release; an advisory
	// applies only to packages of its own flavour (see Flavour).
	Flavours bool
	// SkipUnlabelledModular: a package whose release says it was built in
	// a module (".module_el8") but that has no modularity label is not
	// matched (AlmaLinux: its errata cannot tell such builds apart).
	SkipUnlabelledModular bool
	// BinaryVersion: with SourceNames, the binary package's version is
	// compared, not the source's (Photon).
	BinaryVersion bool
	// PURLNamespace is the PURL namespace of the family's packages when
	// it is not the family name (SUSE's families share "suse" or
	// "opensuse").
	PURLNamespace string
	// Extended names the extended-support variant of the family's
	// releases (Ubuntu ESM); see Extended.
	Extended *Extended
}

// osFamilies is the table, in the order release files are trusted: a
// family whose own file other families' images also carry (Red Hat's
// etc/redhat-release is in every CentOS, Rocky, Alma and Oracle image)
// comes after them.
var osFamilies = []OSFamily{
	{Name: "alpine", IDs: []string{"alpine"}, ReleaseFiles: []string{"etc/alpine-release"}, Packages: apk,
		Bucket: "alpine %s", Cut: majorMinor, ParseVersion: parseAPK, SourceNames: true},
	{Name: "debian", IDs: []string{"debian"}, ReleaseFiles: []string{"etc/debian_version"}, Packages: dpkg,
		Bucket: "debian %s", Cut: major, ParseVersion: parseDeb, SourceNames: true},
	{Name: "ubuntu", IDs: []string{"ubuntu"}, DerivedFrom: "debian", Packages: dpkg,
		Bucket: "ubuntu %s", Cut: whole, ParseVersion: parseDeb, SourceNames: true, Extended: &ubuntuESM},
	{Name: "wolfi", IDs: []string{"wolfi"}, Packages: apk, Bucket: "wolfi", ParseVersion: parseAPK, SourceNames: true},
	{Name: "chainguard", IDs: []string{"chainguard"}, Packages: apk, Bucket: "chainguard", ParseVersion: parseAPK, SourceNames: true},

	// rpm families. Their own release files say "NAME release VERSION
	// (CODENAME)"; readRedHatRelease tells the family from NAME.
	{Name: "centos", IDs: []string{"centos"}, ReleaseFiles: []string{"etc/centos-release"}, ReadRelease: readRedHatRelease,
		Packages: rpm, Bucket: "Red Hat", Advisories: RedHatCPE, Cut: major, ParseVersion: parseRPM, ModularNames: true},
	{Name: "rocky", IDs: []string{"rocky"}, ReleaseFiles: []string{"etc/rocky-release"}, ReadRelease: readRedHatRelease,
		Packages: rpm, Bucket: "rocky %s", Cut: major, ParseVersion: parseRPM, ModularNames: true},
	// AlmaLinux errata name modular builds without their module: a
	// package built in a module whose label rpm lost cannot be matched.
	{Name: "alma", IDs: []string{"almalinux"}, ReleaseFiles: []string{"etc/almalinux-release"}, ReadRelease: readRedHatRelease,
		Packages: rpm, Bucket: "alma %s", Cut: major, ParseVersion: parseRPM, ModularNames: true, SkipUnlabelledModular: true},
	{Name: "oracle", IDs: []string{"ol"}, ReleaseFiles: []string{"etc/oracle-release"}, ReadRelease: readRedHatRelease,
		Packages: rpm, Bucket: "Oracle Linux %s", Cut: major, ParseVersion: parseRPM, Flavours: true},
	// Fedora is named but not matched: the DB has no Fedora advisories.
	{Name: "fedora", IDs: []string{"fedora"}, ReleaseFiles: []string{"etc/fedora-release"}, ReadRelease: readRedHatRelease,
		Packages: rpm},
	{Name: "redhat", IDs: []string{"rhel"}, ReleaseFiles: []string{"etc/redhat-release"}, ReadRelease: readRedHatRelease,
		Packages: rpm, Bucket: "Red Hat", Advisories: RedHatCPE, Cut: major, ParseVersion: parseRPM, ModularNames: true},
	// Amazon's advisories are compared with Debian's ordering, as Trivy
	// does: ALAS fixed versions are epoch:version-release strings that
	// both orderings read alike, and a finding must not depend on which.
	{Name: "amazon", IDs: []string{"amzn"}, ReleaseFiles: []string{"etc/system-release", "usr/lib/system-release"}, ReadRelease: readAmazonRelease,
		Packages: rpm, Bucket: "amazon linux %s", Cut: amazonRelease, ParseVersion: parseDeb},
	{Name: "cbl-mariner", IDs: []string{"mariner"}, ReleaseFiles: []string{"etc/mariner-release"}, ReadRelease: readMarinerRelease,
		Packages: rpm, Bucket: "CBL-Mariner %s", Cut: majorMinor, ParseVersion: parseRPM, SourceNames: true},
	{Name: "azurelinux", IDs: []string{"azurelinux"}, ReleaseFiles: []string{"etc/azurelinux-release"}, ReadRelease: readMarinerRelease,
		Packages: rpm, Bucket: "Azure Linux %s", Cut: majorMinor, ParseVersion: parseRPM, SourceNames: true},
	// Photon files advisories under source names but compares the
	// binary package's version.
	{Name: "photon", IDs: []string{"photon"}, Packages: rpm, Bucket: "Photon OS %s", Cut: whole, ParseVersion: parseRPM,
		SourceNames: true, BinaryVersion: true},
	// SUSE: the release is VERSION_ID as os-release gives it (15.5).
	// "SUSE Linux Enterprise Micro for Rancher" and the short-lived
	// "SL Micro" brand are SLE Micro.
	{Name: "sles", IDs: []string{"sles", "sles_sap"}, Packages: rpm, Bucket: "SUSE Linux Enterprise %s", Cut: whole, ParseVersion: parseRPM, PURLNamespace: "suse"},
	{Name: "slem", IDs: []string{"sle-micro", "sl-micro", "sle-micro-rancher"}, Packages: rpm, Bucket: "SUSE Linux Enterprise Micro %s", Cut: whole, ParseVersion: parseRPM, PURLNamespace: "suse"},
	// openSUSE Leap 42 says ID=opensuse, Leap 15 ID=opensuse-leap.
	{Name: "opensuse-leap", IDs: []string{"opensuse-leap", "opensuse"}, Packages: rpm, Bucket: "openSUSE Leap %s", Cut: whole, ParseVersion: parseRPM, PURLNamespace: "opensuse"},
	{Name: "opensuse-leapmicro", IDs: []string{"opensuse-leap-micro"}, Packages: rpm, Bucket: "openSUSE Leap Micro %s", Cut: whole, ParseVersion: parseRPM, PURLNamespace: "opensuse"},
	{Name: "opensuse-tumbleweed", IDs: []string{"opensuse-tumbleweed"}, Packages: rpm, Bucket: "openSUSE Tumbleweed", ParseVersion: parseRPM, PURLNamespace: "opensuse"},
	// Bottlerocket hosts keep their os-release and the inventory of the
	// rpm packages they were built from under the arch's sys-root.
	{Name: "bottlerocket", IDs: []string{"bottlerocket"}, ReleaseFiles: bottlerocketReleaseFiles, ReadRelease: readBottlerocketRelease,
		Packages: bottlerocket, Bucket: "bottlerocket", ParseVersion: parseRPM},
}

// Advisory lookups: how a family's advisories for a package are found.
const (
	// BucketLookup (the zero value): the package's name in the
	// release's bucket.
	BucketLookup = ""
	// RedHatCPE: one bucket for every release, each advisory entry
	// naming the CPEs (products) it applies to; the image's content sets
	// say which CPEs are its own (see engine/detect).
	RedHatCPE = "redhat-cpe"
)

// Matched reports whether the family's packages are matched against the DB.
func (f OSFamily) Matched() bool { return f.Bucket != "" }

// Release is the release an OS version belongs to, as buckets and EOL
// dates name it.
func (f OSFamily) Release(version string) string {
	if f.Cut == nil {
		return version
	}
	return f.Cut(version)
}

// BucketFor is the DB bucket holding the advisories of an OS version.
func (f OSFamily) BucketFor(version string) string {
	if !strings.Contains(f.Bucket, "%s") {
		return f.Bucket
	}
	return fmt.Sprintf(f.Bucket, f.Release(version))
}

// EndOfLife reports whether an OS version was past its end of support at
// now. Unknown releases are not reported as ended.
func (f OSFamily) EndOfLife(version string, now time.Time) bool {
	end, ok := eolDates[f.Name][f.Release(f.MatchedVersion(version, now))]
	return ok && now.After(end)
}

// ByName is the row of a family name.
func ByName(name string) (OSFamily, bool) {
	i := slices.IndexFunc(osFamilies, func(f OSFamily) bool { return f.Name == name })
	if i < 0 {
		return OSFamily{}, false
	}
	return osFamilies[i], true
}

// ByID is the row of an os-release ID (or lsb-release DISTRIB_ID), in any
// case and with surrounding space.
func ByID(id string) (OSFamily, bool) {
	id = strings.ToLower(strings.TrimSpace(id))
	i := slices.IndexFunc(osFamilies, func(f OSFamily) bool { return slices.Contains(f.IDs, id) })
	if i < 0 {
		return OSFamily{}, false
	}
	return osFamilies[i], true
}

// NameFromID is the family name of an os-release ID: its row's name, else
// the ID itself (lower case), so that reports still name families the
// table does not know.
func NameFromID(id string) string {
	if f, ok := ByID(id); ok {
		return f.Name
	}
	return strings.ToLower(strings.TrimSpace(id))
}

// ByReleaseFile is the family whose own release file path is.
func ByReleaseFile(path string) (OSFamily, bool) {
	i := slices.IndexFunc(osFamilies, func(f OSFamily) bool { return slices.Contains(f.ReleaseFiles, path) })
	if i < 0 {
		return OSFamily{}, false
	}
	return osFamilies[i], true
}

// ReleaseFiles are the files that name the OS, most trusted first: every
// family's own files, in table order, then the generic ones.
func ReleaseFiles() []string {
	var out []string
	for _, f := range osFamilies {
		out = append(out, f.ReleaseFiles...)
	}
	return append(out, genericReleaseFiles...)
}

// IsGenericReleaseFile reports whether path is one of the files any
// family may carry (os-release, lsb-release).
func IsGenericReleaseFile(path string) bool { return slices.Contains(genericReleaseFiles, path) }

// MatchedNames are the names of the families whose packages are matched, sorted.
func MatchedNames() []string {
	var out []string
	for _, f := range osFamilies {
		if f.Matched() {
			out = append(out, f.Name)
		}
	}
	slices.Sort(out)
	return out
}
