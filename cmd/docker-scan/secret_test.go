package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
)

// leakyArchive has a token in a file that the second layer deletes, and a
// database URL that stays.
func leakyArchive(t *testing.T) string {
	t.Helper()
	leak, err := imagebuild.Layer(
		imagebuild.File{Path: "etc/alpine-release", Body: "3.20.3\n"},
		imagebuild.File{Path: "app/.env", Body: "# deploy\nGITHUB_TOKEN=ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8\n"},
		imagebuild.File{Path: "app/settings.yaml", Body: "db:\n  url: postgres://app:Xq7!pL9wZr@db.internal:5432/app\n"},
	)
	if err != nil {
		t.Fatal(err)
	}
	cleanup, err := imagebuild.Layer(imagebuild.File{Path: "app/.wh..env"})
	if err != nil {
		t.Fatal(err)
	}
	img, err := imagebuild.Image("amd64", leak, cleanup)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "leaky.tar")
	if err := imagebuild.WriteDockerArchive(p, "leaky:1", img); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSecretsThroughCLI: secrets are on by default, shown with their
// layer, masked, and gate CI like vulnerabilities do.
func TestSecretsThroughCLI(t *testing.T) {
	archive := leakyArchive(t)
	cache := t.TempDir()
	base := []string{"image", "--input", archive, "--cache-dir", cache, "--scanners", "secret", "--quiet"}
	table := scanCLI(t, base...)
	if table.exit != 0 {
		t.Fatalf("exit %d: %s", table.exit, table.stderr)
	}
	for _, want := range []string{
		"/app/.env (secrets)", "CRITICAL: GitHub (github-pat)", "deleted by a later layer, but still in the image",
		"   2 [ GITHUB_TOKEN=****************************************", "/app/settings.yaml (secrets)", "HIGH: Database (postgres-url)",
	} {
		if !strings.Contains(table.stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, table.stdout)
		}
	}
	if strings.Contains(table.stdout, "ghp_a1B2") || strings.Contains(table.stdout, "Xq7!pL9wZr") {
		t.Error("a secret is printed unmasked")
	}
	if r := scanCLI(t, append(base, "--exit-code", "1", "--severity", "CRITICAL")...); r.exit != 1 {
		t.Errorf("a CRITICAL secret must fail the gate: exit %d", r.exit)
	}
	ignore := filepath.Join(t.TempDir(), ".trivyignore.yaml")
	os.WriteFile(ignore, []byte("secrets:\n  - id: github-pat\n    paths: [\"/app/.env\"]\n"), 0o644)
	if r := scanCLI(t, append(base, "--exit-code", "1", "--severity", "CRITICAL", "--ignorefile", ignore)...); r.exit != 0 {
		t.Errorf("an ignored secret must not fail the gate: exit %d\n%s", r.exit, r.stdout)
	}
	// The default scanners include secrets.
	def := scanCLI(t, "image", "--input", archive, "--cache-dir", fixtureCache(t, "../../testdata/db/alpine-3.14.yaml"), "--skip-db-update", "--quiet", "--format", "json")
	if def.exit != 0 || !strings.Contains(def.stdout, `"Class": "secret"`) {
		t.Errorf("default scan: exit %d, no secret results", def.exit)
	}
}
