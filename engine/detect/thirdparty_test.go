package detect

import (
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
)

// Packages the analyzers class third-party (another vendor's rpm, a
// docker-ce .deb) are not matched against the distribution's advisories,
// by either matcher; the distribution's own packages still are.
func TestThirdPartyNotMatched(t *testing.T) {
	third := func(p types.Package) types.Package {
		p.Repository.Class = types.RepositoryClassThirdParty
		return p
	}
	official := func(p types.Package) types.Package {
		p.Repository.Class = types.RepositoryClassOfficial
		return p
	}
	d := openFixture(t, "testdata/mechanics.yaml")
	libssl := types.Package{ID: "libssl3@3.1.4-r5", Name: "libssl3", Version: "3.1.4-r5", SrcName: "openssl", SrcVersion: "3.1.4-r5", Arch: "x86_64"}
	got, err := OSPackages(d, artifact("alpine", "3.19.1", third(libssl)))
	if err != nil || len(got) != 0 {
		t.Errorf("third-party libssl3: %v\n%s", err, found(got))
	}
	if got, _ := OSPackages(d, artifact("alpine", "3.19.1", official(libssl))); len(got) != 2 {
		t.Errorf("official libssl3: %s", found(got))
	}

	d = openFixture(t, "testdata/redhat.yaml")
	got, err = OSPackages(d, artifact("redhat", "8.6", third(ubi8OpenSSL), official(ubi8Tzdata)))
	if err != nil {
		t.Fatal(err)
	}
	if s := found(got); strings.Contains(s, "openssl") || !strings.Contains(s, "tzdata") {
		t.Errorf("Red Hat, openssl-libs third-party:\n%s", s)
	}
}
