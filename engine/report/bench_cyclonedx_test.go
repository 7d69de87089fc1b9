package report

import (
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/docker-scan/docker-scan/engine/types"
)

// benchSBOMReport is a report of an image with n packages, shaped like a
// Debian image with a large Node.js application: two thirds dpkg packages
// (source names, epochs, licences, each depending on two earlier ones),
// one third npm packages of a lock file (a root, direct and indirect
// dependencies), and a vulnerability for every tenth package with CVSS
// scores from two sources.
func benchSBOMReport(n int) *types.Report {
	published := time.Date(2023, 3, 1, 0, 0, 0, 0, time.UTC)
	layer := types.LayerRef{Digest: "sha256:" + fmt.Sprintf("%064x", 1), DiffID: "sha256:" + fmt.Sprintf("%064x", 2)}
	licenses := [][]string{{"GPL-2.0-or-later"}, {"LGPL-2.1-only", "GPL-2.0-only"}, {"MIT"}, {"BSD-3-Clause"}, {"Artistic-1.0-Perl OR GPL-1.0-or-later"}, {"public-domain"}}
	osRes := types.Result{Target: "bench (debian 12.5)", Class: types.ClassOSPkg, Type: "debian"}
	appRes := types.Result{Target: "srv/app/package-lock.json", Class: types.ClassLangPkg, Type: "npm"}
	nOS := n * 2 / 3
	vuln := func(i int, p types.Package) types.DetectedVulnerability {
		return types.DetectedVulnerability{
			VulnerabilityID: fmt.Sprintf("CVE-2023-%05d", i), PkgID: p.ID, PkgName: p.Name, PkgIdentifier: p.Identifier,
			InstalledVersion: p.FullVersion(), FixedVersion: p.Version + ".1", Status: types.StatusFixed, Layer: layer,
			SeveritySource: "nvd", PrimaryURL: fmt.Sprintf("https://avd.aquasec.com/nvd/cve-2023-%05d", i),
			DataSource: &types.DataSource{ID: "debian", Name: "Debian Security Tracker", URL: "https://salsa.debian.org/security-tracker-team/security-tracker"},
			Vulnerability: types.Vulnerability{
				Title: "buffer overflow", Description: "A heap-based buffer overflow allows remote attackers to execute code.", Severity: "HIGH",
				CweIDs:         []string{"CWE-787"},
				VendorSeverity: map[string]types.Severity{"nvd": types.SeverityHigh, "debian": types.SeverityMedium, "ghsa": types.SeverityHigh},
				CVSS: map[string]types.CVSS{
					"nvd":  {V3Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", V3Score: 8.8, V2Vector: "AV:N/AC:M/Au:N/C:P/I:P/A:P", V2Score: 6.8},
					"ghsa": {V3Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", V3Score: 8.8},
				},
				References:    []string{"https://security-tracker.debian.org/tracker/CVE-2023-0001", "https://nvd.nist.gov/vuln/detail/CVE-2023-0001"},
				PublishedDate: &published, LastModifiedDate: &published,
			},
		}
	}
	for i := range nOS {
		name := fmt.Sprintf("lib%04d", i)
		p := types.Package{
			ID: fmt.Sprintf("%s@1.%d.0-%d", name, i%7, i%3+1), Name: name, Version: fmt.Sprintf("1.%d.0", i%7), Release: fmt.Sprint(i%3 + 1),
			Epoch: i % 2, Arch: "amd64", SrcName: fmt.Sprintf("src%04d", i/3), SrcVersion: fmt.Sprintf("1.%d.0", i%7), SrcRelease: fmt.Sprint(i%3 + 1),
			Licenses: licenses[i%len(licenses)], Maintainer: "Debian Developers <debian-devel@lists.debian.org>", Layer: layer,
			Digest: fmt.Sprintf("sha256:%064x", i),
		}
		p.Identifier = types.Identifier{PURL: fmt.Sprintf("pkg:deb/debian/%s@%s?arch=amd64&distro=debian-12.5", name, p.FullVersion()), UID: fmt.Sprintf("%016x", i)}
		if i >= 2 {
			p.DependsOn = []string{osRes.Packages[i-1].ID, osRes.Packages[i/2].ID}
		}
		osRes.Packages = append(osRes.Packages, p)
		if i%10 == 0 {
			osRes.Vulnerabilities = append(osRes.Vulnerabilities, vuln(i, p))
		}
	}
	for i := range n - nOS {
		name := fmt.Sprintf("pkg-%04d", i)
		p := types.Package{
			ID: name + "@2.0." + fmt.Sprint(i), Name: name, Version: "2.0." + fmt.Sprint(i), Licenses: []string{"MIT"}, Layer: layer,
			Relationship: types.RelationshipIndirect,
			Identifier:   types.Identifier{PURL: fmt.Sprintf("pkg:npm/%s@2.0.%d", name, i), UID: fmt.Sprintf("%016x", n+i)},
		}
		switch {
		case i == 0:
			p.Relationship = types.RelationshipRoot
		case i < 50:
			p.Relationship = types.RelationshipDirect
		}
		if i > 0 {
			parent := &appRes.Packages[max(0, (i-1)/3)]
			if i < 50 {
				parent = &appRes.Packages[0]
			}
			parent.DependsOn = append(parent.DependsOn, p.ID)
		}
		appRes.Packages = append(appRes.Packages, p)
		if i%10 == 5 {
			appRes.Vulnerabilities = append(appRes.Vulnerabilities, vuln(nOS+i, p))
		}
	}
	return &types.Report{
		SchemaVersion: 2, ArtifactName: "registry.example.com/bench:latest", ArtifactType: types.ArtifactTypeContainerImage,
		Metadata: types.Metadata{
			OS: &types.OS{Family: "debian", Name: "12.5"}, ImageID: "sha256:" + fmt.Sprintf("%064x", 3),
			DiffIDs: []string{layer.DiffID}, RepoTags: []string{"registry.example.com/bench:latest"},
			RepoDigests: []string{"registry.example.com/bench@sha256:" + fmt.Sprintf("%064x", 4)},
		},
		Results: []types.Result{osRes, appRes},
	}
}

// BenchmarkCycloneDX3000 writes the CycloneDX JSON of an image with 3,000
// packages and 300 vulnerabilities.
func BenchmarkCycloneDX3000(b *testing.B) {
	r := benchSBOMReport(3000)
	vulns := len(r.Results[0].Vulnerabilities) + len(r.Results[1].Vulnerabilities)
	if vulns != 300 {
		b.Fatalf("%d vulnerabilities", vulns)
	}
	opts := Options{Format: "cyclonedx", ToolVersion: "bench"}
	var size int
	b.ReportAllocs()
	for b.Loop() {
		w := &cdxCountWriter{}
		if err := Write(w, r, opts); err != nil {
			b.Fatal(err)
		}
		size = w.n
	}
	b.ReportMetric(float64(size), "bytes-out")
}

type cdxCountWriter struct{ n int }

func (c *cdxCountWriter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }

var _ io.Writer = (*cdxCountWriter)(nil)
