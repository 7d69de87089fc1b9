package scan

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/docker-scan/docker-scan/engine/cache"
	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/misconf"
	"github.com/docker-scan/docker-scan/engine/types"
)

// misconfImage has a Dockerfile in its layer and a MAINTAINER step in its
// history.
func misconfImage(t *testing.T) *types.Image {
	t.Helper()
	l, err := imagebuild.Layer(imagebuild.File{Path: "src/Dockerfile", Body: "FROM debian:12\nMAINTAINER a@example.com\nUSER app\n"})
	if err != nil {
		t.Fatal(err)
	}
	img, err := imagebuild.Image("amd64", l)
	if err != nil {
		t.Fatal(err)
	}
	img, err = imagebuild.WithConfig(img, func(cf *v1.ConfigFile) {
		cf.History = []v1.History{
			{CreatedBy: "COPY src /src # buildkit"},
			{CreatedBy: "MAINTAINER ops@example.com", EmptyLayer: true},
			{CreatedBy: "USER app", EmptyLayer: true},
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := imagebuild.EngineImage("misconf:1", img)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func targetsAndIDs(rep *types.Report) []string {
	var out []string
	for _, r := range rep.Results {
		if r.Class != types.ClassConfig {
			continue
		}
		for _, m := range r.Misconfigurations {
			out = append(out, r.Target+" "+m.ID)
		}
	}
	return out
}

// TestMisconfigScanner: the layer's Dockerfile and the image config are
// checked, with custom checks beside the built-in ones; the layer cache
// keeps the results of the two sets of checks apart.
func TestMisconfigScanner(t *testing.T) {
	img := misconfImage(t)
	c := cache.NewMemory(0, time.Hour)
	opts := Options{Scanners: []string{ScannerMisconfig}, Cache: c, Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	rep, err := Image(context.Background(), img, opts)
	if err != nil {
		t.Fatal(err)
	}
	got := targetsAndIDs(rep)
	for _, want := range []string{"misconf:1 DS-0022", "misconf:1 DS-0026", "src/Dockerfile DS-0022"} {
		if !slices.Contains(got, want) {
			t.Errorf("no %q in %v", want, got)
		}
	}
	// Results are sorted by target: the image's name before src/.
	if rep.Results[0].Target != "misconf:1" {
		t.Errorf("first result %s", rep.Results[0].Target)
	}

	custom, err := misconf.LoadRegoChecks([]string{filepath.Join("..", "..", "testdata", "misconf", "rego", "checks", "no_maintainer_legacy.rego")}, []string{"user"})
	if err != nil {
		t.Fatal(err)
	}
	opts.MisconfChecks = slices.Concat(misconf.DockerfileChecks, custom)
	rep, err = Image(context.Background(), img, opts)
	if err != nil {
		t.Fatal(err)
	}
	got = targetsAndIDs(rep)
	// The layer's result comes from the cache only if the key ignored the
	// custom check: it must be found in both files.
	for _, want := range []string{"misconf:1 ACME-DF-002", "src/Dockerfile ACME-DF-002"} {
		if !slices.Contains(got, want) {
			t.Errorf("no %q in %v", want, got)
		}
	}
	// Without the scanner, no config result.
	rep, err = Image(context.Background(), img, Options{Scanners: []string{ScannerSecret}})
	if err != nil {
		t.Fatal(err)
	}
	if got := targetsAndIDs(rep); len(got) != 0 {
		t.Errorf("misconfigurations without the scanner: %v", got)
	}
	// The image config alone (Trivy's --image-config-scanners misconfig).
	rep, err = Image(context.Background(), img, Options{ImageConfigScanners: []string{ImageConfigMisconfig}})
	if err != nil {
		t.Fatal(err)
	}
	if got := targetsAndIDs(rep); !slices.Contains(got, "misconf:1 DS-0022") || slices.Contains(got, "src/Dockerfile DS-0022") {
		t.Errorf("image config only: %v", got)
	}
}
