package scan

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/docker-scan/docker-scan/engine/sbom"
	"github.com/docker-scan/docker-scan/engine/types"
)

func decodeSBOMFile(t *testing.T, path string) *sbom.Document {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := sbom.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// findings lists a result's vulnerabilities as "package ID vulnerability ID".
func findings(res types.Result) []string {
	var out []string
	for _, v := range res.Vulnerabilities {
		out = append(out, v.PkgID+" "+v.VulnerabilityID)
	}
	slices.Sort(out)
	return out
}

// A Syft SBOM of a Debian image with npm and Python packages is matched
// like the image itself: the OS packages by their source package (from the
// upstream qualifier) and its version, the language packages per file.
func TestSBOMSyftDebian(t *testing.T) {
	opts := Options{Scanners: []string{ScannerVuln}, ListAllPackages: true, Now: time.Date(2025, 3, 5, 0, 0, 0, 0, time.UTC),
		DB: fixtureDB(t, "../../testdata/db/debian-12.yaml", "../../testdata/db/languages.yaml")}
	doc := decodeSBOMFile(t, "../sbom/testdata/syft-debian.cdx.json")
	rep, err := SBOM(context.Background(), &types.Image{Name: "app.cdx.json"}, doc, opts)
	if err != nil {
		t.Fatal(err)
	}
	if rep.ArtifactName != "app.cdx.json" || rep.ArtifactType != "cyclonedx" || rep.Metadata.OS == nil || rep.Metadata.OS.Family != "debian" {
		t.Errorf("report: %s %s %+v", rep.ArtifactName, rep.ArtifactType, rep.Metadata.OS)
	}
	if len(rep.Results) != 3 {
		t.Fatalf("%d results: %+v", len(rep.Results), rep.Results)
	}
	osRes := rep.Results[0]
	if osRes.Target != "app.cdx.json (debian 12)" || osRes.Class != types.ClassOSPkg || len(osRes.Packages) != 3 {
		t.Errorf("OS result %s %s with %d packages", osRes.Target, osRes.Class, len(osRes.Packages))
	}
	want := []string{
		"bsdutils@1:2.38.1-5+deb12u1 CVE-2022-0563",
		"libc6@2.36-9+deb12u4 CVE-2018-20796",
		"libc6@2.36-9+deb12u4 CVE-2019-1010022",
		"libc6@2.36-9+deb12u4 CVE-2025-0395", // fixed in deb12u10; CVE-2023-4911 (deb12u3) is not listed
		"perl-base@5.36.0-7+deb12u1 CVE-2011-4116",
		"perl-base@5.36.0-7+deb12u1 CVE-2023-31486",
		"perl-base@5.36.0-7+deb12u1 CVE-2024-56406",
	}
	if got := findings(osRes); !slices.Equal(got, want) {
		t.Errorf("OS findings:\n got %q\nwant %q", got, want)
	}
	targets := map[string][]string{}
	for _, res := range rep.Results[1:] {
		targets[res.Target] = findings(res)
	}
	if got := targets["Node.js"]; !slices.Equal(got, []string{"lodash@4.17.20 CVE-2021-23337"}) {
		t.Errorf("Node.js: %q (results %v)", got, targets)
	}
	if got := targets["Python"]; !slices.Equal(got, []string{"PyYAML@5.3.1 CVE-2020-14343"}) {
		t.Errorf("Python: %q", got)
	}
	for _, res := range rep.Results {
		for _, v := range res.Vulnerabilities {
			if v.Fingerprint == "" || v.Severity == "" {
				t.Errorf("%s %s: fingerprint %q severity %q", v.PkgID, v.VulnerabilityID, v.Fingerprint, v.Severity)
			}
		}
	}
}

// Policy applies as for an image: --ignore-unfixed keeps only the fixed.
func TestSBOMPolicy(t *testing.T) {
	opts := Options{Scanners: []string{ScannerVuln}, Now: time.Date(2025, 3, 5, 0, 0, 0, 0, time.UTC),
		DB: fixtureDB(t, "../../testdata/db/alpine-3.14.yaml")}
	opts.Policy.IgnoreUnfixed = true
	doc := decodeSBOMFile(t, "../sbom/testdata/syft-alpine.spdx.json")
	rep, err := SBOM(context.Background(), &types.Image{Name: "alpine.spdx.json"}, doc, opts)
	if err != nil {
		t.Fatal(err)
	}
	if rep.ArtifactType != "spdx" || len(rep.Results) != 1 || rep.Results[0].Target != "alpine.spdx.json (alpine 3.14.10)" {
		t.Fatalf("report %s, results %+v", rep.ArtifactType, rep.Results)
	}
	got := findings(rep.Results[0])
	// busybox 1.33.1-r3 misses the fixes of r4 to r7 (13 advisories);
	// libssl1.1 1.1.1t-r2 (source openssl) has CVE-2023-0465's fix (r2)
	// and CVE-2023-0466 has none, which --ignore-unfixed leaves out.
	if len(got) != 13 || got[0] != "busybox@1.33.1-r3 ALPINE-13661" || got[12] != "busybox@1.33.1-r3 CVE-2022-28391" {
		t.Errorf("findings %q", got)
	}
	for _, v := range rep.Results[0].Vulnerabilities {
		if v.FixedVersion == "" {
			t.Errorf("%s %s: unfixed finding left", v.PkgID, v.VulnerabilityID)
		}
	}
}
