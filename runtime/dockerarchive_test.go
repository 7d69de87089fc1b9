package runtime

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRepoTagMatches(t *testing.T) {
	for _, tc := range []struct {
		have, want string
		ok         bool
	}{
		{"alpine:3.18", "3.18", true},
		{"alpine:3.18", "alpine:3.18", true},
		{"alpine:3.18", "docker.io/library/alpine:3.18", true},
		{"docker.io/library/alpine:3.18", "alpine:3.18", true},
		{"alpine:latest", "alpine", true},
		{"registry.example.com/team/app:2", "registry.example.com/team/app:2", true},
		{"registry.example.com/team/app:2", "2", true},
		{"alpine:3.18", "debian:3.18", false},
		{"alpine:3.18", "library/alpine:3.19", false},
		{"alpine:3.18", "8", false},
		{"registry.example.com/team/app:2", "team/app:2", false},
	} {
		if got := repoTagMatches(tc.have, tc.want); got != tc.ok {
			t.Errorf("repoTagMatches(%q, %q) = %v", tc.have, tc.want, got)
		}
	}
}

func TestSplitInput(t *testing.T) {
	dir := t.TempDir()
	archive := filepath.Join(dir, "multi.tar")
	colon := filepath.Join(dir, "a:b.tar")
	for _, p := range []string{archive, colon} {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	digest := "sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, tc := range []struct {
		input, path string
		sel         selector
	}{
		{archive, archive, selector{}},
		{colon, colon, selector{}},
		{archive + ":3.18", archive, selector{Tag: "3.18"}},
		{archive + ":alpine:3.18", archive, selector{Tag: "alpine:3.18"}},
		{archive + ":registry.example.com:5000/team/app:2", archive, selector{Tag: "registry.example.com:5000/team/app:2"}},
		{archive + "@" + digest, archive, selector{Digest: digest}},
		{archive + ":alpine@" + digest, archive, selector{Digest: digest}},
		{colon + ":1", colon, selector{Tag: "1"}},
		{filepath.Join(dir, "missing.tar:1"), filepath.Join(dir, "missing.tar:1"), selector{}},
	} {
		p, sel, err := splitInput(tc.input)
		if err != nil || p != tc.path || sel.Tag != tc.sel.Tag || sel.Digest != tc.sel.Digest {
			t.Errorf("splitInput(%q) = %q, %+v, %v; want %q, %+v", tc.input, p, sel, err, tc.path, tc.sel)
		}
	}
	if _, _, err := splitInput(archive + "@sha256:short"); err == nil {
		t.Error("a bad digest is accepted")
	}
}
