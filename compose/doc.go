// Package compose will turn a compose project (loaded with compose-go) into
// a scan plan, one scan per distinct service image, and join the reports
// per service; it will also hold the Compose provider and sidecar modes.
// Nothing here yet: the image pipeline it builds on comes first.
package compose
