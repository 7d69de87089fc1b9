package iox

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

func commit(t *testing.T, path, content string) error {
	t.Helper()
	o, err := OpenOutput(path, nil)
	if err != nil {
		return err
	}
	defer o.Close()
	return o.Commit(context.Background(), writeString(content))
}

// leftovers are the files of dir other than the given names.
func leftovers(t *testing.T, dir string, names ...string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		keep := false
		for _, n := range names {
			keep = keep || e.Name() == n
		}
		if !keep {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestOutputRegularFileKeepsMode(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.json")
	if err := os.WriteFile(p, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := commit(t, p, "new"); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(p)
	fi, _ := os.Stat(p)
	if string(got) != "new" || fi.Mode().Perm() != 0o600 {
		t.Errorf("content %q mode %v, want new and 0600", got, fi.Mode().Perm())
	}
	if l := leftovers(t, dir, "out.json"); l != nil {
		t.Errorf("left behind: %v", l)
	}
}

func TestOutputNewFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "new.txt")
	if err := commit(t, p, "report"); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(p)
	fi, _ := os.Stat(p)
	if string(got) != "report" || fi.Mode().Perm() != 0o644 {
		t.Errorf("content %q mode %v", got, fi.Mode().Perm())
	}
}

func TestOutputDeviceIsWrittenInPlace(t *testing.T) {
	if err := commit(t, os.DevNull, "report"); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(os.DevNull)
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("%s is no longer a character device: %v %v", os.DevNull, fi.Mode(), err)
	}
}

func TestOutputFIFOWithReader(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan string)
	go func() {
		f, err := os.Open(p)
		if err != nil {
			got <- err.Error()
			return
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		got <- string(b)
	}()
	if err := commit(t, p, "through the pipe"); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "through the pipe" {
		t.Errorf("reader got %q", s)
	}
	if fi, _ := os.Lstat(p); fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("FIFO replaced by %v", fi.Mode())
	}
}

func TestOutputFIFOWithoutReaderStopsWithContext(t *testing.T) {
	p := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Fatal(err)
	}
	o, err := OpenOutput(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err = o.Commit(ctx, writeString("x"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the deadline", err)
	}
}

func TestOutputSymlinkReplacesTarget(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real.json")
	link := filepath.Join(dir, "link.json")
	if err := os.WriteFile(target, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real.json", link); err != nil {
		t.Fatal(err)
	}
	if err := commit(t, link, "new"); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("symlink replaced")
	}
	if got, _ := os.ReadFile(target); string(got) != "new" {
		t.Errorf("target = %q", got)
	}
	if l := leftovers(t, dir, "real.json", "link.json"); l != nil {
		t.Errorf("left behind: %v", l)
	}
}

func TestOutputDanglingSymlinkRefused(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink("missing/x.json", link); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenOutput(link, nil); err == nil || !strings.Contains(err.Error(), "symlink to a missing file") {
		t.Errorf("err = %v", err)
	}
}

func TestOutputHardlinkIsBroken(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	if err := os.WriteFile(a, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(a, b); err != nil {
		t.Fatal(err)
	}
	if err := commit(t, b, "report"); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(a); string(got) != "precious" {
		t.Errorf("the other link now holds %q", got)
	}
	if got, _ := os.ReadFile(b); string(got) != "report" {
		t.Errorf("output holds %q", got)
	}
}

func TestOutputMissingDirectoryFailsEarly(t *testing.T) {
	p := filepath.Join(t.TempDir(), "no", "such", "out.json")
	_, err := OpenOutput(p, nil)
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("err = %v", err)
	}
}

func TestOutputDirectoryRefused(t *testing.T) {
	if _, err := OpenOutput(t.TempDir(), nil); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("err = %v", err)
	}
}

func TestOutputFailedWriteLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.json")
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	o, err := OpenOutput(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := o.Commit(context.Background(), func(w io.Writer) error {
		io.WriteString(w, "half")
		return boom
	}); !errors.Is(err, boom) {
		t.Errorf("err = %v", err)
	}
	o.Close()
	if got, _ := os.ReadFile(p); string(got) != "old" {
		t.Errorf("target = %q, want the old content", got)
	}
	if l := leftovers(t, dir, "out.json"); l != nil {
		t.Errorf("left behind: %v", l)
	}
}

func TestOutputCloseWithoutCommitLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	o, err := OpenOutput(filepath.Join(dir, "out.json"), nil)
	if err != nil {
		t.Fatal(err)
	}
	o.Close()
	if l := leftovers(t, dir); l != nil {
		t.Errorf("left behind: %v", l)
	}
}

func TestOutputRemovesOrphanedTemp(t *testing.T) {
	dir := t.TempDir()
	orphan := filepath.Join(dir, ".out.json.123"+outputTempSuffix)
	unrelated := filepath.Join(dir, ".out.json.keep")
	for _, p := range []string{orphan, unrelated} {
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := commit(t, filepath.Join(dir, "out.json"), "r"); err != nil {
		t.Fatal(err)
	}
	if l := leftovers(t, dir, "out.json"); len(l) != 1 || l[0] != ".out.json.keep" {
		t.Errorf("files = %v, want only the unrelated one kept", l)
	}
}

func TestOutputStdout(t *testing.T) {
	for _, name := range []string{"", "-", "/dev/stdout"} {
		var buf bytes.Buffer
		o, err := OpenOutput(name, &buf)
		if err != nil {
			t.Fatal(err)
		}
		if err := o.Commit(context.Background(), writeString("r")); err != nil || buf.String() != "r" {
			t.Errorf("%q: %q %v", name, buf.String(), err)
		}
	}
}

func TestOutputPlantedSymlinkRefused(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to make a link owned by another user")
	}
	shared := t.TempDir()
	if err := os.Chmod(shared, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(t.TempDir(), "shadow")
	if err := os.WriteFile(victim, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(shared, "report.json")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(link, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenOutput(link, nil); err == nil || !strings.Contains(err.Error(), "another user") {
		t.Fatalf("err = %v, want the planted link refused", err)
	}
	// Our own link in the same directory is followed.
	if err := os.Lchown(link, 0, 0); err != nil {
		t.Fatal(err)
	}
	if err := commit(t, link, "report"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "report" {
		t.Errorf("target = %q", b)
	}
}
