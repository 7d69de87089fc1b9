package types

// AnalysisIssue is a file that analysis read only in part or not at all:
// malformed, over a size limit, or past a cap on findings. The scan goes on
// without it; the report lists each one so that a clean result is never
// mistaken for a complete one (osv-scalibr's per-plugin status).
type AnalysisIssue struct {
	// Layer is the diffID of the layer that holds the file; empty for the
	// image config.
	Layer    string `json:",omitempty"`
	Analyzer string
	FilePath string `json:",omitempty"`
	// Reason says what went wrong, in one line.
	Reason string
}
