package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/containerd/errdefs"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/client"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/docker-scan/docker-scan/engine/iox"
	"github.com/docker-scan/docker-scan/engine/types"
)

// DockerClient is the part of the Docker API the docker source uses. As a
// CLI plugin it is the Docker CLI's own client (current context, -H,
// DOCKER_HOST, TLS); standalone it is built from --docker-host or the
// environment.
type DockerClient interface {
	ImageInspect(ctx context.Context, image string, opts ...client.ImageInspectOption) (client.ImageInspectResult, error)
	ImageHistory(ctx context.Context, image string, opts ...client.ImageHistoryOption) (client.ImageHistoryResult, error)
	ImageSave(ctx context.Context, images []string, opts ...client.ImageSaveOption) (client.ImageSaveResult, error)
	ClientVersion() string
}

// NewDockerClient connects to host, or to what DOCKER_HOST (and the other
// DOCKER_* variables) name. The client negotiates the API version down to
// the daemon's (Docker 20.10 speaks 1.41) by itself.
func NewDockerClient(host string) (*client.Client, error) {
	opts := []client.Opt{client.FromEnv}
	if host != "" {
		opts = append(opts, client.WithHost(host))
	}
	return client.New(opts...)
}

// openDocker reads an image from a Docker engine. Everything but the layer
// contents comes from inspect and history. A local engine's layers are
// read in place from its layer store when this process may read it
// (dockerstore.go); otherwise they are exported with ImageSave only when
// the engine first reads one, so an image whose
// layers are all cached is never exported. The engine reads the export as
// it arrives (Image.Stream), analysing each layer as it passes; a layer
// that must be read alone (Layer.Open: a second pass for hard links, or
// DOCKER_SCAN_EXPORT=tempfile) comes from an export into a temp file.
func openDocker(ctx context.Context, c DockerClient, ref string, opts Options) (*types.Image, error) {
	inspect, err := c.ImageInspect(ctx, ref)
	if err != nil {
		if errdefs.IsNotFound(err) {
			return nil, fmt.Errorf("%w: %s", errNotFound, ref)
		}
		return nil, err
	}
	history, err := c.ImageHistory(ctx, inspect.ID)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	cfg, err := dockerConfig(inspect.InspectResponse, history.Items)
	if err != nil {
		return nil, err
	}
	if err := checkPlatform(cfg, selector{Platform: opts.Platform, PlatformSet: opts.PlatformSet}); err != nil {
		return nil, err
	}
	var saveOpts []client.ImageSaveOption
	if opts.PlatformSet && versionAtLeast(c.ClientVersion(), "1.48") {
		p := opts.Platform
		saveOpts = append(saveOpts, client.ImageSaveWithPlatforms(ocispec.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant}))
	}
	exp := &lazyExport{id: inspect.ID, name: ref, source: "docker", size: inspect.Size, tempDir: opts.TempDir, maxSize: exportBudget(inspect.Size), write: func(ctx context.Context, w io.Writer) error {
		rc, err := c.ImageSave(ctx, []string{inspect.ID}, saveOpts...)
		if err != nil {
			return err
		}
		defer rc.Close()
		_, err = io.Copy(w, iox.ContextReader{Ctx: ctx, R: rc})
		return err
	}}
	img := &types.Image{
		Name:        ref,
		ID:          inspect.ID,
		Config:      cfg,
		Layers:      exp.layers(ctx, inspect.RootFS.Layers),
		RepoTags:    inspect.RepoTags,
		RepoDigests: inspect.RepoDigests,
		Source:      "docker",
		Size:        inspect.Size,
		Close:       exp.Close,
	}
	if inPlaceAllowed() {
		store, err := localDockerStore(inspect.InspectResponse)
		var stored []storedLayer
		if err == nil {
			stored, err = store.layers(inspect.RootFS.Layers, inspect.GraphDriver.Data["UpperDir"])
		}
		if err == nil {
			slog.Debug("layers read in place from the engine's layer store", "image", ref, "root", store.root, "driver", store.driver)
			img.Layers = inPlaceLayers(stored)
			return img, nil
		}
		// Docker's containerd image store keeps the layers in
		// containerd's content store, namespace moby.
		if layers, closeCtr, cerr := dockerContainerdLayers(ctx, ref, inspect.InspectResponse, opts); cerr == nil {
			slog.Debug("layers read in place from containerd's content store (Docker's containerd image store)", "image", ref)
			img.Layers, img.Close = layers, func() error { return errors.Join(closeCtr(), exp.Close()) }
			return img, nil
		} else {
			slog.Debug("layers not read in place: the image is exported", "image", ref, "reason", errors.Join(err, cerr))
		}
	}
	if streamedExport() {
		img.Stream = exp.stream
	}
	return img, nil
}

// dockerConfig rebuilds the image config from inspect and history: the
// Docker API has no call that returns the config itself.
func dockerConfig(in image.InspectResponse, history []image.HistoryResponseItem) (*v1.ConfigFile, error) {
	cfg := &v1.ConfigFile{
		Architecture: in.Architecture,
		OS:           in.Os,
		OSVersion:    in.OsVersion,
		Variant:      in.Variant,
		Author:       in.Author,
		RootFS:       v1.RootFS{Type: "layers"},
	}
	if t, err := time.Parse(time.RFC3339Nano, in.Created); err == nil {
		cfg.Created = v1.Time{Time: t}
	}
	for _, d := range in.RootFS.Layers {
		h, err := v1.NewHash(d)
		if err != nil {
			return nil, fmt.Errorf("inspect: layer %q: %w", d, err)
		}
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, h)
	}
	if c := in.Config; c != nil {
		cfg.Config = ociConfig(c.ImageConfig)
		cfg.Config.OnBuild, cfg.Config.Shell = c.OnBuild, c.Shell
	}
	// History comes newest first.
	for _, h := range slices.Backward(history) {
		cfg.History = append(cfg.History, v1.History{
			Created:    v1.Time{Time: time.Unix(h.Created, 0).UTC()},
			CreatedBy:  h.CreatedBy,
			Comment:    h.Comment,
			EmptyLayer: h.Size == 0,
		})
	}
	return cfg, nil
}

func versionAtLeast(have, want string) bool {
	var hMaj, hMin, wMaj, wMin int
	fmt.Sscanf(have, "%d.%d", &hMaj, &hMin)
	fmt.Sscanf(want, "%d.%d", &wMaj, &wMin)
	return hMaj > wMaj || (hMaj == wMaj && hMin >= wMin)
}

// ociConfig converts the runtime part of an OCI image config.
func ociConfig(c ocispec.ImageConfig) v1.Config {
	out := v1.Config{User: c.User, Env: c.Env, Entrypoint: c.Entrypoint, Cmd: c.Cmd, WorkingDir: c.WorkingDir, Labels: c.Labels, StopSignal: c.StopSignal}
	if len(c.ExposedPorts) > 0 {
		out.ExposedPorts = map[string]struct{}{}
		for p := range c.ExposedPorts {
			out.ExposedPorts[p] = struct{}{}
		}
	}
	if len(c.Volumes) > 0 {
		out.Volumes = map[string]struct{}{}
		for v := range c.Volumes {
			out.Volumes[v] = struct{}{}
		}
	}
	return out
}
