package server_test

import (
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docker-scan/docker-scan/engine/analyze"
	enginecache "github.com/docker-scan/docker-scan/engine/cache"
	"github.com/docker-scan/docker-scan/engine/db/dbtest"
	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/scan"
	"github.com/docker-scan/docker-scan/engine/server"
	"github.com/docker-scan/docker-scan/engine/server/rpc/cache"
	"github.com/docker-scan/docker-scan/engine/types"
)

// countingCache counts the results a server stores.
type countingCache struct {
	enginecache.Cache
	puts atomic.Int64
}

func (c *countingCache) Put(ctx context.Context, results map[string]*types.LayerResult) error {
	c.puts.Add(int64(len(results)))
	return c.Cache.Put(ctx, results)
}

// svcServer serves the Twirp services over HTTP with the fixture DB of
// the demo image.
func svcServer(t *testing.T, token string) (*httptest.Server, *countingCache) {
	t.Helper()
	d := dbtest.FixtureDB(t, "../../testdata/db/alpine-3.14.yaml", "../../testdata/db/languages.yaml")
	holder := server.NewDBHolder(d)
	t.Cleanup(holder.Close)
	c := &countingCache{Cache: enginecache.NewMemory(analyze.ResultSchemaVersion, 0)}
	h := server.NewHandler(server.HandlerOptions{
		Services: server.NewServices(server.ServiceOptions{DB: holder, Cache: c}),
		Token:    token,
		DB:       holder,
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, c
}

// svcDemoImage is the demo image (Alpine 3.14 packages, a node_modules, a
// leaked token) built from testdata/demo/layers.
func svcDemoImage(t *testing.T) *types.Image {
	t.Helper()
	var files []string
	for _, dir := range []string{"1", "2"} {
		p := filepath.Join(t.TempDir(), dir+".tar")
		if err := imagebuild.DirTar(filepath.Join("..", "..", "testdata", "demo", "layers", dir), p); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	var layers []v1.Layer
	for _, f := range files {
		l, err := imagebuild.LayerFromFile(f)
		if err != nil {
			t.Fatal(err)
		}
		layers = append(layers, l)
	}
	v1img, err := imagebuild.Image("amd64", layers...)
	if err != nil {
		t.Fatal(err)
	}
	img, err := imagebuild.EngineImage(imagebuild.DemoTag, v1img)
	if err != nil {
		t.Fatal(err)
	}
	img.RepoTags = []string{imagebuild.DemoTag}
	return img
}

func svcOptions(t *testing.T) scan.Options {
	opts := scan.DefaultOptions()
	opts.Scanners = []string{scan.ScannerVuln, scan.ScannerSecret}
	opts.Now = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	opts.TempDir = t.TempDir()
	return opts
}

func reportJSON(t *testing.T, rep *types.Report) string {
	t.Helper()
	b, err := json.MarshalIndent(rep, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestClientServerMatchesStandalone: a scan through the server reports
// what a scan here reports, every field; a second scan of the image sends
// no layer.
func TestClientServerMatchesStandalone(t *testing.T) {
	srv, stored := svcServer(t, "")
	img := svcDemoImage(t)
	local := svcOptions(t)
	local.DB = dbtest.FixtureDB(t, "../../testdata/db/alpine-3.14.yaml", "../../testdata/db/languages.yaml")
	want, err := scan.Image(context.Background(), img, local)
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Results) < 3 {
		t.Fatalf("the demo image should have OS, Node.js and secret results: %s", reportJSON(t, want))
	}
	client := &server.Client{URL: srv.URL, Version: "test"}
	remote := func() *types.Report {
		opts := svcOptions(t)
		a, err := scan.Analyze(context.Background(), img, opts)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := client.Scan(context.Background(), a, opts)
		if err != nil {
			t.Fatal(err)
		}
		return scan.Finish(rep, opts)
	}
	if got := reportJSON(t, remote()); got != reportJSON(t, want) {
		t.Errorf("through the server:\n%s\nstandalone:\n%s", got, reportJSON(t, want))
	}
	// Two layers and the image config's findings.
	if n := stored.puts.Load(); n != 3 {
		t.Errorf("the first scan stored %d results, want 3", n)
	}
	remote()
	if n := stored.puts.Load(); n != 3 {
		t.Errorf("the second scan sent layers again: %d results stored", n)
	}
}

// TestClientWrongToken: the server's refusal reaches the user as one line
// that names the token.
func TestClientWrongToken(t *testing.T) {
	srv, _ := svcServer(t, "right")
	opts := svcOptions(t)
	a, err := scan.Analyze(context.Background(), svcDemoImage(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, token := range []string{"", "wrong"} {
		_, err = (&server.Client{URL: srv.URL, Token: token}).Scan(context.Background(), a, opts)
		if err == nil || !strings.Contains(err.Error(), "token") || strings.Contains(err.Error(), "\n") {
			t.Errorf("token %q: err = %v", token, err)
		}
	}
	if _, err := (&server.Client{URL: srv.URL, Token: "right"}).Scan(context.Background(), a, opts); err != nil {
		t.Errorf("right token: %v", err)
	}
}

// TestServerSpeaksJSON: Twirp's JSON encoding, which Trivy's clients may
// use, is served beside protobuf.
func TestServerSpeaksJSON(t *testing.T) {
	srv, _ := svcServer(t, "")
	c := cache.NewCacheJSONClient(srv.URL, srv.Client())
	resp, err := c.MissingBlobs(context.Background(), &cache.MissingBlobsRequest{ArtifactId: "sha256:a", BlobIds: []string{"sha256:b", "sha256:c"}})
	if err != nil {
		t.Fatal(err)
	}
	if !resp.GetMissingArtifact() || len(resp.GetMissingBlobIds()) != 2 {
		t.Errorf("an empty server has nothing: %v", resp)
	}
}

// TestServerRejectsOtherSchema: layer results of another docker-scan
// version are refused with a message that says so, never stored to be
// misread.
func TestServerRejectsOtherSchema(t *testing.T) {
	srv, stored := svcServer(t, "")
	r := &types.LayerResult{DiffID: "sha256:" + strings.Repeat("1", 64), SchemaVersion: analyze.ResultSchemaVersion + 1}
	c := cache.NewCacheProtobufClient(srv.URL, srv.Client())
	_, err := c.PutBlob(context.Background(), &cache.PutBlobRequest{DiffId: "sha256:k", BlobInfo: server.BlobFromLayer(r)})
	if err == nil || !strings.Contains(err.Error(), "same docker-scan version") {
		t.Errorf("err = %v", err)
	}
	if stored.puts.Load() != 0 {
		t.Error("stored a result of another schema")
	}
}

// TestClientServerMisconfig: with the misconfig scanner, the Dockerfiles
// of the layers (checked by the client, sent in the layer results) and
// the image config's history (checked by the client, which Trivy's wire
// has no place for) come out as in a scan here.
func TestClientServerMisconfig(t *testing.T) {
	srv, _ := svcServer(t, "")
	layer, err := imagebuild.Layer(
		imagebuild.File{Path: "etc/alpine-release", Body: "3.14.1\n"},
		imagebuild.File{Path: "src/app/Dockerfile", Body: "FROM alpine:latest\nADD app.sh /app.sh\nRUN apk add curl\n"})
	if err != nil {
		t.Fatal(err)
	}
	v1img, err := imagebuild.Image("amd64", layer)
	if err != nil {
		t.Fatal(err)
	}
	v1img, err = imagebuild.WithConfig(v1img, func(c *v1.ConfigFile) {
		c.History = []v1.History{{CreatedBy: "/bin/sh -c #(nop) ADD file:0a1b in / "},
			{CreatedBy: "/bin/sh -c apt-get update && apt-get install -y curl", EmptyLayer: true}}
	})
	if err != nil {
		t.Fatal(err)
	}
	img, err := imagebuild.EngineImage("misconf:1", v1img)
	if err != nil {
		t.Fatal(err)
	}
	opts := svcOptions(t)
	opts.Scanners = []string{scan.ScannerMisconfig}
	want, err := scan.Image(context.Background(), img, opts)
	if err != nil {
		t.Fatal(err)
	}
	var targets []string
	for _, r := range want.Results {
		if r.Class == types.ClassConfig && len(r.Misconfigurations) > 0 {
			targets = append(targets, r.Target)
		}
	}
	if len(targets) != 2 {
		t.Fatalf("want findings in the layer's Dockerfile and the image config, got %q:\n%s", targets, reportJSON(t, want))
	}
	a, err := scan.Analyze(context.Background(), img, opts)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := (&server.Client{URL: srv.URL}).Scan(context.Background(), a, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := reportJSON(t, scan.Finish(rep, opts)); got != reportJSON(t, want) {
		t.Errorf("through the server:\n%s\nstandalone:\n%s", got, reportJSON(t, want))
	}
}

// TestClientServerLicenses: with the licence scanner, a client's report
// through the server equals the standalone one (the client classifies
// the licences of its own analysis: they need no DB).
func TestClientServerLicenses(t *testing.T) {
	srv, _ := svcServer(t, "")
	img := svcDemoImage(t)
	options := func() scan.Options {
		o := svcOptions(t)
		o.Scanners = []string{scan.ScannerVuln, scan.ScannerLicense}
		return o
	}
	local := options()
	local.DB = dbtest.FixtureDB(t, "../../testdata/db/alpine-3.14.yaml", "../../testdata/db/languages.yaml")
	want, err := scan.Image(context.Background(), img, local)
	if err != nil {
		t.Fatal(err)
	}
	licences := 0
	for _, r := range want.Results {
		if r.Class == types.ClassLicense {
			licences += len(r.Licenses)
		}
	}
	if licences < 5 {
		t.Fatalf("the demo image's packages declare licences; standalone found %d: %s", licences, reportJSON(t, want))
	}
	opts := options()
	a, err := scan.Analyze(context.Background(), img, opts)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := (&server.Client{URL: srv.URL, Version: "test"}).Scan(context.Background(), a, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := reportJSON(t, scan.Finish(rep, opts)); got != reportJSON(t, want) {
		t.Errorf("through the server:\n%s\nstandalone:\n%s", got, reportJSON(t, want))
	}
}
