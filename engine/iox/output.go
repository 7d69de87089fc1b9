package iox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Output is where a report goes: standard output, a file written in place
// (a device, a FIFO, a socket), or a regular file that appears whole or not
// at all. OpenOutput checks the path before a long scan, Commit writes the
// report, Close drops whatever Commit did not finish; every command that
// writes a report goes through it, so that all of them treat -o alike:
//
//   - "" and "-" and "/dev/stdout" are standard output.
//   - A regular file, or a new name in an existing directory, is written to
//     a locked temp file beside it and renamed over it when complete. A
//     hard-linked file gets a new inode: the other names keep the old
//     content (writing through them in place would let whoever made the
//     link choose what a root scan overwrites). An existing file keeps its
//     mode and, when we may, its owner (not in a sticky shared directory,
//     where the owner may be whoever got there first).
//   - A symlink is followed: the report replaces its target (atomically,
//     as above) and the link stays. A dangling symlink is refused, and so
//     is one another user planted in a sticky shared directory such as
//     /tmp (the kernel's protected_symlinks rule, which our own
//     resolution would otherwise bypass).
//   - Anything else that is not a directory (/dev/null, a FIFO, a tty) is
//     opened and written in place, as a shell redirection would; it is
//     never replaced. A FIFO is opened only when the report is ready, and
//     waiting for its reader stops with the context.
type Output struct {
	// Name is the path as given, for messages.
	Name   string
	stdout io.Writer
	// target is the file that gets the report: Name with symlinks resolved.
	target  string
	inPlace bool
	tmp     *TempFile
	// existing is the regular file being replaced, if any.
	existing fs.FileInfo
	done     bool
}

// outputTempSuffix ends the name of the temp file beside a report, so that
// RemoveOrphans can find what a killed run left and nothing else.
const outputTempSuffix = ".docker-scan-tmp"

// OpenOutput checks that path can take a report and, for a regular file,
// creates the temp file that Commit fills; stdout is used for "", "-" and
// /dev/stdout. Call Close when done, whatever happened.
func OpenOutput(path string, stdout io.Writer) (*Output, error) {
	o := &Output{Name: path}
	switch path {
	case "", "-", "/dev/stdout", "/proc/self/fd/1", "/dev/fd/1":
		o.stdout = stdout
		return o, nil
	}
	target, err := resolveOutput(path)
	if err != nil {
		return nil, err
	}
	o.target = target
	fi, err := os.Stat(target)
	switch {
	case err == nil && fi.IsDir():
		return nil, fmt.Errorf("output %s is a directory", path)
	case err == nil && !fi.Mode().IsRegular():
		// A device or FIFO is written in place, never replaced; whether we
		// may write it is checked now rather than after the scan.
		if err := syscall.Access(target, 2 /* W_OK */); err != nil {
			return nil, fmt.Errorf("output %s: %w", path, err)
		}
		o.inPlace = true
		return o, nil
	case err == nil:
		o.existing = fi
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("output %s: %w", path, err)
	}
	dir := filepath.Dir(target)
	if di, err := os.Stat(dir); err != nil || !di.IsDir() {
		return nil, fmt.Errorf("output %s: directory %s does not exist", path, dir)
	}
	pattern := "." + filepath.Base(target) + ".*" + outputTempSuffix
	// What a run killed before it could clean up left beside the report.
	_, _ = RemoveOrphans(dir, globEscape("."+filepath.Base(target)+".")+"*"+outputTempSuffix)
	tmp, err := createTempIn(dir, pattern)
	if err != nil {
		return nil, fmt.Errorf("output %s: cannot write in %s: %w", path, dir, unwrapPath(err))
	}
	o.tmp = tmp
	return o, nil
}

// resolveOutput follows the symlinks of path to the file a report should
// replace or be written to.
func resolveOutput(path string) (string, error) {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		// Symlinked parent directories are fine: the rename happens inside
		// the directory they lead to.
		return path, nil
	}
	if planted(path, fi) {
		return "", fmt.Errorf("output %s is a symlink that another user made in a shared directory: not followed (name its target, or remove it)", path)
	}
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", fmt.Errorf("output %s is a symlink to a missing file (create the file, or name the target)", path)
	}
	return target, nil
}

// isShared: a sticky directory anyone may write in, such as /tmp.
func isShared(di fs.FileInfo) bool {
	return di.Mode()&fs.ModeSticky != 0 && di.Mode().Perm()&0o002 != 0
}

func sharedDir(dir string) bool {
	di, err := os.Stat(dir)
	return err != nil || isShared(di)
}

// planted reports whether link is a symlink that the kernel's
// protected_symlinks rule would not let us follow: in a sticky,
// world-writable directory (/tmp), owned neither by us nor by the
// directory's owner. We resolve links ourselves, so the kernel cannot
// apply its rule; without this, a link planted in /tmp would turn a root
// scan's -o /tmp/report.json into a write to /etc/shadow or a disk.
func planted(link string, fi fs.FileInfo) bool {
	di, err := os.Stat(filepath.Dir(link))
	if err != nil {
		return true
	}
	if !isShared(di) {
		return false
	}
	ls, ok1 := fi.Sys().(*syscall.Stat_t)
	ds, ok2 := di.Sys().(*syscall.Stat_t)
	if !ok1 || !ok2 {
		return true
	}
	return ls.Uid != ds.Uid && int(ls.Uid) != os.Geteuid()
}

// createTempIn is CreateTemp without making dir: a missing output
// directory is the user's mistake to hear about, not ours to paper over.
func createTempIn(dir, pattern string) (*TempFile, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, err
	}
	return CreateTemp(dir, pattern)
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// globEscape quotes the glob metacharacters of a file name.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Commit writes the report with write and puts it in place. After an
// error nothing of it is left beside the target.
func (o *Output) Commit(ctx context.Context, write func(io.Writer) error) error {
	if o.done {
		return errors.New("output already written")
	}
	o.done = true
	switch {
	case o.stdout != nil:
		return write(ContextWriter{Ctx: ctx, W: o.stdout})
	case o.inPlace:
		return o.writeInPlace(ctx, write)
	}
	defer o.tmp.Remove()
	if err := write(ContextWriter{Ctx: ctx, W: o.tmp}); err != nil {
		return err
	}
	mode := fs.FileMode(0o644)
	if o.existing != nil {
		mode = o.existing.Mode().Perm()
		if st, ok := o.existing.Sys().(*syscall.Stat_t); ok && !sharedDir(filepath.Dir(o.target)) {
			// Only root may give a file away; others keep their own. Not
			// in /tmp: whoever made the file there first would get to
			// read our report.
			_ = o.tmp.Chown(int(st.Uid), int(st.Gid))
		}
	}
	if err := o.tmp.Chmod(mode); err != nil {
		return fmt.Errorf("output %s: %w", o.Name, err)
	}
	if err := o.tmp.Sync(); err != nil {
		return fmt.Errorf("output %s: %w", o.Name, err)
	}
	if err := os.Rename(o.tmp.Name(), o.target); err != nil {
		return fmt.Errorf("output %s: %w", o.Name, unwrapPath(err))
	}
	return nil
}

func (o *Output) writeInPlace(ctx context.Context, write func(io.Writer) error) error {
	f, err := openWriteWaiting(ctx, o.target)
	if err != nil {
		return fmt.Errorf("output %s: %w", o.Name, err)
	}
	werr := write(ContextWriter{Ctx: ctx, W: f})
	if err := f.Close(); err != nil && werr == nil {
		werr = fmt.Errorf("output %s: %w", o.Name, err)
	}
	return werr
}

// openWriteWaiting opens a file for writing; for a FIFO without a reader
// it waits for one until ctx ends, where a plain open would block for good.
func openWriteWaiting(ctx context.Context, name string) (*os.File, error) {
	for {
		f, err := os.OpenFile(name, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.ENXIO) {
			return nil, unwrapPath(err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("no reader opened the FIFO: %w", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Close removes the temp file of a report that was not committed; it may
// be called more than once, and after Commit.
func (o *Output) Close() error {
	o.done = true
	if o.tmp != nil {
		return o.tmp.Remove()
	}
	return nil
}
