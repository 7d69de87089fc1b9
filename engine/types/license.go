package types

// Licence categories, Google's classification of licences by what they
// demand of a product that ships them, as Trivy names them.
const (
	LicenseCategoryForbidden    = "forbidden"
	LicenseCategoryRestricted   = "restricted"
	LicenseCategoryReciprocal   = "reciprocal"
	LicenseCategoryNotice       = "notice"
	LicenseCategoryPermissive   = "permissive"
	LicenseCategoryUnencumbered = "unencumbered"
	LicenseCategoryUnknown      = "unknown"
)

// Kinds of licence files (LicenseFile.Type).
const (
	// LicenseTypeDpkg: a Debian copyright file (usr/share/doc/*/copyright)
	// whose text was classified because it names no licence.
	LicenseTypeDpkg = "dpkg"
	// LicenseTypeHeader: the licence header of a source file.
	LicenseTypeHeader = "header"
	// LicenseTypeFile: a LICENSE, COPYING, NOTICE file.
	LicenseTypeFile = "license-file"
)

// DetectedLicense is one licence of a package or a file, classified: a
// finding of the licence scanner (Result.Licenses). As in Trivy's JSON,
// every field is written, empty or not.
type DetectedLicense struct {
	// Severity follows from Category: forbidden CRITICAL, restricted
	// HIGH, reciprocal MEDIUM, notice/permissive/unencumbered LOW,
	// unknown UNKNOWN.
	Severity string
	Category string
	// PkgName is the package the licence is declared by; empty for a
	// licence found in a file.
	PkgName string
	// FilePath is the file: the licence file, or the language package's
	// own file (package.json, a jar).
	FilePath string
	// Name is the SPDX identifier or expression where the licence is
	// known, else the name as the metadata says it.
	Name string
	// Text is a licence given as text rather than by name.
	Text string
	// Confidence is 1 for a declared licence, the classifier's match for
	// a licence found in a text.
	Confidence float64
	// Link is the licence's page, for a licence found in a text.
	Link string
	// Reason says why a package's licence is unknown (Name "UNKNOWN":
	// its metadata declares none); not in Trivy's JSON.
	Reason string `json:",omitempty"`
}

// LicenseFile is a file whose text was classified as holding licences
// (--license-full).
type LicenseFile struct {
	Type     string
	FilePath string
	// PkgName is the package the file belongs to, when known (the dpkg
	// package of a copyright file).
	PkgName  string
	Findings []LicenseFinding
	Layer    LayerRef `json:",omitzero"`
}

// LicenseFinding is one licence found in a file's text.
type LicenseFinding struct {
	Category   string `json:",omitempty"`
	Name       string
	Confidence float64
	Link       string `json:",omitempty"`
}
