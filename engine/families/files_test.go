package families

import (
	"slices"
	"testing"
)

func TestReportedFiles(t *testing.T) {
	// bash's var/lib/dpkg/info/bash.list (Debian 12), as the dpkg facts
	// analyzer keeps it: relative, directories included.
	bashList := []string{"bin", "bin/bash", "etc", "etc/bash.bashrc", "etc/skel", "etc/skel/.bashrc", "usr", "usr/bin",
		"usr/bin/bashbug", "usr/share", "usr/share/doc", "usr/share/doc/bash", "usr/share/doc/bash/copyright", "bin/rbash"}
	// apk's R: lines under F: directories, already files only.
	muslFiles := []string{"lib/ld-musl-x86_64.so.1", "lib/libc.musl-x86_64.so.1"}
	// rpm's file list, made relative by the rpm analyzer.
	bashRPM := []string{"etc/skel/.bashrc", "usr/bin/bash"}
	for _, tt := range []struct {
		typ         string
		files, want []string
	}{
		{"dpkg", bashList, []string{"/bin/bash", "/etc/bash.bashrc", "/etc/skel/.bashrc", "/usr/bin/bashbug", "/usr/share/doc/bash/copyright", "/bin/rbash"}},
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
