package types

// LayerResult is what analysis found in one layer, independent of every other
// layer. It is plain data so that it can be cached under the layer's diffID.
type LayerResult struct {
	Digest string
	DiffID string
	// SchemaVersion changes whenever the shape or meaning of a LayerResult
	// changes, so that cached results from older versions are not reused.
	SchemaVersion int
	// Size is the layer's uncompressed size: the bytes of its tar stream,
	// to the end.
	Size int64 `json:",omitempty"`

	OSReleases   []OSRelease    `json:",omitempty"`
	Repositories []Repository   `json:",omitempty"`
	PackageDBs   []PackageDB    `json:",omitempty"`
	PackageFacts []PackageFacts `json:",omitempty"`
	// Symlinks are the links whose paths an analyzer asked for; they are
	// recorded, never followed.
	Symlinks []Symlink `json:",omitempty"`
	// BuildInfo is what a Red Hat image's build left in this layer
	// (root/buildinfo): the content sets its packages come from and the
	// image's NVR. Packages introduced by a layer are matched against the
	// products of that layer's build info (see engine/merge).
	BuildInfo *BuildInfo `json:",omitempty"`

	Secrets []SecretFile `json:",omitempty"`
	// Misconfigurations are the config files of this layer that were
	// checked (Dockerfiles), one result of class config per file, with
	// its findings and the count of checks passed and failed.
	Misconfigurations []Result `json:",omitempty"`
	// Licenses are the files of this layer whose text was classified as
	// licences (--license-full).
	Licenses []LicenseFile `json:",omitempty"`

	// WhiteoutFiles are paths this layer deletes from the layers below it.
	WhiteoutFiles []string `json:",omitempty"`
	// OpaqueDirs are directories whose content from lower layers this layer hides.
	OpaqueDirs []string `json:",omitempty"`

	// Issues are the files of this layer that analysis could read only in
	// part or not at all.
	Issues []AnalysisIssue `json:",omitempty"`
}

// Artifact is the merged view of an image: what is visible in its final
// filesystem, each finding attributed to the layer that introduced it.
type Artifact struct {
	OS OS
	// Repository is the release the package manager installs from, when
	// the image says (etc/apk/repositories).
	Repository *Repository
	PackageDBs []PackageDB
	// Secrets found in any layer, with the layer that holds each, whether
	// or not a later layer deleted the file.
	Secrets []SecretFile
	// Misconfigurations are the results of the config files checked in
	// the final filesystem (a file a later layer deletes or replaces is
	// gone, as in Trivy), each finding naming its layer.
	Misconfigurations []Result
	// Licenses are the licence files of the final filesystem, each
	// naming its layer (--license-full).
	Licenses []LicenseFile
	// Issues of every layer, in layer order.
	Issues []AnalysisIssue
}

// Symlink is a symbolic link in a layer.
type Symlink struct {
	Path   string
	Target string
}
