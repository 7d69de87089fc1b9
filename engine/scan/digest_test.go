package scan

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
)

// A Debian image whose base layer has debootstrap's var/lib/dpkg/available
// (stanzas of a real Debian 12 system, in engine/analyze/ospkg/testdata)
// and a later layer that upgrades libc6: the packages still at the version
// available lists get its SHA256 as their Digest, the upgraded one none.
func TestImageDpkgDigests(t *testing.T) {
	status, err := os.ReadFile("../analyze/ospkg/testdata/dpkg-available-status")
	if err != nil {
		t.Fatal(err)
	}
	available, err := os.ReadFile("../analyze/ospkg/testdata/dpkg-available")
	if err != nil {
		t.Fatal(err)
	}
	base, err := imagebuild.Layer(
		imagebuild.File{Path: "etc/os-release", Body: "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n"},
		imagebuild.File{Path: "etc/debian_version", Body: "12.11\n"},
		imagebuild.File{Path: "var/lib/dpkg/available", Body: string(available)},
		// As debootstrap left it: libc6 at the version available lists.
		imagebuild.File{Path: "var/lib/dpkg/status", Body: strings.Replace(string(status), "Version: 2.36-9+deb12u14", "Version: 2.36-9+deb12u10", 1)},
	)
	if err != nil {
		t.Fatal(err)
	}
	// apt-get upgrade (libc6 to 2.36-9+deb12u14) rewrites status, not
	// available.
	upgrade, err := imagebuild.Layer(imagebuild.File{Path: "var/lib/dpkg/status", Body: string(status)})
	if err != nil {
		t.Fatal(err)
	}
	v1img, err := imagebuild.Image("amd64", base, upgrade)
	if err != nil {
		t.Fatal(err)
	}
	img, err := imagebuild.EngineImage("debian:digests", v1img)
	if err != nil {
		t.Fatal(err)
	}
	opts := DefaultOptions()
	opts.ListAllPackages = true
	opts.Now = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	rep, err := Image(context.Background(), img, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) == 0 {
		t.Fatal("no results")
	}
	got := map[string]string{}
	for _, p := range rep.Results[0].Packages {
		got[p.ID] = p.Digest
	}
	want := map[string]string{
		"adduser@3.134":         "sha256:c24fe4eb8e60d8632d72ed104cce7c92cff200847c897dc8ba764b6c47b519e0",
		"libacl1@2.3.1-3":       "sha256:8be9df5795114bfe90e2be3d208ef47a5edd3fc7b3e20d387a597486d444e5e2",
		"libattr1@1:2.5.1-4":    "sha256:c4945123d66d0503ba42e2fc0585abc76d0838978c6d277b9cc37a4da25d1a34",
		"libc6@2.36-9+deb12u14": "",
	}
	if len(got) != len(want) {
		t.Errorf("packages %v", got)
	}
	for id, d := range want {
		if got[id] != d {
			t.Errorf("%s digest %q, want %q", id, got[id], d)
		}
	}
}
