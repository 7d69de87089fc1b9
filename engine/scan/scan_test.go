package scan

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/docker-scan/docker-scan/engine/analyze"
	"github.com/docker-scan/docker-scan/engine/cache"
	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/types"
)

// multiLayerImage is built like a real Dockerfile would: an Alpine base,
// an `apk upgrade`/`apk del`/`apk add` step that rewrites the database and
// removes a file, then a step that resets a directory and adds a package
// database of its own.
func multiLayerImage(t testing.TB) (v1.Image, []string) {
	t.Helper()
	base, err := imagebuild.Layer(
		imagebuild.File{Path: "etc/alpine-release", Body: "3.19.1\n"},
		imagebuild.File{Path: "etc/os-release", Body: "ID=alpine\nVERSION_ID=3.19.1\n"},
		imagebuild.File{Path: "lib/apk/db/installed", Body: "P:musl\nV:1.2.4_git20230717-r4\nA:x86_64\no:musl\nL:MIT\n\nP:busybox\nV:1.36.1-r15\nA:x86_64\nL:GPL-2.0-only\n\nP:zlib\nV:1.3.1-r0\nA:x86_64\nL:Zlib\n\n"},
		imagebuild.File{Path: "var/lib/dpkg/status.d/base-files", Body: "Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n"},
		imagebuild.File{Path: "var/lib/dpkg/status.d/tzdata", Body: "Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n"},
		imagebuild.File{Path: "var/lib/dpkg/status.d/netbase", Body: "Package: netbase\nVersion: 6.4\nArchitecture: all\n"},
	)
	if err != nil {
		t.Fatal(err)
	}
	upgrade, err := imagebuild.Layer(
		imagebuild.File{Path: "lib/apk/db/installed", Body: "P:musl\nV:1.2.4_git20230717-r4\nA:x86_64\no:musl\nL:MIT\n\nP:busybox\nV:1.36.1-r16\nA:x86_64\nL:GPL-2.0-only\n\nP:curl\nV:8.5.0-r0\nA:x86_64\nL:curl\n\n"},
		imagebuild.File{Path: "var/lib/dpkg/status.d/.wh.tzdata"},
	)
	if err != nil {
		t.Fatal(err)
	}
	reset, err := imagebuild.Layer(
		imagebuild.File{Path: "var/lib/dpkg/status.d/.wh..wh..opq"},
		imagebuild.File{Path: "var/lib/dpkg/status.d/libssl3", Body: "Package: libssl3\nSource: openssl\nVersion: 3.0.13-1~deb12u1\nArchitecture: amd64\n"},
		imagebuild.File{Path: "usr/share/doc/libssl3/copyright", Body: "Files: *\nLicense: Apache-2.0\n"},
	)
	if err != nil {
		t.Fatal(err)
	}
	img, err := imagebuild.Image("amd64", base, upgrade, reset)
	if err != nil {
		t.Fatal(err)
	}
	var diffIDs []string
	for _, l := range []v1.Layer{base, upgrade, reset} {
		d, _ := l.DiffID()
		diffIDs = append(diffIDs, d.String())
	}
	return img, diffIDs
}

func TestImageMultiLayer(t *testing.T) {
	v1img, diffIDs := multiLayerImage(t)
	img, err := imagebuild.EngineImage("multi:layer", v1img)
	if err != nil {
		t.Fatal(err)
	}
	opts := DefaultOptions()
	opts.Now = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC) // before Alpine 3.19's end of life
	rep, err := Image(context.Background(), img, opts)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Metadata.OS == nil || *rep.Metadata.OS != (types.OS{Family: "alpine", Name: "3.19.1"}) {
		t.Fatalf("os = %+v", rep.Metadata.OS)
	}
	if len(rep.Results) != 1 || rep.Results[0].Target != "multi:layer (alpine 3.19.1)" || rep.Results[0].Class != "os-pkgs" {
		t.Fatalf("results = %+v", rep.Results)
	}
	want := map[string]string{
		"busybox@1.36.1-r16":        diffIDs[1], // upgraded in layer 2
		"curl@8.5.0-r0":             diffIDs[1], // added in layer 2
		"musl@1.2.4_git20230717-r4": diffIDs[0], // kept from the base through the rewrite
		"libssl3@3.0.13-1~deb12u1":  diffIDs[2], // the only package left in the reset status.d
	}
	got := map[string]types.Package{}
	for _, p := range rep.Results[0].Packages {
		got[p.ID] = p
	}
	if len(got) != len(want) {
		t.Errorf("packages %v, want %v", keys(got), keys(want))
	}
	for id, diffID := range want {
		p, ok := got[id]
		if !ok {
			t.Errorf("%s missing", id)
			continue
		}
		if p.Layer.DiffID != diffID || p.Layer.Digest == "" {
			t.Errorf("%s layer = %+v, want diffID %s", id, p.Layer, diffID)
		}
	}
	if l := got["libssl3@3.0.13-1~deb12u1"]; l.SrcName != "openssl" || len(l.Licenses) != 1 || l.Licenses[0] != "Apache-2.0" {
		t.Errorf("libssl3 = %+v", l)
	}
	if len(rep.Metadata.DiffIDs) != 3 || rep.Metadata.ImageID != img.ID {
		t.Errorf("metadata = %+v", rep.Metadata)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// countingImage counts how often its layers are opened.
func countingImage(t *testing.T, opens *atomic.Int64) *types.Image {
	t.Helper()
	v1img, _ := multiLayerImage(t)
	img, err := imagebuild.EngineImage("multi:layer", v1img)
	if err != nil {
		t.Fatal(err)
	}
	for i := range img.Layers {
		open := img.Layers[i].Open
		img.Layers[i].Open = func() (io.ReadCloser, error) { opens.Add(1); return open() }
	}
	return img
}

func TestCacheSkipsAnalysedLayers(t *testing.T) {
	opts := DefaultOptions()
	opts.Now = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	opts.Cache = cache.NewFS(t.TempDir(), analyze.ResultSchemaVersion, 0)
	var opens atomic.Int64
	img := countingImage(t, &opens)
	first, err := Image(context.Background(), img, opts)
	if err != nil {
		t.Fatal(err)
	}
	if opens.Load() != 3 {
		t.Fatalf("first scan opened %d layers, want 3", opens.Load())
	}
	opens.Store(0)
	second, err := Image(context.Background(), img, opts)
	if err != nil {
		t.Fatal(err)
	}
	if opens.Load() != 0 {
		t.Errorf("second scan opened %d layers, want 0", opens.Load())
	}
	a, _ := json.Marshal(first.Results)
	b, _ := json.Marshal(second.Results)
	if string(a) != string(b) {
		t.Errorf("cached scan differs:\n%s\n%s", a, b)
	}
	// Another analyzer set is another key: the layers are read again.
	opts.Analysis.SkipFiles = []string{"usr/share/doc/**"}
	opens.Store(0)
	if _, err := Image(context.Background(), img, opts); err != nil {
		t.Fatal(err)
	}
	if opens.Load() != 3 {
		t.Errorf("a scan with other skip patterns opened %d layers, want 3", opens.Load())
	}
}

func TestSecretsAcrossLayers(t *testing.T) {
	leak, err := imagebuild.Layer(
		imagebuild.File{Path: "etc/alpine-release", Body: "3.20.3\n"},
		imagebuild.File{Path: "app/.env", Body: "# deploy\nGITHUB_TOKEN=ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8\n"},
		imagebuild.File{Path: "app/settings.yaml", Body: "db:\n  url: postgres://app:Xq7!pL9wZr@db.internal:5432/app\n"},
	)
	if err != nil {
		t.Fatal(err)
	}
	cleanup, err := imagebuild.Layer(imagebuild.File{Path: "app/.wh..env"})
	if err != nil {
		t.Fatal(err)
	}
	v1img, err := imagebuild.Image("amd64", leak, cleanup)
	if err != nil {
		t.Fatal(err)
	}
	v1img, err = imagebuild.WithConfig(v1img, func(cf *v1.ConfigFile) {
		cf.Config.Env = append(cf.Config.Env, "STRIPE_KEY=sk_live_51aB3dE5fG7hI9jK1lM3nO5pQ7")
		cf.History = []v1.History{{CreatedBy: "RUN |1 NPM_TOKEN=npm_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5 /bin/sh -c npm ci"}}
	})
	if err != nil {
		t.Fatal(err)
	}
	img, err := imagebuild.EngineImage("leaky:1", v1img)
	if err != nil {
		t.Fatal(err)
	}
	opts := DefaultOptions()
	opts.Scanners = []string{ScannerSecret}
	rep, err := Image(context.Background(), img, opts)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]types.SecretFinding{}
	for _, res := range rep.Results {
		if res.Class != types.ClassSecret {
			t.Errorf("a secret-only scan reported %s", res.Class)
			continue
		}
		for _, s := range res.Secrets {
			got[res.Target+" "+s.RuleID] = s
		}
	}
	if len(got) != 4 {
		t.Errorf("secrets: %v", keys(got))
	}
	env, ok := got["/app/.env github-pat"]
	if !ok || !env.Removed || env.StartLine != 2 || env.Layer.DiffID != img.Layers[0].DiffID {
		t.Errorf("the deleted .env: %+v", env)
	}
	if s, ok := got["/app/settings.yaml postgres-url"]; !ok || s.Removed {
		t.Errorf("settings.yaml: %+v", s)
	}
	for _, k := range []string{ConfigPath + " stripe-secret-key", ConfigPath + " npm-access-token"} {
		if _, ok := got[k]; !ok {
			t.Errorf("missing %s in %v", k, keys(got))
		}
	}
}

// TestSharedLayersAcrossConcurrentScans scans the same image four times
// at once, without a cache: each layer is opened once, and every scan
// gets the full, identical report.
func TestSharedLayersAcrossConcurrentScans(t *testing.T) {
	opts := DefaultOptions()
	opts.Now = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	opts.Shared = &SharedLayers{}
	var opens atomic.Int64
	img := countingImage(t, &opens)
	reports := make([][]byte, 4)
	var wg sync.WaitGroup
	for i := range reports {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, err := Image(context.Background(), img, opts)
			if err != nil {
				t.Error(err)
				return
			}
			reports[i], _ = json.Marshal(rep.Results)
		}()
	}
	wg.Wait()
	if opens.Load() != 3 || opts.Shared.Analysed() != 3 {
		t.Errorf("4 concurrent scans opened %d layers (analysed %d), want 3", opens.Load(), opts.Shared.Analysed())
	}
	for i := 1; i < len(reports); i++ {
		if string(reports[i]) != string(reports[0]) || len(reports[0]) < 100 {
			t.Errorf("scan %d differs:\n%s\n%s", i, reports[i], reports[0])
		}
	}
}

// decoyImage is one clean layer (an Alpine release file, no packages)
// that claims the diffID of the real image's base layer.
func decoyImage(t *testing.T, claimed string) *types.Image {
	t.Helper()
	clean, err := imagebuild.Layer(imagebuild.File{Path: "etc/alpine-release", Body: "3.19.1\n"})
	if err != nil {
		t.Fatal(err)
	}
	v1img, err := imagebuild.Image("amd64", clean)
	if err != nil {
		t.Fatal(err)
	}
	img, err := imagebuild.EngineImage("decoy:latest", v1img)
	if err != nil {
		t.Fatal(err)
	}
	img.Layers[0].DiffID = claimed
	return img
}

func packageIDs(rep *types.Report) []string {
	var ids []string
	for _, r := range rep.Results {
		for _, p := range r.Packages {
			ids = append(ids, p.ID)
		}
	}
	return ids
}

// A decoy that claims a vulnerable layer's diffID must not change what a
// scan of the real image reports through a shared cache, whichever is
// scanned first.
func TestCachePoisoningDecoy(t *testing.T) {
	for _, decoyFirst := range []bool{true, false} {
		t.Run(map[bool]string{true: "decoy first", false: "real first"}[decoyFirst], func(t *testing.T) {
			opts := DefaultOptions()
			opts.Now = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
			opts.Cache = cache.NewFS(t.TempDir(), analyze.ResultSchemaVersion, 0)
			v1img, diffIDs := multiLayerImage(t)
			real, err := imagebuild.EngineImage("multi:layer", v1img)
			if err != nil {
				t.Fatal(err)
			}
			decoy := decoyImage(t, diffIDs[0])
			scanDecoy := func() {
				rep, err := Image(context.Background(), decoy, opts)
				var mismatch *analyze.DigestError
				switch {
				case errors.As(err, &mismatch):
					if mismatch.Claimed != diffIDs[0] || !strings.Contains(err.Error(), "tampered") {
						t.Errorf("decoy: %v", err)
					}
				case err != nil:
					t.Errorf("decoy: %v", err)
				case len(packageIDs(rep)) != 6:
					// A cached result for the diffID the decoy claims is the
					// result for that content (the base layer's 6 packages):
					// the decoy may only get it whole.
					t.Errorf("decoy got a partial result: %v", packageIDs(rep))
				}
			}
			if decoyFirst {
				scanDecoy()
			}
			for range 2 { // the second scan reads from the cache
				rep, err := Image(context.Background(), real, opts)
				if err != nil {
					t.Fatal(err)
				}
				if ids := packageIDs(rep); len(ids) != 4 {
					t.Fatalf("the real image reports %v, want its 4 packages", ids)
				}
			}
			if !decoyFirst {
				scanDecoy()
			}
		})
	}
}

// A layer whose diffID analysis cannot check is analysed on every scan
// and never stored.
func TestUnverifiableLayersAreNotCached(t *testing.T) {
	opts := DefaultOptions()
	opts.Now = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	opts.Cache = cache.NewFS(dir, analyze.ResultSchemaVersion, 0)
	var opens atomic.Int64
	img := countingImage(t, &opens)
	img.Layers[0].DiffID = ""
	img.Layers[1].DiffID = "sha256:not-a-digest"
	for range 2 {
		opens.Store(0)
		rep, err := Image(context.Background(), img, opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(packageIDs(rep)) != 4 {
			t.Errorf("packages %v", packageIDs(rep))
		}
	}
	if opens.Load() != 2 {
		t.Errorf("second scan opened %d layers, want the 2 unverifiable ones", opens.Load())
	}
	keys := []string{opts.Analysis.CacheKey(""), opts.Analysis.CacheKey("sha256:not-a-digest")}
	if hits, err := opts.Cache.Get(context.Background(), keys); err != nil || len(hits) != 0 {
		t.Errorf("unverifiable layers were stored: %v, %v", hits, err)
	}
}

// Scans waiting for a layer another scan is analysing get its failure,
// and a later scan may try the layer again.
func TestSharedLayersPassOnFailure(t *testing.T) {
	var s SharedLayers
	own, _ := s.claim([]string{"k", "k"})
	if len(own) != 1 {
		t.Fatalf("own = %v", own)
	}
	_, others := s.claim([]string{"k"})
	done := make(chan error)
	go func() { _, err := others["k"].wait(context.Background()); done <- err }()
	fail := &analyze.DigestError{What: "layer", Claimed: "sha256:a", Actual: "sha256:b"}
	s.finish(nil, own, fail)
	if err := <-done; !errors.Is(err, fail) {
		t.Errorf("waiter got %v", err)
	}
	if own, _ := s.claim([]string{"k"}); len(own) != 1 {
		t.Errorf("a failed layer cannot be claimed again: %v", own)
	}
}

// BenchmarkManyLayers measures the bookkeeping of an image of many
// (empty) layers, all missing from the cache.
func BenchmarkManyLayers(b *testing.B) {
	const n = 20000
	img := &types.Image{Name: "many"}
	for i := range n {
		layer, _ := imagebuild.TarBytes([]imagebuild.File{{Path: fmt.Sprint(i), Type: '5'}})
		sum := sha256.Sum256(layer)
		img.Layers = append(img.Layers, types.Layer{DiffID: "sha256:" + hex.EncodeToString(sum[:]), Open: func() (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(layer)), nil
		}})
	}
	opts := DefaultOptions()
	opts.Analysis = analyze.Config{Analyzers: analyze.OSAnalyzers()}
	for b.Loop() {
		opts.Shared = &SharedLayers{}
		if _, err := analyzeLayers(context.Background(), img, opts); err != nil {
			b.Fatal(err)
		}
	}
}
