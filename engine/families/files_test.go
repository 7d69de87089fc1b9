package families

import (
	"slices"
	"testing"
)

func TestReportedFiles(t *testing.T) {
	// bash's var/lib/dpkg/info/bash.md5sums (Debian 12), as the dpkg facts
	// analyzer keeps it: relative, sorted, regular files only (no
	// conffiles such as etc/bash.bashrc, no symlinks such as bin/rbash).
	bashDeb := []string{"bin/bash", "usr/bin/bashbug", "usr/bin/clear_console", "usr/share/doc/bash/copyright"}
	// apk's R: lines under F: directories, already files only.
	muslFiles := []string{"lib/ld-musl-x86_64.so.1", "lib/libc.musl-x86_64.so.1"}
	// rpm's file list, made relative by the rpm analyzer.
	bashRPM := []string{"etc/skel/.bashrc", "usr/bin/bash"}
	for _, tt := range []struct {
		typ         string
		files, want []string
	}{
		{"dpkg", bashDeb, []string{"/bin/bash", "/usr/bin/bashbug", "/usr/bin/clear_console", "/usr/share/doc/bash/copyright"}},
		{"apk", muslFiles, muslFiles},
		{"rpm", bashRPM, []string{"/etc/skel/.bashrc", "/usr/bin/bash"}},
		{"dpkg", nil, nil},
	} {
		m, ok := PackageManagerByType(tt.typ)
		if !ok {
			t.Fatalf("no package manager %s", tt.typ)
		}
		if got := m.ReportedFiles(tt.files); !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %q, want %q", tt.typ, got, tt.want)
		}
	}
}
