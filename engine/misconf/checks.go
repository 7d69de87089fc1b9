package misconf

import "slices"

// AllDockerfileChecks are the built-in Dockerfile checks, with Trivy's
// IDs: the checks of instructions and their structure, then the checks of
// the commands RUN executes.
var AllDockerfileChecks = slices.Concat(instructionChecks, runChecks)

// DockerfileChecks are the checks a scan runs: all but those Trivy
// deprecated and no longer runs by default (DS-0024), so that a scan
// finds what Trivy's finds.
var DockerfileChecks = slices.DeleteFunc(slices.Clone(AllDockerfileChecks), func(c Check) bool { return c.Deprecated })
