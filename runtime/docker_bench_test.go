package runtime_test

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/moby/client"

	"github.com/docker-scan/docker-scan/engine/analyze"
	"github.com/docker-scan/docker-scan/engine/cache"
	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/scan"
	"github.com/docker-scan/docker-scan/engine/testenv"
	"github.com/docker-scan/docker-scan/runtime"
	"github.com/docker-scan/docker-scan/runtime/daemontest"
)

// BenchmarkDockerEngine scans an image of 800 MB (the Debian application
// root that cmd/docker-scan's tests build and keep in the test cache,
// bench-debian-app-layer-v1/rootfs.tar) loaded into a test dockerd, with
// the default scanners: cold with the layers read in place from the
// engine's layer store (the default), cold with the streamed export
// (DOCKER_SCAN_EXPORT=streamed), cold with the export into a temp file
// (DOCKER_SCAN_EXPORT=tempfile), and warm (every layer cached: one
// inspect, one history, the cache). It skips when the root or dockerd is
// missing.
func BenchmarkDockerEngine(b *testing.B) {
	root, err := testenv.CacheRoot()
	if err != nil {
		testenv.Unavailable(b, err)
	}
	// The Debian application root of cmd/docker-scan's debianAppRoot
	// (debianAppVersion v1), as one plain tar, shared with engine/scan's
	// BenchmarkDebianApp.
	appRoot := filepath.Join(root, "debian-app-v1")
	if _, err := os.Stat(filepath.Join(appRoot, ".complete")); err != nil {
		testenv.Unavailable(b, errors.New("no Debian application root in the test cache: `go test -run TestSecretsQuietOnDebianImage ./cmd/docker-scan/` (root, debootstrap, npm, the network) builds it"))
	}
	dir, err := testenv.Cached("bench-debian-app-layer", "v1", func(dir string) error {
		return imagebuild.DirTar(filepath.Join(appRoot, "root"), filepath.Join(dir, "rootfs.tar"))
	})
	if err != nil {
		b.Fatal(err)
	}
	d := daemontest.StartDockerd(b)
	c, err := runtime.NewDockerClient(d.Host)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	const ref = "bench/debian-app:1"
	if err := loadRootfs(context.Background(), c, ref, filepath.Join(dir, "rootfs.tar")); err != nil {
		b.Fatal(err)
	}
	scanOnce := func(b *testing.B, cacheDir string, mode string) {
		ctx := context.Background()
		tmp := b.TempDir()
		img, err := runtime.Open(ctx, ref, runtime.Options{Sources: []string{runtime.SourceDocker}, TempDir: tmp,
			Docker: func() (runtime.DockerClient, error) { return c, nil }})
		if err != nil {
			b.Fatal(err)
		}
		defer img.Close()
		// Read in place, the image has no export to stream; streamed,
		// it has.
		if (mode == "InPlace") != (img.Stream == nil) && mode != "TempFile" {
			b.Fatalf("%s: the image has an export to stream: %v", mode, img.Stream != nil)
		}
		opts := scan.DefaultOptions()
		opts.TempDir = tmp
		opts.Cache = cache.NewFS(cacheDir, analyze.ResultSchemaVersion, 0)
		rep, err := scan.Image(ctx, img, opts)
		if err != nil {
			b.Fatal(err)
		}
		var pkgs int
		for _, r := range rep.Results {
			pkgs += len(r.Packages)
		}
		if pkgs < 500 {
			b.Fatalf("the report lists %d packages", pkgs)
		}
	}
	for _, mode := range []string{"InPlace", "Streamed", "TempFile"} {
		b.Run(mode, func(b *testing.B) {
			switch mode {
			case "Streamed":
				b.Setenv("DOCKER_SCAN_EXPORT", "streamed")
			case "TempFile":
				b.Setenv("DOCKER_SCAN_EXPORT", "tempfile")
			}
			for b.Loop() {
				scanOnce(b, b.TempDir(), mode)
			}
		})
	}
	b.Run("Warm", func(b *testing.B) {
		cacheDir := b.TempDir()
		scanOnce(b, cacheDir, "InPlace")
		for b.Loop() {
			scanOnce(b, cacheDir, "InPlace")
		}
	})
}

// loadRootfs loads an image of one layer, the plain tar at layerTar, into
// the engine as a legacy docker save archive, written as the engine reads
// it: nothing is written to disk.
func loadRootfs(ctx context.Context, c *client.Client, ref, layerTar string) error {
	f, err := os.Open(layerTar)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return err
	}
	diffID := v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))}
	cf := v1.ConfigFile{OS: "linux", Architecture: "amd64", RootFS: v1.RootFS{Type: "layers", DiffIDs: []v1.Hash{diffID}}}
	cf.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	config, err := json.Marshal(cf)
	if err != nil {
		return err
	}
	configName := fmt.Sprintf("%x.json", sha256.Sum256(config))
	manifest, err := json.Marshal([]map[string]any{{"Config": configName, "RepoTags": []string{ref}, "Layers": []string{diffID.Hex + "/layer.tar"}}})
	if err != nil {
		return err
	}
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		put := func(name string, size int64, body io.Reader) error {
			if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: size, Typeflag: tar.TypeReg}); err != nil {
				return err
			}
			_, err := io.Copy(tw, body)
			return err
		}
		_, err := f.Seek(0, io.SeekStart)
		if err == nil {
			err = put(diffID.Hex+"/layer.tar", info.Size(), f)
		}
		if err == nil {
			err = put(configName, int64(len(config)), strings.NewReader(string(config)))
		}
		if err == nil {
			err = put("manifest.json", int64(len(manifest)), strings.NewReader(string(manifest)))
		}
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	res, err := c.ImageLoad(ctx, pr)
	if err != nil {
		return fmt.Errorf("docker load: %w", err)
	}
	defer res.Close()
	out, err := io.ReadAll(res)
	if err != nil || strings.Contains(string(out), `"error"`) {
		return fmt.Errorf("docker load: %v %s", err, out)
	}
	return nil
}
