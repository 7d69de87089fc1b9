package compose

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"

	ctypes "github.com/compose-spec/compose-go/v2/types"
	"github.com/sirupsen/logrus"
)

// plan loads the project and lists the services to scan.
func (o RunOptions) plan(ctx context.Context) (*Project, []ServiceImage, error) {
	if o.Mode.Sidecar {
		return o.sidecarPlan(ctx)
	}
	project, err := Load(ctx, o.Load)
	if o.Mode.Provider && (err != nil || !isProvider(project, o.Mode.Self)) {
		project, err = o.providerProject(ctx, err)
	}
	if err != nil {
		return nil, nil, err
	}
	var skip []string
	if o.Mode.Self != "" {
		skip = append(skip, o.Mode.Self)
	}
	plan, err := project.Plan(o.Services, skip...)
	if err != nil {
		return nil, nil, err
	}
	return project, plan, nil
}

func isProvider(p *Project, service string) bool {
	s, err := p.GetService(service)
	return err == nil && s.Provider != nil
}

// docker connects to the engine.
func (o RunOptions) docker() (DockerClient, error) {
	if o.Docker == nil {
		return nil, errors.New("no Docker engine to ask about the project's containers")
	}
	return o.Docker()
}

// providerProject finds the project when the files in Compose's working
// directory (and COMPOSE_FILE) are not the ones it ran with (docker compose
// -f elsewhere/compose.yaml up): the config-file labels of the project's
// containers from an earlier up name them.
func (o RunOptions) providerProject(ctx context.Context, loadErr error) (*Project, error) {
	self := o.Mode.Self
	hint := fmt.Sprintf("cannot find the compose files of project %s (the provider service %q is not in them): run docker compose from the project directory, or set COMPOSE_FILE", o.Load.ProjectName, self)
	if loadErr != nil {
		hint += " (" + loadErr.Error() + ")"
	}
	c, err := o.docker()
	if err != nil {
		return nil, errors.New(hint)
	}
	defer c.Close()
	files, dir := ConfigFilesFromLabels(ctx, c, o.Load.ProjectName)
	if len(files) == 0 || !allExist(files) {
		return nil, errors.New(hint)
	}
	lo := o.Load
	lo.Files, lo.WorkingDir = files, dir
	p, err := Load(ctx, lo)
	if err != nil || !isProvider(p, self) {
		return nil, errors.New(hint)
	}
	slog.Debug("project files from container labels", "files", files)
	return p, nil
}

// sidecarPlan finds the project from inside one of its containers: the
// compose files mounted in the working directory (or at --project-directory,
// or -f), else the files its labels name if they are visible here, else
// the images of the project's containers.
func (o RunOptions) sidecarPlan(ctx context.Context) (*Project, []ServiceImage, error) {
	services := o.Services
	c, err := o.docker()
	if err != nil {
		return nil, nil, err
	}
	defer c.Close()
	self, err := FindSelf(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	slog.Info("sidecar", "project", self.Project, "service", self.Service)
	lo := o.Load
	if lo.ProjectName == "" {
		lo.ProjectName = self.Project
	}
	if len(lo.Files) == 0 && !hasComposeFile(lo.WorkingDir) && allExist(self.ConfigFiles) {
		lo.Files, lo.WorkingDir = self.ConfigFiles, self.WorkingDir
	}
	// The containers Compose created for the project carry the images as
	// Compose resolved them, with the variables of the shell that ran it.
	images, err := ContainerImages(ctx, c, self.Project)
	if err != nil {
		return nil, nil, err
	}
	if len(lo.Files) > 0 || hasComposeFile(lo.WorkingDir) {
		// Variables of the shell that ran Compose are not set here: the
		// containers have the images; their warnings would only confuse.
		logrus.SetLevel(logrus.ErrorLevel)
		defer logrus.SetLevel(logrus.DebugLevel)
		project, err := Load(ctx, lo)
		if err == nil {
			plan, err := project.Plan(services, self.Service)
			if err != nil {
				return nil, nil, err
			}
			project.UseContainerImages(plan, images)
			return project, plan, nil
		}
		if len(images) == 0 {
			return nil, nil, err
		}
		slog.Warn("cannot load the mounted compose files here; scanning the images of the project's containers", "error", err)
	} else {
		slog.Info("no compose file mounted: scanning the images of the project's containers", "project", self.Project)
	}
	if len(services) > 0 {
		for svc := range images {
			if !slices.Contains(services, svc) {
				delete(images, svc)
			}
		}
	}
	return &Project{Project: &ctypes.Project{Name: self.Project}}, PlanFromContainers(images, self.Service), nil
}

// hasComposeFile tells whether dir (or the working directory) holds a
// compose file under one of its default names.
func hasComposeFile(dir string) bool {
	if dir == "" {
		dir = "."
	}
	for _, name := range []string{"compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return true
		}
	}
	return false
}

func allExist(files []string) bool {
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			return false
		}
	}
	return len(files) > 0
}
