package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/testenv"
	"github.com/docker-scan/docker-scan/engine/types"
)

// TestSPDXReadByTrivy: the reference Trivy reads the SPDX JSON docker scan
// writes of an image (`trivy sbom ours.spdx.json`) and, matching it
// against the same DB, finds for each package the vulnerabilities our own
// scan of the image finds: our SBOM carries what Trivy needs (the OS, the
// PURLs, source packages, the application types), in the places Trivy
// reads it from.
func TestSPDXReadByTrivy(t *testing.T) {
	trivy := testenv.Trivy(t)
	need(t, haveCommand("docker"), "the docker CLI")
	images := []diffImage{{"demo", demoImage}}
	for _, img := range trivyDiffImages() {
		if slices.Contains([]string{"alpine-old-base", "debian-shape", "debian-minbase", "gobinary"}, img.name) {
			images = append(images, img)
		}
	}
	total := 0
	for _, img := range images {
		t.Run(img.name, func(t *testing.T) {
			archive := img.build(t)
			cache := diffCache(t)
			scanned := scanCLI(t, "image", "--input", archive, "--cache-dir", cache, "--skip-db-update", "--quiet", "--scanners", "vuln", "--format", "json")
			if scanned.exit != 0 {
				t.Fatalf("docker scan: exit %d: %s", scanned.exit, scanned.stderr)
			}
			sbom := scanCLI(t, "image", "--input", archive, "--cache-dir", cache, "--skip-db-update", "--quiet", "--format", "spdx-json")
			if sbom.exit != 0 {
				t.Fatalf("docker scan --format spdx-json: exit %d: %s", sbom.exit, sbom.stderr)
			}
			file := filepath.Join(t.TempDir(), "ours.spdx.json")
			if err := os.WriteFile(file, []byte(sbom.stdout), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(trivy, "sbom", "--cache-dir", diffCache(t),
				"--skip-db-update", "--skip-java-db-update", "--offline-scan", "--skip-version-check", "--disable-telemetry",
				"--scanners", "vuln", "--format", "json", "--quiet", file)
			cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "TRIVY_NO_PROGRESS=true")
			theirs := runCommand(t, cmd)
			if theirs.exit != 0 {
				t.Fatalf("trivy sbom: exit %d: %s", theirs.exit, theirs.stderr)
			}
			want, got := vulnsByPackage(parseReport(t, scanned.stdout)), vulnsByPackage(parseReport(t, theirs.stdout))
			if d := diffSorted(want, got); d != "" {
				t.Errorf("Trivy, reading our SPDX, finds other vulnerabilities than our scan of the image (- ours, + trivy):\n%s", d)
			}
			t.Logf("%d vulnerable packages", len(want))
			total += len(want)
		})
	}
	if total == 0 {
		t.Error("no image had a vulnerable package: the comparison shows nothing")
	}
}

// vulnsByPackage is one line per vulnerable package: "name version: IDs".
func vulnsByPackage(rep types.Report) []string {
	ids := map[string][]string{}
	for _, res := range rep.Results {
		for _, v := range res.Vulnerabilities {
			k := v.PkgName + " " + v.InstalledVersion
			if !slices.Contains(ids[k], v.VulnerabilityID) {
				ids[k] = append(ids[k], v.VulnerabilityID)
			}
		}
	}
	var out []string
	for k, v := range ids {
		sort.Strings(v)
		out = append(out, fmt.Sprintf("%s: %s", k, strings.Join(v, " ")))
	}
	sort.Strings(out)
	return out
}

func diffSorted(want, got []string) string {
	var d []string
	for _, l := range want {
		if !slices.Contains(got, l) {
			d = append(d, "- "+l)
		}
	}
	for _, l := range got {
		if !slices.Contains(want, l) {
			d = append(d, "+ "+l)
		}
	}
	return strings.Join(d, "\n")
}
