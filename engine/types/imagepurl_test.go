package types

import "testing"

func TestImagePURL(t *testing.T) {
	m := Metadata{RepoDigests: []string{"alpine@sha256:4bcff63911fcb4448bd4fdacec207030997caf25e9bea4045fa6c8c44de311d1"}}
	m.ImageConfig.Architecture = "amd64"
	want := "pkg:oci/alpine@sha256:4bcff63911fcb4448bd4fdacec207030997caf25e9bea4045fa6c8c44de311d1?arch=amd64&repository_url=index.docker.io%2Flibrary%2Falpine"
	if got := m.ImagePURL(); got != want {
		t.Errorf("ImagePURL\n got %s\nwant %s", got, want)
	}
	m.RepoDigests = []string{"registry.example.com:5000/team/app@sha256:4bcff63911fcb4448bd4fdacec207030997caf25e9bea4045fa6c8c44de311d1"}
	m.ImageConfig.Architecture = ""
	want = "pkg:oci/app@sha256:4bcff63911fcb4448bd4fdacec207030997caf25e9bea4045fa6c8c44de311d1?repository_url=registry.example.com:5000%2Fteam%2Fapp"
	if got := m.ImagePURL(); got != want {
		t.Errorf("ImagePURL\n got %s\nwant %s", got, want)
	}
	if got := (Metadata{}).ImagePURL(); got != "" {
		t.Errorf("no repo digest: %q", got)
	}
}
