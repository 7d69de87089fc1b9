package runtime

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/containers/podman/v5/pkg/bindings"
	"github.com/containers/podman/v5/pkg/bindings/images"
	"github.com/containers/podman/v5/pkg/domain/entities/types"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	enginetypes "github.com/docker-scan/docker-scan/engine/types"
)

// PodmanSockets are where Podman's API service listens when nothing else is
// said: the rootless user's, then the system's.
func PodmanSockets() []string {
	var socks []string
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		socks = append(socks, "unix://"+filepath.Join(dir, "podman", "podman.sock"))
	}
	return append(socks, "unix:///run/podman/podman.sock")
}

// podmanURI picks the socket: --podman-host, CONTAINER_HOST, then the
// first default socket that exists.
func podmanURI(host string) (string, error) {
	if host != "" {
		return host, nil
	}
	if h := os.Getenv("CONTAINER_HOST"); h != "" {
		return h, nil
	}
	for _, s := range PodmanSockets() {
		if _, err := os.Stat(strings.TrimPrefix(s, "unix://")); err == nil {
			return s, nil
		}
	}
	return "", fmt.Errorf("not running (no socket at %s)", strings.Join(PodmanSockets(), " or "))
}

// openPodman reads an image from Podman's API service: metadata from
// inspect, layers from an export (docker-archive, streamed to a temp file)
// made only when a layer must be read.
func openPodman(ctx context.Context, ref string, opts Options) (*enginetypes.Image, error) {
	uri, err := podmanURI(opts.PodmanHost)
	if err != nil {
		return nil, err
	}
	conn, err := bindings.NewConnection(ctx, uri)
	if err != nil {
		return nil, fmt.Errorf("not running (%s)", strings.Join(strings.Fields(err.Error()), " "))
	}
	report, err := images.GetImage(conn, ref, nil)
	if err != nil {
		if strings.Contains(err.Error(), "image not known") || strings.Contains(err.Error(), "no such image") {
			return nil, fmt.Errorf("%w: %s", errNotFound, ref)
		}
		return nil, err
	}
	cfg, err := podmanConfig(report)
	if err != nil {
		return nil, err
	}
	if err := checkPlatform(cfg, selector{Platform: opts.Platform, PlatformSet: opts.PlatformSet}); err != nil {
		return nil, err
	}
	id := report.ID
	if !strings.HasPrefix(id, "sha256:") {
		id = "sha256:" + id
	}
	exp := &podmanExport{conn: conn, id: report.ID, tempDir: opts.TempDir}
	img := &enginetypes.Image{
		Name:        ref,
		ID:          id,
		Config:      cfg,
		RepoTags:    report.RepoTags,
		RepoDigests: report.RepoDigests,
		Source:      "podman",
		Close:       exp.closeFn,
	}
	for i, d := range cfg.RootFS.DiffIDs {
		img.Layers = append(img.Layers, enginetypes.Layer{
			DiffID: d.String(),
			Open: func() (io.ReadCloser, error) {
				saved, err := exp.get()
				if err != nil {
					return nil, err
				}
				if i >= len(saved.Layers) || saved.Layers[i].DiffID != d.String() {
					return nil, fmt.Errorf("the exported image does not have layer %s where inspect said", d)
				}
				return saved.Layers[i].Open()
			},
		})
	}
	return img, nil
}

// podmanConfig turns Podman's inspect (which carries the OCI config and
// history) into the image config.
func podmanConfig(r *types.ImageInspectReport) (*v1.ConfigFile, error) {
	if r.ImageData == nil || r.RootFS == nil {
		return nil, fmt.Errorf("podman inspect: no root filesystem")
	}
	cfg := &v1.ConfigFile{Architecture: r.Architecture, OS: r.Os, Author: r.Author, RootFS: v1.RootFS{Type: "layers"}}
	if r.Created != nil {
		cfg.Created = v1.Time{Time: *r.Created}
	}
	for _, d := range r.RootFS.Layers {
		h, err := v1.NewHash(d.String())
		if err != nil {
			return nil, fmt.Errorf("podman inspect: layer %q: %w", d, err)
		}
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, h)
	}
	if c := r.Config; c != nil {
		cfg.Config = v1.Config{User: c.User, Env: c.Env, Entrypoint: c.Entrypoint, Cmd: c.Cmd, WorkingDir: c.WorkingDir, Labels: c.Labels, StopSignal: c.StopSignal}
		if len(c.ExposedPorts) > 0 {
			cfg.Config.ExposedPorts = map[string]struct{}{}
			for p := range c.ExposedPorts {
				cfg.Config.ExposedPorts[p] = struct{}{}
			}
		}
		if len(c.Volumes) > 0 {
			cfg.Config.Volumes = map[string]struct{}{}
			for v := range c.Volumes {
				cfg.Config.Volumes[v] = struct{}{}
			}
		}
	}
	for _, h := range r.History {
		hist := v1.History{CreatedBy: h.CreatedBy, Comment: h.Comment, Author: h.Author, EmptyLayer: h.EmptyLayer}
		if h.Created != nil {
			hist.Created = v1.Time{Time: *h.Created}
		}
		cfg.History = append(cfg.History, hist)
	}
	return cfg, nil
}

// podmanExport saves an image once, on first use.
type podmanExport struct {
	conn    context.Context
	id      string
	tempDir string

	once  sync.Once
	img   *enginetypes.Image
	err   error
	mu    sync.Mutex
	close func() error
}

func (e *podmanExport) get() (*enginetypes.Image, error) {
	e.once.Do(func() { e.img, e.err = e.save() })
	return e.img, e.err
}

func (e *podmanExport) save() (*enginetypes.Image, error) {
	if err := os.MkdirAll(e.tempDir, 0o700); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(e.tempDir, "podman-save-*.tar")
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.close = func() error { tmp.Close(); return os.Remove(tmp.Name()) }
	e.mu.Unlock()
	format := "docker-archive"
	if err := images.Export(e.conn, []string{e.id}, tmp, &images.ExportOptions{Format: &format}); err != nil {
		return nil, fmt.Errorf("export image %s: %w", e.id, err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	archive, err := openArchive(tmp)
	if err != nil {
		return nil, fmt.Errorf("exported image: %w", err)
	}
	return openDockerArchive(archive, e.id, selector{})
}

func (e *podmanExport) closeFn() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.close == nil {
		return nil
	}
	err := e.close()
	e.close = nil
	return err
}
