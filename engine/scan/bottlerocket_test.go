package scan

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/types"
)

// bottlerocketFixture: one advisory fixed after the installed containerd
// (epoch kept), one fixed at the installed chrony (not reported).
const bottlerocketFixture = `
data-sources:
  bottlerocket: {ID: bottlerocket, Name: Bottlerocket Security Advisories, URL: https://advisories.bottlerocket.aws/}
advisories:
  bottlerocket:
    containerd:
      CVE-2099-8001: {FixedVersion: "1:1.7.27"}
    chrony:
      CVE-2099-8002: {FixedVersion: "4.6.1"}
vulnerabilities:
  CVE-2099-8001: {Title: containerd flaw, VendorSeverity: {bottlerocket: HIGH}}
  CVE-2099-8002: {Title: chrony flaw, VendorSeverity: {bottlerocket: LOW}}
`

// A Bottlerocket host's sys-root: its os-release and the application
// inventory name the OS and its packages, as Trivy reads them.
func TestBottlerocketHost(t *testing.T) {
	dir := t.TempDir()
	fixture := filepath.Join(dir, "fixture.yaml")
	if err := os.WriteFile(fixture, []byte(bottlerocketFixture), 0o644); err != nil {
		t.Fatal(err)
	}
	d := fixtureDB(t, fixture)
	root := "x86_64-bottlerocket-linux-gnu/sys-root/usr/"
	l, err := imagebuild.Layer(
		imagebuild.File{Path: root + "lib/os-release", Body: "NAME=Bottlerocket\nID=bottlerocket\nVERSION=\"1.34.0 (aws-k8s-1.31)\"\nPRETTY_NAME=\"Bottlerocket OS 1.34.0 (aws-k8s-1.31)\"\nVARIANT_ID=aws-k8s-1.31\nVERSION_ID=1.34.0\nBUILD_ID=b1a3e5c2\n"},
		imagebuild.File{Path: root + "share/bottlerocket/application-inventory.json", Body: `{"Content": [
  {"Name": "containerd", "Publisher": "bottlerocket-core-kit", "Version": "1.7.25", "Release": "1.1740525475.e3a5862c.br1", "Epoch": "1", "Architecture": "x86_64"},
  {"Name": "chrony", "Publisher": "bottlerocket-core-kit", "Version": "4.6.1", "Release": "1.1740525475.e3a5862c.br1", "Epoch": "0", "Architecture": "x86_64"}]}`},
	)
	if err != nil {
		t.Fatal(err)
	}
	v1img, err := imagebuild.Image("amd64", l)
	if err != nil {
		t.Fatal(err)
	}
	img, err := imagebuild.EngineImage("bottlerocket:1.34.0", v1img)
	if err != nil {
		t.Fatal(err)
	}
	opts := DefaultOptions()
	opts.Scanners = []string{ScannerVuln}
	opts.DB, opts.Now = d, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rep, err := Image(context.Background(), img, opts)
	if err != nil {
		t.Fatal(err)
	}
	if os := rep.Metadata.OS; os == nil || *os != (types.OS{Family: "bottlerocket", Name: "1.34.0"}) {
		t.Fatalf("OS %+v", rep.Metadata.OS)
	}
	res := rep.Results[0]
	if len(res.Packages) != 2 || res.NotMatched {
		t.Fatalf("packages %+v", res.Packages)
	}
	if p := res.Packages[1]; p.ID != "containerd@1.7.25" || p.Identifier.PURL != "pkg:bottlerocket/containerd@1.7.25?arch=x86_64&distro=bottlerocket-1.34.0&epoch=1" {
		t.Errorf("containerd: %s %s", p.ID, p.Identifier.PURL)
	}
	if len(res.Vulnerabilities) != 1 {
		t.Fatalf("findings %+v", res.Vulnerabilities)
	}
	if v := res.Vulnerabilities[0]; v.VulnerabilityID != "CVE-2099-8001" || v.InstalledVersion != "1:1.7.25" || v.Severity != "HIGH" || v.SeveritySource != "bottlerocket" {
		t.Errorf("finding %+v", v)
	}
}
