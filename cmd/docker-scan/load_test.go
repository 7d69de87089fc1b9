package main

// The load test of the client/server mode (make load): two replicas on
// one redis-server behind a round-robin balancer take 500 scans from 50
// concurrent clients, then one `trivy server` takes the same load, for
// comparison. Loopback only, bounded in time, zero errors allowed.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/docker-scan/docker-scan/engine/server"
	"github.com/docker-scan/docker-scan/engine/testenv"
	"github.com/docker-scan/docker-scan/runtime/daemontest"
)

// Load parameters (the issue's): 50 clients at once, 500 scans in all,
// over the Alpine, Debian and demo images; each run must end within
// loadBudget.
const (
	loadClients = 50
	loadScans   = 500
	// loadCLIScans run beside the in-process clients: whole CLI scans,
	// image analysis included, through the same server.
	loadCLIScans = 6
	loadBudget   = 10 * time.Minute
)

// loadEnv turns the load test on; loadOutEnv names a file for its
// figures as JSON.
const (
	loadEnv    = "DOCKER_SCAN_LOAD"
	loadOutEnv = "DOCKER_SCAN_LOAD_OUT"
)

// loadResult is what one load run measured.
type loadResult struct {
	Target         string  `json:"target"`
	Clients        int     `json:"clients"`
	Scans          int     `json:"scans"`
	Errors         int     `json:"errors"`
	CLIScans       int     `json:"cli_scans"`
	CLIErrors      int     `json:"cli_errors"`
	WallSeconds    float64 `json:"wall_seconds"`
	ScansPerSecond float64 `json:"scans_per_second"`
	P50Millis      float64 `json:"p50_ms"`
	P99Millis      float64 `json:"p99_ms"`
	MaxMillis      float64 `json:"max_ms"`
	CLIP50Millis   float64 `json:"cli_p50_ms"`
	// PeakRSSBytes is each server process's high-water mark (VmHWM).
	PeakRSSBytes map[string]int64 `json:"peak_rss_bytes"`
	// RedisUsedMemoryBytes is Redis's used_memory after the run (0
	// without Redis).
	RedisUsedMemoryBytes int64 `json:"redis_used_memory_bytes,omitempty"`
	// FirstErrors are up to five of the errors, for the log.
	FirstErrors []string `json:"first_errors,omitempty"`
}

// TestServerLoad runs the load against our replicas and then against one
// Trivy server, and reports throughput, latency, memory.
func TestServerLoad(t *testing.T) {
	if os.Getenv(loadEnv) != "1" {
		t.Skipf("the load test runs with %s=1 (make load)", loadEnv)
	}
	testenv.E2E(t, "the load test of the client/server mode: redis-server, scan servers, Trivy")
	trivy := trivyBin(t)
	r := daemontest.StartRedis(t)
	dbDir := fixtureDBDir(t, time.Now())
	images := standaloneImages(t, dbDir, "alpine", "debian", "demo")
	cliImages := []testImage{images[0], images[2]}
	quietLogs(t)
	prepared := prepareImages(t, images)

	replica1 := startOurServer(t, "replica 1", copyDBDir(t, dbDir), "--cache-backend", r.URL)
	replica2 := startOurServer(t, "replica 2", copyDBDir(t, dbDir), "--cache-backend", r.URL)
	lb := startRoundRobin(t, replica1, replica2)
	ours := runLoad(t, "docker-scan server x2 + redis", lb.url, true, prepared, cliImages, replica1, replica2)
	ours.RedisUsedMemoryBytes = redisUsedMemory(t, r.Addr)
	served := replica1.metric(t, metricScansOK) + replica2.metric(t, metricScansOK)
	if served < loadScans {
		t.Errorf("the replicas answered %v scans, want at least %d", served, loadScans)
	}
	replica1.stop()
	replica2.stop()

	trivyServer := startTrivyServer(t, trivy, copyDBDir(t, dbDir))
	theirs := runLoad(t, "trivy server "+testenv.TrivyVersion, trivyServer.url, false, prepared, cliImages, trivyServer)

	for _, res := range []loadResult{ours, theirs} {
		var rss []string
		for name, b := range res.PeakRSSBytes {
			rss = append(rss, fmt.Sprintf("%s %d MiB", name, b>>20))
		}
		slices.Sort(rss)
		t.Logf("%s: %d scans by %d clients in %.1fs: %.1f scans/s, p50 %.0f ms, p99 %.0f ms, max %.0f ms; %d CLI scans (p50 %.0f ms); errors %d+%d; peak RSS %s; Redis used_memory %d KiB",
			res.Target, res.Scans, res.Clients, res.WallSeconds, res.ScansPerSecond, res.P50Millis, res.P99Millis, res.MaxMillis,
			res.CLIScans, res.CLIP50Millis, res.Errors, res.CLIErrors, strings.Join(rss, ", "), res.RedisUsedMemoryBytes>>10)
		if res.Errors+res.CLIErrors > 0 {
			t.Errorf("%s: %d scans failed; the first: %s", res.Target, res.Errors+res.CLIErrors, strings.Join(res.FirstErrors, "\n"))
		}
	}
	if out := os.Getenv(loadOutEnv); out != "" {
		b, err := json.MarshalIndent(map[string]loadResult{"docker-scan": ours, "trivy": theirs}, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(out, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// runLoad sends loadScans scans from loadClients in-process clients (and
// loadCLIScans CLI scans beside them) to url, checks every report, and
// measures.
//
// With exact, a CLI report must equal the standalone one but for its
// CreatedAt; else (a Trivy server, which orders findings and names
// packages' UIDs its own way) the vulnerabilities must be the same.
func runLoad(t *testing.T, target, url string, exact bool, prepared []preparedImage, cliImages []testImage, servers ...*scanServer) loadResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), loadBudget)
	defer cancel()
	res := loadResult{Target: target, Clients: loadClients, PeakRSSBytes: map[string]int64{}}
	var (
		mu        sync.Mutex
		latencies []time.Duration
		cliTimes  []time.Duration
		next      atomic.Int64
		wg        sync.WaitGroup
	)
	fail := func(cli bool, err error) {
		mu.Lock()
		defer mu.Unlock()
		if cli {
			res.CLIErrors++
		} else {
			res.Errors++
		}
		if len(res.FirstErrors) < 5 {
			res.FirstErrors = append(res.FirstErrors, err.Error())
		}
	}
	start := time.Now()
	for range loadClients {
		wg.Go(func() {
			c := &server.Client{URL: url, Version: "load-test"}
			for {
				i := next.Add(1) - 1
				if i >= loadScans || ctx.Err() != nil {
					return
				}
				begin := time.Now()
				err := remoteScan(ctx, c, prepared[int(i)%len(prepared)])
				took := time.Since(begin)
				if err != nil {
					fail(false, err)
					continue
				}
				mu.Lock()
				latencies = append(latencies, took)
				mu.Unlock()
			}
		})
	}
	for i := range loadCLIScans {
		img := cliImages[i%len(cliImages)]
		wg.Go(func() {
			begin := time.Now()
			got, err := cliScanNoFatal(ctx, img, url)
			took := time.Since(begin)
			if err == nil {
				err = checkCLIReport(img, got, exact)
			}
			if err != nil {
				fail(true, err)
				return
			}
			mu.Lock()
			cliTimes = append(cliTimes, took)
			mu.Unlock()
		})
	}
	wg.Wait()
	wall := time.Since(start)
	if ctx.Err() != nil {
		t.Errorf("%s: the load did not end within %v", target, loadBudget)
	}
	res.Scans, res.CLIScans = len(latencies), len(cliTimes)
	res.WallSeconds = wall.Seconds()
	res.ScansPerSecond = float64(res.Scans) / wall.Seconds()
	res.P50Millis, res.P99Millis, res.MaxMillis = percentileMillis(latencies, 50), percentileMillis(latencies, 99), percentileMillis(latencies, 100)
	res.CLIP50Millis = percentileMillis(cliTimes, 50)
	for _, s := range servers {
		res.PeakRSSBytes[s.name] = s.peakRSS()
	}
	if res.Scans+res.Errors != loadScans {
		t.Errorf("%s: %d scans and %d errors, want %d in all", target, res.Scans, res.Errors, loadScans)
	}
	return res
}

// cliScanNoFatal is clientScan for goroutines: errors are returned.
func cliScanNoFatal(ctx context.Context, img testImage, url string) (string, error) {
	dir, err := os.MkdirTemp("", "load-cli-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	res, err := runCLI(ctx, "image", "--input", img.archive, "--server", url, "--format", "json",
		"--cache-backend", "memory", "--cache-dir", dir, "--quiet")
	if err != nil {
		return "", err
	}
	if res.exit != 0 {
		return "", fmt.Errorf("CLI scan of %s: exit %d: %s", img.name, res.exit, strings.TrimSpace(res.stderr))
	}
	return normalizedReport(res.stdout)
}

// checkCLIReport compares a CLI report through a server with the
// standalone one: whole (exact), or its vulnerabilities.
func checkCLIReport(img testImage, got string, exact bool) error {
	if exact {
		if got != img.want {
			return fmt.Errorf("CLI scan of %s: the report differs from the standalone scan's:\n%s", img.name, diffLines(img.want, got))
		}
		return nil
	}
	want, err := reportVulnSets(img.want)
	if err != nil {
		return err
	}
	have, err := reportVulnSets(got)
	if err != nil {
		return err
	}
	if d := diffSets(want, have); d != "" {
		return fmt.Errorf("CLI scan of %s: other vulnerabilities than the standalone scan's (- standalone, + through the server):\n%s", img.name, d)
	}
	return nil
}

// percentileMillis is the p-th percentile of ds (nearest rank), in
// milliseconds; 0 for none.
func percentileMillis(ds []time.Duration, p int) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := (p*len(s) + 99) / 100
	rank = min(max(rank, 1), len(s))
	return float64(s[rank-1].Microseconds()) / 1000
}

// redisUsedMemory is used_memory of INFO memory.
func redisUsedMemory(t *testing.T, addr string) int64 {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	info, err := c.Info(ctx, "memory").Result()
	if err != nil {
		t.Fatalf("redis INFO memory: %v", err)
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatalf("redis INFO memory: %q", line)
			}
			return n
		}
	}
	t.Fatalf("redis INFO memory has no used_memory:\n%s", info)
	return 0
}
