package server

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/docker-scan/docker-scan/engine/server/rpc/cache"
	"github.com/docker-scan/docker-scan/engine/server/rpc/scanner"
	"github.com/docker-scan/docker-scan/engine/types"
)

// fuzzLayer is a layer result with a bit of everything, as a seed.
var fuzzLayer = &types.LayerResult{
	Digest: "sha256:aa", DiffID: "sha256:bb", SchemaVersion: 6, Size: 42,
	OSReleases:   []types.OSRelease{{FilePath: "etc/os-release", Family: "ubuntu", Name: "22.04"}, {FilePath: "var/lib/ubuntu-advantage/status.json", Family: "ubuntu"}},
	Repositories: []types.Repository{{FilePath: "etc/apk/repositories", Family: "alpine", Release: "3.20"}},
	PackageDBs: []types.PackageDB{
		{FilePath: "srv/package.json", Type: "node-pkg", Packages: []types.Package{{Name: "a", Version: "1", Relationship: types.RelationshipRoot}}},
		{FilePath: "var/lib/dpkg/status", Type: "dpkg", Packages: []types.Package{{Name: "b", Version: "2", Release: "1", Epoch: 1, InstalledFiles: []string{"/bin/b"}, Modularitylabel: "m:1"}}},
	},
	PackageFacts: []types.PackageFacts{{FilePath: "var/lib/dpkg/available", Type: "dpkg", Digests: map[string]string{"b@2-1": "sha256:cc"}}},
	Symlinks:     []types.Symlink{{Path: "etc/os-release", Target: "../usr/lib/os-release"}},
	BuildInfo:    &types.BuildInfo{ContentSets: []string{"rhel-8-for-x86_64-baseos-rpms"}, Nvr: "ubi8-8.9", Arch: "x86_64"},
	Secrets: []types.SecretFile{{FilePath: "app/.env", Findings: []types.SecretFinding{{RuleID: "github-pat", StartLine: 2, EndLine: 2,
		Code: types.Code{Lines: []types.CodeLine{{Number: 2, Content: "X=****", IsCause: true}}}}}}},
	WhiteoutFiles: []string{"tmp/x"},
	OpaqueDirs:    []string{"srv/cache"},
	Issues:        []types.AnalysisIssue{{Layer: "sha256:bb", Analyzer: "dpkg", FilePath: "var/lib/dpkg/status", Reason: "truncated"}},
}

func FuzzLayerFromBlob(f *testing.F) {
	for _, js := range []string{trivyAlpineBlob, trivyDebianBlob} {
		b := &cache.BlobInfo{}
		if err := protojson.Unmarshal([]byte(js), b); err != nil {
			f.Fatal(err)
		}
		seed, _ := proto.Marshal(b)
		f.Add(seed)
	}
	seed, _ := proto.Marshal(BlobFromLayer(fuzzLayer))
	f.Add(seed)
	f.Fuzz(func(t *testing.T, data []byte) {
		b := &cache.BlobInfo{}
		if proto.Unmarshal(data, b) != nil {
			return
		}
		r, err := LayerFromBlob(b)
		if err != nil {
			return
		}
		// What was read once comes back the same through our own form.
		again, err := LayerFromBlob(BlobFromLayer(r))
		if err != nil {
			t.Fatalf("re-reading an accepted layer: %v", err)
		}
		if d := cmp.Diff(r, again, equateEmpty); d != "" {
			t.Fatalf("second round trip changed the layer:\n%s", d)
		}
	})
}

func FuzzResultsFromWire(f *testing.F) {
	rep := &types.Report{Metadata: types.Metadata{OS: &types.OS{Family: "alpine", Name: "3.20.3"}}, Results: []types.Result{{
		Target: "x (alpine 3.20.3)", Class: types.ClassOSPkg, Type: "alpine", Runtime: "docker",
		Packages: []types.Package{{Name: "musl", Version: "1.2.5-r0", InstalledFiles: []string{"/lib/ld-musl-x86_64.so.1"}}},
		Vulnerabilities: []types.DetectedVulnerability{{VulnerabilityID: "CVE-2025-26519", PkgName: "musl", InstalledVersion: "1.2.5-r0",
			FixedVersion: "1.2.5-r1", Status: types.StatusFixed, DataSource: &types.DataSource{ID: "alpine", BaseID: "x"},
			Vulnerability: types.Vulnerability{Severity: "HIGH", VendorSeverity: map[string]types.Severity{"nvd": types.SeverityHigh},
				CVSS: map[string]types.CVSS{"nvd": {V3Score: 8.1}}}}},
		Secrets:           []types.SecretFinding{{RuleID: "aws-access-key-id", Removed: true}},
		Misconfigurations: []types.Misconfiguration{{ID: "DS-C001", Severity: "odd", StartLine: 3}},
	}}}
	results, os := ResultsToWire(rep)
	seed, _ := proto.Marshal(&scanner.ScanResponse{Os: os, Results: results})
	f.Add(seed)
	f.Fuzz(func(t *testing.T, data []byte) {
		resp := &scanner.ScanResponse{}
		if proto.Unmarshal(data, resp) != nil {
			return
		}
		got, gotOS, err := ResultsFromWire(resp.Results, resp.Os)
		if err != nil {
			return
		}
		again, againOS, err := ResultsFromWire(ResultsToWire(&types.Report{Results: got, Metadata: types.Metadata{OS: gotOS}}))
		if err != nil {
			t.Fatalf("re-reading accepted results: %v", err)
		}
		if d := cmp.Diff(got, again, equateEmpty); d != "" {
			t.Fatalf("second round trip changed the results:\n%s", d)
		}
		if d := cmp.Diff(gotOS, againOS); d != "" {
			t.Fatalf("second round trip changed the OS:\n%s", d)
		}
	})
}

func FuzzScanOptionsFromWire(f *testing.F) {
	seed, _ := proto.Marshal(ScanOptionsToWire(ScanSettings{Scanners: []string{"vuln"}, PkgTypes: []string{"os"},
		Distro: &types.OS{Family: "alpine", Name: "3.20"}, LicenseCategories: map[string][]string{"forbidden": {"GPL-3.0"}}}))
	f.Add(seed)
	f.Fuzz(func(t *testing.T, data []byte) {
		o := &scanner.ScanOptions{}
		if proto.Unmarshal(data, o) != nil {
			return
		}
		s, err := ScanOptionsFromWire(o)
		if err != nil {
			return
		}
		if _, err := ScanOptionsFromWire(ScanOptionsToWire(s)); err != nil {
			t.Fatalf("re-reading accepted options: %v", err)
		}
	})
}

// TestFuzzSeedsRoundTrip keeps the seeds honest under `go test`: the
// seed layer's extras must all come back.
func TestFuzzSeedsRoundTrip(t *testing.T) {
	b := viaProto(t, BlobFromLayer(fuzzLayer), func() *cache.BlobInfo { return &cache.BlobInfo{} })
	got, err := LayerFromBlob(b)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(fuzzLayer, got, equateEmpty); d != "" {
		t.Errorf("(-sent +got):\n%s", d)
	}
	if b.Os.GetFamily() != "ubuntu" || b.Os.GetName() != "22.04" || !b.Os.GetExtended() || b.Repository.GetRelease() != "3.20" || b.BuildInfo.GetNvr() != "ubi8-8.9" {
		t.Errorf("wire fields: os %v repository %v build info %v", b.Os, b.Repository, b.BuildInfo)
	}
}
