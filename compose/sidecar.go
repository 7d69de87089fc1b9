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

// ContainerImages maps each service of the project to the image of its
// container, as Compose resolved it when it created the container (with
// the variables of the shell that ran `docker compose up`, which a sidecar
// does not see). Services without a container are absent.
func ContainerImages(ctx context.Context, e Engine, project string) (map[string]string, error) {
	res, err := e.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: client.Filters{}.Add("label", LabelProject+"="+project)})
	if err != nil {
		return nil, fmt.Errorf("sidecar: listing the containers of project %s: %w", project, err)
	}
	out := map[string]string{}
	for _, c := range res.Items {
		svc := c.Labels[LabelService]
		if svc == "" || c.Labels[LabelOneoff] == "True" || out[svc] != "" {
			continue
		}
		out[svc] = c.Image
	}
	return out, nil
}

// ConfigFilesFromLabels returns the compose files (and working directory)
// that the labels of the project's containers name, if any container has
// them.
func ConfigFilesFromLabels(ctx context.Context, e Engine, project string) ([]string, string) {
	res, err := e.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: client.Filters{}.Add("label", LabelProject+"="+project)})
	if err != nil {
		return nil, ""
	}
	for _, c := range res.Items {
		if f := c.Labels[LabelConfigFiles]; f != "" {
			return strings.Split(f, ","), c.Labels[LabelWorkingDir]
		}
	}
	return nil, ""
}

// PlanFromContainers is the plan when no compose file can be read: the
// image of every container of the project (but skip's), one per service.
func PlanFromContainers(images map[string]string, skip ...string) []ServiceImage {
	var plan []ServiceImage
	for svc, img := range images {
		if !contains(skip, svc) {
			plan = append(plan, ServiceImage{Service: svc, Image: img})
		}
	}
	sort.Slice(plan, func(i, j int) bool { return plan[i].Service < plan[j].Service })
	return plan
}

// UseContainerImages replaces the images of the plan, and of the project's
// services, with those of their containers.
func (p *Project) UseContainerImages(plan []ServiceImage, images map[string]string) {
	for i, s := range plan {
		img, ok := images[s.Service]
		if !ok || img == s.Image {
			continue
		}
		plan[i].Image, plan[i].BuildOnly = img, false
		if svc, ok := p.Services[s.Service]; ok && !strings.HasPrefix(img, "sha256:") {
			svc.Image = img
			p.Services[s.Service] = svc
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
