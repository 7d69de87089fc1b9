//go:build unix

package misconf

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestReadConfigFileFIFO: a FIFO nobody writes to (a compose file may
// name one as its Dockerfile) is refused, not waited on.
func TestReadConfigFileFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "Dockerfile")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip(err)
	}
	if _, err := ReadConfigFile(fifo); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("FIFO: %v", err)
	}
}
