package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/containers/podman/v5/pkg/bindings"
	"github.com/containers/podman/v5/pkg/bindings/images"
	"github.com/containers/podman/v5/pkg/bindings/system"
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
// inspect; layers, only when one must be read, in place from Podman's
// layer store when this process may read it (podmanstore.go), else from
// an export (docker-archive, streamed to a temp file).
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
	format := "docker-archive"
	exp := &lazyExport{id: report.ID, name: ref, source: "podman", size: report.Size, tempDir: opts.TempDir, maxSize: exportBudget(report.Size), write: func(_ context.Context, w io.Writer) error {
		return images.Export(conn, []string{report.ID}, w, &images.ExportOptions{Format: &format})
	}}
	var diffIDs []string
	for _, d := range cfg.RootFS.DiffIDs {
		diffIDs = append(diffIDs, d.String())
	}
	layers := exp.layers(ctx, diffIDs)
	// When a layer must be read, the store is looked at once (one info
	// call: where it is, its driver); read in place if it can be, else
	// exported as before.
	inPlace := sync.OnceValues(func() ([]storedLayer, error) {
		if !inPlaceAllowed() {
			return nil, errors.New(exportModeEnv + " is set")
		}
		info, err := system.Info(conn, nil)
		if err != nil {
			return nil, err
		}
		if info.Store == nil {
			return nil, errors.New("podman info names no store")
		}
		stored, err := podmanStoredLayers(info.Store.GraphRoot, info.Store.GraphDriverName, diffIDs)
		if err != nil {
			slog.Debug("layers not read in place: the image is exported", "image", ref, "reason", err)
			return nil, err
		}
		slog.Debug("layers read in place from Podman's layer store", "image", ref, "root", info.Store.GraphRoot, "driver", info.Store.GraphDriverName)
		return stored, nil
	})
	for i := range layers {
		export := layers[i].Open
		layers[i].Open = func() (io.ReadCloser, error) {
			if stored, err := inPlace(); err == nil {
				return stored[i].open()
			}
			return export()
		}
	}
	return &enginetypes.Image{
		Name:        ref,
		ID:          id,
		Config:      cfg,
		Layers:      layers,
		RepoTags:    report.RepoTags,
		RepoDigests: report.RepoDigests,
		Source:      "podman",
		Size:        report.Size,
		Close:       exp.Close,
	}, nil
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
	if r.Config != nil {
		cfg.Config = ociConfig(*r.Config)
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
