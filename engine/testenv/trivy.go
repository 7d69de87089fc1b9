package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TrivyVersion is the Trivy release the differential tests compare our
// reports with.
const TrivyVersion = "v0.74.0"

// Trivy returns the path of a Trivy binary of TrivyVersion, built from
// source through the Go module proxy the first time (a few minutes) and
// cached per machine ("trivy-v0.74.0"). It is the oracle of the
// differential tests: the reference scanner whose JSON ours must match.
// Tests that call it are end-to-end (it needs the module proxy once, and
// a build that takes minutes): they belong in E2E_TEST_NAMES (Makefile).
func Trivy(tb testing.TB) string {
	tb.Helper()
	E2E(tb, "builds Trivy "+TrivyVersion+" from the module proxy as the reference scanner")
	dir, err := Cached("trivy", TrivyVersion, func(dir string) error {
		return buildTrivy(dir, TrivyVersion)
	})
	if err != nil {
		Unavailable(tb, err)
	}
	return filepath.Join(dir, "trivy")
}

// buildTrivy installs Trivy's CLI at version into dir, as Trivy's own
// release builds do: GOEXPERIMENT=jsonv2 (Trivy imports encoding/json/v2,
// which Go 1.25 and 1.26 build only under that experiment) and no cgo.
// The environment's GOFLAGS carry our own build tags, which mean nothing
// (or something else) to Trivy: the build gets GOFLAGS=-mod=mod alone,
// and the local toolchain.
func buildTrivy(dir, version string) error {
	cmd := exec.Command("go", "install", "github.com/aquasecurity/trivy/cmd/trivy@"+version)
	env := []string{"GOFLAGS=-mod=mod", "CGO_ENABLED=0", "GOBIN=" + dir, "GOTOOLCHAIN=local", "GOEXPERIMENT=jsonv2"}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "GOFLAGS", "CGO_ENABLED", "GOBIN", "GOTOOLCHAIN", "GOEXPERIMENT", "GOOS", "GOARCH":
			continue
		}
		env = append(env, kv)
	}
	cmd.Env = env
	cmd.Dir = dir // outside any module: go install path@version
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build Trivy %s: %v\n%s", version, err, tail(out, 4000))
	}
	if _, err := os.Stat(filepath.Join(dir, "trivy")); err != nil {
		return fmt.Errorf("build Trivy %s: no binary: %w", version, err)
	}
	return nil
}

// tail is the last n bytes of b.
func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
