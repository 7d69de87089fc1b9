package report

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/docker-scan/docker-scan/engine/types"
)

// --format github writes a GitHub dependency-submission snapshot (the
// body of POST /repos/{owner}/{repo}/dependency-graph/snapshots) in the
// shape Trivy writes it: one manifest per result, its packages resolved
// by PURL. Inside GitHub Actions the workflow's environment names the
// commit, ref and job.

const githubDetectorURL = "https://github.com/docker-scan/docker-scan"

type githubSnapshot struct {
	Version   int                       `json:"version"`
	Detector  githubDetector            `json:"detector"`
	Metadata  map[string]string         `json:"metadata,omitempty"`
	Ref       string                    `json:"ref,omitempty"`
	Sha       string                    `json:"sha,omitempty"`
	Job       githubJob                 `json:"job"`
	Scanned   string                    `json:"scanned"`
	Manifests map[string]githubManifest `json:"manifests"`
}

type githubDetector struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	URL     string `json:"url"`
}

type githubJob struct {
	Correlator string `json:"correlator"`
	ID         string `json:"id,omitempty"`
}

type githubManifest struct {
	Name     string                   `json:"name,omitempty"`
	File     *githubFile              `json:"file,omitempty"`
	Resolved map[string]githubPackage `json:"resolved"`
}

type githubFile struct {
	SourceLocation string `json:"source_location,omitempty"`
}

type githubPackage struct {
	PackageURL   string            `json:"package_url,omitempty"`
	Relationship string            `json:"relationship"`
	Scope        string            `json:"scope"`
	Dependencies []string          `json:"dependencies,omitempty"`
	Metadata     map[string]string `json:"metadata,omitempty"`
}

func writeGitHub(w io.Writer, r *types.Report, opts Options) error {
	s := newGitHubSnapshot(opts)
	if tags := strings.Join(r.Metadata.RepoTags, ", "); tags != "" {
		s.Metadata["docker-scan:RepoTag"] = tags
	}
	if digests := strings.Join(r.Metadata.RepoDigests, ", "); digests != "" {
		s.Metadata["docker-scan:RepoDigest"] = digests
	}
	if r.Metadata.ImageID != "" {
		s.Metadata["docker-scan:ImageID"] = r.Metadata.ImageID
	}
	addGitHubManifests(s, r, "")
	return writeJSONDocument(w, s)
}

// writeStackGitHub writes one snapshot for a compose project: the
// manifests of every image, each named after its image.
func writeStackGitHub(w io.Writer, r *types.StackReport, opts Options) error {
	s := newGitHubSnapshot(opts)
	if r.ProjectName != "" {
		s.Metadata["docker-scan:ComposeProject"] = r.ProjectName
	}
	for _, ref := range sortedImageRefs(r) {
		if rep := r.Images[ref]; rep != nil {
			addGitHubManifests(s, rep, ref)
		}
	}
	return writeJSONDocument(w, s)
}

func newGitHubSnapshot(opts Options) *githubSnapshot {
	version := opts.ToolVersion
	if version == "" {
		version = "dev"
	}
	return &githubSnapshot{
		Version:  0,
		Detector: githubDetector{Name: "docker-scan", Version: version, URL: githubDetectorURL},
		Metadata: map[string]string{},
		Ref:      os.Getenv("GITHUB_REF"),
		Sha:      os.Getenv("GITHUB_SHA"),
		Job: githubJob{
			Correlator: os.Getenv("GITHUB_WORKFLOW") + "_" + os.Getenv("GITHUB_JOB"),
			ID:         os.Getenv("GITHUB_RUN_ID"),
		},
		Scanned:   opts.now().Format("2006-01-02T15:04:05Z07:00"),
		Manifests: map[string]githubManifest{},
	}
}

// addGitHubManifests adds a manifest for each result of r that lists
// packages; image, in a compose project, prefixes their names.
func addGitHubManifests(s *githubSnapshot, r *types.Report, image string) {
	for _, res := range r.Results {
		if len(res.Packages) == 0 {
			continue
		}
		m := githubManifest{Name: res.Type, Resolved: map[string]githubPackage{}}
		if res.Class == types.ClassLangPkg {
			// Language packages sit in files of the image: the image,
			// named with its digest, is their source.
			m.File = &githubFile{SourceLocation: githubImageLocation(r)}
		}
		purls := make(map[string]string, len(res.Packages))
		for _, p := range res.Packages {
			if p.ID != "" && p.Identifier.PURL != "" {
				purls[p.ID] = p.Identifier.PURL
			}
		}
		for _, p := range res.Packages {
			gp := githubPackage{
				PackageURL:   p.Identifier.PURL,
				Relationship: "direct",
				Scope:        "runtime",
			}
			if p.Relationship == types.RelationshipIndirect || p.Indirect {
				gp.Relationship = "indirect"
			}
			for _, dep := range p.DependsOn {
				if purl, ok := purls[dep]; ok {
					gp.Dependencies = append(gp.Dependencies, purl)
				}
			}
			if p.FilePath != "" {
				gp.Metadata = map[string]string{"source_location": p.FilePath}
			}
			m.Resolved[githubKey(m.Resolved, p)] = gp
		}
		target := res.Target
		if image != "" && !strings.HasPrefix(target, image) {
			target = image + ": " + target
		}
		s.Manifests[target] = m
	}
}

// githubKey is the package's key in resolved: its name, as Trivy keys
// them, or, for a second package of the same name, its ID (and path).
func githubKey(resolved map[string]githubPackage, p types.Package) string {
	candidates := []string{p.Name, p.ID, p.ID + " " + p.FilePath}
	for _, k := range candidates {
		if _, taken := resolved[k]; !taken && strings.TrimSpace(k) != "" {
			return k
		}
	}
	for i := 2; ; i++ {
		k := fmt.Sprintf("%s #%d", candidates[2], i)
		if _, taken := resolved[k]; !taken {
			return k
		}
	}
}

// githubImageLocation names the image: the reference it was scanned by,
// with its digest when it has one.
func githubImageLocation(r *types.Report) string {
	loc := r.Metadata.Reference
	if loc == "" {
		loc = r.ArtifactName
	}
	if len(r.Metadata.RepoDigests) > 0 && !strings.Contains(loc, "@") {
		if _, digest, ok := strings.Cut(r.Metadata.RepoDigests[0], "@"); ok {
			loc += "@" + digest
		}
	}
	return loc
}

func writeJSONDocument(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
