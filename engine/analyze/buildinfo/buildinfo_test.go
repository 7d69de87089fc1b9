package buildinfo

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
)

func read(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestWants(t *testing.T) {
	for p, want := range map[string]bool{
		"root/buildinfo/content_manifests/ubi8-minimal-container-8.5-218.json": true,
		"usr/share/buildinfo/rhcos.json":                                       true,
		"root/buildinfo/Dockerfile-ubi8-8.3-227":                               true,
		"root/buildinfo/content_manifests/notes.txt":                           false,
		"root/buildinfo/content_manifests/sub/x.json":                          false,
		"root/buildinfo/ubi8.json":                                             false,
		"app/root/buildinfo/Dockerfile-ubi8-8.3-227":                           false,
		"root/Dockerfile-ubi8-8.3-227":                                         false,
	} {
		if got := (Analyzer{}).Wants(p, 100); got != want {
			t.Errorf("Wants(%s) = %v", p, got)
		}
	}
}

// A layer of a real UBI build holds both files: the layer's build info
// has the manifest's content sets and the Dockerfile's NVR.
func TestLayerBuildInfo(t *testing.T) {
	var res types.LayerResult
	a := Analyzer{}
	if err := a.Analyze("root/buildinfo/content_manifests/ubi8-minimal-container-8.5-218.json", read(t, "ubi8-minimal-container-8.5-218.json"), &res); err != nil {
		t.Fatal(err)
	}
	if err := a.Analyze("root/buildinfo/Dockerfile-ubi8-8.3-227", read(t, "Dockerfile-ubi8-8.3-227"), &res); err != nil {
		t.Fatal(err)
	}
	want := types.BuildInfo{ContentSets: []string{"rhel-8-for-x86_64-baseos-rpms", "rhel-8-for-x86_64-appstream-rpms"}, Nvr: "ubi8-container-8.3-227", Arch: "x86_64"}
	if bi := res.BuildInfo; bi == nil || !slices.Equal(bi.ContentSets, want.ContentSets) || bi.Nvr != want.Nvr || bi.Arch != want.Arch {
		t.Errorf("got %+v, want %+v", res.BuildInfo, want)
	}
}

func TestContentManifest(t *testing.T) {
	for _, tc := range []struct{ name, content, want, err string }{
		{"no content sets", `{"metadata": {"icm_version": 1}, "image_contents": []}`, "", ""},
		{"empty list", `{"content_sets": []}`, "", ""},
		{"broken", `{"content_sets": ["rhel-8-for-x86_64-baseos-rpms",`, "", "invalid content manifest"},
		{"not strings", `{"content_sets": [1, 2]}`, "", "invalid content manifest"},
		{"bad name", `{"content_sets": ["rhel-8 baseos"]}`, "", "invalid content set"},
		{"too many", `{"content_sets": [` + strings.Repeat(`"a",`, maxContentSets) + `"a"]}`, "", "over the limit"},
	} {
		var res types.LayerResult
		err := Analyzer{}.Analyze("root/buildinfo/content_manifests/x.json", []byte(tc.content), &res)
		switch {
		case tc.err == "" && err != nil, tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
		case res.BuildInfo != nil:
			t.Errorf("%s: build info %+v from a manifest without content sets", tc.name, res.BuildInfo)
		}
	}
}

func TestDockerfileNVR(t *testing.T) {
	for _, tc := range []struct{ file, content, nvr, arch, err string }{
		{file: "Dockerfile-ubi8-8.3-227", nvr: "ubi8-container-8.3-227", arch: "x86_64"},
		// BZComponent, and the architecture from a global ARG's default.
		{file: "Dockerfile-jboss-base-7-base-1.1-3", nvr: "jboss-base-rhel-docker-1.1-3", arch: "x86_64"},
		{file: "Dockerfile-ubi9-9.4-1123", content: "FROM scratch\nENV A=s390x\nLABEL com.redhat.component=ubi9-container architecture=\"${A:-x86_64}\"\n", nvr: "ubi9-container-9.4-1123", arch: "s390x"},
		{file: "Dockerfile-ubi9-9.4-1123", content: "FROM scratch\nLABEL com.redhat.component='ubi9-container' architecture=${A:-aarch64}\n", nvr: "ubi9-container-9.4-1123", arch: "aarch64"},
		// The escape directive changes the continuation character.
		{file: "Dockerfile-ubi9-9.4-1123", content: "# escape=`\nFROM scratch\nLABEL com.redhat.component=ubi9-container `\n  architecture=ppc64le\n", nvr: "ubi9-container-9.4-1123", arch: "ppc64le"},
		// A later stage's label wins.
		{file: "Dockerfile-ubi9-9.4-1123", content: "FROM a\nLABEL com.redhat.component=one architecture=x86_64\nFROM b\nLABEL com.redhat.component=two\n", nvr: "two-9.4-1123", arch: "x86_64"},
		{file: "Dockerfile-ubi9-9.4-1123", content: "FROM scratch\nLABEL architecture=x86_64\n", err: "no com.redhat.component"},
		{file: "Dockerfile-ubi9-9.4-1123", content: "FROM scratch\nLABEL com.redhat.component=ubi9-container\n", err: "no architecture"},
		{file: "Dockerfile", content: "FROM scratch\nLABEL com.redhat.component=ubi9-container architecture=x86_64\n", err: "no version-release"},
		{file: "Dockerfile-1123", content: "FROM scratch\nLABEL com.redhat.component=ubi9-container architecture=x86_64\n", err: "no version-release"},
		{file: "Dockerfile-ubi9-9.4-1123", content: "FROM scratch\nLABEL com.redhat.component=\"ubi9 container\" architecture=x86_64\n", err: "invalid component"},
	} {
		content := []byte(tc.content)
		if tc.content == "" {
			content = read(t, tc.file)
		}
		nvr, arch, err := DockerfileNVR(tc.file, content)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s %q: error %v, want %q", tc.file, tc.content, err, tc.err)
			}
			continue
		}
		if err != nil || nvr != tc.nvr || arch != tc.arch {
			t.Errorf("%s %q: got %q %q %v, want %q %q", tc.file, tc.content, nvr, arch, err, tc.nvr, tc.arch)
		}
	}
}

func TestExpand(t *testing.T) {
	env := map[string]string{"A": "x", "EMPTY": ""}
	for in, want := range map[string]string{
		`"$A"`:           "x",
		`'$A'`:           "$A",
		`${A}y`:          "xy",
		`${EMPTY:-d}`:    "d",
		`${A:+set}`:      "set",
		`${B:+set}`:      "",
		`a\ b`:           "a b",
		`"a\"b"`:         `a"b`,
		`"a\nb"`:         `a\nb`,
		`$`:              "$",
		`${unterminated`: "${unterminated",
	} {
		if got := expand(in, '\\', env); got != want {
			t.Errorf("expand(%s) = %q, want %q", in, got, want)
		}
	}
}

func FuzzContentManifest(f *testing.F) {
	f.Add(read(f, "ubi8-minimal-container-8.5-218.json"))
	f.Add([]byte(`{"content_sets": ["rhel-7-server-rpms"]}`))
	f.Add([]byte(`{"content_sets": null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var res types.LayerResult
		err := Analyzer{}.Analyze("root/buildinfo/content_manifests/m.json", b, &res)
		if err == nil && res.BuildInfo != nil {
			if len(res.BuildInfo.ContentSets) == 0 || len(res.BuildInfo.ContentSets) > maxContentSets {
				t.Fatalf("content sets %v", res.BuildInfo.ContentSets)
			}
			for _, s := range res.BuildInfo.ContentSets {
				if checkName("content set", s) != nil {
					t.Fatalf("bad content set %q kept", s)
				}
			}
		}
	})
}

func FuzzBuildDockerfile(f *testing.F) {
	f.Add(read(f, "Dockerfile-ubi8-8.3-227"))
	f.Add(read(f, "Dockerfile-jboss-base-7-base-1.1-3"))
	f.Add([]byte("# escape=`\nFROM a\nLABEL com.redhat.component=c `\n architecture=${X:-x86_64}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var res types.LayerResult
		err := Analyzer{}.Analyze("root/buildinfo/Dockerfile-ubi8-8.3-227", b, &res)
		if err == nil && (res.BuildInfo == nil || !strings.HasSuffix(res.BuildInfo.Nvr, "-8.3-227") || res.BuildInfo.Arch == "") {
			t.Fatalf("build info %+v without an error", res.BuildInfo)
		}
	})
}
