// Package misconf checks config files for risky settings: Dockerfiles
// (written, or rebuilt from an image's history), and compose files. Every
// check is a Check; Run applies a set of them to one parsed file and
// gives the result in Trivy's shape (class config, a summary of passes and
// failures, each failure located with its code).
package misconf

// Kinds of checks (Misconfiguration.Type and Result.Type).
const (
	TypeDockerfile = "dockerfile"
	TypeCompose    = "compose"
)

// Check is one misconfiguration check.
type Check struct {
	// ID is Trivy's (DS-0002), so that ignore files carry over; AVDID
	// its AVD alias (AVD-DS-0002); Aliases its older names (DS002, a
	// short code), which ignore files may use too.
	ID      string
	AVDID   string
	Aliases []string
	// Type is the kind of file it checks (TypeDockerfile, ...).
	Type        string
	Title       string
	Description string
	Resolution  string
	// Severity is CRITICAL, HIGH, MEDIUM, LOW or UNKNOWN.
	Severity   string
	References []string
	// Namespace and Query name a custom Rego check's package and rule
	// ("user.dockerfile.no_curl", "data.user.dockerfile.no_curl.deny");
	// empty for built-in checks, whose names the runner derives. A
	// finding of a custom check links its first reference, not AVD.
	Namespace, Query string
	// Digest changes when a custom check's code may have changed: a hash
	// of every Rego file loaded with it (a library it imports counts), for
	// cache keys. Empty for built-in checks, which change with the binary.
	Digest string
	// Deprecated checks are kept for whoever names them but are not
	// run by default, as in Trivy.
	Deprecated bool
	// Dockerfile finds the check's failures in a Dockerfile (Type
	// TypeDockerfile).
	Dockerfile func(df *Dockerfile) []Failure
}

// Failure is one place a check failed.
type Failure struct {
	// Message says what is wrong here, e.g. "Specify a tag in the 'FROM'
	// statement for image 'alpine'".
	Message string
	// StartLine and EndLine are 1-based lines of the file; 0 when the
	// failure is about the file as a whole (no HEALTHCHECK at all).
	StartLine, EndLine int
	// Error, when set, says the check could not be evaluated on this file
	// (a custom Rego check that failed at run time): the runner reports
	// it as an analysis issue, neither a pass nor a failure.
	Error string
}
