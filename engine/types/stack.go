package types

import "time"

// Misconfiguration is one risky setting of a config file (a compose file),
// with where it is and how to fix it.
type Misconfiguration struct {
	ID         string
	Severity   string
	Title      string
	Message    string
	Resolution string
	// Service is the compose service the setting belongs to.
	Service   string `json:",omitempty"`
	StartLine int    `json:",omitempty"`
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
	// Pass is false when the service's image fails the policy (a
	// finding left after filtering, a missing image with
	// --require-images, a failed scan).
	Pass bool
}
