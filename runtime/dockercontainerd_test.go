package runtime

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"path/filepath"
	"testing"

	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/client"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/runtime/daemontest"
)

// containerdStoreEngine stands for a Docker engine with the containerd
// image store: its inspect says what the image is; it has no layer store
// to read and must not be asked for an export.
type containerdStoreEngine struct {
	inspect image.InspectResponse
	saves   int
}

func (e *containerdStoreEngine) ImageInspect(context.Context, string, ...client.ImageInspectOption) (client.ImageInspectResult, error) {
	return client.ImageInspectResult{InspectResponse: e.inspect}, nil
}
func (e *containerdStoreEngine) ImageHistory(context.Context, string, ...client.ImageHistoryOption) (client.ImageHistoryResult, error) {
	return client.ImageHistoryResult{}, nil
}
func (e *containerdStoreEngine) ImageSave(context.Context, []string, ...client.ImageSaveOption) (client.ImageSaveResult, error) {
	e.saves++
	return nil, errors.New("exported")
}
func (e *containerdStoreEngine) ClientVersion() string { return "1.52" }

// TestDockerContainerdImageStore: an image of a Docker engine whose layers
// are in containerd (namespace moby, as Docker's containerd image store
// keeps them) is read from containerd's content store, not exported, and
// only when containerd's copy has the engine's diffIDs. A real containerd
// holds the image; the engine's answers are the fake's (Debian's dockerd
// 20.10 has no containerd image store).
func TestDockerContainerdImageStore(t *testing.T) {
	c := daemontest.StartContainerd(t)
	archive := filepath.Join(t.TempDir(), "img.tar")
	if err := imagebuild.DockerArchiveOf(archive, "e2e/ctrstore:1",
		[]imagebuild.File{{Path: "etc/alpine-release", Body: "3.22.1\n"}, {Path: "lib/apk/db/installed", Body: "P:musl\nV:1.2.5-r10\nA:x86_64\no:musl\n\n"}},
		[]imagebuild.File{{Path: "srv/app.txt", Body: "app\n"}}); err != nil {
		t.Fatal(err)
	}
	c.Import(t, dockerContainerdNamespace, archive)
	ctx := context.Background()
	fromArchive, err := Open(ctx, "", Options{Input: archive, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer fromArchive.Close()
	var diffIDs []string
	for _, d := range fromArchive.Config.RootFS.DiffIDs {
		diffIDs = append(diffIDs, d.String())
	}
	anyUserInPlace = true
	defer func() { anyUserInPlace = false }()

	open := func(engine *containerdStoreEngine, ref string) []string {
		t.Helper()
		img, err := Open(ctx, ref, Options{Sources: []string{SourceDocker}, TempDir: t.TempDir(),
			Docker: func() (DockerClient, error) { return engine, nil }, Containerd: ContainerdOptions{Address: c.Address}})
		if err != nil {
			t.Fatal(err)
		}
		defer img.Close()
		var read []string
		for _, l := range img.Layers {
			rc, err := l.Open()
			if err != nil {
				t.Logf("open layer: %v", err)
				return nil
			}
			h := sha256.New()
			_, err = io.Copy(h, decompressedForTest(t, rc))
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			read = append(read, "sha256:"+hex.EncodeToString(h.Sum(nil)))
		}
		return read
	}
	engine := &containerdStoreEngine{}
	engine.inspect.ID = fromArchive.ID
	engine.inspect.Os, engine.inspect.Architecture = "linux", "amd64"
	engine.inspect.RepoTags = []string{"e2e/ctrstore:1"}
	engine.inspect.RootFS.Layers = diffIDs
	// Asked for by its ID, found by its tag.
	if got := open(engine, fromArchive.ID); len(got) != 2 || got[0] != diffIDs[0] || got[1] != diffIDs[1] || engine.saves != 0 {
		t.Fatalf("layers read %v (want %v), %d exports", got, diffIDs, engine.saves)
	}
	// containerd's copy under the tag is another image: exported instead.
	other := &containerdStoreEngine{}
	other.inspect = engine.inspect
	other.inspect.RootFS.Layers = []string{diffIDs[0], "sha256:" + hex.EncodeToString(make([]byte, 32))}
	open(other, "e2e/ctrstore:1")
	if other.saves == 0 {
		t.Fatal("containerd's copy with other layers was read")
	}
}

// decompressedForTest is a layer blob's tar: gunzipped when it is gzip.
func decompressedForTest(t *testing.T, r io.Reader) io.Reader {
	t.Helper()
	br := bufio.NewReader(r)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			t.Fatal(err)
		}
		return zr
	}
	return br
}
