package server

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/docker-scan/docker-scan/engine/analyze"
	"github.com/docker-scan/docker-scan/engine/scan"
	"github.com/docker-scan/docker-scan/engine/server/rpc/cache"
	"github.com/docker-scan/docker-scan/engine/server/rpc/common"
	"github.com/docker-scan/docker-scan/engine/types"
)

// The blobs below are what a Trivy v0.74 client puts for an Alpine 3.14
// base layer and for a Debian 12 layer with a global npm package, written
// with the protojson names of the wire (lowerCamelCase), as the Twirp
// JSON encoding carries them.
const trivyAlpineBlob = `{
  "schemaVersion": 2,
  "os": {"family": "alpine", "name": "3.14.1"},
  "repository": {"family": "alpine", "release": "3.14"},
  "packageInfos": [{
    "filePath": "lib/apk/db/installed",
    "packages": [
      {"id": "musl@1.2.2-r3", "name": "musl", "version": "1.2.2-r3", "arch": "x86_64",
       "srcName": "musl", "srcVersion": "1.2.2-r3", "licenses": ["MIT"],
       "digest": "sha1:3f3a7b9f1a5a3bd3e7a1d6c2b0b0ad5a0c4e1f1e",
       "identifier": {"purl": "pkg:apk/alpine/musl@1.2.2-r3?arch=x86_64&distro=3.14.1"},
       "analyzedBy": "apk"},
      {"id": "libcrypto1.1@1.1.1k-r0", "name": "libcrypto1.1", "version": "1.1.1k-r0", "arch": "x86_64",
       "srcName": "openssl", "srcVersion": "1.1.1k-r0", "licenses": ["OpenSSL"],
       "dependsOn": ["musl@1.2.2-r3"], "analyzedBy": "apk"}
    ]
  }],
  "diffId": "sha256:bc276c40b172b1c5467277d36d48e11bf4a3b3e2bd5d0e8a1e5d5a4c0de9ea3c",
  "digest": "sha256:5843afab387455b37944e709ee8c78d7520df80f8d01cf7f861aae63beeddb6b",
  "size": 5827072
}`

const trivyDebianBlob = `{
  "schemaVersion": 2,
  "os": {"family": "debian", "name": "12.5"},
  "packageInfos": [{
    "filePath": "var/lib/dpkg/status",
    "packages": [
      {"id": "libc6@2.36-9+deb12u4", "name": "libc6", "version": "2.36", "release": "9+deb12u4", "arch": "amd64",
       "srcName": "glibc", "srcVersion": "2.36", "srcRelease": "9+deb12u4",
       "maintainer": "GNU Libc Maintainers <debian-glibc@lists.debian.org>",
       "dependsOn": ["libgcc-s1@12.2.0-14"], "repository": {"class": "official"}, "analyzedBy": "dpkg"},
      {"id": "base-files@12.4+deb12u5", "name": "base-files", "version": "12.4+deb12u5", "arch": "amd64",
       "srcName": "base-files", "srcVersion": "12.4+deb12u5", "analyzedBy": "dpkg"}
    ]
  }],
  "applications": [{
    "type": "node-pkg",
    "filePath": "usr/local/lib/node_modules/lodash/package.json",
    "packages": [
      {"id": "lodash@4.17.20", "name": "lodash", "version": "4.17.20", "licenses": ["MIT"],
       "filePath": "usr/local/lib/node_modules/lodash/package.json", "analyzedBy": "node-pkg"}
    ]
  }, {
    "type": "npm",
    "filePath": "srv/app/package-lock.json",
    "packages": [
      {"id": "minimist@1.2.5", "name": "minimist", "version": "1.2.5", "relationship": 3}
    ]
  }],
  "licenses": [{
    "licenseType": "DPKG", "filePath": "usr/share/doc/libc6/copyright", "pkgName": "libc6",
    "fingings": [{"category": "RESTRICTED", "name": "LGPL-2.1+", "confidence": 1}]
  }],
  "secrets": [{
    "filepath": "srv/app/.env",
    "findings": [{"ruleId": "github-pat", "category": "GitHub", "severity": "CRITICAL", "title": "GitHub Personal Access Token",
      "startLine": 2, "endLine": 2, "match": "GITHUB_TOKEN=****",
      "code": {"lines": [{"number": 1, "content": "PORT=8080"}, {"number": 2, "content": "GITHUB_TOKEN=****", "isCause": true, "firstCause": true, "lastCause": true}]}}]
  }],
  "whiteoutFiles": ["tmp/build.log"],
  "diffId": "sha256:1ef6de6a56e9e8ceb03553c2a26d56bc191608c5a2d90a41a9179f2d66ddfe60",
  "digest": "sha256:6ddc897e17caed4b737128ebc28803fa7d348056c17f7119f2a67c613471f47a"
}`

func trivyBlob(t testing.TB, js string) *cache.BlobInfo {
	t.Helper()
	b := &cache.BlobInfo{}
	if err := protojson.Unmarshal([]byte(js), b); err != nil {
		t.Fatal(err)
	}
	// And through the binary encoding, as a Trivy client sends by default.
	bin, err := proto.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	out := &cache.BlobInfo{}
	if err := proto.Unmarshal(bin, out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestLayerFromTrivyAlpineBlob(t *testing.T) {
	l, err := LayerFromBlob(trivyBlob(t, trivyAlpineBlob))
	if err != nil {
		t.Fatal(err)
	}
	if l.SchemaVersion != analyze.ResultSchemaVersion || l.Size != 5827072 || !strings.HasPrefix(l.DiffID, "sha256:bc27") || !strings.HasPrefix(l.Digest, "sha256:5843") {
		t.Errorf("header = %d %d %s %s", l.SchemaVersion, l.Size, l.DiffID, l.Digest)
	}
	if d := cmp.Diff([]types.OSRelease{{FilePath: "etc/alpine-release", Family: "alpine", Name: "3.14.1"}}, l.OSReleases); d != "" {
		t.Errorf("releases:\n%s", d)
	}
	if d := cmp.Diff([]types.Repository{{FilePath: "etc/apk/repositories", Family: "alpine", Release: "3.14"}}, l.Repositories); d != "" {
		t.Errorf("repositories:\n%s", d)
	}
	if len(l.PackageDBs) != 1 || l.PackageDBs[0].Type != "apk" || l.PackageDBs[0].FilePath != "lib/apk/db/installed" {
		t.Fatalf("dbs = %+v", l.PackageDBs)
	}
	want := types.Package{ID: "libcrypto1.1@1.1.1k-r0", Name: "libcrypto1.1", Version: "1.1.1k-r0", Arch: "x86_64",
		SrcName: "openssl", SrcVersion: "1.1.1k-r0", Licenses: []string{"OpenSSL"}, DependsOn: []string{"musl@1.2.2-r3"}, AnalyzedBy: "apk"}
	if d := cmp.Diff(want, l.PackageDBs[0].Packages[1]); d != "" {
		t.Errorf("libcrypto1.1:\n%s", d)
	}
	musl := l.PackageDBs[0].Packages[0]
	if musl.Digest != "sha1:3f3a7b9f1a5a3bd3e7a1d6c2b0b0ad5a0c4e1f1e" || !strings.HasPrefix(musl.Identifier.PURL, "pkg:apk/alpine/musl@") {
		t.Errorf("musl = %+v", musl)
	}
}

func TestLayerFromTrivyDebianBlob(t *testing.T) {
	l, err := LayerFromBlob(trivyBlob(t, trivyDebianBlob))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]types.OSRelease{{FilePath: "etc/debian_version", Family: "debian", Name: "12.5"}}, l.OSReleases); d != "" {
		t.Errorf("releases:\n%s", d)
	}
	var got []string
	for _, db := range l.PackageDBs {
		got = append(got, db.Type+" "+db.FilePath)
	}
	want := []string{"dpkg var/lib/dpkg/status", "node-pkg usr/local/lib/node_modules/lodash/package.json", "node-pkg srv/app/package-lock.json"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("databases:\n%s", d)
	}
	libc := l.PackageDBs[0].Packages[0]
	if libc.Release != "9+deb12u4" || libc.SrcRelease != "9+deb12u4" || libc.Repository.Class != types.RepositoryClassOfficial || libc.Maintainer == "" {
		t.Errorf("libc6 = %+v", libc)
	}
	minimist := l.PackageDBs[2].Packages[0]
	if minimist.Relationship != types.RelationshipDirect || minimist.FilePath != "srv/app/package-lock.json" {
		t.Errorf("minimist = %+v", minimist)
	}
	if d := cmp.Diff([]types.PackageFacts{{FilePath: "usr/share/doc/libc6/copyright", Type: "dpkg", Package: "libc6", Licenses: []string{"LGPL-2.1+"}}}, l.PackageFacts); d != "" {
		t.Errorf("facts:\n%s", d)
	}
	if len(l.Secrets) != 1 || l.Secrets[0].FilePath != "srv/app/.env" || l.Secrets[0].Findings[0].StartLine != 2 ||
		len(l.Secrets[0].Findings[0].Code.Lines) != 2 || !l.Secrets[0].Findings[0].Code.Lines[1].IsCause {
		t.Errorf("secrets = %+v", l.Secrets)
	}
	if d := cmp.Diff([]string{"tmp/build.log"}, l.WhiteoutFiles); d != "" {
		t.Errorf("whiteouts:\n%s", d)
	}
}

// TestScanTrivyBlobs merges and matches the layers a Trivy client sent,
// as the server does, against the fixture DB.
func TestScanTrivyBlobs(t *testing.T) {
	opts := scanOptions(t)
	for _, c := range []struct {
		blob  string
		os    types.OS
		vulns []string
	}{
		{trivyAlpineBlob, types.OS{Family: "alpine", Name: "3.14.1", EOSL: true}, []string{"libcrypto1.1 CVE-2021-3711", "libcrypto1.1 CVE-2021-3712"}},
		{trivyDebianBlob, types.OS{Family: "debian", Name: "12.5"}, []string{"libc6 CVE-2025-0395", "lodash CVE-2021-23337", "minimist CVE-2021-44906"}},
	} {
		l, err := LayerFromBlob(trivyBlob(t, c.blob))
		if err != nil {
			t.Fatal(err)
		}
		img := &types.Image{Name: "trivy-client:1", ID: "sha256:0123", Layers: []types.Layer{{Digest: l.Digest, DiffID: l.DiffID}}}
		rep, err := scan.Detect(context.Background(), &scan.Analysis{Image: img, Layers: []*types.LayerResult{l}}, opts)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(&c.os, rep.Metadata.OS); d != "" {
			t.Errorf("os:\n%s", d)
		}
		var got []string
		for _, r := range rep.Results {
			for _, v := range r.Vulnerabilities {
				got = append(got, v.PkgName+" "+v.VulnerabilityID)
				if v.Layer.DiffID != l.DiffID {
					t.Errorf("%s %s: layer %+v", v.PkgName, v.VulnerabilityID, v.Layer)
				}
			}
			for _, s := range r.Secrets {
				got = append(got, s.RuleID)
			}
		}
		for _, want := range c.vulns {
			if !slices.Contains(got, want) {
				t.Errorf("%s missing from %v", want, got)
			}
		}
	}
}

func TestTrivyOSPackageTypes(t *testing.T) {
	for _, c := range []struct {
		blob string
		want string
	}{
		{`{"packageInfos": [{"filePath": "var/lib/rpm/rpmdb.sqlite", "packages": [{"name": "bash"}]}]}`, "rpm"},
		{`{"packageInfos": [{"filePath": "usr/lib/sysimage/rpm/Packages.db", "packages": [{"name": "bash"}]}]}`, "rpm"},
		{`{"packageInfos": [{"filePath": "x", "packages": [{"name": "bash", "analyzedBy": "rpmqa"}]}]}`, "rpm"},
		{`{"packageInfos": [{"filePath": "var/lib/dpkg/status.d/base", "packages": [{"name": "base-files"}]}]}`, "dpkg"},
		{`{"os": {"family": "wolfi"}, "packageInfos": [{"filePath": "somewhere", "packages": [{"name": "glibc"}]}]}`, "apk"},
		{`{"packageInfos": [{"filePath": "x", "packages": [{"name": "glibc", "analyzedBy": "bottlerocket-inventory"}]}]}`, "bottlerocket"},
	} {
		l, err := LayerFromBlob(trivyBlob(t, c.blob))
		if err != nil {
			t.Errorf("%s: %v", c.blob, err)
			continue
		}
		if l.PackageDBs[0].Type != c.want {
			t.Errorf("%s: type %s, want %s", c.blob, l.PackageDBs[0].Type, c.want)
		}
	}
	if _, err := LayerFromBlob(trivyBlob(t, `{"packageInfos": [{"filePath": "x", "packages": [{"name": "a"}]}]}`)); err == nil {
		t.Error("a database of no known package manager was accepted")
	}
}

func TestLayerFromBlobRejectsHostileInput(t *testing.T) {
	for name, js := range map[string]string{
		"negative epoch":    `{"packageInfos": [{"filePath": "lib/apk/db/installed", "packages": [{"name": "a", "epoch": -1}]}]}`,
		"negative size":     `{"size": "-5"}`,
		"negative line":     `{"secrets": [{"filepath": "a", "findings": [{"startLine": -3}]}]}`,
		"long path":         `{"whiteoutFiles": ["` + strings.Repeat("a/", 3000) + `"]}`,
		"extras not ours":   `{"customResources": [{"type": "docker-scan/layer", "data": "not an object"}]}`,
		"extras miscounted": `{"customResources": [{"type": "docker-scan/layer", "data": {"SchemaVersion": 6, "PackageDBs": [{"Type": "apk"}]}}]}`,
		"extras bad index":  `{"packageInfos": [{"filePath": "p", "packages": [{"name": "a"}]}], "customResources": [{"type": "docker-scan/layer", "data": {"PackageDBs": [{"Type": "apk", "Packages": [{"I": 7}]}]}}]}`,
		"two extras":        `{"customResources": [{"type": "docker-scan/layer", "data": {}}, {"type": "docker-scan/layer", "data": {}}]}`,
	} {
		b := &cache.BlobInfo{}
		if err := protojson.Unmarshal([]byte(js), b); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if _, err := LayerFromBlob(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// Items past the bound are refused without reading them all.
	b := &cache.BlobInfo{WhiteoutFiles: make([]string, maxWireItems+1)}
	if _, err := LayerFromBlob(b); err == nil || !strings.Contains(err.Error(), "too many") {
		t.Errorf("oversized blob: %v", err)
	}
	for name, b := range map[string]*cache.BlobInfo{
		"nil package_info": {PackageInfos: []*common.PackageInfo{nil}},
		"nil application":  {Applications: []*common.Application{nil}},
		"nil package":      {Applications: []*common.Application{{Type: "npm", FilePath: "p", Packages: []*common.Package{nil}}}},
		"nil secret":       {Secrets: []*common.Secret{nil}},
		"nil finding":      {Secrets: []*common.Secret{{Filepath: "a", Findings: []*common.SecretFinding{nil}}}},
		"nil code line":    {Secrets: []*common.Secret{{Filepath: "a", Findings: []*common.SecretFinding{{Code: &common.Code{Lines: []*common.Line{nil}}}}}}},
		"nil extras data":  {CustomResources: []*common.CustomResource{{Type: LayerExtrasType}}},
	} {
		if _, err := LayerFromBlob(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
