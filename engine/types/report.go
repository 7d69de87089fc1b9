package types

import (
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// SchemaVersion of the JSON report; the same as Trivy's so that existing
// consumers read it unchanged.
const SchemaVersion = 2

// Artifact types, as Trivy names them: an image, or a directory or file
// of the host (docker scan config).
const (
	ArtifactTypeContainerImage = "container_image"
	ArtifactTypeFilesystem     = "filesystem"
)

// Result classes.
const (
	ClassOSPkg   = "os-pkgs"
	ClassLangPkg = "lang-pkgs"
	ClassSecret  = "secret"
	ClassConfig  = "config"
	// ClassLicense: the licences of packages; ClassLicenseFile: licences
	// found in files (--license-full).
	ClassLicense     = "license"
	ClassLicenseFile = "license-file"
)

// Report is the whole output of one scan.
type Report struct {
	SchemaVersion int
	CreatedAt     time.Time `json:",omitzero"`
	// ArtifactID names the image across scans as Trivy does: the SHA-256
	// of "<image ID>:<registry/repository of Metadata.Reference>", or the
	// image ID when the image has no tag or digest.
	ArtifactID   string `json:",omitempty"`
	ArtifactName string
	ArtifactType string
	Metadata     Metadata
	Results      []Result `json:",omitempty"`
	// Runtimes says, for a scan of one reference in several runtimes
	// (--runtime), what each runtime holds under it.
	Runtimes []RuntimeImage `json:",omitempty"`
	// AnalysisIssues lists the files that analysis could read only in part
	// or not at all (malformed, over a limit, past a cap on findings): the
	// findings above are complete except for these.
	AnalysisIssues []AnalysisIssue `json:",omitempty"`
}

// RuntimeImage is what one runtime holds under the scanned reference.
type RuntimeImage struct {
	Runtime     string
	ImageID     string   `json:",omitempty"`
	RepoTags    []string `json:",omitempty"`
	RepoDigests []string `json:",omitempty"`
	// Error says why the runtime gave no image (not found, not running).
	Error string `json:",omitempty"`
	// PackagesOnlyHere and VulnerabilitiesOnlyHere list what this runtime's
	// image has that another runtime's image under the same reference
	// lacks.
	PackagesOnlyHere        []string `json:",omitempty"`
	VulnerabilitiesOnlyHere []string `json:",omitempty"`
}

// Metadata describes the scanned image.
type Metadata struct {
	// Size is the sum of the layers' sizes, as Trivy reports it.
	Size        int64    `json:",omitempty"`
	OS          *OS      `json:",omitempty"`
	ImageID     string   `json:",omitempty"`
	DiffIDs     []string `json:",omitempty"`
	RepoTags    []string `json:",omitempty"`
	RepoDigests []string `json:",omitempty"`
	// Reference is the repo tag or digest the scan names the image by
	// (the one matching the scanned name, else the first).
	Reference   string        `json:",omitempty"`
	ImageConfig v1.ConfigFile `json:",omitzero"`
	Layers      []ReportLayer `json:",omitempty"`
}

// ReportLayer is one layer in the report metadata.
type ReportLayer struct {
	// Size is the layer's uncompressed size (its tar stream), as Trivy
	// reports it; not the size of the blob as stored.
	Size   int64  `json:",omitempty"`
	Digest string `json:",omitempty"`
	DiffID string `json:",omitempty"`
}

// Result groups findings for one target (the OS, a lock file, ...).
type Result struct {
	Target string
	// Runtime is the runtime the scanned image came from, in scans of
	// several runtimes (--runtime).
	Runtime         string `json:",omitempty"`
	Class           string
	Type            string                  `json:",omitempty"`
	Packages        []Package               `json:",omitempty"`
	Vulnerabilities []DetectedVulnerability `json:",omitempty"`
	Secrets         []SecretFinding         `json:",omitempty"`
	// MisconfSummary counts the checks of a config file (Class config).
	MisconfSummary *MisconfSummary `json:",omitempty"`
	// Misconfigurations are risky settings found in a config file.
	Misconfigurations []Misconfiguration `json:",omitempty"`
	// Licenses are the classified licences of packages (Class license)
	// or of files (Class license-file).
	Licenses []DetectedLicense `json:",omitempty"`
	// ModifiedFindings are the findings VEX statements suppressed, listed
	// only with --show-suppressed, under Trivy's JSON name.
	ModifiedFindings []ModifiedFinding `json:"ExperimentalModifiedFindings,omitempty"`
	// NotMatched: the vulnerability scan could not match these packages
	// (a family no DB covers); the summary shows "-", not a clean "0".
	NotMatched bool `json:"-"`
}
