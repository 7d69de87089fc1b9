package compose

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/scan"
	"github.com/docker-scan/docker-scan/engine/types"
)

// fakeEngine holds images by reference, counting how often each is looked
// up and how often each layer (by diffID) is opened.
type fakeEngine struct {
	mu     sync.Mutex
	images map[string]v1.Image
	opened map[string]int
	lookup map[string]int
}

func (e *fakeEngine) open(_ context.Context, ref string) (*types.Image, error) {
	e.mu.Lock()
	e.lookup[ref]++
	e.mu.Unlock()
	v1img, ok := e.images[ref]
	if !ok {
		return nil, &NotFoundError{Ref: ref, Answers: []string{"docker: not found"}}
	}
	img, err := imagebuild.EngineImage(ref, v1img)
	if err != nil {
		return nil, err
	}
	for i := range img.Layers {
		l := &img.Layers[i]
		open, id := l.Open, l.DiffID
		l.Open = func() (io.ReadCloser, error) {
			e.mu.Lock()
			e.opened[id]++
			e.mu.Unlock()
			return open()
		}
	}
	return img, nil
}

func sharedEngine(t *testing.T) (*fakeEngine, int) {
	t.Helper()
	layer := func(files ...imagebuild.File) v1.Layer {
		l, err := imagebuild.Layer(files...)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	base := layer(
		imagebuild.File{Path: "etc/alpine-release", Body: "3.20.3\n"},
		imagebuild.File{Path: "etc/os-release", Body: "ID=alpine\nVERSION_ID=3.20.3\n"},
		imagebuild.File{Path: "lib/apk/db/installed", Body: "P:musl\nV:1.2.5-r0\nA:x86_64\no:musl\n\nP:zlib\nV:1.3.1-r1\nA:x86_64\no:zlib\n\n"},
	)
	e := &fakeEngine{images: map[string]v1.Image{}, opened: map[string]int{}, lookup: map[string]int{}}
	for _, name := range []string{"web", "api", "worker", "jobs"} {
		img, err := imagebuild.Image("amd64", base, layer(imagebuild.File{Path: "app/" + name + "/package.json", Body: `{"name":"` + name + `","version":"1.0.0"}`}))
		if err != nil {
			t.Fatal(err)
		}
		e.images["app/"+name+":1"] = img
	}
	cache, err := imagebuild.Image("amd64", layer(imagebuild.File{Path: "etc/alpine-release", Body: "3.20.3\n"}, imagebuild.File{Path: "srv/.env", Body: "GITHUB_TOKEN=ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8\n"}))
	if err != nil {
		t.Fatal(err)
	}
	e.images["kv/cache:7"] = cache
	return e, 6 // base, 4 app layers, cache's layer
}

func TestRunSharedBaseOnce(t *testing.T) {
	p := loadStack(t, LoadOptions{Files: []string{filepath.Join("..", "testdata", "compose", "shared", "compose.yaml")}})
	plan, err := p.Plan(nil)
	if err != nil {
		t.Fatal(err)
	}
	e, uniqueLayers := sharedEngine(t)
	opts := scan.DefaultOptions()
	opts.Scanners = []string{scan.ScannerSecret}
	opts.Shared = &scan.SharedLayers{}
	for _, require := range []bool{false, true} {
		opts.Shared = &scan.SharedLayers{}
		clear(e.opened)
		clear(e.lookup)
		r := Runner{
			Open:          e.open,
			Scan:          func(ctx context.Context, img *types.Image) (*types.Report, error) { return scan.Image(ctx, img, opts) },
			Fails:         func(rep *types.Report) bool { _, s := Counts(rep); return s > 0 },
			Parallel:      3,
			RequireImages: require,
		}
		rep, facts, err := r.Run(context.Background(), p, plan)
		if err != nil {
			t.Fatal(err)
		}
		// Each distinct image looked up once, each distinct layer read once.
		for ref, n := range e.lookup {
			if n != 1 {
				t.Errorf("%s looked up %d times", ref, n)
			}
		}
		if len(e.lookup) != 6 {
			t.Errorf("looked up %v, want the 6 distinct images", e.lookup)
		}
		for id, n := range e.opened {
			if n != 1 {
				t.Errorf("layer %s opened %d times", id, n)
			}
		}
		if got := opts.Shared.Analysed(); got != int64(uniqueLayers) || len(e.opened) != uniqueLayers {
			t.Errorf("analysed %d layers (opened %d), want %d", got, len(e.opened), uniqueLayers)
		}
		var lines []string
		for _, s := range p.ServiceNames() {
			sr := rep.Services[s]
			lines = append(lines, fmt.Sprintf("%s=%s pass=%v missing=%v secrets=%d id=%v", s, sr.Image, sr.Pass, sr.Missing != "", sr.Secrets, sr.ImageID != ""))
		}
		want := []string{
			"api=app/api:1 pass=true missing=false secrets=0 id=true",
			"cache=kv/cache:7 pass=false missing=false secrets=1 id=true",
			"cache-replica=kv/cache:7 pass=false missing=false secrets=1 id=true",
			fmt.Sprintf("ghost=shared-ghost pass=%v missing=true secrets=0 id=false", !require),
			"jobs=app/jobs:1 pass=true missing=false secrets=0 id=true",
			"web=app/web:1 pass=true missing=false secrets=0 id=true",
			"worker=app/worker:1 pass=true missing=false secrets=0 id=true",
		}
		if strings.Join(lines, "\n") != strings.Join(want, "\n") {
			t.Errorf("require=%v services:\n%s\nwant:\n%s", require, strings.Join(lines, "\n"), strings.Join(want, "\n"))
		}
		if !strings.Contains(rep.Services["ghost"].Missing, "not built or pulled yet") {
			t.Errorf("ghost: %q", rep.Services["ghost"].Missing)
		}
		if len(rep.Images) != 5 {
			t.Errorf("%d image reports, want 5", len(rep.Images))
		}
		if _, ok := facts["ghost"]; ok {
			t.Error("facts for a missing image")
		}
		if _, ok := facts["web"]; !ok {
			t.Error("no facts for web")
		}
	}
}
