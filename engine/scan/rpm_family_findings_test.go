package scan

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/testenv"
	"github.com/docker-scan/docker-scan/engine/types"
)

// TestRPMFamilyFindings scans the image of each rpm family that the DB
// matches (engine/imagebuild.RPMFamilies: a real rpm database, the
// family's release files, a second layer that updates one package)
// against hand-written advisories (engine/detect/testdata/
// rpm-family-images.yaml) and checks the findings worked out by hand from
// them: an advisory fixed at the updated version is not reported, one
// fixed later is, against the layer-2 package; the family's naming rules
// (source or binary names, modules, Oracle flavours, arches, epochs) pick
// the rest. Packages of families go-rpmdb has no database for are another
// family's (RPMFamily.Borrowed says whose).
func TestRPMFamilyFindings(t *testing.T) {
	testenv.Slow(t, "builds and scans eleven rpm images")
	d := fixtureDB(t, "../detect/testdata/rpm-family-images.yaml")
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		image string
		eosl  bool
		// want: "pkg installed CVE status fixed layer"; the layer is 2 for
		// the package layer 2 updated, 1 for the others (which layer a
		// package of a database converted in layer 2 is given is
		// TestRPMFamilyImages' concern).
		want []string
	}{
		{"rocky8", false, []string{
			"bash 4.4.20-4.el8_6 CVE-2099-7002 fixed 4.4.20-5.el8_6 2",
			// nodejs:10::nodejs, not the non-modular nodejs advisory.
			"nodejs 1:10.21.0-3.module_el8.2.0+391+8da3adc6 CVE-2099-7003 fixed 1:10.24.0-1.module+el8.3.0+434+2ab5050a 1",
		}},
		{"alma9", false, []string{
			"openssl-libs 1:3.0.1-43.el9_0 CVE-2099-7012 fixed 1:3.0.7-16.el9_2 2",
		}},
		{"oracle8", false, []string{
			// The normal entry of 7022 only; 7023 is FIPS, 7024 aarch64.
			"glibc 2.28-189.5.0.1.el8_6 CVE-2099-7022 fixed 2.28-211.0.1.el8 2",
		}},
		{"amazon2", false, []string{
			"curl 8.3.0-1.amzn2.0.4 CVE-2099-7032 fixed 8.3.0-1.amzn2.0.5 2",
		}},
		{"amazon2023", false, []string{
			"glibc 2.34-52.amzn2023.0.11 CVE-2099-7042 fixed 2.34-100.amzn2023.0.1 2",
		}},
		{"photon5", false, []string{
			"zlib 1.2.13-3.ph5 CVE-2099-7052 fixed 1.2.13-4.ph5 2",
			// Source name zlib; the binary's own version is compared.
			"zlib-devel 1.2.11-5.cm2 CVE-2099-7051 fixed 1.2.13-3.ph5 1",
			"zlib-devel 1.2.11-5.cm2 CVE-2099-7052 fixed 1.2.13-4.ph5 1",
		}},
		{"cbl-mariner2", true, []string{
			// Source name openssl: the updated openssl is fixed, its
			// sibling openssl-libs from layer 1 is not; 7062 is unfixed.
			"openssl 1.1.1k-21.cm2 CVE-2099-7062 affected  2",
			"openssl-libs 1.1.1k-7.cm2 CVE-2099-7061 fixed 1.1.1k-21.cm2 1",
			"openssl-libs 1.1.1k-7.cm2 CVE-2099-7062 affected  1",
		}},
		{"azurelinux3", false, []string{
			"openssl 1.1.1k-7.cm2 CVE-2099-7071 fixed 3.3.0-2.azl3 1",
			"openssl 1.1.1k-7.cm2 CVE-2099-7072 fixed 3.3.0-3.azl3 1",
			"openssl-libs 3.3.0-2.azl3 CVE-2099-7072 fixed 3.3.0-3.azl3 2",
		}},
		{"sles15", true, []string{
			"libz1 1.2.11-3.24.1 CVE-2099-7082 fixed 1.2.11-3.30.1 2",
		}},
		{"opensuse-leap15", true, []string{
			"bash 4.4-150300.19.6.1 CVE-2099-7092 fixed 4.4-150300.19.9.1 2",
		}},
		{"opensuse-tumbleweed", false, []string{
			"libz1 1.3-1.1 CVE-2099-7102 fixed 1.3.1-1.1 2",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.image, func(t *testing.T) {
			t.Parallel()
			built, fam := buildRPMFamily(t, tt.image)
			img, err := imagebuild.EngineImage(fam.Name, built.Image)
			if err != nil {
				t.Fatal(err)
			}
			opts := DefaultOptions()
			opts.TempDir = t.TempDir()
			opts.DB, opts.Scanners, opts.Now = d, []string{ScannerVuln}, day
			rep, err := Image(context.Background(), img, opts)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Metadata.OS == nil || rep.Metadata.OS.EOSL != tt.eosl {
				t.Errorf("OS %+v, want EOSL %v", rep.Metadata.OS, tt.eosl)
			}
			var got []string
			for _, res := range rep.Results {
				if res.Class != types.ClassOSPkg {
					continue
				}
				for _, v := range res.Vulnerabilities {
					layer := "1"
					if v.PkgName == built.After.Name {
						layer = "?"
						if v.Layer.DiffID == built.DiffIDs[1] {
							layer = "2"
						}
					}
					got = append(got, strings.Join([]string{v.PkgName, v.InstalledVersion, v.VulnerabilityID, v.Status.String(), v.FixedVersion, layer}, " "))
				}
			}
			if g, w := strings.Join(got, "\n"), strings.Join(tt.want, "\n"); g != w {
				t.Errorf("findings:\n%s\nwant\n%s", g, w)
			}
		})
	}
}
