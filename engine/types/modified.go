package types

// ModifiedFinding is a finding a VEX statement (or another source of
// vendor statements) suppressed: kept out of the report's findings, and
// listed with the statement when the user asks (--show-suppressed), in
// Trivy's JSON shape.
type ModifiedFinding struct {
	// Type is what was suppressed: "vulnerability".
	Type string
	// Status is the statement's verdict: "not_affected" or "fixed".
	Status string
	// Statement is the justification or impact statement, if any.
	Statement string
	// Source names the document: "OpenVEX file: vex.json".
	Source  string
	Finding DetectedVulnerability
}
