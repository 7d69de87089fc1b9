package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/compression"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/gzip"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/scan"
	enginetypes "github.com/docker-scan/docker-scan/engine/types"
)

var amd64 = v1.Platform{OS: "linux", Architecture: "amd64"}

// testImage has a gzip layer and a zstd layer, so that every source must
// hand both compressions through.
func testImage(t *testing.T, arch, release string) v1.Image {
	t.Helper()
	base, err := imagebuild.Layer(
		imagebuild.File{Path: "etc/alpine-release", Body: release + "\n"},
		imagebuild.File{Path: "lib/apk/db/installed", Body: "P:musl\nV:1.2.5-r0\nA:x86_64\nL:MIT\n\nP:zlib\nV:1.3.1-r1\nA:x86_64\nL:Zlib\n\n"},
	)
	if err != nil {
		t.Fatal(err)
	}
	b, err := imagebuild.TarBytes([]imagebuild.File{
		{Path: "lib/apk/db/installed", Body: "P:musl\nV:1.2.5-r0\nA:x86_64\nL:MIT\n\nP:curl\nV:8.9.1-r0\nA:x86_64\nL:curl\n\n"},
	})
	if err != nil {
		t.Fatal(err)
	}
	zstdLayer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil },
		tarball.WithCompression(compression.ZStd), tarball.WithMediaType(types.OCILayerZStd))
	if err != nil {
		t.Fatal(err)
	}
	img, err := imagebuild.Image(arch, base, zstdLayer)
	if err != nil {
		t.Fatal(err)
	}
	return mutate.MediaType(img, types.OCIManifestSchema1)
}

func scanReport(t *testing.T, img *enginetypes.Image) []byte {
	t.Helper()
	defer img.Close()
	img.Name = "same-name"
	rep, err := scan.Image(context.Background(), img, scan.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	rep.CreatedAt = enginetypes.Report{}.CreatedAt
	// The tags a source records differ (an OCI layout's ref.name is a
	// bare tag), and with them what is derived from the tags: the
	// reference, the artifact ID and the findings' fingerprints.
	rep.Metadata.RepoTags, rep.Metadata.RepoDigests, rep.Metadata.Reference, rep.ArtifactID = nil, nil, "", ""
	for i := range rep.Results {
		for j := range rep.Results[i].Vulnerabilities {
			rep.Results[i].Vulnerabilities[j].Fingerprint = ""
		}
	}
	out, err := json.MarshalIndent(rep, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSourcesGiveIdenticalResults(t *testing.T) {
	dir := t.TempDir()
	img := testImage(t, "amd64", "3.20.3")

	dockerTar := filepath.Join(dir, "docker.tar")
	if err := imagebuild.WriteDockerArchive(dockerTar, "example.com/app:1.0", img); err != nil {
		t.Fatal(err)
	}
	dockerTarGz := filepath.Join(dir, "docker.tar.gz")
	gzipFile(t, dockerTar, dockerTarGz)
	ociDir := filepath.Join(dir, "layout")
	if err := imagebuild.WriteOCILayout(ociDir, "1.0", img); err != nil {
		t.Fatal(err)
	}
	ociTar := filepath.Join(dir, "oci.tar")
	if err := imagebuild.WriteOCIArchive(ociTar, "1.0", img); err != nil {
		t.Fatal(err)
	}
	reg := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer reg.Close()
	ref := strings.TrimPrefix(reg.URL, "http://") + "/team/app:1.0"
	if err := imagebuild.Push(ref, img); err != nil {
		t.Fatal(err)
	}

	opts := Options{Platform: amd64, TempDir: filepath.Join(dir, "tmp")}
	inputs := map[string]string{
		"docker save":           dockerTar,
		"docker save gzipped":   dockerTarGz,
		"docker save by tag":    dockerTar + ":1.0",
		"oci layout":            ociDir,
		"oci layout by tag":     ociDir + ":1.0",
		"oci archive":           ociTar,
		"oci archive by digest": ociTar + "@" + mustDigest(t, img),
	}
	var reference []byte
	for name, input := range inputs {
		o := opts
		o.Input = input
		got, err := Open(context.Background(), "", o)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if reference == nil {
			reference = scanReport(t, got)
			continue
		}
		if r := scanReport(t, got); !bytes.Equal(r, reference) {
			t.Errorf("%s gives a different report:\n%s\nwant\n%s", name, r, reference)
		}
	}
	got, err := Open(context.Background(), ref, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.RepoDigests) != 1 || !strings.HasSuffix(got.RepoDigests[0], mustDigest(t, img)) || got.RepoTags[0] != ref {
		t.Errorf("registry repo tags %q digests %q", got.RepoTags, got.RepoDigests)
	}
	if r := scanReport(t, got); !bytes.Equal(r, reference) {
		t.Errorf("registry gives a different report:\n%s\nwant\n%s", r, reference)
	}
	if !strings.Contains(string(reference), `"ID": "curl@8.9.1-r0"`) || strings.Contains(string(reference), "zlib@") {
		t.Errorf("the zstd layer was not applied:\n%s", reference)
	}
	if entries, _ := os.ReadDir(opts.TempDir); len(entries) != 0 {
		t.Errorf("temp files left behind: %v", entries)
	}
}

func TestMultiPlatformLayout(t *testing.T) {
	dir := t.TempDir()
	amd := testImage(t, "amd64", "3.20.3")
	arm := testImage(t, "arm64", "3.20.9")
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}}},
	)
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendIndex(idx, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": "multi"})); err != nil {
		t.Fatal(err)
	}
	release := func(platform v1.Platform, set bool) (string, error) {
		img, err := Open(context.Background(), "", Options{Input: dir, Platform: platform, PlatformSet: set})
		if err != nil {
			return "", err
		}
		defer img.Close()
		rep, err := scan.Image(context.Background(), img, scan.DefaultOptions())
		if err != nil {
			return "", err
		}
		return rep.Metadata.OS.Name, nil
	}
	if got, err := release(amd64, false); err != nil || got != "3.20.3" {
		t.Errorf("default platform: %q, %v", got, err)
	}
	if got, err := release(v1.Platform{OS: "linux", Architecture: "arm64"}, true); err != nil || got != "3.20.9" {
		t.Errorf("--platform linux/arm64: %q, %v", got, err)
	}
	_, err = release(v1.Platform{OS: "linux", Architecture: "s390x"}, true)
	if err == nil || !strings.Contains(err.Error(), "no image for platform linux/s390x") || !strings.Contains(err.Error(), "linux/arm64/v8") {
		t.Errorf("unknown platform: %v", err)
	}
}

// An OCI layout (as containerd and docker save 25+ write them) names its
// images by a tag (ref.name) and a full reference (containerd's image
// name): --input DIR:TAG, DIR:REPO:TAG and DIR:REGISTRY/REPO:TAG all pick
// the image, as they do in a docker save archive.
func TestLayoutFullReferences(t *testing.T) {
	dir := t.TempDir()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	for _, im := range []struct{ name, tag, release string }{
		{"docker.io/library/alpine:3.18", "3.18", "3.18.4"},
		{"registry.example.com/team/app:1.0", "1.0", "3.20.3"},
	} {
		ann := map[string]string{annotationRefName: im.tag, annotationContainerName: im.name}
		if err := p.AppendImage(testImage(t, "amd64", im.release), layout.WithAnnotations(ann)); err != nil {
			t.Fatal(err)
		}
	}
	for ref, want := range map[string]string{
		"3.18":                              "3.18.4",
		"alpine:3.18":                       "3.18.4",
		"docker.io/library/alpine:3.18":     "3.18.4",
		"1.0":                               "3.20.3",
		"registry.example.com/team/app:1.0": "3.20.3",
	} {
		img, err := Open(context.Background(), "", Options{Input: dir + ":" + ref})
		if err != nil {
			t.Errorf("%s: %v", ref, err)
			continue
		}
		rep, err := scan.Image(context.Background(), img, scan.DefaultOptions())
		img.Close()
		if err != nil || rep.Metadata.OS.Name != want {
			t.Errorf("%s: got alpine %q (%v), want %s", ref, rep.Metadata.OS.Name, err, want)
		}
	}
	for _, ref := range []string{"alpine:3.19", "team/app:1.0", "app:2.0"} {
		if _, err := Open(context.Background(), "", Options{Input: dir + ":" + ref}); err == nil || !strings.Contains(err.Error(), "no image tagged") {
			t.Errorf("%s: %v, want no image tagged", ref, err)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, content []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, content, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	img := testImage(t, "amd64", "3.20.3")
	good := filepath.Join(dir, "good.tar")
	if err := imagebuild.WriteDockerArchive(good, "a:1", img); err != nil {
		t.Fatal(err)
	}
	goodBytes, _ := os.ReadFile(good)

	// A vulnerability DB pushed as an OCI artifact is not an image.
	artifactDir := filepath.Join(dir, "artifact")
	layer, _ := imagebuild.Layer(imagebuild.File{Path: "trivy.db", Body: "x"})
	artifact := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), "application/vnd.aquasec.trivy.config.v1+json")
	artifact, err := mutate.Append(artifact, mutate.Addendum{Layer: layer, MediaType: "application/vnd.aquasec.trivy.db.layer.v1.tar+gzip"})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := layout.Write(artifactDir, empty.Index)
	if err := p.AppendImage(artifact); err != nil {
		t.Fatal(err)
	}

	tests := map[string]struct{ input, want string }{
		"missing file":        {filepath.Join(dir, "nope.tar"), "no such file"},
		"not a tar":           {write("random.tar", bytes.Repeat([]byte("not a tar file "), 100)), "not a readable tar archive"},
		"empty file":          {write("empty.tar", nil), "tar file is empty"},
		"truncated archive":   {write("truncated.tar", goodBytes[:len(goodBytes)/2]), ""},
		"corrupt gzip":        {write("corrupt.tar.gz", append([]byte{0x1f, 0x8b, 8, 0}, bytes.Repeat([]byte{1}, 64)...)), "decompress"},
		"tar without image":   {write("plain.tar", mustTar(t, imagebuild.File{Path: "hello.txt", Body: "hi"})), "neither manifest.json"},
		"non-image artifact":  {artifactDir, "not a container image"},
		"unknown tag":         {good + ":nope", `no image tagged "nope"`},
		"unknown digest":      {artifactDir + "@sha256:" + strings.Repeat("0", 64), "no image with digest"},
		"bad manifest json":   {write("badmanifest.tar", mustTar(t, imagebuild.File{Path: "manifest.json", Body: "{"})), "manifest.json"},
		"config layer count":  {write("mismatch.tar", mustTar(t, imagebuild.File{Path: "manifest.json", Body: `[{"Config":"c.json","Layers":[]}]`}, imagebuild.File{Path: "c.json", Body: `{"rootfs":{"type":"layers","diff_ids":["sha256:` + strings.Repeat("a", 64) + `"]}}`})), "config lists 1 layers but the manifest has 0"},
		"hostile config path": {write("hostile.tar", mustTar(t, imagebuild.File{Path: "manifest.json", Body: `[{"Config":"../../../../etc/passwd","Layers":[]}]`})), "image config"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			img, err := Open(context.Background(), "", Options{Input: tt.input, Platform: amd64, TempDir: filepath.Join(dir, "tmp")})
			if err == nil {
				// A truncated archive may still index; its layers then fail to read.
				if tt.want == "" {
					defer img.Close()
					_, err = scan.Image(context.Background(), img, scan.DefaultOptions())
				}
				if err == nil {
					t.Fatal("no error")
				}
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(entries) != 0 {
		t.Errorf("temp files left behind: %v", entries)
	}
}

func mustTar(t *testing.T, files ...imagebuild.File) []byte {
	t.Helper()
	b, err := imagebuild.TarBytes(files)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustDigest(t *testing.T, img v1.Image) string {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

func gzipFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(in)
	zw.Close()
	if err := os.WriteFile(dst, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
