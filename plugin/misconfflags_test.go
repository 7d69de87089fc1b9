package plugin

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/misconf"
	"github.com/docker-scan/docker-scan/engine/scan"
)

func TestMisconfChecksFromFlags(t *testing.T) {
	if c, err := (&misconfOptions{}).checks(); c != nil || err != nil {
		t.Errorf("no flags: %d checks, %v (want nil: the built-in ones)", len(c), err)
	}
	if _, err := (&misconfOptions{namespaces: []string{"user"}}).checks(); err == nil {
		t.Error("--check-namespaces without --config-check is no error")
	}
	dir := filepath.Join("..", "testdata", "misconf", "rego", "checks")
	c, err := (&misconfOptions{checkPaths: []string{dir}, namespaces: []string{"user"}}).checks()
	if err != nil {
		t.Fatal(err)
	}
	if len(c) <= len(misconf.DockerfileChecks) || !slices.ContainsFunc(c, func(c misconf.Check) bool { return c.ID == "ACME-DF-002" }) {
		t.Errorf("%d checks, custom ones missing", len(c))
	}
	bad := filepath.Join(t.TempDir(), "bad.rego")
	os.WriteFile(bad, []byte("package user.bad\n\ndeny[msg] {\n  msg :=\n}\n"), 0o644)
	_, err = (&misconfOptions{checkPaths: []string{bad}, namespaces: []string{"user"}}).checks()
	if err == nil || !strings.Contains(err.Error(), "bad.rego") || strings.Contains(err.Error(), "\n") {
		t.Errorf("a broken check: %v", err)
	}
}

func TestImageConfigScannersFlag(t *testing.T) {
	got, err := imageConfigScanners([]string{"misconfig", "Secret", "config"})
	if err != nil || !slices.Equal(got, []string{scan.ImageConfigMisconfig, scan.ImageConfigSecret}) {
		t.Errorf("got %v, %v", got, err)
	}
	for _, bad := range []string{"vuln", "license", "nope"} {
		if _, err := imageConfigScanners([]string{bad}); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	o := &imageOptions{format: "json", scanners: []string{"vuln"}, misconf: misconfOptions{checkPaths: []string{"x"}},
		detectionPriority: scan.PriorityPrecise}
	if _, err := o.validate(); err == nil || !strings.Contains(err.Error(), "--config-check") {
		t.Errorf("--config-check without the misconfig scanner: %v", err)
	}
	o = &imageOptions{format: "json", scanners: []string{"misconfig"}, imageConfigScanners: []string{"secret"}, detectionPriority: scan.PriorityPrecise}
	s, err := o.validate()
	if err != nil || !slices.Equal(s.scan.Scanners, []string{scan.ScannerMisconfig}) || !slices.Equal(s.scan.ImageConfigScanners, []string{scan.ImageConfigSecret}) {
		t.Errorf("validate: %v %v %v", s.scan.Scanners, s.scan.ImageConfigScanners, err)
	}
}
