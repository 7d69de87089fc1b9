package types

import "time"

// Misconfiguration is one risky setting of a config file (a Dockerfile,
// an image's config, a compose file), with where it is and how to fix it,
// in Trivy's JSON shape. A check that passed is listed only when asked
// (Status PASS).
type Misconfiguration struct {
	// Type names the kind of check: "Dockerfile Security Check", ...
	Type string `json:",omitempty"`
	// ID is the check's ID (DS-0002; DSC001 for compose), AVDID its
	// Aqua Vulnerability Database alias (AVD-DS-0002).
	ID          string
	AVDID       string `json:",omitempty"`
	Title       string
	Description string `json:",omitempty"`
	// Message says what was found, here.
	Message string
	// Namespace and Query name the check's rule (builtin.dockerfile.DS002,
	// data.builtin.dockerfile.DS002.deny; user.* for custom Rego checks).
	Namespace  string `json:",omitempty"`
	Query      string `json:",omitempty"`
	Resolution string
	Severity   string
	PrimaryURL string   `json:",omitempty"`
	References []string `json:",omitempty"`
	// Status is FAIL, or PASS for a check that passed.
	Status string `json:",omitempty"`
	// Layer is the image layer the config file came from, or the history
	// step a finding of the image config names (Layer.CreatedBy).
	Layer *LayerRef `json:",omitempty"`
	// CauseMetadata locates the finding: lines and the code around them.
	CauseMetadata CauseMetadata `json:",omitzero"`
	// Service is the compose service the setting belongs to.
	Service   string `json:",omitempty"`
	StartLine int    `json:",omitempty"`
}

// CauseMetadata is where in a config file a misconfiguration is.
type CauseMetadata struct {
	Provider  string `json:",omitempty"`
	Service   string `json:",omitempty"`
	StartLine int    `json:",omitempty"`
	EndLine   int    `json:",omitempty"`
	Code      Code   `json:",omitzero"`
}

// MisconfSummary counts the checks a config file passed and failed.
type MisconfSummary struct {
	Successes int
	Failures  int
}

// StackReport is the result of scanning every service image of a compose
// project: one report per distinct image, services pointing at them.
type StackReport struct {
	SchemaVersion int
	CreatedAt     time.Time `json:",omitzero"`
	ProjectName   string
	ConfigFiles   []string
	// Services maps each scanned service to its image's result.
	Services map[string]ServiceResult
	// Images are the reports of the distinct images, by reference.
	Images map[string]*Report `json:",omitempty"`
	// Misconfigurations of the compose files, one result per file.
	Misconfigurations []Result `json:",omitempty"`
}

// ServiceResult is what one service's image gave.
type ServiceResult struct {
	Image   string
	ImageID string `json:",omitempty"`
	// Missing says the image was found nowhere (not built or pulled yet),
	// with each source's answer.
	Missing string `json:",omitempty"`
	// Error is why the scan of an existing image failed.
	Error string `json:",omitempty"`
	// Counts of vulnerabilities per severity (after filtering), and
	// secrets.
	Vulnerabilities map[string]int `json:",omitempty"`
	Secrets         int            `json:",omitempty"`
	// Licenses counts the licence findings left after filtering (with
	// the licence scanner).
	Licenses int `json:",omitempty"`
	// Pass is false when the service's image fails the policy (a
	// finding left after filtering, a missing image with
	// --require-images, a failed scan).
	Pass bool
}
