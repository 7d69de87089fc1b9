package types

import (
	"fmt"
	"strconv"
)

// OS is the operating system found in an image.
type OS struct {
	Family string
	Name   string
	// EOSL is true when the distribution no longer supports this version.
	EOSL bool `json:",omitempty"`
}

// Detected reports whether an OS family was found.
func (o OS) Detected() bool { return o.Family != "" }

// LayerRef names the layer that introduced a finding.
type LayerRef struct {
	Digest string `json:",omitempty"`
	DiffID string `json:",omitempty"`
	// CreatedBy is the history step that made the layer, where a finding
	// names it (a misconfiguration found in the image config).
	CreatedBy string `json:",omitempty"`
}

// Identifier carries the package's globally meaningful names.
type Identifier struct {
	PURL string `json:",omitempty"`
	// UID tells apart packages that share a PURL (one library vendored
	// at two paths): a hash of what makes the package this one.
	UID string `json:",omitempty"`
}

// BuildInfo is what Red Hat images record of how they were built: the
// content sets (repositories) their packages come from, and the image's
// own name-version-release.
type BuildInfo struct {
	ContentSets []string `json:",omitempty"`
	Nvr         string   `json:",omitempty"`
	Arch        string   `json:",omitempty"`
}

// Package is one installed package, OS or language.
type Package struct {
	ID         string     `json:",omitempty"`
	Name       string     `json:",omitempty"`
	Identifier Identifier `json:",omitzero"`
	// Version is the upstream version; dpkg and rpm packages keep their
	// distribution's revision in Release and the epoch apart, as Trivy
	// does (FullVersion joins them).
	Version    string   `json:",omitempty"`
	Release    string   `json:",omitempty"`
	Epoch      int      `json:",omitempty"`
	Arch       string   `json:",omitempty"`
	SrcName    string   `json:",omitempty"`
	SrcVersion string   `json:",omitempty"`
	SrcRelease string   `json:",omitempty"`
	SrcEpoch   int      `json:",omitempty"`
	Licenses   []string `json:",omitempty"`
	Maintainer string   `json:",omitempty"`
	// Modularitylabel is an rpm module's name:stream:version:context
	// (nodejs:18:8090020231019152822:a75119d5) for packages built in one.
	Modularitylabel string     `json:",omitempty"`
	BuildInfo       *BuildInfo `json:",omitempty"`
	// Repository says where an OS package came from: the distribution
	// ("official") or elsewhere ("third-party": Docker's, NVIDIA's
	// repositories, a local rpmbuild), as Trivy classes them. Third-party
	// packages list no InstalledFiles and are not matched against the
	// distribution's advisories.
	Repository PackageRepository `json:",omitzero"`
	// Indirect is Relationship == RelationshipIndirect, which Trivy still
	// writes (deprecated there, kept for compatibility).
	Indirect bool `json:",omitempty"`
	// Relationship is the package's place in its application's dependency
	// graph, where the analyzer knows it (a Go binary's main module is the
	// root); unknown is left out of the JSON, as Trivy leaves it out.
	Relationship Relationship `json:",omitempty"`
	DependsOn    []string     `json:",omitempty"`
	Layer        LayerRef     `json:",omitzero"`
	// FilePath is the file a language package was found in.
	FilePath string `json:",omitempty"`
	// Digest is the package's own checksum as its package manager recorded
	// it, "<algorithm>:<hex>": apk's C: field (sha1, or md5 for old
	// databases), rpm's SIGMD5 (md5), dpkg's SHA256 from
	// var/lib/dpkg/available (sha256).
	Digest string `json:",omitempty"`
	// InstalledFiles are the paths the package owns, relative to the image
	// root: the merge step leaves language packages an OS package owns to
	// it. Reports list them as Trivy's JSON does (PackageManager.
	// ReportedFiles: dpkg and rpm paths absolute).
	InstalledFiles []string `json:",omitempty"`
	// AnalyzedBy is Trivy's name for the analyzer that found the package
	// ("apk", "dpkg", "rpm", "gobinary", "jar", ...), set in reports.
	AnalyzedBy string `json:",omitempty"`
}

// RepositoryClass is the kind of repository an OS package came from.
type RepositoryClass string

// The classes, as Trivy writes them; unknown is left out.
const (
	RepositoryClassUnknown    RepositoryClass = ""
	RepositoryClassOfficial   RepositoryClass = "official"
	RepositoryClassThirdParty RepositoryClass = "third-party"
)

// PackageRepository is where a package was distributed from.
type PackageRepository struct {
	Class RepositoryClass `json:",omitempty"`
}

// ThirdParty reports whether the package came from outside its
// distribution's repositories.
func (p Package) ThirdParty() bool { return p.Repository.Class == RepositoryClassThirdParty }

// Relationship is how a package relates to the application it was found
// in. The zero value is unknown. In JSON it is Trivy's name for it:
// "root", "workspace", "direct", "indirect" (unknown is omitted by
// omitempty, or "unknown" when written on its own).
type Relationship int

// The relationships, in Trivy's order (which it also sorts packages by).
const (
	RelationshipUnknown Relationship = iota
	RelationshipRoot
	RelationshipWorkspace
	RelationshipDirect
	RelationshipIndirect
)

var relationshipNames = [...]string{"unknown", "root", "workspace", "direct", "indirect"}

func (r Relationship) String() string {
	if r <= RelationshipUnknown || int(r) >= len(relationshipNames) {
		return "unknown"
	}
	return relationshipNames[r]
}

// MarshalText writes the relationship's name, so that JSON has the string.
func (r Relationship) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText reads a relationship's name; any other name is an error.
func (r *Relationship) UnmarshalText(b []byte) error {
	for i, name := range relationshipNames {
		if string(b) == name {
			*r = Relationship(i)
			return nil
		}
	}
	return fmt.Errorf("invalid relationship %q", b)
}

// FullVersion is the version as the package manager orders it:
// [epoch:]version[-release].
func (p Package) FullVersion() string { return joinVersion(p.Epoch, p.Version, p.Release) }

// FullSrcVersion is the source package's [epoch:]version[-release].
func (p Package) FullSrcVersion() string {
	return joinVersion(p.SrcEpoch, p.SrcVersion, p.SrcRelease)
}

func joinVersion(epoch int, version, release string) string {
	if release != "" {
		version += "-" + release
	}
	if epoch > 0 {
		return strconv.Itoa(epoch) + ":" + version
	}
	return version
}

// PackageDB is the set of packages read from one package database file.
// Layers are merged per FilePath: a later layer's database replaces an
// earlier one at the same path.
type PackageDB struct {
	// FilePath is the database file, relative to the image root.
	FilePath string
	// Type is the package manager: apk, dpkg.
	Type     string
	Packages []Package
}

// OSRelease is one OS fact read from one file (e.g. etc/alpine-release).
type OSRelease struct {
	FilePath string
	Family   string
	Name     string
}

// Repository is the OS release a package manager is configured to install
// from, read from one file.
type Repository struct {
	FilePath string
	Family   string
	Release  string
}

// PackageFacts are facts about one package read from a file of its own
// rather than from the package database: dpkg keeps the digests of a
// package's files in var/lib/dpkg/info/<pkg>.md5sums (the file list Trivy
// reports) and its licenses in usr/share/doc/<pkg>/copyright. Such files
// may come from other layers than the database, so the merge step
// attaches them to the package by name (by ID for Digests).
type PackageFacts struct {
	FilePath       string
	Type           string
	Package        string
	Licenses       []string `json:",omitempty"`
	InstalledFiles []string `json:",omitempty"`
	// Digests are package checksums by package ID (name@version as the
	// database prints it), from a file that describes many packages
	// (var/lib/dpkg/available); Package is then empty.
	Digests map[string]string `json:",omitempty"`
}
