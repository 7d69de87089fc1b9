package ospkg

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
)

// testdata/dpkg-info holds bash's md5sums, list and conffiles from a
// Debian 12 root made by debootstrap --variant=minbase. The files a
// package reports are those of its md5sums, as Trivy lists them: the
// .list's regular files, less its conffiles (etc/bash.bashrc, the
// etc/skel files), its directories and its symlink (bin/rbash).
func TestDpkgFactsMd5sums(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile("testdata/dpkg-info/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	md5sums, list, conffiles := read("bash.md5sums"), read("bash.list"), read("bash.conffiles")
	res := &types.LayerResult{}
	if err := (DpkgFacts{}).Analyze("var/lib/dpkg/info/bash.md5sums", md5sums, res); err != nil {
		t.Fatal(err)
	}
	if len(res.PackageFacts) != 1 || len(res.Issues) != 0 {
		t.Fatalf("facts %+v, issues %+v", res.PackageFacts, res.Issues)
	}
	got := res.PackageFacts[0]
	if got.Package != "bash" || got.Type != "dpkg" {
		t.Errorf("facts = %s %s", got.Type, got.Package)
	}
	files := got.InstalledFiles
	if len(files) != bytes.Count(md5sums, []byte("\n")) || !slices.IsSorted(files) || files[0] != "bin/bash" {
		t.Errorf("%d files (md5sums has %d lines), sorted %v, first %q", len(files), bytes.Count(md5sums, []byte("\n")), slices.IsSorted(files), files[0])
	}
	listed := strings.Fields(string(list))
	var left []string
	for _, l := range listed {
		rel := strings.TrimPrefix(l, "/")
		dir := slices.ContainsFunc(listed, func(o string) bool { return strings.HasPrefix(o, strings.TrimSuffix(l, "/")+"/") })
		if !slices.Contains(files, rel) && !dir && !bytes.Contains(conffiles, []byte(l+"\n")) {
			left = append(left, l)
		}
	}
	for _, f := range files {
		if !slices.Contains(listed, "/"+f) {
			t.Errorf("%s is not in bash.list", f)
		}
	}
	if want := []string{"/.", "/usr/share/info", "/bin/rbash"}; !slices.Equal(left, want) {
		// "/." and usr/share/info are directories with nothing of bash's
		// listed under them.
		t.Errorf(".list entries neither in md5sums, nor directories, nor conffiles: %q, want %q", left, want)
	}
	for _, f := range files {
		if strings.HasPrefix(f, "etc/") {
			t.Errorf("conffile %s reported", f)
		}
	}

	// Multi-Arch: same packages name theirs with the architecture;
	// distroless images keep them beside status.d's entries.
	for file, pkg := range map[string]string{
		"var/lib/dpkg/info/libc6:amd64.md5sums": "libc6",
		"var/lib/dpkg/status.d/tzdata.md5sums":  "tzdata",
	} {
		res := &types.LayerResult{}
		if err := (DpkgFacts{}).Analyze(file, md5sums[:bytes.IndexByte(md5sums, '\n')+1], res); err != nil {
			t.Fatal(err)
		}
		if len(res.PackageFacts) != 1 || res.PackageFacts[0].Package != pkg || !slices.Equal(res.PackageFacts[0].InstalledFiles, []string{"bin/bash"}) {
			t.Errorf("%s: %+v", file, res.PackageFacts)
		}
	}
}

func TestDpkgFactsMd5sumsMalformed(t *testing.T) {
	content := []byte("7210080490f9fd139c1b44fa0f730988  bin/bash\nnot a sum line\n\n12c7981c8fed81743552e47dd4b1483e  usr/bin/bashbug\r\n" +
		"0123 usr/bin/one-space\n")
	res := &types.LayerResult{}
	if err := (DpkgFacts{}).Analyze("var/lib/dpkg/info/bash.md5sums", content, res); err != nil {
		t.Fatal(err)
	}
	if len(res.PackageFacts) != 1 || !slices.Equal(res.PackageFacts[0].InstalledFiles, []string{"bin/bash", "usr/bin/bashbug"}) {
		t.Errorf("facts = %+v", res.PackageFacts)
	}
	if len(res.Issues) != 1 || !strings.Contains(res.Issues[0].Reason, "2 times (first: line 2)") {
		t.Errorf("issues = %+v", res.Issues)
	}
	// Nothing usable: no facts, one issue.
	res = &types.LayerResult{}
	if err := (DpkgFacts{}).Analyze("var/lib/dpkg/info/bash.md5sums", []byte("garbage"), res); err != nil || len(res.PackageFacts) != 0 || len(res.Issues) != 1 {
		t.Errorf("err %v, facts %+v, issues %+v", err, res.PackageFacts, res.Issues)
	}
}

func FuzzParseMd5sums(f *testing.F) {
	if seed, err := os.ReadFile("testdata/dpkg-info/bash.md5sums"); err == nil {
		f.Add(seed)
	}
	f.Add([]byte("d41d8cd98f00b204e9800998ecf8427e  usr/share/doc/x/a b\nbad\n"))
	f.Add([]byte("x  ../../etc/passwd\nx  /\n"))
	f.Fuzz(func(t *testing.T, content []byte) {
		var skipped notes
		files := parseMd5sums(content, &skipped)
		if !slices.IsSorted(files) {
			t.Fatalf("not sorted: %q", files)
		}
		for _, p := range files {
			if p == "" || p == "." || strings.HasPrefix(p, "/") || strings.HasPrefix(p, "../") || p == ".." {
				t.Fatalf("path %q", p)
			}
		}
	})
}
