// Package dockerfile finds the Dockerfiles an image's layers hold (a
// build context copied in, a Dockerfile shipped with an application) and
// checks them for misconfigurations.
package dockerfile

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/docker-scan/docker-scan/engine/misconf"
	"github.com/docker-scan/docker-scan/engine/types"
)

// Version changes when what the analyzer reports for the same file
// changes: bump it with the built-in checks.
const Version = 1

// maxFilesPerLayer bounds the Dockerfiles checked in one layer: a layer
// of vendored sources can hold hundreds, a hostile one millions.
const maxFilesPerLayer = 1000

// Analyzer checks the Dockerfiles of a layer.
type Analyzer struct {
	checks      []misconf.Check
	fingerprint string
}

// NewAnalyzer checks Dockerfiles with checks (nil for the built-in
// ones).
func NewAnalyzer(checks []misconf.Check) *Analyzer {
	a := &Analyzer{checks: checks}
	if checks == nil {
		a.checks = misconf.DockerfileChecks
	} else {
		a.fingerprint = Fingerprint(checks)
	}
	return a
}

func (a *Analyzer) Name() string { return "dockerfile" }
func (a *Analyzer) Version() int { return Version }

// Fingerprint adds the checks, when not the built-in ones, to layer-cache
// keys.
func (a *Analyzer) Fingerprint() string { return a.fingerprint }

// Wants the files Trivy takes for Dockerfiles, as `docker scan config`
// finds them (misconf.IsDockerfileName: Dockerfile.dev, app.Dockerfile,
// Containerfile, any case; not dockerfile.go). A file over the parser's
// limit is still wanted, so that it is reported rather than passed over
// in silence.
func (a *Analyzer) Wants(filePath string, size int64) bool {
	return size > 0 && misconf.IsDockerfileName(filePath)
}

// Analyze parses and checks one Dockerfile: its result (Target is the
// file's path in the image, as Trivy's) goes into the layer's
// Misconfigurations, with the passed checks counted even when none
// failed. A file the parser rejects is an error (an analysis issue).
func (a *Analyzer) Analyze(filePath string, content []byte, res *types.LayerResult) error {
	if len(res.Misconfigurations) >= maxFilesPerLayer {
		return fmt.Errorf("more than %d Dockerfiles in the layer: not checked", maxFilesPerLayer)
	}
	df, err := misconf.ParseDockerfile(filePath, content)
	if err != nil {
		return err
	}
	r := misconf.Run(df, a.checks)
	r.Target = filePath
	res.Misconfigurations = append(res.Misconfigurations, r)
	return nil
}

// Fingerprint names a set of checks for cache keys: what each says of
// itself (ID, severity, texts, namespace and rule).
func Fingerprint(checks []misconf.Check) string {
	h := sha256.New()
	for _, c := range checks {
		// Digest covers a custom check's Rego code; a change to a
		// built-in check's code bumps the analyzer's Version.
		fmt.Fprintf(h, "%q %q %q %q %q %q %q %q %q %q %q %q %t %t\n", c.ID, c.AVDID, c.Aliases, c.Type, c.Title,
			c.Description, c.Resolution, c.Severity, c.References, c.Namespace, c.Query, c.Digest, c.Deprecated, c.Dockerfile != nil)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}
