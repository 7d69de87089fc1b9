package report_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/docker-scan/docker-scan/engine/report"
	"github.com/docker-scan/docker-scan/engine/scan"
	"github.com/docker-scan/docker-scan/engine/types"
)

type githubSnapshot struct {
	Version  int `json:"version"`
	Detector struct {
		Name, Version, URL string
	} `json:"detector"`
	Metadata map[string]any `json:"metadata"`
	Ref      string         `json:"ref"`
	Sha      string         `json:"sha"`
	Job      struct {
		Correlator string `json:"correlator"`
		ID         string `json:"id"`
	} `json:"job"`
	Scanned   string `json:"scanned"`
	Manifests map[string]struct {
		Name string `json:"name"`
		File *struct {
			SourceLocation string `json:"source_location"`
		} `json:"file"`
		Resolved map[string]struct {
			PackageURL   string            `json:"package_url"`
			Relationship string            `json:"relationship"`
			Scope        string            `json:"scope"`
			Dependencies []string          `json:"dependencies"`
			Metadata     map[string]string `json:"metadata"`
		} `json:"resolved"`
	} `json:"manifests"`
}

func decodeSnapshot(t *testing.T, out []byte) githubSnapshot {
	t.Helper()
	var s githubSnapshot
	dec := json.NewDecoder(bytes.NewReader(out))
	if err := dec.Decode(&s); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	return s
}

// TestGitHubSnapshot: the snapshot of a real scan of the demo image, in
// a GitHub Actions job, names the commit and job and resolves every
// package by its PURL.
func TestGitHubSnapshot(t *testing.T) {
	t.Setenv("GITHUB_SHA", "4b825dc642cb6eb9a060e54bf8d69288fbee4904")
	t.Setenv("GITHUB_REF", "refs/heads/main")
	t.Setenv("GITHUB_WORKFLOW", "scan")
	t.Setenv("GITHUB_JOB", "image")
	t.Setenv("GITHUB_RUN_ID", "9876543210")
	rep := demoScan(t, func(o *scan.Options) { o.ListAllPackages = true })
	rep.Metadata.RepoDigests = []string{"registry.example.com/team/docker-scan-demo@sha256:" + string(bytes.Repeat([]byte("ab"), 32))}
	out := writeFormat(t, rep, report.Options{Format: "github", ToolVersion: "1.2.3", Now: time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)})
	s := decodeSnapshot(t, out)

	if s.Version != 0 || s.Detector.Name != "docker-scan" || s.Detector.Version != "1.2.3" || s.Detector.URL == "" {
		t.Errorf("version %d, detector %+v", s.Version, s.Detector)
	}
	if s.Sha != "4b825dc642cb6eb9a060e54bf8d69288fbee4904" || s.Ref != "refs/heads/main" || s.Job.Correlator != "scan_image" || s.Job.ID != "9876543210" {
		t.Errorf("sha %q ref %q job %+v", s.Sha, s.Ref, s.Job)
	}
	if s.Scanned != "2024-06-01T12:00:00Z" {
		t.Errorf("scanned %q", s.Scanned)
	}
	if s.Metadata["docker-scan:RepoTag"] != "docker-scan-demo:latest" || s.Metadata["docker-scan:ImageID"] != rep.Metadata.ImageID {
		t.Errorf("metadata %v", s.Metadata)
	}
	var withPackages int
	for _, res := range rep.Results {
		if len(res.Packages) == 0 {
			continue
		}
		withPackages++
		m, ok := s.Manifests[res.Target]
		if !ok {
			t.Errorf("no manifest for %s", res.Target)
			continue
		}
		if m.Name != res.Type || len(m.Resolved) != len(res.Packages) {
			t.Errorf("%s: name %s, %d resolved for %d packages", res.Target, m.Name, len(m.Resolved), len(res.Packages))
		}
		for _, p := range res.Packages {
			g, ok := m.Resolved[p.Name]
			if !ok || g.PackageURL != p.Identifier.PURL || g.PackageURL == "" || g.Scope != "runtime" || g.Relationship != "direct" {
				t.Errorf("%s: %s resolved as %+v", res.Target, p.ID, g)
			}
			if p.FilePath != "" && g.Metadata["source_location"] != p.FilePath {
				t.Errorf("%s: source_location %v, want %s", p.ID, g.Metadata, p.FilePath)
			}
		}
		// Language packages come from the image: their manifest names it
		// with its digest.
		if res.Class == types.ClassLangPkg && (m.File == nil || m.File.SourceLocation != "docker-scan-demo:latest@sha256:"+string(bytes.Repeat([]byte("ab"), 32))) {
			t.Errorf("%s: file %+v", res.Target, m.File)
		}
	}
	if withPackages < 2 || len(s.Manifests) != withPackages {
		t.Errorf("%d manifests for %d results with packages", len(s.Manifests), withPackages)
	}
	if s.Manifests["Node.js"].Resolved["minimist"].PackageURL != "pkg:npm/minimist@1.2.0" {
		t.Errorf("minimist: %+v", s.Manifests["Node.js"].Resolved["minimist"])
	}
}

// TestGitHubDependencies: dependencies are the PURLs of what a package
// depends on, indirect packages say so, and two packages of one name
// both stay.
func TestGitHubDependencies(t *testing.T) {
	purl := func(name, version string) string { return "pkg:npm/" + name + "@" + version }
	rep := &types.Report{
		ArtifactName: "shop/api:1", ArtifactType: types.ArtifactTypeContainerImage,
		Metadata: types.Metadata{RepoTags: []string{"shop/api:1"}, Reference: "shop/api:1"},
		Results: []types.Result{{
			Target: "Node.js", Class: types.ClassLangPkg, Type: "node-pkg",
			Packages: []types.Package{
				{ID: "api@1.0.0", Name: "api", Version: "1.0.0", Identifier: types.Identifier{PURL: purl("api", "1.0.0")}, Relationship: types.RelationshipRoot, DependsOn: []string{"express@4.17.1"}, FilePath: "app/package.json"},
				{ID: "express@4.17.1", Name: "express", Version: "4.17.1", Identifier: types.Identifier{PURL: purl("express", "4.17.1")}, Relationship: types.RelationshipDirect, DependsOn: []string{"body-parser@1.19.0", "qs@6.7.0", "gone@0.0.1"}, FilePath: "app/node_modules/express/package.json"},
				{ID: "body-parser@1.19.0", Name: "body-parser", Version: "1.19.0", Identifier: types.Identifier{PURL: purl("body-parser", "1.19.0")}, Relationship: types.RelationshipIndirect, DependsOn: []string{"qs@6.7.0"}, FilePath: "app/node_modules/body-parser/package.json"},
				{ID: "qs@6.7.0", Name: "qs", Version: "6.7.0", Identifier: types.Identifier{PURL: purl("qs", "6.7.0")}, Relationship: types.RelationshipIndirect, FilePath: "app/node_modules/qs/package.json"},
				{ID: "qs@6.11.0", Name: "qs", Version: "6.11.0", Identifier: types.Identifier{PURL: purl("qs", "6.11.0")}, Relationship: types.RelationshipIndirect, FilePath: "app/node_modules/other/node_modules/qs/package.json"},
			},
		}},
	}
	s := decodeSnapshot(t, writeFormat(t, rep, report.Options{Format: "github"}))
	m := s.Manifests["Node.js"]
	if len(m.Resolved) != 5 {
		t.Fatalf("resolved %v", m.Resolved)
	}
	if got := m.Resolved["express"].Dependencies; !slices.Equal(got, []string{purl("body-parser", "1.19.0"), purl("qs", "6.7.0")}) {
		t.Errorf("express depends on %v", got)
	}
	if got := m.Resolved["api"].Dependencies; !slices.Equal(got, []string{purl("express", "4.17.1")}) {
		t.Errorf("api depends on %v", got)
	}
	for name, rel := range map[string]string{"api": "direct", "express": "direct", "body-parser": "indirect", "qs": "indirect", "qs@6.11.0": "indirect"} {
		if m.Resolved[name].Relationship != rel {
			t.Errorf("%s: relationship %q, want %s", name, m.Resolved[name].Relationship, rel)
		}
	}
	if m.Resolved["qs@6.11.0"].PackageURL != purl("qs", "6.11.0") {
		t.Errorf("second qs: %+v", m.Resolved["qs@6.11.0"])
	}
	if m.File == nil || m.File.SourceLocation != "shop/api:1" {
		t.Errorf("file %+v", m.File)
	}
	if s.Job.Correlator == "" || s.Sha != "" {
		t.Errorf("outside Actions: job %+v sha %q", s.Job, s.Sha)
	}
}

// TestGitHubStack: a compose project's snapshot holds every image's
// manifests, named by image.
func TestGitHubStack(t *testing.T) {
	rep := demoScan(t, func(o *scan.Options) { o.ListAllPackages = true })
	stack := &types.StackReport{ProjectName: "shop", Images: map[string]*types.Report{"docker-scan-demo:latest": rep, "shop/web:2": rep}}
	var buf bytes.Buffer
	if err := report.WriteStack(&buf, stack, report.Options{Format: "github"}); err != nil {
		t.Fatal(err)
	}
	s := decodeSnapshot(t, buf.Bytes())
	for _, name := range []string{"docker-scan-demo:latest: Node.js", "shop/web:2: Node.js"} {
		if _, ok := s.Manifests[name]; !ok {
			t.Errorf("no manifest %q in %v", name, keysOf(s.Manifests))
		}
	}
	if s.Metadata["docker-scan:ComposeProject"] != "shop" {
		t.Errorf("metadata %v", s.Metadata)
	}
}

func keysOf[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
