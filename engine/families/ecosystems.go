package families

import (
	"slices"
	"strings"

	gem "github.com/aquasecurity/go-gem-version"
	npm "github.com/aquasecurity/go-npm-version/pkg"
	pep440 "github.com/aquasecurity/go-pep440-version"
	genericversion "github.com/aquasecurity/go-version/pkg/version"
	mvn "github.com/masahiro331/go-mvn-version"
	"github.com/package-url/packageurl-go"

	"github.com/docker-scan/docker-scan/engine/types"
)

// Ecosystem is one language package type. A row with no BucketPrefix is
// inventoried and reported, not matched (the DB has no advisories for it).
type Ecosystem struct {
	// Type is the package-database type its analyzer reports.
	Type string
	// BucketPrefix starts the names of the DB buckets of the ecosystem's
	// data sources ("npm::GitHub Security Advisory npm").
	BucketPrefix string
	// Normalize turns a package name into the name advisories use.
	Normalize func(string) string
	// Matches reports whether version satisfies a constraint set written
	// in the ecosystem's syntax (comma-separated constraints, all must hold).
	Matches func(version, constraints string) (bool, error)
	// PURL names a package of the ecosystem.
	PURL func(types.Package) string
	// Target names the report result of the ecosystem's packages, as
	// Trivy names it for images ("Node.js").
	Target string
	// PerFile: one result per file (a binary, a lock file) rather than one
	// per ecosystem, as Trivy reports them.
	PerFile bool
}

var ecosystems = []Ecosystem{
	{Type: "node-pkg", BucketPrefix: "npm::", Normalize: same, Matches: npmRanges, PURL: npmPURL, Target: "Node.js"},
	{Type: "python-pkg", BucketPrefix: "pip::", Normalize: NormalizePyPI, Matches: pep440Ranges, PURL: pypiPURL, Target: "Python"},
	{Type: "jar", BucketPrefix: "maven::", Normalize: same, Matches: mavenRanges, PURL: mavenPURL, Target: "Java"},
	{Type: "gemspec", BucketPrefix: "rubygems::", Normalize: same, Matches: gemRanges, PURL: gemPURL, Target: "Ruby"},
	{Type: "composer", BucketPrefix: "composer::", Normalize: same, Matches: semverRanges, PURL: composerPURL, Target: "PHP"},
	{Type: "dotnet-core", BucketPrefix: "nuget::", Normalize: strings.ToLower, Matches: semverRanges, PURL: nugetPURL, Target: ".NET"},
	{Type: "cargo", BucketPrefix: "cargo::", Normalize: same, Matches: semverRanges, PURL: cargoPURL, Target: "Rust", PerFile: true},
	{Type: "rustbinary", BucketPrefix: "cargo::", Normalize: same, Matches: semverRanges, PURL: cargoPURL, PerFile: true},
	{Type: "gobinary", BucketPrefix: "go::", Normalize: same, Matches: semverRanges, PURL: goPURL, Target: "Go", PerFile: true},
	{Type: "conda-pkg", Target: "Conda"},
}

// EcosystemByType is the ecosystem of a package-database type.
func EcosystemByType(typ string) (Ecosystem, bool) {
	i := slices.IndexFunc(ecosystems, func(e Ecosystem) bool { return e.Type == typ })
	if i < 0 {
		return Ecosystem{}, false
	}
	return ecosystems[i], true
}

// Matched reports whether the ecosystem's packages are matched against the DB.
func (e Ecosystem) Matched() bool { return e.BucketPrefix != "" }

// Each ecosystem's own version and range rules, from its library.
var (
	npmRanges    = ranges(npm.NewVersion, func(s string) (npm.Constraints, error) { return npm.NewConstraints(s) })
	pep440Ranges = ranges(pep440.Parse, func(s string) (pep440.Specifiers, error) { return pep440.NewSpecifiers(s) })
	mavenRanges  = ranges(mvn.NewVersion, mvn.NewConstraints)
	gemRanges    = ranges(gem.NewVersion, gem.NewConstraints)
	// semverRanges compares semver-like versions (Composer, NuGet, Cargo, Go).
	semverRanges = ranges(genericversion.Parse, genericversion.NewConstraints)
)

// ranges makes a range check from a library's version and constraint
// parsers.
func ranges[V any, C interface{ Check(V) bool }](version func(string) (V, error), constraints func(string) (C, error)) func(string, string) (bool, error) {
	return func(v, cs string) (bool, error) {
		parsed, err := version(v)
		if err != nil {
			return false, err
		}
		c, err := constraints(cs)
		if err != nil {
			return false, err
		}
		return c.Check(parsed), nil
	}
}

func same(s string) string { return s }

// NormalizePyPI is a Python distribution's name as indexes compare it:
// lower case, with runs of "_", "." and "-" as one "-".
func NormalizePyPI(name string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(name), func(r rune) bool { return r == '_' || r == '.' || r == '-' }), "-")
}

func npmPURL(p types.Package) string {
	namespace, name := "", p.Name
	if strings.HasPrefix(name, "@") {
		namespace, name, _ = strings.Cut(name, "/")
	}
	return packageurl.NewPackageURL(packageurl.TypeNPM, namespace, name, p.Version, nil, "").ToString()
}

func mavenPURL(p types.Package) string {
	group, artifact, ok := strings.Cut(p.Name, ":")
	if !ok {
		group, artifact = "", p.Name
	}
	return packageurl.NewPackageURL(packageurl.TypeMaven, group, artifact, p.Version, nil, "").ToString()
}

func gemPURL(p types.Package) string {
	return packageurl.NewPackageURL(packageurl.TypeGem, "", p.Name, p.Version, nil, "").ToString()
}

func composerPURL(p types.Package) string {
	vendor, name, _ := strings.Cut(p.Name, "/")
	return packageurl.NewPackageURL(packageurl.TypeComposer, vendor, name, p.Version, nil, "").ToString()
}

func nugetPURL(p types.Package) string {
	return packageurl.NewPackageURL(packageurl.TypeNuget, "", p.Name, p.Version, nil, "").ToString()
}

// goPURL: Go module versions keep their "v", in the package as in the
// PURL; an unversioned main module has a PURL without a version.
func goPURL(p types.Package) string {
	namespace, name := "", p.Name
	if i := strings.LastIndex(name, "/"); i >= 0 {
		namespace, name = name[:i], name[i+1:]
	}
	return packageurl.NewPackageURL(packageurl.TypeGolang, namespace, name, p.Version, nil, "").ToString()
}

func pypiPURL(p types.Package) string {
	return packageurl.NewPackageURL(packageurl.TypePyPi, "", NormalizePyPI(p.Name), p.Version, nil, "").ToString()
}

func cargoPURL(p types.Package) string {
	return packageurl.NewPackageURL(packageurl.TypeCargo, "", p.Name, p.Version, nil, "").ToString()
}
