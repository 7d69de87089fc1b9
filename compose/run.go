package compose

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/docker-scan/docker-scan/engine/misconf"
	"github.com/docker-scan/docker-scan/engine/policy"
	"github.com/docker-scan/docker-scan/engine/types"
)

// sourceRemote is the image source that is a registry (runtime's name for
// it, which --image-src takes): an image the project builds is never
// looked up there.
const sourceRemote = "remote"

// notPulled is the answer for the registry when a built image is missing.
const notPulled = "remote: not looked up for an image the project builds"

// Mode says how a compose scan was started.
type Mode struct {
	// Provider: as a Compose provider service; Self is its service.
	Provider bool
	// Sidecar: as a service of the project, in its own container.
	Sidecar bool
	// Self is the scanner's own service, left out of the scan.
	Self string
}

// DockerClient is the Docker engine the sidecar and provider modes ask
// about the project's containers.
type DockerClient interface {
	Engine
	Close() error
}

// NotFoundError says that no image source has an image; Answers are each
// source's, as "source: why". Open returns it for an image that is not
// built or pulled yet, which is reported rather than failed.
type NotFoundError struct {
	Ref     string
	Answers []string
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("image %s not found (%s)", e.Ref, strings.Join(e.Answers, "; "))
}

// RunOptions are a whole compose scan: which project, how its images are
// found and scanned (functions of the caller, which knows the runtimes and
// the scan settings), the policy, and where the report goes.
type RunOptions struct {
	Load LoadOptions
	// Services named by the user; empty means all.
	Services []string
	Mode     Mode
	// Docker connects to the engine (sidecar and provider modes only).
	Docker func() (DockerClient, error)

	// Sources are the image sources, in order (--image-src).
	Sources []string
	// Open finds an image in the sources given; a *NotFoundError means
	// none has it.
	Open func(ctx context.Context, ref string, sources []string) (*types.Image, error)
	// Scan scans an image found by Open (not called in config-only mode).
	Scan func(ctx context.Context, img *types.Image) (*types.Report, error)
	// Parallel bounds the images scanned at once.
	Parallel int
	// RequireImages makes a missing image a failure.
	RequireImages bool

	// ExitCode is returned when a service fails; 0 never fails.
	ExitCode int
	// ExitOnEOL fails a service whose OS is past its end of support, when
	// not 0.
	ExitOnEOL int
	// Misconfig checks the compose files and the services' Dockerfiles.
	Misconfig bool
	// ConfigOnly: the images are looked at (their user and healthcheck
	// matter to the checks), not scanned.
	ConfigOnly bool
	// DockerfileChecks check the build Dockerfiles; nil is the built-in set.
	DockerfileChecks []misconf.Check
	// Policy filters the misconfigurations (severity, ignore file).
	Policy policy.Options

	// Start runs once the plan is known, before any image is opened; the
	// context it returns is used for the scans.
	Start func(ctx context.Context, p *Project, plan []ServiceImage) (context.Context, error)
	// Write writes the report.
	Write func(ctx context.Context, rep *types.StackReport) error
	// Done runs after the report is written, with the failing services.
	Done func(p *Project, rep *types.StackReport, failed []string)
	// Log reports progress: kind is "info" or "error".
	Log func(kind, msg string)
}

// Run loads the project, scans its services' images, checks its files,
// writes the report and returns it with the exit code the policy calls
// for. Services whose image could not be scanned are an error, after the
// report is written.
func Run(ctx context.Context, o RunOptions) (*types.StackReport, int, error) {
	logf := o.Log
	if logf == nil {
		logf = func(string, string) {}
	}
	project, plan, err := o.plan(ctx)
	if err != nil {
		return nil, 0, err
	}
	logf("info", fmt.Sprintf("scanning %d services (%d images) of project %s", len(plan), len(Images(plan)), project.Name))
	if o.Start != nil {
		if ctx, err = o.Start(ctx, project, plan); err != nil {
			return nil, 0, err
		}
	}
	buildOnly := map[string]bool{}
	for _, s := range plan {
		if s.BuildOnly {
			buildOnly[s.Image] = true
		}
	}
	runner := Runner{
		Open: func(ctx context.Context, ref string) (*types.Image, error) {
			return o.open(ctx, ref, buildOnly[ref])
		},
		Scan: func(ctx context.Context, img *types.Image) (*types.Report, error) {
			if o.ConfigOnly {
				return &types.Report{SchemaVersion: types.SchemaVersion, ArtifactName: img.Name, ArtifactType: types.ArtifactTypeContainerImage, Metadata: types.Metadata{ImageID: img.ID, RepoTags: img.RepoTags}}, nil
			}
			return o.Scan(ctx, img)
		},
		Fails: func(rep *types.Report) bool {
			return policy.ExitCode(rep, policy.ExitOptions{ExitCode: 1, ExitOnEOL: min(o.ExitOnEOL, 1)}) != 0
		},
		Parallel:      o.Parallel,
		RequireImages: o.RequireImages,
	}
	rep, facts, err := runner.Run(ctx, project, plan)
	if err != nil {
		return nil, 0, err
	}
	if o.Misconfig && len(project.Files) > 0 {
		o.checkConfigs(rep, project, plan, facts)
	}
	if o.Write != nil {
		if err := o.Write(ctx, rep); err != nil {
			return nil, 0, err
		}
	}
	failed := summarize(rep, logf)
	var broken []string
	for _, name := range slices.Sorted(maps.Keys(rep.Services)) {
		if e := rep.Services[name].Error; e != "" {
			broken = append(broken, name+": "+e)
		}
	}
	if o.Done != nil {
		o.Done(project, rep, failed)
	}
	if len(broken) > 0 {
		// The report is out; a scan that could not be done is an error
		// whatever the policy says.
		return rep, 0, fmt.Errorf("%d of %d services could not be scanned: %s", len(broken), len(rep.Services), strings.Join(broken, "; "))
	}
	if len(failed) == 0 {
		logf("info", fmt.Sprintf("all %d services pass", len(rep.Services)))
		return rep, 0, nil
	}
	if o.ExitCode == 0 {
		return rep, 0, nil
	}
	if o.Mode.Provider {
		logf("error", fmt.Sprintf("%d of %d services fail the scan policy: %s", len(failed), len(rep.Services), strings.Join(failed, "; ")))
	}
	return rep, o.ExitCode, nil
}

// open finds an image; what a service builds is never pulled, so it is
// looked for in the engines only.
func (o RunOptions) open(ctx context.Context, ref string, buildOnly bool) (*types.Image, error) {
	if !buildOnly {
		return o.Open(ctx, ref, o.Sources)
	}
	sources := slices.DeleteFunc(slices.Clone(o.Sources), func(s string) bool { return s == sourceRemote })
	if len(sources) == 0 {
		return nil, &NotFoundError{Ref: ref, Answers: []string{notPulled}}
	}
	img, err := o.Open(ctx, ref, sources)
	var nf *NotFoundError
	if errors.As(err, &nf) && len(sources) < len(o.Sources) {
		nf.Answers = append(nf.Answers, notPulled)
	}
	return img, err
}

// checkConfigs adds the findings of the compose and Dockerfile checks to
// the report; a finding fails the services it concerns.
func (o RunOptions) checkConfigs(rep *types.StackReport, project *Project, plan []ServiceImage, facts map[string]ImageFacts) {
	var names []string
	for _, s := range plan {
		names = append(names, s.Service)
	}
	checks := o.DockerfileChecks
	if checks == nil {
		checks = misconf.DockerfileChecks
	}
	results, issues := CheckConfigs(project, names, facts, checks)
	for _, issue := range issues {
		slog.Warn("cannot check a Dockerfile: "+issue.Reason, "file", issue.FilePath)
	}
	rep.Misconfigurations = policy.FilterMisconfigurations(results, o.Policy)
	for _, res := range rep.Misconfigurations {
		for _, m := range res.Misconfigurations {
			for _, name := range FindingServices(m) {
				if sr, ok := rep.Services[name]; ok {
					sr.Pass = false
					rep.Services[name] = sr
				}
			}
		}
	}
}

// summarize logs one line per service and returns those of the failing
// ones.
func summarize(rep *types.StackReport, logf func(kind, msg string)) []string {
	names := make([]string, 0, len(rep.Services))
	for n := range rep.Services {
		names = append(names, n)
	}
	sort.Strings(names)
	misconfs := map[string]int{}
	for _, res := range rep.Misconfigurations {
		for _, m := range res.Misconfigurations {
			for _, name := range FindingServices(m) {
				misconfs[name]++
			}
		}
	}
	var failed []string
	for _, n := range names {
		s := rep.Services[n]
		var parts []string
		for i := len(types.SeverityNames) - 1; i >= 0; i-- { // most severe first
			if c := s.Vulnerabilities[types.SeverityNames[i]]; c > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", c, types.SeverityNames[i]))
			}
		}
		if s.Secrets > 0 {
			parts = append(parts, fmt.Sprintf("%d secrets", s.Secrets))
		}
		if c := misconfs[n]; c > 0 {
			parts = append(parts, fmt.Sprintf("%d misconfigurations", c))
		}
		switch {
		case s.Missing != "":
			parts = append(parts, "image not built or pulled yet")
		case s.Error != "":
			parts = append(parts, "scan failed: "+s.Error)
		}
		line := n + " (" + s.Image + ")"
		if len(parts) > 0 {
			line += ": " + strings.Join(parts, ", ")
		}
		if s.Pass {
			logf("info", line+": pass")
			continue
		}
		logf("info", line+": FAIL")
		failed = append(failed, line)
	}
	return failed
}
