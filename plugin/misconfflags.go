package plugin

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/docker-scan/docker-scan/engine/misconf"
	"github.com/docker-scan/docker-scan/engine/scan"
)

// misconfOptions are the flags of the misconfiguration checks, shared by
// `image`, `compose` and `config`: custom Rego checks, as Trivy takes them.
type misconfOptions struct {
	// checkPaths are --config-check: .rego files or directories of them.
	checkPaths []string
	// namespaces are --check-namespaces: the Rego packages (by their
	// first name) whose checks run, beside builtin.
	namespaces []string
}

// registerFlags adds the flags to f, with Trivy's names.
func (o *misconfOptions) registerFlags(f *pflag.FlagSet) {
	f.StringSliceVar(&o.checkPaths, "config-check", nil, "custom misconfiguration checks: Rego files, or directories of them, written for Trivy (the Dockerfile as input.Stages[].Commands[], METADATA annotations); repeatable")
	f.StringSliceVar(&o.namespaces, "check-namespaces", nil, "Rego packages whose checks run, by their first name (e.g. user), beside builtin; repeatable")
}

// checks are the checks to run: the built-in ones and the custom ones
// loaded from --config-check; nil (the built-in ones, for the engine)
// when there are no custom checks. A custom check that does not compile
// fails here, before any image is read.
func (o *misconfOptions) checks() ([]misconf.Check, error) {
	if len(o.checkPaths) == 0 {
		if len(o.namespaces) > 0 {
			return nil, fmt.Errorf("--check-namespaces selects custom checks: name them with --config-check")
		}
		return nil, nil
	}
	custom, err := misconf.LoadRegoChecks(o.checkPaths, o.namespaces)
	if err != nil {
		return nil, err
	}
	return slices.Concat(misconf.DockerfileChecks, custom), nil
}

// imageConfigScannerNames are the valid --image-config-scanners values.
var imageConfigScannerNames = []string{scan.ImageConfigMisconfig, scan.ImageConfigSecret}

// imageConfigScanners checks --image-config-scanners (Trivy's names for
// the scanners accepted too).
func imageConfigScanners(values []string) ([]string, error) {
	var out []string
	for _, v := range values {
		name, ok := trivyScannerNames[strings.ToLower(v)]
		if !ok || !slices.Contains(imageConfigScannerNames, name) {
			return nil, fmt.Errorf("unknown scanner %q in --image-config-scanners (choose from %s)", v, strings.Join(imageConfigScannerNames, ", "))
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out, nil
}
