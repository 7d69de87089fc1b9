package ospkg

import (
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
)

// TestDpkgRepositoryClass: packages whose Maintainer names a vendor with
// its own apt repository are third-party (stanzas as docker-ce, NVIDIA's
// CUDA, GitHub's gh and NodeSource ship them); Debian's own are official.
func TestDpkgRepositoryClass(t *testing.T) {
	status := `Package: docker-ce
Status: install ok installed
Priority: optional
Section: admin
Installed-Size: 98877
Maintainer: Docker <support@docker.com>
Architecture: amd64
Version: 5:25.0.3-1~debian.12~bookworm
Depends: containerd.io (>= 1.6.24), docker-ce-cli, iptables, libseccomp2 (>= 2.3.0), libc6 (>= 2.34)
Description: Docker: the open-source application container engine

Package: cuda-cudart-12-3
Status: install ok installed
Maintainer: cudatools <cudatools@nvidia.com>
Architecture: amd64
Version: 12.3.101-1
Description: CUDA Runtime native Libraries

Package: gh
Status: install ok installed
Maintainer: GitHub
Architecture: amd64
Version: 2.44.1
Description: GitHub’s official command line tool.

Package: nodejs
Status: install ok installed
Maintainer: Ivan Iguaran <ivan@nodesource.com>
Architecture: amd64
Version: 20.11.1-1nodesource1
Description: Node.js event-based server-side javascript engine

Package: libc6
Status: install ok installed
Priority: optional
Section: libs
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u4
Description: GNU C Library: Shared libraries

Package: github-backup
Status: install ok installed
Maintainer: GitHub Backup Team <team@example.org>
Architecture: all
Version: 1.0-1
Description: not GitHub itself: the exact match is for the whole field
`
	pkgs, _, err := parseDpkgStatus([]byte(status), false)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]types.RepositoryClass{
		"docker-ce": types.RepositoryClassThirdParty, "cuda-cudart-12-3": types.RepositoryClassThirdParty,
		"gh": types.RepositoryClassThirdParty, "nodejs": types.RepositoryClassThirdParty,
		"libc6": types.RepositoryClassOfficial, "github-backup": types.RepositoryClassOfficial,
	}
	if len(pkgs) != len(want) {
		t.Fatalf("%d packages", len(pkgs))
	}
	for _, p := range pkgs {
		if p.Repository.Class != want[p.Name] {
			t.Errorf("%s (%s): %q, want %q", p.Name, p.Maintainer, p.Repository.Class, want[p.Name])
		}
	}
}
