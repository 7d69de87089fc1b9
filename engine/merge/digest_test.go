package merge

import (
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
)

// A dpkg package gets the digest that var/lib/dpkg/available gives its ID
// (name@version as dpkg prints it, epoch included): the file may be in
// another layer than the status file, and a package upgraded since
// (libc6 here, as on a real Debian 12 whose available debootstrap wrote)
// gets none. Digests do not cross package managers.
func TestAttachDigests(t *testing.T) {
	l1 := layer("sha256:1")
	l1.PackageFacts = []types.PackageFacts{{FilePath: "var/lib/dpkg/available", Type: "dpkg", Digests: map[string]string{
		"libattr1@1:2.5.1-4":    "sha256:c4945123d66d0503ba42e2fc0585abc76d0838978c6d277b9cc37a4da25d1a34",
		"libc6@2.36-9+deb12u10": "sha256:5dc83256f10ca4d0f2a53dd6583ffd0d0e319af30074ea6c82fb0ae77bd16365",
		"musl@1.2.4-r2":         "sha256:00",
	}}}
	attr := types.Package{ID: "libattr1@1:2.5.1-4", Name: "libattr1", Version: "2.5.1", Release: "4", Epoch: 1}
	libc := types.Package{ID: "libc6@2.36-9+deb12u14", Name: "libc6", Version: "2.36", Release: "9+deb12u14"}
	l2 := layer("sha256:2")
	l2.PackageDBs = []types.PackageDB{
		{FilePath: "var/lib/dpkg/status", Type: "dpkg", Packages: []types.Package{attr, libc}},
		{FilePath: "lib/apk/db/installed", Type: "apk", Packages: []types.Package{pkg("musl", "1.2.4-r2")}},
	}
	art := Layers([]*types.LayerResult{l1, l2})
	got := map[string]string{}
	for _, db := range art.PackageDBs {
		for _, p := range db.Packages {
			got[p.ID] = p.Digest
		}
	}
	want := map[string]string{
		"libattr1@1:2.5.1-4":    "sha256:c4945123d66d0503ba42e2fc0585abc76d0838978c6d277b9cc37a4da25d1a34",
		"libc6@2.36-9+deb12u14": "",
		"musl@1.2.4-r2":         "",
	}
	for id, d := range want {
		if got[id] != d {
			t.Errorf("%s digest %q, want %q", id, got[id], d)
		}
	}

	// A later layer that deletes available takes the digests away.
	l3 := layer("sha256:3")
	l3.WhiteoutFiles = []string{"var/lib/dpkg/available"}
	art = Layers([]*types.LayerResult{l1, l2, l3})
	for _, p := range art.PackageDBs[1].Packages {
		if p.Digest != "" {
			t.Errorf("%s digest %q after available was deleted", p.ID, p.Digest)
		}
	}
}
