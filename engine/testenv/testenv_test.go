package testenv

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Runs at the same time ask for the same entry: one builds it, the
// others wait for it and use it, and all see it whole.
func TestCachedBuildsOnceForConcurrentRuns(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	var builds atomic.Int32
	var wg sync.WaitGroup
	dirs := make([]string, 8)
	errs := make([]error, 8)
	for i := range dirs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dirs[i], errs[i] = Cached("thing", "1.2", func(dir string) error {
				builds.Add(1)
				time.Sleep(50 * time.Millisecond)
				return os.WriteFile(filepath.Join(dir, "payload"), []byte("whole"), 0o644)
			})
		}()
	}
	wg.Wait()
	for i := range dirs {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if b, err := os.ReadFile(filepath.Join(dirs[i], "payload")); err != nil || string(b) != "whole" {
			t.Fatalf("run %d sees %q, %v", i, b, err)
		}
	}
	if n := builds.Load(); n != 1 {
		t.Errorf("built %d times, want once", n)
	}
	root, _ := CacheRoot()
	if want := filepath.Join(root, "thing-1.2"); dirs[0] != want {
		t.Errorf("entry %s, want %s", dirs[0], want)
	}
	if left, _ := filepath.Glob(filepath.Join(root, ".thing-1.2.tmp-*")); len(left) != 0 {
		t.Errorf("build directories left: %v", left)
	}
}

// The same across processes: the lock is the kernel's, not a mutex.
func TestCachedAcrossProcesses(t *testing.T) {
	if os.Getenv("TESTENV_CHILD") != "" {
		_, err := Cached("proc", "v1", func(dir string) error {
			f, err := os.OpenFile(filepath.Join(os.Getenv("XDG_CACHE_HOME"), "builds"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
			if err != nil {
				return err
			}
			f.WriteString("x")
			f.Close()
			time.Sleep(300 * time.Millisecond)
			return os.WriteFile(filepath.Join(dir, "payload"), nil, 0o644)
		})
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	home := t.TempDir()
	var cmds []*exec.Cmd
	for range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCachedAcrossProcesses$")
		cmd.Env = append(os.Environ(), "TESTENV_CHILD=1", "XDG_CACHE_HOME="+home)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	for _, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(home, "builds")); string(b) != "x" {
		t.Errorf("builds: %q, want one", b)
	}
}

// A failed build leaves nothing; a dead run's build directory and an
// entry without its marker (from before the marker) are replaced.
func TestCachedFailureAndLeftovers(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	root, _ := CacheRoot()
	_, err := Cached("bad", "v1", func(dir string) error { return errors.New("no network") })
	if err == nil || !strings.Contains(err.Error(), "no network") {
		t.Fatalf("err = %v", err)
	}
	if entries, _ := os.ReadDir(root); len(entries) != 1 || entries[0].Name() != ".locks" {
		t.Errorf("left after a failed build: %v", entries)
	}

	for _, d := range []string{".old-v1.tmp-123/sub", "old-v1/half"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	dir, err := Cached("old", "v1", func(dir string) error { return os.WriteFile(filepath.Join(dir, "new"), nil, 0o644) })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "new")); err != nil {
		t.Error("the entry was not rebuilt")
	}
	if _, err := os.Stat(filepath.Join(dir, "half")); err == nil {
		t.Error("the incomplete entry is still there")
	}
	if left, _ := filepath.Glob(filepath.Join(root, ".old-v1.tmp-*")); len(left) != 0 {
		t.Errorf("stale build directories left: %v", left)
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "image.tar")
	if err := WriteFileAtomic(p, func(tmp string) error { return errors.New("disk full") }); err == nil {
		t.Fatal("no error")
	}
	if err := WriteFileAtomic(p, func(tmp string) error { return os.WriteFile(tmp, []byte("ok"), 0o644) }); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if b, _ := os.ReadFile(p); string(b) != "ok" || len(entries) != 1 {
		t.Errorf("content %q, files %v", b, entries)
	}
}

// A test that reaches E2E must be in the Makefile's list.
func TestE2EListed(t *testing.T) {
	if os.Getenv("TESTENV_CHILD") != "" {
		E2E(t, "needs something")
		return
	}
	run := func(pattern string) (string, error) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestE2EListed$", "-test.short", "-test.v")
		cmd.Env = append(os.Environ(), "TESTENV_CHILD=1", E2ETestsEnv+"="+pattern)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run("^(TestOther)$")
	if err == nil || !strings.Contains(out, "TestE2EListed is skipped under -short (needs something) but `make e2e` does not select it") {
		t.Errorf("unlisted: %v\n%s", err, out)
	}
	out, err = run("^(TestOther|TestE2EListed)$")
	if err != nil || !strings.Contains(out, "skipped under -short: needs something") {
		t.Errorf("listed: %v\n%s", err, out)
	}
}

// A dead run's build directory with a bind mount in it (a chroot's /dev)
// is unmounted before it is removed: the removal never reaches the
// mounted directory's files.
func TestCachedUnmountsBeforeRemoving(t *testing.T) {
	E2E(t, "bind-mounts a directory, as root")
	if os.Geteuid() != 0 {
		t.Skip("skipped: needs root to mount")
	}
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	root, _ := CacheRoot()
	host := t.TempDir()
	if err := os.WriteFile(filepath.Join(host, "precious"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	dev := filepath.Join(root, ".chroot-v1.tmp-1", "root", "dev")
	if err := os.MkdirAll(dev, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "--bind", host, dev).CombinedOutput(); err != nil {
		t.Skipf("skipped: cannot bind-mount here: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dev).Run() })
	if _, err := Cached("chroot", "v1", func(dir string) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(host, "precious")); err != nil {
		t.Fatalf("the removal went through the mount: %v", err)
	}
	if _, err := os.Stat(dev); err == nil || len(mountsUnder(root)) != 0 {
		t.Errorf("the stale build directory or its mount is still there: %v", mountsUnder(root))
	}
}
