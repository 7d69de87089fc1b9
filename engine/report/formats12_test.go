package report_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/docker-scan/docker-scan/engine/types"
)

// cdxCWENumbers are the CWE numbers a vulnerability entry carries.
func cdxCWENumbers(v *cdx.Vulnerability) []int {
	if v.CWEs == nil {
		return nil
	}
	return slices.Sorted(slices.Values(*v.CWEs))
}

func cdxAdvisoryURLs(v *cdx.Vulnerability) []string {
	if v.Advisories == nil {
		return nil
	}
	var out []string
	for _, a := range *v.Advisories {
		out = append(out, a.URL)
	}
	return out
}

// TestCycloneDXVulnerabilityDetails: each vulnerability of a real scan
// carries, besides its affects (TestCycloneDXImage), the CWEs, the
// advisory links, the description, the dates and one rating per CVSS
// score of every source that the DB gave; and references written with
// words around them, twice, or with the primary URL again give each URL
// once, while CWE IDs that are not numbers are left out.
func TestCycloneDXVulnerabilityDetails(t *testing.T) {
	rep := scannedSBOMImage(t)
	out := writeBOM(t, rep, "cyclonedx")
	validateCycloneDX(t, out)
	bom := decodeBOM(t, out, cdx.BOMFileFormatJSON)

	var withCWE, withAdvisory, withCVSS, withDate int
	seen := map[string]bool{}
	for _, res := range rep.Results {
		for _, v := range res.Vulnerabilities {
			if seen[v.VulnerabilityID] {
				continue
			}
			seen[v.VulnerabilityID] = true
			cv := findVuln(*bom.Vulnerabilities, v.VulnerabilityID)
			if cv == nil {
				t.Errorf("%s: not in the BOM", v.VulnerabilityID)
				continue
			}
			var wantCWE []int
			for _, id := range v.CweIDs {
				var n int
				if _, err := fmt.Sscanf(id, "CWE-%d", &n); err != nil {
					t.Fatalf("%s: fixture CWE %q", v.VulnerabilityID, id)
				}
				wantCWE = append(wantCWE, n)
			}
			slices.Sort(wantCWE)
			if got := cdxCWENumbers(cv); !slices.Equal(got, wantCWE) {
				t.Errorf("%s: CWEs %v, want %v (%v)", v.VulnerabilityID, got, wantCWE, v.CweIDs)
			}
			if len(wantCWE) > 0 {
				withCWE++
			}
			var wantAdv []string
			if v.PrimaryURL != "" {
				wantAdv = append(wantAdv, v.PrimaryURL)
				withAdvisory++
			}
			for _, r := range v.References {
				if !slices.Contains(wantAdv, r) {
					wantAdv = append(wantAdv, r)
				}
			}
			if got := cdxAdvisoryURLs(cv); !slices.Equal(got, wantAdv) {
				t.Errorf("%s: advisories %q, want %q", v.VulnerabilityID, got, wantAdv)
			}
			if cv.Description != v.Description {
				t.Errorf("%s: description %q, want %q", v.VulnerabilityID, cv.Description, v.Description)
			}
			if v.PublishedDate != nil {
				withDate++
				if want := v.PublishedDate.UTC().Format("2006-01-02T15:04:05+00:00"); cv.Published != want {
					t.Errorf("%s: published %q, want %q", v.VulnerabilityID, cv.Published, want)
				}
			}
			for src, c := range v.CVSS {
				if c.V3Vector == "" {
					continue
				}
				withCVSS++
				found := false
				for _, r := range *cv.Ratings {
					if r.Source != nil && r.Source.Name == src && r.Vector == c.V3Vector && r.Score != nil && *r.Score == c.V3Score &&
						(r.Method == cdx.ScoringMethodCVSSv3 || r.Method == cdx.ScoringMethodCVSSv31) {
						found = true
					}
				}
				if !found {
					t.Errorf("%s: no %s CVSS v3 rating %s %.1f in %+v", v.VulnerabilityID, src, c.V3Vector, c.V3Score, *cv.Ratings)
				}
			}
		}
	}
	if len(seen) != len(*bom.Vulnerabilities) {
		t.Errorf("%d vulnerabilities in the BOM, the scan found %d IDs", len(*bom.Vulnerabilities), len(seen))
	}
	if withCWE < 5 || withAdvisory < 5 || withCVSS < 5 || withDate < 5 {
		t.Fatalf("the fixture gives too few cases: %d with CWEs, %d with a primary URL, %d CVSS v3, %d dates", withCWE, withAdvisory, withCVSS, withDate)
	}

	// References as feeds write them, on a copy of the report.
	var edited types.Report
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &edited); err != nil {
		t.Fatal(err)
	}
	var target *types.DetectedVulnerability
	for i := range edited.Results {
		for j := range edited.Results[i].Vulnerabilities {
			if v := &edited.Results[i].Vulnerabilities[j]; v.VulnerabilityID == "CVE-2022-28391" {
				target = v
			}
		}
	}
	if target == nil || target.PrimaryURL == "" {
		t.Fatalf("CVE-2022-28391 is not in the scan with a primary URL: %+v", target)
	}
	target.CweIDs = []string{"CWE-787", "NVD-CWE-noinfo", "CWE-20"}
	target.References = []string{
		target.PrimaryURL,
		"https://bugs.busybox.net/show_bug.cgi?id=15001",
		"MISC: https://git.alpinelinux.org/aports/plain/main/busybox/0001-libbb-sockaddr2str-ensure-only-printable-characters-.patch (patch)",
		"https://bugs.busybox.net/show_bug.cgi?id=15001",
		"no link here",
	}
	cv := findVuln(*decodeBOM(t, writeBOM(t, &edited, "cyclonedx"), cdx.BOMFileFormatJSON).Vulnerabilities, "CVE-2022-28391")
	if cv == nil {
		t.Fatal("CVE-2022-28391 missing from the edited BOM")
	}
	if got := cdxCWENumbers(cv); !slices.Equal(got, []int{20, 787}) {
		t.Errorf("CWEs %v, want [20 787]", got)
	}
	wantAdv := []string{
		target.PrimaryURL,
		"https://bugs.busybox.net/show_bug.cgi?id=15001",
		"https://git.alpinelinux.org/aports/plain/main/busybox/0001-libbb-sockaddr2str-ensure-only-printable-characters-.patch",
	}
	if got := cdxAdvisoryURLs(cv); !slices.Equal(got, wantAdv) {
		t.Errorf("advisories\n got %q\nwant %q", got, wantAdv)
	}
	for _, a := range cdxAdvisoryURLs(cv) {
		if strings.ContainsAny(a, " \t") {
			t.Errorf("advisory %q is not a bare URL", a)
		}
	}
}
