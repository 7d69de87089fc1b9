package report

import (
	"io"
	"time"

	"github.com/package-url/packageurl-go"

	"github.com/docker-scan/docker-scan/engine/types"
)

// --format cosign-vuln writes the predicate of a cosign vulnerability
// attestation (predicate type https://cosign.sigstore.dev/attestation/vuln/v1)
// with the JSON report as the scanner's result, as Trivy writes it:
// `cosign attest --type vuln --predicate report.json IMAGE` signs it.

type cosignVulnPredicate struct {
	Invocation cosignInvocation `json:"invocation"`
	Scanner    cosignScanner    `json:"scanner"`
	Metadata   cosignMetadata   `json:"metadata"`
}

type cosignInvocation struct {
	Parameters any    `json:"parameters"`
	URI        string `json:"uri"`
	EventID    string `json:"event_id"`
	BuilderID  string `json:"builder.id"`
}

type cosignScanner struct {
	URI     string   `json:"uri"`
	Version string   `json:"version"`
	DB      cosignDB `json:"db"`
	Result  any      `json:"result"`
}

type cosignDB struct {
	URI     string `json:"uri"`
	Version string `json:"version"`
}

type cosignMetadata struct {
	ScanStartedOn  time.Time `json:"scanStartedOn"`
	ScanFinishedOn time.Time `json:"scanFinishedOn"`
}

func writeCosignVuln(w io.Writer, r *types.Report, opts Options) error {
	return writeJSONDocument(w, cosignPredicate(r, r.CreatedAt, opts))
}

// writeStackCosignVuln attests a compose project's report as a whole.
func writeStackCosignVuln(w io.Writer, r *types.StackReport, opts Options) error {
	return writeJSONDocument(w, cosignPredicate(r, r.CreatedAt, opts))
}

func cosignPredicate(result any, started time.Time, opts Options) cosignVulnPredicate {
	version := opts.ToolVersion
	if version == "" {
		version = "dev"
	}
	finished := opts.now()
	if started.IsZero() || started.After(finished) {
		started = finished
	}
	return cosignVulnPredicate{
		Scanner: cosignScanner{
			URI:     packageurl.NewPackageURL(packageurl.TypeGithub, "docker-scan", "docker-scan", version, nil, "").ToString(),
			Version: version,
			Result:  result,
		},
		Metadata: cosignMetadata{ScanStartedOn: started, ScanFinishedOn: finished},
	}
}
