package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/docker-scan/docker-scan/engine/db"
	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/scan"
	"github.com/docker-scan/docker-scan/engine/server/rpc/cache"
	"github.com/docker-scan/docker-scan/engine/server/rpc/scanner"
	"github.com/docker-scan/docker-scan/engine/testenv"
	"github.com/docker-scan/docker-scan/engine/types"
)

var fixtureFiles = []string{"../../testdata/db/alpine-3.14.yaml", "../../testdata/db/debian-12.yaml", "../../testdata/db/languages.yaml"}

// startTrivyServer runs `trivy server` on loopback with the fixture DB.
func startTrivyServer(t *testing.T, trivy string) string {
	t.Helper()
	cacheDir := t.TempDir()
	now := time.Now().UTC()
	meta := db.Metadata{Version: db.SchemaVersion, UpdatedAt: now, NextUpdate: now.Add(24 * time.Hour), DownloadedAt: now}
	if err := os.MkdirAll(filepath.Join(cacheDir, "db"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := db.BuildFixtureDB(filepath.Join(cacheDir, "db"), meta, fixtureFiles...); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	var logs bytes.Buffer
	cmd := exec.Command(trivy, "server", "--listen", addr, "--cache-dir", cacheDir, "--skip-db-update", "--debug")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("trivy server:\n%s", logs.String())
		}
	})
	url := "http://" + addr
	for deadline := time.Now().Add(60 * time.Second); ; {
		resp, err := http.Get(url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url
			}
		}
		select {
		case <-done:
			t.Fatalf("trivy server exited:\n%s", logs.String())
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("trivy server did not answer on %s:\n%s", addr, logs.String())
		}
	}
}

// TestTrivyServerReadsOurBlobs puts the layers of the test images, as
// BlobFromLayer writes them, into a real Trivy server and has it scan
// them with the fixture DB: it finds what our own scan finds.
func TestTrivyServerReadsOurBlobs(t *testing.T) {
	trivy := testenv.Trivy(t)
	url := startTrivyServer(t, trivy)
	ctx := context.Background()
	cacheClient := cache.NewCacheProtobufClient(url, http.DefaultClient)
	scanClient := scanner.NewScannerProtobufClient(url, http.DefaultClient)
	opts := scanOptions(t)
	for _, img := range []*types.Image{demoImage(t), debianImage(t)} {
		a := analyzeImage(t, img, opts)
		want, err := scan.Assemble(ctx, a, opts)
		if err != nil {
			t.Fatal(err)
		}
		var blobIDs []string
		for _, l := range a.Layers {
			if _, err := cacheClient.PutBlob(ctx, &cache.PutBlobRequest{DiffId: l.DiffID, BlobInfo: BlobFromLayer(l)}); err != nil {
				t.Fatalf("PutBlob: %v", err)
			}
			blobIDs = append(blobIDs, l.DiffID)
		}
		if _, err := cacheClient.PutArtifact(ctx, &cache.PutArtifactRequest{ArtifactId: img.ID, ArtifactInfo: ArtifactFromImage(a.Image, a.Config)}); err != nil {
			t.Fatalf("PutArtifact: %v", err)
		}
		missing, err := cacheClient.MissingBlobs(ctx, &cache.MissingBlobsRequest{ArtifactId: img.ID, BlobIds: blobIDs})
		if err != nil || missing.MissingArtifact || len(missing.MissingBlobIds) > 0 {
			t.Fatalf("MissingBlobs after putting them all: %v, %v", missing, err)
		}
		resp, err := scanClient.Scan(ctx, &scanner.ScanRequest{Target: img.Name, ArtifactId: img.ID, BlobIds: blobIDs,
			Options: ScanOptionsToWire(ScanSettings{Scanners: []string{"vuln", "secret"}, PkgTypes: []string{"os", "library"}})})
		if err != nil {
			t.Fatalf("Scan: %v", err)
		}
		results, os, err := ResultsFromWire(resp.Results, resp.Os)
		if err != nil {
			t.Fatal(err)
		}
		if os == nil || os.Family != want.Metadata.OS.Family || os.Name != want.Metadata.OS.Name {
			t.Errorf("%s: os %+v, want %+v", img.Name, os, want.Metadata.OS)
		}
		if d := cmp.Diff(findingKeys(want), findingKeys(&types.Report{Results: results})); d != "" {
			t.Errorf("%s: Trivy's findings differ from ours (-ours +trivy):\n%s", img.Name, d)
		}
		if len(findingKeys(want)) == 0 {
			t.Errorf("%s: nothing found: the comparison proves nothing", img.Name)
		}
	}
}

// findingKeys are a report's findings without their result targets,
// which Trivy and we name alike for OS packages but not for every
// language file or the image config.
func findingKeys(rep *types.Report) []string {
	var out []string
	for _, r := range rep.Results {
		for _, v := range r.Vulnerabilities {
			out = append(out, v.PkgName+" "+v.InstalledVersion+" "+v.VulnerabilityID+" "+v.Layer.DiffID)
		}
		for _, s := range r.Secrets {
			out = append(out, s.RuleID+" "+s.Layer.DiffID)
		}
	}
	slices.Sort(out)
	return out
}

// convertingServer is the least of a scan server, enough for a Trivy
// client: layers are stored as LayerFromBlob reads them and scanned with
// our pipeline, the answer written by ResultsToWire.
type convertingServer struct {
	opts      scan.Options
	mu        sync.Mutex
	layers    map[string]*types.LayerResult
	artifacts map[string]*types.LayerResult
}

func (s *convertingServer) PutArtifact(_ context.Context, r *cache.PutArtifactRequest) (*emptypb.Empty, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.artifacts[r.ArtifactId] = ImageConfigFromArtifact(r.ArtifactInfo)
	return &emptypb.Empty{}, nil
}

func (s *convertingServer) PutBlob(_ context.Context, r *cache.PutBlobRequest) (*emptypb.Empty, error) {
	l, err := LayerFromBlob(r.BlobInfo)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.layers[r.DiffId] = l
	return &emptypb.Empty{}, nil
}

func (s *convertingServer) MissingBlobs(_ context.Context, r *cache.MissingBlobsRequest) (*cache.MissingBlobsResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	resp := &cache.MissingBlobsResponse{}
	_, have := s.artifacts[r.ArtifactId]
	resp.MissingArtifact = !have
	for _, id := range r.BlobIds {
		if _, ok := s.layers[id]; !ok {
			resp.MissingBlobIds = append(resp.MissingBlobIds, id)
		}
	}
	return resp, nil
}

func (s *convertingServer) DeleteBlobs(context.Context, *cache.DeleteBlobsRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func (s *convertingServer) Scan(ctx context.Context, r *scanner.ScanRequest) (*scanner.ScanResponse, error) {
	settings, err := ScanOptionsFromWire(r.Options)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	a := &scan.Analysis{Image: &types.Image{Name: r.Target, ID: r.ArtifactId}, Config: s.artifacts[r.ArtifactId]}
	for _, id := range r.BlobIds {
		l, ok := s.layers[id]
		if !ok {
			s.mu.Unlock()
			return nil, fmt.Errorf("blob %s was not put", id)
		}
		a.Layers = append(a.Layers, l)
		a.Image.Layers = append(a.Image.Layers, types.Layer{Digest: l.Digest, DiffID: l.DiffID})
	}
	s.mu.Unlock()
	opts := s.opts
	opts.Scanners = settings.Scanners
	rep, err := scan.Detect(ctx, a, opts)
	if err != nil {
		return nil, err
	}
	results, os := ResultsToWire(rep)
	StripExtras(results)
	return &scanner.ScanResponse{Os: os, Results: results}, nil
}

// TestTrivyClientBlobsScanLikeOurs has a real Trivy client analyse the
// test images and send its blobs to a server that reads them with
// LayerFromBlob: the vulnerabilities Trivy prints are those our
// standalone scan finds.
func TestTrivyClientBlobsScanLikeOurs(t *testing.T) {
	trivy := testenv.Trivy(t)
	opts := scanOptions(t)
	srv := &convertingServer{opts: opts, layers: map[string]*types.LayerResult{}, artifacts: map[string]*types.LayerResult{}}
	mux := http.NewServeMux()
	c, s := cache.NewCacheServer(srv), scanner.NewScannerServer(srv)
	mux.Handle(c.PathPrefix(), c)
	mux.Handle(s.PathPrefix(), s)
	hs := httptest.NewServer(mux)
	defer hs.Close()

	for _, img := range []*types.Image{demoImage(t), debianImage(t)} {
		want, err := scan.Image(context.Background(), img, opts)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		archive := filepath.Join(dir, "image.tar")
		v1img, ok := v1Images.Load(img.Name)
		if !ok {
			t.Fatalf("no image %s", img.Name)
		}
		if err := imagebuild.WriteDockerArchive(archive, img.Name, v1img.(v1.Image)); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(trivy, "image", "--server", hs.URL, "--input", archive, "--format", "json", "--quiet",
			"--scanners", "vuln,secret", "--cache-dir", filepath.Join(dir, "cache"), "--skip-version-check")
		cmd.Env = append(os.Environ(), "TRIVY_NO_PROGRESS=true")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("trivy client: %v\n%s", err, stderr.String())
		}
		var rep types.Report
		if err := json.Unmarshal(out, &rep); err != nil {
			t.Fatalf("trivy's report: %v\n%s", err, out)
		}
		// The secrets are found by Trivy's own rules on the client, which
		// are not ours: only the vulnerabilities are compared, and the
		// secrets checked to have come back through the server.
		vulnsOnly := func(keys []string) []string {
			return slices.DeleteFunc(keys, func(k string) bool { return !strings.Contains(k, " CVE-") })
		}
		if d := cmp.Diff(vulnsOnly(findingKeys(want)), vulnsOnly(findingKeys(&rep))); d != "" {
			t.Errorf("%s: vulnerabilities through Trivy's client differ (-ours +trivy client):\n%s", img.Name, d)
		}
		if img.Name == "docker-scan-demo:latest" && !slices.ContainsFunc(findingKeys(&rep), func(k string) bool { return strings.HasPrefix(k, "github-pat sha256:") }) {
			t.Errorf("%s: the .env token did not come back: %v", img.Name, findingKeys(&rep))
		}
		if rep.Metadata.OS == nil || rep.Metadata.OS.Family != want.Metadata.OS.Family {
			t.Errorf("%s: os %+v", img.Name, rep.Metadata.OS)
		}
	}
}
