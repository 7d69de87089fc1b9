package main

// End-to-end tests of the client/server mode with real processes on
// loopback: `docker-scan server` replicas sharing a real redis-server,
// the reference Trivy as client and as server, and the faults a team
// running replicas meets (a wrong token, a huge body, Redis going away, a
// replica killed under load, a DB refresh under load).

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docker-scan/docker-scan/engine/cache"
	"github.com/docker-scan/docker-scan/engine/db"
	"github.com/docker-scan/docker-scan/engine/server"
	"github.com/docker-scan/docker-scan/engine/types"
	"github.com/docker-scan/docker-scan/runtime/daemontest"
)

// layerCount is the number of layers of a test image, from its report.
func layerCount(t *testing.T, img testImage) int {
	t.Helper()
	var rep types.Report
	if err := json.Unmarshal([]byte(img.want), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Metadata.DiffIDs) == 0 {
		t.Fatalf("%s: the report lists no layers", img.name)
	}
	return len(rep.Metadata.DiffIDs)
}

// TestServerReplicasShareRedis runs two server replicas on one
// redis-server: clients scan the Alpine and Debian images through either
// and get the standalone reports; each layer's result is stored once
// (the second replica asked for it finds it in Redis); a third replica
// started later answers from Redis alone.
func TestServerReplicasShareRedis(t *testing.T) {
	r := daemontest.StartRedis(t)
	dbDir := fixtureDBDir(t, time.Now())
	images := standaloneImages(t, dbDir, "alpine", "debian")
	alpine, debian := images[0], images[1]
	alpineLayers, debianLayers := layerCount(t, alpine), layerCount(t, debian)
	replica1 := startOurServer(t, "replica 1", copyDBDir(t, dbDir), "--cache-backend", r.URL)
	replica2 := startOurServer(t, "replica 2", copyDBDir(t, dbDir), "--cache-backend", r.URL)

	checkSameReport(t, alpine, "replica 1", clientScan(t, alpine, replica1.url))
	checkSameReport(t, debian, "replica 2", clientScan(t, debian, replica2.url))
	layerKeys := func() int {
		return r.Keys(t, cache.RedisKeyPrefix+"*") - r.Keys(t, cache.RedisKeyPrefix+"artifact/*")
	}
	if n := layerKeys(); n != alpineLayers+debianLayers {
		t.Errorf("%d layer results in Redis after scanning %d+%d layers", n, alpineLayers, debianLayers)
	}
	// Image configs are keyed by content: two images whose configs say
	// the same share one.
	artifactKeys := r.Keys(t, cache.RedisKeyPrefix+"artifact/*")
	if artifactKeys < 1 || artifactKeys > 2 {
		t.Errorf("%d image configs in Redis after scanning 2 images", artifactKeys)
	}
	if got := replica1.metric(t, metricBlobsStored); got != float64(alpineLayers) {
		t.Errorf("replica 1 stored %v layer results, want the %d of the Alpine image", got, alpineLayers)
	}
	if got := replica2.metric(t, metricBlobsStored); got != float64(debianLayers) {
		t.Errorf("replica 2 stored %v layer results, want the %d of the Debian image", got, debianLayers)
	}

	// Each image again, through the other replica: nothing new is sent.
	checkSameReport(t, alpine, "replica 2", clientScan(t, alpine, replica2.url))
	checkSameReport(t, debian, "replica 1", clientScan(t, debian, replica1.url))
	if n := layerKeys(); n != alpineLayers+debianLayers {
		t.Errorf("%d layer results in Redis after the second round, want still %d", n, alpineLayers+debianLayers)
	}
	if got := replica1.metric(t, metricBlobsStored); got != float64(alpineLayers) {
		t.Errorf("replica 1 stored %v layer results after the Debian image went through it, want still %d", got, alpineLayers)
	}
	if got := replica2.metric(t, metricBlobsStored); got != float64(debianLayers) {
		t.Errorf("replica 2 stored %v layer results after the Alpine image went through it, want still %d", got, debianLayers)
	}
	if got := replica2.metric(t, metricBlobHits); got < float64(alpineLayers) {
		t.Errorf("replica 2 found %v layer results in the cache, want at least the %d of the Alpine image", got, alpineLayers)
	}

	// A replica that joins later has nothing of its own: Redis has it all.
	replica3 := startOurServer(t, "replica 3", copyDBDir(t, dbDir), "--cache-backend", r.URL)
	checkSameReport(t, alpine, "replica 3", clientScan(t, alpine, replica3.url))
	checkSameReport(t, debian, "replica 3", clientScan(t, debian, replica3.url))
	m := replica3.metrics(t)
	if m[metricBlobsStored] != 0 || m[metricBlobMisses] != 0 || m[metricBlobHits] != float64(alpineLayers+debianLayers) {
		t.Errorf("replica 3: %v stored, %v missed, %v found; want 0, 0, %d", m[metricBlobsStored], m[metricBlobMisses], m[metricBlobHits], alpineLayers+debianLayers)
	}
	if n := layerKeys(); n != alpineLayers+debianLayers {
		t.Errorf("%d layer results in Redis at the end, want %d", n, alpineLayers+debianLayers)
	}
	if n := r.Keys(t, cache.RedisKeyPrefix+"artifact/*"); n != artifactKeys {
		t.Errorf("%d image configs in Redis at the end, %d after the first round", n, artifactKeys)
	}
}

// TestServerTrivyCompatibility puts the reference Trivy on either side:
// its client against our server, and our client against its server, on
// the Alpine and Debian images with the fixture DB. Both find the
// vulnerabilities our standalone scan finds.
func TestServerTrivyCompatibility(t *testing.T) {
	trivy := trivyBin(t)
	dbDir := fixtureDBDir(t, time.Now())
	images := standaloneImages(t, dbDir, "alpine", "debian")
	ours := startOurServer(t, "docker-scan server", copyDBDir(t, dbDir), "--cache-backend", "memory")
	theirs := startTrivyServer(t, trivy, copyDBDir(t, dbDir))
	for _, img := range images {
		t.Run(img.name, func(t *testing.T) {
			want := vulnSets(t, img.want)
			if len(want) == 0 {
				t.Fatalf("the standalone scan of %s finds nothing: the comparison would prove nothing", img.name)
			}
			for class, vulns := range want {
				t.Logf("%s: %d vulnerabilities in %s to find", img.name, len(vulns), class)
			}
			t.Run("trivy client, our server", func(t *testing.T) {
				home := t.TempDir()
				cmd := exec.Command(trivy, "image", "--server", ours.url, "--input", img.archive, "--format", "json",
					"--cache-dir", filepath.Join(home, "cache"), "--list-all-pkgs", "--quiet", "--skip-version-check", "--disable-telemetry")
				cmd.Env = trivyEnv(home)
				res := runCommand(t, cmd)
				if res.exit != 0 {
					t.Fatalf("trivy image --server: exit %d\n%s", res.exit, tail([]byte(res.stderr), 3000))
				}
				if d := diffSets(want, vulnSets(t, res.stdout)); d != "" {
					t.Errorf("Trivy's client through our server finds other vulnerabilities than our standalone scan (- standalone, + trivy client):\n%s", d)
				}
			})
			t.Run("our client, trivy server", func(t *testing.T) {
				args := []string{"image", "--input", img.archive, "--server", theirs.url, "--format", "json",
					"--cache-backend", "memory", "--cache-dir", t.TempDir(), "--quiet"}
				res := cliRun{}.run(t, args...)
				if res.exit != 0 {
					t.Fatalf("docker-scan image --server (trivy server): exit %d\n%s", res.exit, res.stderr)
				}
				if d := diffSets(want, vulnSets(t, res.stdout)); d != "" {
					t.Errorf("our client through Trivy's server finds other vulnerabilities than our standalone scan (- standalone, + through trivy server):\n%s", d)
				}
			})
		})
	}
}

// postScan sends a raw Scan request, as curl would, and returns the
// status and the body.
func postScan(t *testing.T, url string, header http.Header, body io.Reader, length int64) (int, string, time.Duration) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/twirp/trivy.scanner.v1.Scanner/Scan", body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = length
	req.Header = header
	if req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	client := &http.Client{Timeout: time.Minute}
	start := time.Now()
	resp, err := client.Do(req)
	took := time.Since(start)
	if err != nil {
		t.Fatalf("POST Scan: %v (after %v)", err, took)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, string(b), took
}

// checkHealthy fails unless the server answers /healthz with 200.
func checkHealthy(t *testing.T, s *scanServer) {
	t.Helper()
	resp, err := http.Get(s.url + "/healthz")
	if err != nil {
		t.Fatalf("%s /healthz: %v", s.name, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s /healthz: %s", s.name, resp.Status)
	}
}

// TestServerFaults: what goes wrong in a deployment, each with its own
// servers.
func TestServerFaults(t *testing.T) {
	r := daemontest.StartRedis(t)
	dbDir := fixtureDBDir(t, time.Now().Add(-2*time.Hour))
	images := standaloneImages(t, dbDir, "alpine", "demo")
	alpine := images[0]

	// A wrong or missing token: the CLI exits 1 with one line that says
	// so; a raw request gets 401.
	t.Run("token", func(t *testing.T) {
		srv := startOurServer(t, "server with a token", copyDBDir(t, dbDir), "--token", "s3cret", "--cache-backend", "memory")
		for _, token := range []string{"wrong", ""} {
			res := cliRun{}.run(t, "image", "--input", alpine.archive, "--server", srv.url, "--token", token,
				"--format", "json", "--cache-backend", "memory", "--cache-dir", t.TempDir(), "--quiet")
			line := strings.TrimSpace(res.stderr)
			if res.exit != 1 || strings.Contains(line, "\n") || !strings.Contains(line, "token") || res.stdout != "" {
				t.Errorf("token %q: want exit 1 and one line about the token, got exit %d:\n%s", token, res.exit, res.stderr)
			}
		}
		checkSameReport(t, alpine, "the server with a token", clientScan(t, alpine, srv.url, "--token", "s3cret"))
		for _, h := range []http.Header{{}, {"Trivy-Token": {"wrong"}}, {"Authorization": {"s3cret"}}} {
			code, body, _ := postScan(t, srv.url, h, strings.NewReader("{}"), 2)
			if code != http.StatusUnauthorized || !strings.Contains(body, `"unauthenticated"`) {
				t.Errorf("POST with headers %v: %d %s, want 401 unauthenticated", h, code, body)
			}
		}
	})

	// A 1 GB body is refused before it is read, and the server goes on.
	t.Run("1GB body", func(t *testing.T) {
		// A limit below the default (64 MiB) keeps the chunked case
		// below quick: the server reads what it allows before refusing.
		srv := startOurServer(t, "server", copyDBDir(t, dbDir), "--cache-backend", "memory", "--max-request-size", "16MiB")
		code, body, took := postScan(t, srv.url, http.Header{}, io.LimitReader(zeros{}, 1<<30), 1<<30)
		if code != http.StatusRequestEntityTooLarge || !strings.Contains(body, "resource_exhausted") {
			t.Errorf("1 GiB body with its Content-Length: %d %s, want 413", code, body)
		}
		if took > 10*time.Second {
			t.Errorf("the 1 GiB body took %v to be refused", took)
		}
		t.Logf("1 GiB body with Content-Length refused in %v", took.Round(time.Millisecond))
		// Without a Content-Length (chunked), the server reads up to its
		// limit (--max-request-size) and refuses the rest. Protobuf, as
		// zeros are not JSON, which the server would refuse at once.
		code, body, took = postScan(t, srv.url, http.Header{"Content-Type": {"application/protobuf"}}, io.LimitReader(zeros{}, 1<<30), -1)
		if code != http.StatusRequestEntityTooLarge || !strings.Contains(body, "resource_exhausted") {
			t.Errorf("1 GiB chunked body: %d %s, want 413", code, body)
		}
		if took > 30*time.Second {
			t.Errorf("the 1 GiB chunked body took %v to be refused", took)
		}
		t.Logf("1 GiB chunked body refused in %v; server peak RSS %d MiB", took.Round(time.Millisecond), srv.peakRSS()>>20)
		checkHealthy(t, srv)
		checkSameReport(t, alpine, "the server after the huge bodies", clientScan(t, alpine, srv.url))
		if n := srv.metric(t, `docker_scan_server_requests_rejected_total{reason="too_large"}`); n != 2 {
			t.Errorf("%v requests counted as too large, want 2", n)
		}
	})

	// Redis goes away under a running replica: scans go on from the
	// replica's memory, with one warning in its log.
	t.Run("redis stopped", func(t *testing.T) {
		r := daemontest.StartRedis(t)
		srv := startOurServer(t, "replica", copyDBDir(t, dbDir), "--cache-backend", r.URL)
		checkSameReport(t, alpine, "the replica with Redis", clientScan(t, alpine, srv.url))
		if n := r.Keys(t, cache.RedisKeyPrefix+"*"); n == 0 {
			t.Fatal("nothing stored in Redis")
		}
		r.Stop()
		for _, img := range append(images, images...) {
			checkSameReport(t, img, "the replica without Redis", clientScan(t, img, srv.url))
		}
		var cacheWarnings []string
		for _, l := range warnings(srv.log()) {
			if strings.Contains(strings.ToLower(l), "cache") || strings.Contains(strings.ToLower(l), "redis") {
				cacheWarnings = append(cacheWarnings, l)
			}
		}
		if len(cacheWarnings) != 1 {
			t.Errorf("want one warning about the cache in the server's log, got %d:\n%s", len(cacheWarnings), strings.Join(cacheWarnings, "\n"))
		}
	})

	// A replica killed (SIGKILL) in the middle of 40 concurrent scans
	// behind a round-robin balancer: every scan succeeds, every report is
	// right.
	t.Run("replica killed", func(t *testing.T) {
		replica1 := startOurServer(t, "replica 1", copyDBDir(t, dbDir), "--cache-backend", r.URL)
		replica2 := startOurServer(t, "replica 2", copyDBDir(t, dbDir), "--cache-backend", r.URL)
		lb := startRoundRobin(t, replica1, replica2)
		const scans, killAfter = 40, 12
		var wg sync.WaitGroup
		errs := make(chan error, scans)
		for i := range scans {
			img := images[i%len(images)]
			clientDir := t.TempDir()
			wg.Go(func() {
				res, err := runCLI(context.Background(), "image", "--input", img.archive, "--server", lb.url, "--format", "json",
					"--cache-backend", "memory", "--cache-dir", clientDir, "--quiet")
				if err == nil && res.exit != 0 {
					err = fmt.Errorf("exit %d: %s", res.exit, strings.TrimSpace(res.stderr))
				}
				var got string
				if err == nil {
					got, err = normalizedReport(res.stdout)
				}
				if err == nil && got != img.want {
					err = fmt.Errorf("the report differs from the standalone scan's:\n%s", diffLines(img.want, got))
				}
				if err != nil {
					errs <- fmt.Errorf("scan %d (%s): %w", i, img.name, err)
				}
			})
		}
		killedAt := make(chan int64, 1)
		go func() {
			deadline := time.Now().Add(2 * time.Minute)
			for lb.scans.Load() < killAfter && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			replica1.kill()
			killedAt <- lb.scans.Load()
		}()
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		at := <-killedAt
		t.Logf("replica 1 killed after %d of %d scans; %d requests failed over to replica 2", at, scans, lb.failovers.Load())
		if at >= scans {
			t.Errorf("replica 1 was killed after every scan (%d): the test proved nothing", at)
		}
		if lb.scans.Load() != scans {
			t.Errorf("%d scans answered through the balancer, want %d", lb.scans.Load(), scans)
		}
	})

	// The DB is replaced (docker-scan db import into the server's cache
	// dir, picked up by the refresher) while clients scan without pause:
	// no request fails, and /version names the new DB.
	t.Run("db refresh under load", func(t *testing.T) {
		srvDir := copyDBDir(t, dbDir)
		srv := startOurServer(t, "server", srvDir, "--cache-backend", "memory", "--db-refresh-interval", "1s")
		before := srv.dbUpdatedAt(t)
		newDB := fixtureDBDir(t, time.Now().Add(-time.Hour))
		quietLogs(t)
		prepared := prepareImages(t, images)
		// Workers stop between scans (stop), so that no scan is cut: the
		// server must count none as failed.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		var stop atomic.Bool
		var done, failed atomic.Int64
		var firstErr atomic.Value
		var wg sync.WaitGroup
		finish := func() {
			stop.Store(true)
			wg.Wait()
		}
		for w := range 4 {
			wg.Go(func() {
				c := &server.Client{URL: srv.url, Version: "test"}
				for i := w; !stop.Load() && ctx.Err() == nil; i++ {
					if err := remoteScan(ctx, c, prepared[i%len(prepared)]); err != nil {
						failed.Add(1)
						firstErr.CompareAndSwap(nil, err)
						continue
					}
					done.Add(1)
				}
			})
		}
		time.Sleep(time.Second)
		res := cliRun{}.run(t, "db", "import", filepath.Join(newDB, "db", "trivy.db"), "--cache-dir", srvDir)
		if res.exit != 0 {
			finish()
			t.Fatalf("db import: exit %d\n%s", res.exit, res.stderr)
		}
		want := readMetadataUpdatedAt(t, newDB)
		swapped := time.Now()
		for !srv.dbUpdatedAt(t).Equal(want) {
			if time.Since(swapped) > 20*time.Second {
				finish()
				t.Fatalf("/version still names the DB updated at %v, 20s after the import of the one updated at %v", srv.dbUpdatedAt(t), want)
			}
			time.Sleep(100 * time.Millisecond)
		}
		atSwap := done.Load()
		time.Sleep(time.Second)
		finish()
		t.Logf("%d scans, %d failed; %d after the new DB was served (was updated at %v, now %v)", done.Load(), failed.Load(), done.Load()-atSwap, before, want)
		if failed.Load() != 0 {
			t.Errorf("%d scans failed during the DB refresh; the first: %v", failed.Load(), firstErr.Load())
		}
		if done.Load()-atSwap == 0 || atSwap == 0 {
			t.Errorf("no scans on one side of the swap (%d before, %d after)", atSwap, done.Load()-atSwap)
		}
		if before.Equal(want) {
			t.Errorf("the new DB has the old one's UpdatedAt: the test proved nothing")
		}
		if n := srv.metric(t, metricScansError); n != 0 {
			t.Errorf("the server counts %v failed scans", n)
		}
	})
}

// readMetadataUpdatedAt is the UpdatedAt of the DB in a cache dir.
func readMetadataUpdatedAt(t *testing.T, cacheDir string) time.Time {
	t.Helper()
	m, err := db.ReadMetadata(filepath.Join(cacheDir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	return m.UpdatedAt
}
