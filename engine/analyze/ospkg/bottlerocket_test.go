package ospkg

import (
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
)

// inventorySample has the shape of Bottlerocket's
// usr/share/bottlerocket/application-inventory.json (aws-k8s variants,
// 2025): string epochs, release with the build's commit.
const inventorySample = `{
  "Content": [
    {"Name": "containerd", "Publisher": "bottlerocket-core-kit", "Version": "1.7.25",
     "Release": "1.1740525475.e3a5862c.br1", "Epoch": "1", "InstalledTime": "2025-02-27T20:55:41Z",
     "ApplicationType": "Unspecified", "Architecture": "x86_64",
     "Url": "https://github.com/containerd/containerd", "Summary": "An industry-standard container runtime"},
    {"Name": "chrony", "Publisher": "bottlerocket-core-kit", "Version": "4.6.1",
     "Release": "1.1740525475.e3a5862c.br1", "Epoch": "0", "InstalledTime": "2025-02-27T20:55:41Z",
     "ApplicationType": "Unspecified", "Architecture": "x86_64", "Url": "https://chrony.tuxfamily.org", "Summary": "NTP"},
    {"Name": "", "Version": "1"},
    {"Name": "odd", "Version": "1", "Epoch": "x"}
  ]
}`

func TestBottlerocketInventory(t *testing.T) {
	path := "x86_64-bottlerocket-linux-gnu/sys-root/usr/share/bottlerocket/application-inventory.json"
	a := BottlerocketInventory{}
	if !a.Wants(path, int64(len(inventorySample))) || a.Wants("usr/share/doc/application-inventory.json", 10) {
		t.Fatal("Wants picks the wrong files")
	}
	var res types.LayerResult
	if err := a.Analyze(path, []byte(inventorySample), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.PackageDBs) != 1 || res.PackageDBs[0].Type != "bottlerocket" || len(res.PackageDBs[0].Packages) != 2 {
		t.Fatalf("got %+v", res.PackageDBs)
	}
	c := res.PackageDBs[0].Packages[0]
	if c.ID != "containerd@1.7.25" || c.Epoch != 1 || c.Version != "1.7.25" || c.Release != "" || c.Arch != "x86_64" {
		t.Errorf("containerd: %+v", c)
	}
	if len(res.Issues) != 2 {
		t.Errorf("want two issues (nameless entry, bad epoch), got %+v", res.Issues)
	}
	if err := a.Analyze(path, []byte(`{"Content": [`), &res); err == nil || !strings.Contains(err.Error(), "application inventory") {
		t.Errorf("truncated inventory: %v", err)
	}
}

func FuzzBottlerocketInventory(f *testing.F) {
	f.Add([]byte(inventorySample))
	f.Add([]byte(`{"Content":[{"Name":"a","Version":"1","Epoch":7}]}`))
	f.Fuzz(func(t *testing.T, content []byte) {
		pkgs, _, err := parseBottlerocketInventory(content)
		if err != nil && len(pkgs) > 0 {
			t.Fatal("packages with an error")
		}
		for _, p := range pkgs {
			if p.Name == "" || p.Version == "" || p.Epoch < 0 {
				t.Fatalf("bad package %+v", p)
			}
		}
	})
}
