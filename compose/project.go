// Package compose turns a compose project, loaded with compose-go exactly
// as `docker compose` loads it, into a scan plan (one scan per distinct
// service image), checks the compose files themselves for risky settings,
// and holds the Compose provider and sidecar modes.
package compose

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// LoadOptions are what `docker compose` takes to find and load a project.
type LoadOptions struct {
	// Files are the -f files; empty means COMPOSE_FILE, then compose.yaml
	// (or its other names) in the working directory or a parent.
	Files []string
	// Profiles to enable; empty means COMPOSE_PROFILES.
	Profiles []string
	// ProjectName overrides the name (else COMPOSE_PROJECT_NAME, the
	// file's name: key, or the directory's name).
	ProjectName string
	// EnvFiles replace .env of the project directory.
	EnvFiles []string
	// WorkingDir is --project-directory; empty means the first file's
	// directory.
	WorkingDir string
	// Env is the environment to interpolate with; nil means os.Environ.
	Env []string
	// NoInterpolation leaves ${VAR} as written: a static check of the
	// files (docker scan config) needs no values, and a required variable
	// left unset must not stop it.
	NoInterpolation bool
}

// Project is a loaded compose project and the files it came from.
type Project struct {
	*types.Project
	// Files are every file read: the config files, included files and
	// files named by extends, absolute.
	Files []string
}

// Load loads a project with compose-go, in the order of options that
// Compose v2 itself uses: OS environment first, then the env files and
// .env, COMPOSE_FILE, the default file names, COMPOSE_PROFILES, the name.
func Load(ctx context.Context, o LoadOptions) (*Project, error) {
	env := o.Env
	if env == nil {
		env = os.Environ()
	}
	opts := []cli.ProjectOptionsFn{
		cli.WithWorkingDirectory(o.WorkingDir),
		cli.WithEnv(env),
	}
	if !slices.ContainsFunc(env, func(kv string) bool { return strings.HasPrefix(kv, "PWD=") }) {
		if pwd, err := os.Getwd(); err == nil {
			opts = append(opts, cli.WithEnv([]string{"PWD=" + pwd}))
		}
	}
	opts = append(opts,
		cli.WithEnvFiles(o.EnvFiles...),
		cli.WithDotEnv,
		cli.WithConfigFileEnv,
		cli.WithDefaultConfigPath,
		cli.WithEnvFiles(o.EnvFiles...),
		cli.WithDotEnv,
		cli.WithDefaultProfiles(o.Profiles...),
		cli.WithName(o.ProjectName),
		cli.WithInterpolation(!o.NoInterpolation),
	)
	po, err := cli.NewProjectOptions(o.Files, opts...)
	if err != nil {
		return nil, fmt.Errorf("compose: %w", err)
	}
	var extra []string
	po.WithListeners(func(event string, meta map[string]any) {
		dir, _ := meta["workingdir"].(string)
		switch event {
		case "include":
			if paths, ok := meta["path"].(types.StringList); ok {
				for _, p := range paths {
					extra = append(extra, absIn(dir, p))
				}
			}
		case "extends":
			if f, ok := meta["file"].(string); ok {
				extra = append(extra, f)
			}
		}
	})
	p, err := po.LoadProject(ctx)
	if err != nil {
		return nil, fmt.Errorf("compose: %w", err)
	}
	files := slices.Clone(p.ComposeFiles)
	for _, f := range extra {
		f = absIn(p.WorkingDir, f)
		if !slices.Contains(files, f) {
			files = append(files, f)
		}
	}
	return &Project{Project: p, Files: files}, nil
}

func absIn(dir, p string) string {
	if filepath.IsAbs(p) || dir == "" {
		return p
	}
	return filepath.Join(dir, p)
}

// ImageName is the image a service runs: its image: as written, or the
// name Compose gives what it builds, <project>-<service>.
func ImageName(project string, s types.ServiceConfig) string {
	if s.Image != "" {
		return s.Image
	}
	return project + "-" + s.Name
}

// ServiceImage is one service of the plan.
type ServiceImage struct {
	Service string
	// Image is the reference to look up.
	Image string
	// BuildOnly is true when the service has no image: of its own, only
	// build: (the image exists only once built).
	BuildOnly bool
}

// Plan lists the services to scan, sorted by name: the named ones (or all
// enabled ones), leaving out provider services (no image) and skip.
func (p *Project) Plan(names []string, skip ...string) ([]ServiceImage, error) {
	if len(names) == 0 {
		names = p.ServiceNames()
	}
	var plan []ServiceImage
	for _, name := range names {
		s, err := p.GetService(name)
		if err != nil {
			if _, derr := p.GetDisabledService(name); derr == nil {
				return nil, fmt.Errorf("service %q is not enabled: its profile is not active (use --profile)", name)
			}
			return nil, fmt.Errorf("no service %q in project %s (services: %s)", name, p.Name, strings.Join(p.ServiceNames(), ", "))
		}
		if s.Provider != nil || slices.Contains(skip, name) {
			continue
		}
		plan = append(plan, ServiceImage{Service: name, Image: ImageName(p.Name, s), BuildOnly: s.Image == "" && s.Build != nil})
	}
	sort.Slice(plan, func(i, j int) bool { return plan[i].Service < plan[j].Service })
	return plan, nil
}

// Images lists the distinct images of a plan, in the plan's order.
func Images(plan []ServiceImage) []string {
	var out []string
	for _, s := range plan {
		if !slices.Contains(out, s.Image) {
			out = append(out, s.Image)
		}
	}
	return out
}
