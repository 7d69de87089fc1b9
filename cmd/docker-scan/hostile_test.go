package main

// The harness for hostile images: each case is an image (or a cache, a DB,
// an output path) built by a generator in the test, scanned by the real
// binary run directly, with its wall time and peak RSS measured. A hostile
// input must end in a report or in one clear error line: never a panic,
// never a stall past its budget, never a blow-up of memory.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// hostileRun is what one run of the binary on a hostile input did.
type hostileRun struct {
	stdout, stderr string
	exit           int
	wall           time.Duration
	maxRSS         int64 // bytes
}

// Budgets of a hostile case: the are 10 s and 500 MB on an idle
// machine; the test allows a loaded CI machine three times the time, and
// reports the real figures with -v.
const (
	hostileWall = 30 * time.Second
	hostileRSS  = 500 << 20
)

// runHostile runs docker-scan ARGS (standalone, no Docker CLI in between)
// and fails the test on a panic, a stall past hostileWall, or more than
// hostileRSS of memory. The caller checks the exit code and output.
func runHostile(t *testing.T, args ...string) hostileRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*hostileWall)
	defer cancel()
	cmd := exec.CommandContext(ctx, pluginBin, args...)
	cmd.Env = append(cmd.Environ(), "NO_COLOR=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	peak := watchPeakRSS(cmd.Process.Pid)
	err := cmd.Wait()
	r := hostileRun{stdout: stdout.String(), stderr: stderr.String(), wall: time.Since(start), maxRSS: peak()}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		r.exit = exit.ExitCode()
	} else if err != nil {
		t.Fatalf("docker-scan %s: %v", strings.Join(args, " "), err)
	}
	t.Logf("exit %d in %v, peak RSS %d MB", r.exit, r.wall.Round(time.Millisecond), r.maxRSS>>20)
	if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "fatal error") {
		t.Fatalf("crashed:\n%s", tail([]byte(r.stderr), 3000))
	}
	if r.wall > hostileWall {
		t.Errorf("took %v, budget %v", r.wall, hostileWall)
	}
	if r.maxRSS > hostileRSS {
		t.Errorf("peak RSS %d MB, budget %d MB", r.maxRSS>>20, hostileRSS>>20)
	}
	return r
}

// watchPeakRSS polls the high-water mark of pid's memory (VmHWM) until
// the returned function is called, which gives the last figure read. The
// rusage of the child is no use here: Go starts children with vfork, and
// Linux carries the test process's own high-water mark across the exec.
func watchPeakRSS(pid int) func() int64 {
	var peak atomic.Int64
	done := make(chan struct{})
	stopped := make(chan struct{})
	statusFile := fmt.Sprintf("/proc/%d/status", pid)
	go func() {
		defer close(stopped)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			if b, err := os.ReadFile(statusFile); err == nil {
				for _, line := range strings.Split(string(b), "\n") {
					if kb, ok := strings.CutPrefix(line, "VmHWM:"); ok {
						if n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(kb), "kB")), 10, 64); err == nil && n<<10 > peak.Load() {
							peak.Store(n << 10)
						}
					}
				}
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() int64 {
		close(done)
		<-stopped
		return peak.Load()
	}
}

// oneErrorLine fails the test unless the run exited 1 with exactly one
// line on stderr that contains want.
func (r hostileRun) oneErrorLine(t *testing.T, want string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if r.exit != 1 || len(lines) != 1 || !strings.Contains(r.stderr, want) {
		t.Errorf("want exit 1 and one error line containing %q; exit %d, stderr:\n%s", want, r.exit, tail([]byte(r.stderr), 3000))
	}
}
