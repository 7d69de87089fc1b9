package compose

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/moby/moby/client"
)

// Labels Compose puts on the containers it creates.
const (
	LabelProject     = "com.docker.compose.project"
	LabelService     = "com.docker.compose.service"
	LabelWorkingDir  = "com.docker.compose.project.working_dir"
	LabelConfigFiles = "com.docker.compose.project.config_files"
	LabelOneoff      = "com.docker.compose.oneoff"
)

// Engine is what the sidecar asks the Docker engine.
type Engine interface {
	ContainerInspect(ctx context.Context, id string, opts client.ContainerInspectOptions) (client.ContainerInspectResult, error)
	ContainerList(ctx context.Context, opts client.ContainerListOptions) (client.ContainerListResult, error)
}

// Self is what the sidecar learns of its own container from its labels.
type Self struct {
	Project     string
	Service     string
	WorkingDir  string
	ConfigFiles []string
}

// FindSelf inspects the container this process runs in: Docker names a
// container's hostname after its ID unless told otherwise.
func FindSelf(ctx context.Context, e Engine) (Self, error) {
	host, err := os.Hostname()
	if err != nil {
		return Self{}, err
	}
	res, err := e.ContainerInspect(ctx, host, client.ContainerInspectOptions{})
	if err != nil {
		return Self{}, fmt.Errorf("sidecar: cannot find my own container (hostname %s) through the Docker socket: %w; mount /var/run/docker.sock and keep the default hostname", host, err)
	}
	var labels map[string]string
	if res.Container.Config != nil {
		labels = res.Container.Config.Labels
	}
	s := Self{Project: labels[LabelProject], Service: labels[LabelService], WorkingDir: labels[LabelWorkingDir]}
	if s.Project == "" {
		return Self{}, fmt.Errorf("sidecar: container %s has no %s label: run it as a service of a compose project", host, LabelProject)
	}
	if f := labels[LabelConfigFiles]; f != "" {
		s.ConfigFiles = strings.Split(f, ",")
	}
	return s, nil
}

// PlanFromContainers is the plan when no compose file can be read: the
// image of every container of the project (but skip's), one per service.
func PlanFromContainers(ctx context.Context, e Engine, project string, skip ...string) ([]ServiceImage, error) {
	res, err := e.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: client.Filters{}.Add("label", LabelProject+"="+project)})
	if err != nil {
		return nil, fmt.Errorf("sidecar: listing the containers of project %s: %w", project, err)
	}
	seen := map[string]bool{}
	var plan []ServiceImage
	for _, c := range res.Items {
		svc := c.Labels[LabelService]
		if svc == "" || seen[svc] || c.Labels[LabelOneoff] == "True" || contains(skip, svc) {
			continue
		}
		seen[svc] = true
		plan = append(plan, ServiceImage{Service: svc, Image: c.Image})
	}
	sort.Slice(plan, func(i, j int) bool { return plan[i].Service < plan[j].Service })
	return plan, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
