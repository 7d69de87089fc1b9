package compose

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/docker-scan/docker-scan/engine/misconf"
	"github.com/docker-scan/docker-scan/engine/types"
)

// BuildDockerfile is the Dockerfile a service builds its image from.
type BuildDockerfile struct {
	// Services are the services that build from it.
	Services []string
	// Path is the file on the host; empty for a dockerfile_inline.
	Path string
	// Target names it in the report: its path from the project directory,
	// or "<service>: dockerfile_inline".
	Target string
	// Inline is the text of build.dockerfile_inline.
	Inline string
}

// BuildDockerfiles lists the Dockerfiles the selected services build
// from, once each: build.dockerfile in build.context (both as compose
// resolves them against the project directory), or the inline one. A
// remote context (a Git or HTTP URL) is not fetched, so not checked.
func (p *Project) BuildDockerfiles(services []string) []BuildDockerfile {
	var out []BuildDockerfile
	byPath := map[string]int{}
	for _, name := range services {
		s, err := p.GetService(name)
		if err != nil || s.Build == nil {
			continue
		}
		b := s.Build
		if b.DockerfileInline != "" {
			out = append(out, BuildDockerfile{Services: []string{name}, Target: name + ": dockerfile_inline", Inline: b.DockerfileInline})
			continue
		}
		ctxDir := b.Context
		if ctxDir == "" {
			ctxDir = "."
		}
		if remoteContext(ctxDir) {
			continue
		}
		ctxDir = absIn(p.WorkingDir, ctxDir)
		file := b.Dockerfile
		if file == "" {
			file = "Dockerfile"
		}
		path := filepath.Clean(absIn(ctxDir, file))
		if i, ok := byPath[path]; ok {
			out[i].Services = append(out[i].Services, name)
			continue
		}
		byPath[path] = len(out)
		out = append(out, BuildDockerfile{Services: []string{name}, Path: path, Target: p.relative(path)})
	}
	return out
}

// remoteContext tells a build context that is a URL or a Git reference,
// as compose tells them.
func remoteContext(c string) bool {
	for _, prefix := range []string{"http://", "https://", "git://", "git@", "github.com/", "ssh://"} {
		if strings.HasPrefix(c, prefix) {
			return true
		}
	}
	return false
}

// CheckDockerfiles checks the Dockerfiles the selected services build
// from: one result per Dockerfile (a clean one too, with its count of
// passed checks); a file that cannot be read or parsed is an issue, and
// the others are still checked.
func CheckDockerfiles(p *Project, services []string, checks []misconf.Check) ([]types.Result, []types.AnalysisIssue) {
	var results []types.Result
	var issues []types.AnalysisIssue
	for _, d := range p.BuildDockerfiles(services) {
		var res types.Result
		var err error
		if d.Path != "" {
			res, err = misconf.CheckDockerfileFile(d.Path, d.Target, checks)
		} else {
			var df *misconf.Dockerfile
			if df, err = misconf.ParseDockerfile(d.Target, []byte(d.Inline)); err == nil {
				res = misconf.Run(df, checks)
			}
		}
		if err != nil {
			issues = append(issues, types.AnalysisIssue{Analyzer: misconf.TypeDockerfile, FilePath: d.Target, Reason: fmt.Sprintf("services %s: %v", strings.Join(d.Services, ", "), err)})
			continue
		}
		slices.Sort(d.Services)
		for i := range res.Misconfigurations {
			res.Misconfigurations[i].Service = strings.Join(d.Services, ",")
		}
		results = append(results, res)
	}
	return results, issues
}

// CheckConfigs runs the compose checks on the project's files and the
// Dockerfile checks on the Dockerfiles the selected services build from.
func CheckConfigs(p *Project, services []string, images map[string]ImageFacts, dockerfileChecks []misconf.Check) ([]types.Result, []types.AnalysisIssue) {
	results := CheckProject(p, services, images)
	dockerfiles, issues := CheckDockerfiles(p, services, dockerfileChecks)
	return append(results, dockerfiles...), issues
}

// FindingServices are the services a finding concerns: a Dockerfile that
// several services build from names them all.
func FindingServices(m types.Misconfiguration) []string {
	if m.Service == "" {
		return nil
	}
	return strings.Split(m.Service, ",")
}
