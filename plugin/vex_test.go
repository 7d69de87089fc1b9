package plugin

import (
	"context"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
)

// TestLoadVEX: --vex files are read before the scan (a bad one is an
// error naming it); oci is looked up after it; Trivy's repository
// sources are refused with a word on what is supported.
func TestLoadVEX(t *testing.T) {
	load := func(show bool, sources ...string) (imageSettings, error) {
		o := &imageOptions{vex: sources, showSuppressed: show}
		var s imageSettings
		return s, o.loadVEX(&s)
	}
	s, err := load(true, "../engine/vex/testdata/openvex.json", "oci", "../engine/vex/testdata/csaf-vex.json")
	if err != nil || s.scan.Policy.VEX == nil || !s.scan.Policy.ShowSuppressed {
		t.Fatalf("files and oci: %+v %v", s.scan.Policy, err)
	}
	if s, err := load(false, "oci"); err != nil || s.scan.Policy.VEX != nil {
		t.Errorf("oci alone loads no file: %+v %v", s.scan.Policy, err)
	}
	if _, err := load(false, "../engine/vex/testdata/missing.json"); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := load(false, "repo"); err == nil || !strings.Contains(err.Error(), "not supported") {
		t.Errorf("--vex repo: %v", err)
	}
	// --vex oci on an image that has no registry digest.
	o := &imageOptions{vex: []string{"oci"}}
	rep := &types.Report{ArtifactName: "demo.tar"}
	if err := o.applyOCIVEX(context.Background(), rep, true); err == nil || !strings.Contains(err.Error(), "no registry digest") {
		t.Errorf("--vex oci without a digest: %v", err)
	}
	if err := o.applyOCIVEX(context.Background(), rep, false); err != nil {
		t.Errorf("in a compose scan it is a warning: %v", err)
	}
}
