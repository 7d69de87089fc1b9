package runtime

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/docker-scan/docker-scan/engine/types"
)

// RegistryOptions are the options every registry request takes: TLS
// checks off and plain HTTP allowed with --insecure (for the name parser
// and the transport), credentials from the default keychain (so `docker
// login` works), our user agent, and ctx.
func RegistryOptions(ctx context.Context, insecure bool) ([]name.Option, []remote.Option) {
	var nameOpts []name.Option
	transport := remote.DefaultTransport
	if insecure {
		nameOpts = append(nameOpts, name.Insecure)
		t := remote.DefaultTransport.(*http.Transport).Clone()
		t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the user asked for --insecure
		transport = t
	}
	return nameOpts, []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(authn.DefaultKeychain),
		remote.WithTransport(transport),
		remote.WithUserAgent("docker-scan"),
	}
}

// registryRef parses ref and gives the options for requests about it.
func registryRef(ctx context.Context, ref string, opts Options) (name.Reference, []remote.Option, error) {
	nameOpts, remoteOpts := RegistryOptions(ctx, opts.Insecure)
	r, err := name.ParseReference(ref, nameOpts...)
	if err != nil {
		return nil, nil, fmt.Errorf("not an image reference: %w", err)
	}
	return r, remoteOpts, nil
}

// openRegistry reads an image from a registry. Credentials come from the
// default keychain, so `docker login` works; layers are streamed when the
// engine reads them, never downloaded in full first.
func openRegistry(ctx context.Context, ref string, opts Options) (*types.Image, error) {
	r, remoteOpts, err := registryRef(ctx, ref, opts)
	if err != nil {
		return nil, err
	}
	remoteOpts = append(remoteOpts, remote.WithPlatform(opts.Platform))
	desc, err := remote.Get(r, remoteOpts...)
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	if !desc.MediaType.IsImage() && !desc.MediaType.IsIndex() && !desc.MediaType.IsSchema1() {
		return nil, fmt.Errorf("not a container image: %s has media type %q", ref, desc.MediaType)
	}
	rimg, err := desc.Image()
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	m, err := rimg.Manifest()
	if err != nil {
		return nil, fmt.Errorf("registry: manifest: %w", err)
	}
	if err := checkImageManifest(m); err != nil {
		return nil, err
	}
	rawConfig, err := rimg.RawConfigFile()
	if err != nil {
		return nil, fmt.Errorf("registry: config: %w", err)
	}
	cfg, err := parseConfig(rawConfig)
	if err != nil {
		return nil, err
	}
	if len(cfg.RootFS.DiffIDs) != len(m.Layers) {
		return nil, fmt.Errorf("image config lists %d layers but the manifest has %d", len(cfg.RootFS.DiffIDs), len(m.Layers))
	}
	if opts.PlatformSet {
		if err := checkPlatform(cfg, selector{Platform: opts.Platform, PlatformSet: true}); err != nil {
			return nil, err
		}
	}
	manifestDigest, err := rimg.Digest()
	if err != nil {
		return nil, err
	}
	img := &types.Image{
		Name:        ref,
		ID:          digestOf(rawConfig),
		Config:      cfg,
		Source:      "registry",
		RepoDigests: []string{r.Context().Name() + "@" + manifestDigest.String()},
	}
	if tag, ok := r.(name.Tag); ok {
		img.RepoTags = []string{tag.Name()}
	}
	repo := r.Context()
	for i, l := range m.Layers {
		digest := l.Digest
		img.Layers = append(img.Layers, types.Layer{
			Digest: digest.String(),
			DiffID: cfg.RootFS.DiffIDs[i].String(),
			Size:   l.Size,
			Open: func() (io.ReadCloser, error) {
				layer, err := remote.Layer(repo.Digest(digest.String()), remoteOpts...)
				if err != nil {
					return nil, err
				}
				return layer.Compressed()
			},
		})
	}
	return img, nil
}
