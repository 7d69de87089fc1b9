package families

import (
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
)

// A modular rpm's PURL carries its module as the modularitylabel
// qualifier, after epoch, as Trivy v0.74 writes it (Rocky 8's nodejs of
// go-rpmdb's centos8-modularitylabel database).
func TestPURLModularityLabel(t *testing.T) {
	m, ok := PackageManagerByType("rpm")
	if !ok {
		t.Fatal("no rpm package manager")
	}
	p := types.Package{Name: "nodejs", Epoch: 1, Version: "10.21.0", Release: "3.module_el8.2.0+391+8da3adc6", Arch: "x86_64",
		Modularitylabel: "nodejs:10:8020020200707141642:6a468ee4"}
	want := "pkg:rpm/rocky/nodejs@10.21.0-3.module_el8.2.0%2B391%2B8da3adc6?arch=x86_64&distro=rocky-8.6&epoch=1&modularitylabel=nodejs:10:8020020200707141642:6a468ee4"
	if got := m.PURL(p, types.OS{Family: "rocky", Name: "8.6"}); got != want {
		t.Errorf("PURL:\n got %s\nwant %s", got, want)
	}
	p.Modularitylabel = ""
	want = "pkg:rpm/rocky/nodejs@10.21.0-3.module_el8.2.0%2B391%2B8da3adc6?arch=x86_64&distro=rocky-8.6&epoch=1"
	if got := m.PURL(p, types.OS{Family: "rocky", Name: "8.6"}); got != want {
		t.Errorf("PURL without module:\n got %s\nwant %s", got, want)
	}
}
