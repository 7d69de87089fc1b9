package types

// SecretFinding is one secret found in a file.
type SecretFinding struct {
	RuleID    string
	Category  string
	Severity  string
	Title     string
	StartLine int
	EndLine   int
	Code      Code
	// Match is the line that holds the secret, with the secret masked.
	Match string
	Layer LayerRef `json:",omitzero"`
	// Removed is true when a later layer deletes the file: it is not in
	// the final filesystem, but the layer that holds it is still in the
	// image, which is where it leaks from.
	Removed bool `json:",omitempty"`
}

// Code is the lines around a finding.
type Code struct {
	Lines []CodeLine
}

// CodeLine is one line of Code.
type CodeLine struct {
	Number     int
	Content    string
	IsCause    bool
	Truncated  bool `json:",omitempty"`
	FirstCause bool
	LastCause  bool
}

// SecretFile is the secrets found in one file of a layer.
type SecretFile struct {
	FilePath string
	Findings []SecretFinding
}
