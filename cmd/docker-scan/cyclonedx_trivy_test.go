package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/docker-scan/docker-scan/engine/testenv"
)

// TestCycloneDXReadByTrivy: the reference Trivy reads our CycloneDX SBOM
// of an image (`trivy sbom`) and, with the same DB, finds the same
// vulnerabilities in the same packages as our own scan of the image: the
// SBOM carries everything matching needs (PURLs, the OS, source names,
// file paths), in the shape Trivy expects.
func TestCycloneDXReadByTrivy(t *testing.T) {
	trivy := testenv.Trivy(t)
	need(t, haveCommand("docker"), "the docker CLI")
	images := []diffImage{{"demo", demoImage}}
	for _, img := range trivyDiffImages() {
		if slices.Contains([]string{"alpine-shape", "debian-shape", "alpine-old-base", "debian-minbase", "gobinary"}, img.name) {
			images = append(images, img)
		}
	}
	for _, img := range images {
		t.Run(img.name, func(t *testing.T) {
			archive := img.build(t)
			cache := diffCache(t)
			scanArgs := []string{"image", "--input", archive, "--cache-dir", cache, "--skip-db-update", "--quiet", "--scanners", "vuln"}
			ours := scanCLI(t, append(scanArgs, "--list-all-pkgs", "--format", "json")...)
			sbom := scanCLI(t, append(scanArgs, "--format", "cyclonedx")...)
			if ours.exit != 0 || sbom.exit != 0 {
				t.Fatalf("docker scan: exit %d/%d: %s%s", ours.exit, sbom.exit, ours.stderr, sbom.stderr)
			}
			validateCycloneDXSchema(t, sbom.stdout)
			path := filepath.Join(t.TempDir(), "ours.cdx.json")
			if err := os.WriteFile(path, []byte(sbom.stdout), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(trivy, "sbom", "--cache-dir", cache, "--skip-db-update", "--skip-java-db-update", "--offline-scan",
				"--skip-version-check", "--disable-telemetry", "--list-all-pkgs", "--format", "json", "--quiet", path)
			cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "TRIVY_NO_PROGRESS=true")
			theirs := runCommand(t, cmd)
			if theirs.exit != 0 {
				t.Fatalf("trivy sbom: exit %d: %s", theirs.exit, theirs.stderr)
			}
			want, wantPkgs := findingsPerPackage(t, ours.stdout)
			got, gotPkgs := findingsPerPackage(t, theirs.stdout)
			if len(wantPkgs) == 0 {
				t.Fatal("our scan lists no packages")
			}
			if !slices.Equal(gotPkgs, wantPkgs) {
				t.Errorf("packages Trivy read from the SBOM differ:\ntrivy: %v\nours:  %v", gotPkgs, wantPkgs)
			}
			for pkg, ids := range want {
				if !slices.Equal(got[pkg], ids) {
					t.Errorf("%s: Trivy finds %v from the SBOM, our scan %v", pkg, got[pkg], ids)
				}
			}
			for pkg, ids := range got {
				if _, ok := want[pkg]; !ok {
					t.Errorf("%s: Trivy finds %v from the SBOM, our scan nothing", pkg, ids)
				}
			}
			t.Logf("%s: %d packages, %d vulnerable, same findings", img.name, len(wantPkgs), len(want))
		})
	}
}

// findingsPerPackage reads a JSON report: the vulnerability IDs of each
// package ("PkgID PkgPath"), sorted, and the sorted list of packages.
func findingsPerPackage(t *testing.T, report string) (map[string][]string, []string) {
	t.Helper()
	var r struct {
		Results []struct {
			Packages []struct {
				ID       string
				FilePath string
			}
			Vulnerabilities []struct {
				VulnerabilityID string
				PkgID           string
				PkgPath         string
			}
		}
	}
	if err := json.Unmarshal([]byte(report), &r); err != nil {
		t.Fatalf("report is not JSON: %v\n%.500s", err, report)
	}
	out := map[string][]string{}
	var pkgs []string
	for _, res := range r.Results {
		for _, p := range res.Packages {
			pkgs = append(pkgs, strings.TrimSpace(p.ID+" "+p.FilePath))
		}
		for _, v := range res.Vulnerabilities {
			k := strings.TrimSpace(v.PkgID + " " + v.PkgPath)
			out[k] = append(out[k], v.VulnerabilityID)
		}
	}
	for k := range out {
		slices.Sort(out[k])
	}
	slices.Sort(pkgs)
	return out, pkgs
}

// validateCycloneDXSchema checks a JSON BOM against the official
// CycloneDX 1.7 schema (testdata/schemas).
func validateCycloneDXSchema(t *testing.T, bom string) {
	t.Helper()
	c := jsonschema.NewCompiler()
	for _, f := range []string{"bom-1.7.schema.json", "spdx.schema.json", "jsf-0.82.schema.json", "cryptography-defs.schema.json"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "schemas", f))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(b)))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.AddResource("http://cyclonedx.org/schema/"+f, doc); err != nil {
			t.Fatal(err)
		}
	}
	sch, err := c.Compile("http://cyclonedx.org/schema/bom-1.7.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(bom))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("our SBOM is not valid CycloneDX 1.7: %v", err)
	}
}
