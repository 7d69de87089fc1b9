// Package testenv is what the tests of every package share about where
// they run: the two tiers (a test that needs a daemon, root, the network
// or a slow build is end-to-end, and -short skips it), and the cache of
// what tests download or build once per machine, kept under
// ~/.cache/docker-scan-test/<name>-<version>/ and safe to share between
// test runs going on at the same time.
package testenv

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
)

// E2ETestsEnv names the variable through which the Makefile passes its
// list of end-to-end tests (a -run pattern) to the tests.
const E2ETestsEnv = "DOCKER_SCAN_E2E_TESTS"

// E2E marks tb as an end-to-end test: under -short (`make unit`) it is
// skipped, saying why. When the Makefile runs the tests it passes the
// pattern `make e2e` selects tests by; a test that reaches E2E without
// matching it fails, so that no end-to-end test is left out of both tiers.
func E2E(tb testing.TB, why string) {
	tb.Helper()
	checkListed(tb, why)
	if testing.Short() {
		tb.Skipf("end-to-end test, skipped under -short: %s", why)
	}
}

// Unavailable skips tb because a tool it needs is missing (err says
// which), except under CI (CI set), whose machine is set up to have every
// tool: there it fails.
func Unavailable(tb testing.TB, err error) {
	tb.Helper()
	if os.Getenv("CI") != "" {
		tb.Fatalf("CI must have what this test needs: %v", err)
	}
	tb.Skip(err)
}

// Slow puts a test that needs nothing special but takes several seconds
// (adversarial inputs against time and memory budgets) in the e2e tier,
// so that `make unit` stays fast; it is otherwise E2E.
func Slow(tb testing.TB, why string) {
	tb.Helper()
	checkListed(tb, why)
	if testing.Short() {
		tb.Skipf("slow test, skipped under -short: %s", why)
	}
}

func checkListed(tb testing.TB, why string) {
	tb.Helper()
	pattern := os.Getenv(E2ETestsEnv)
	if pattern == "" {
		return
	}
	top, _, _ := strings.Cut(tb.Name(), "/")
	re, err := regexp.Compile(pattern)
	if err != nil {
		tb.Fatalf("%s is not a valid pattern: %v", E2ETestsEnv, err)
	}
	if !re.MatchString(top) {
		tb.Fatalf("%s is skipped under -short (%s) but `make e2e` does not select it: add it to E2E_TEST_NAMES in the Makefile", top, why)
	}
}

// CacheRoot is the directory of the per-machine test cache:
// $XDG_CACHE_HOME/docker-scan-test, or ~/.cache/docker-scan-test.
func CacheRoot() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory for the test downloads: %w", err)
	}
	return filepath.Join(base, "docker-scan-test"), nil
}

// completeMarker is the file whose presence says a cache entry is whole.
const completeMarker = ".complete"

// Cached returns the cache entry <CacheRoot>/<name>-<version>, building it
// first if no run has. The version is whatever changes the content (a
// package version, a layout number): a new version is a new entry.
//
// build fills dir, a fresh directory private to this run beside the
// entry; when it returns nil, dir is renamed into place in one step, so
// that a reader never sees half an entry. A lock file (in .locks/)
// serialises builders of the same entry across processes: a second run
// waits for the first build and then uses it instead of building its own.
// Nothing another run may be using is ever removed: only the leftovers of
// builds whose process died (it no longer holds the lock), mounts under
// them unmounted first.
func Cached(name, version string, build func(dir string) error) (string, error) {
	root, err := CacheRoot()
	if err != nil {
		return "", err
	}
	entry := strings.ReplaceAll(name, "/", "_") + "-" + version
	dst := filepath.Join(root, entry)
	if complete(dst) {
		return dst, nil
	}
	locks := filepath.Join(root, ".locks")
	if err := os.MkdirAll(locks, 0o755); err != nil {
		return "", err
	}
	unlock, err := lock(filepath.Join(locks, entry))
	if err != nil {
		return "", err
	}
	defer unlock()
	if complete(dst) { // another run built it while this one waited
		return dst, nil
	}
	tmpPrefix := "." + entry + ".tmp-"
	removeStale(root, tmpPrefix)
	if _, err := os.Lstat(dst); err == nil {
		// Left by the code before the lock and the marker: not whole.
		stale, err := os.MkdirTemp(root, tmpPrefix)
		if err != nil {
			return "", err
		}
		if err := os.Rename(dst, filepath.Join(stale, "old")); err != nil {
			return "", fmt.Errorf("move the incomplete cache entry %s aside: %w", dst, err)
		}
		removeStale(root, tmpPrefix)
	}
	tmp, err := os.MkdirTemp(root, tmpPrefix)
	if err != nil {
		return "", err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", err
	}
	if err := build(tmp); err != nil {
		removeTree(tmp)
		return "", err
	}
	if err := os.WriteFile(filepath.Join(tmp, completeMarker), nil, 0o644); err != nil {
		removeTree(tmp)
		return "", err
	}
	if err := os.Rename(tmp, dst); err != nil {
		removeTree(tmp)
		if complete(dst) { // lost a race with a run that held no lock
			return dst, nil
		}
		return "", fmt.Errorf("put the cache entry %s in place: %w", dst, err)
	}
	return dst, nil
}

// WriteFileAtomic writes a file into a cache entry (something added to a
// complete entry later, such as an image archive made from it): through
// a file of this run's own, renamed over path when whole.
func WriteFileAtomic(path string, write func(tmp string) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	f.Close()
	if err := write(tmp); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

func complete(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, completeMarker))
	return err == nil
}

// lock takes an exclusive flock on path, waiting for it. The kernel drops
// it when the process dies, so a killed run never blocks the next one.
func lock(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// removeStale removes the build directories that dead runs left (called
// with the entry's lock held: no live run is building one).
func removeStale(root, prefix string) {
	matches, _ := filepath.Glob(filepath.Join(root, prefix+"*"))
	for _, m := range matches {
		removeTree(m)
	}
}

// removeTree removes dir unless something is still mounted under it
// (a chroot's /proc or a bind-mounted /dev): never follow a removal into
// the host's /dev.
func removeTree(dir string) {
	targets := mountsUnder(dir)
	sort.Sort(sort.Reverse(sort.StringSlice(targets)))
	for _, m := range targets {
		if exec.Command("umount", m).Run() != nil {
			exec.Command("umount", "-l", m).Run()
		}
	}
	if len(mountsUnder(dir)) > 0 {
		return
	}
	os.RemoveAll(dir)
}

// mountsUnder lists the mount points at or under dir.
func mountsUnder(dir string) []string {
	b, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return nil
	}
	var targets []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 1 && (f[1] == dir || strings.HasPrefix(f[1], dir+"/")) {
			targets = append(targets, f[1])
		}
	}
	return targets
}

// GoBinary returns a Go program that imports the modules of requires
// (path@version), built with the extra environment env (GOOS, GOARCH,
// GOTOOLCHAIN=go1.17.13...) and cached per Go version, env and requires:
// a second run neither builds nor asks the module proxy. Under -short the
// build may only use the module cache (GOPROXY=off); when that is not
// enough the test is skipped as end-to-end. Tests that call it belong in
// E2E_TEST_NAMES (Makefile).
func GoBinary(tb testing.TB, env []string, requires ...string) (string, error) {
	tb.Helper()
	checkListed(tb, "builds a Go program with modules from the module proxy")
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%q\x00%q", runtime.Version(), env, requires)
	key := runtime.Version() + "-" + hex.EncodeToString(h.Sum(nil))[:12]
	buildEnv := env
	if testing.Short() {
		buildEnv = append(append([]string(nil), env...), "GOPROXY=off")
	}
	dir, err := Cached("gobin", key, func(dir string) error {
		_, err := imagebuild.GoBinaryEnv(dir, buildEnv, requires...)
		return err
	})
	if err != nil {
		if testing.Short() {
			tb.Skipf("end-to-end test, skipped under -short: building a Go program needs the module proxy (%v)", err)
		}
		return "", err
	}
	return filepath.Join(dir, "app"), nil
}
