package scan

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/docker-scan/docker-scan/engine/db"
	"github.com/docker-scan/docker-scan/engine/db/dbtest"
	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/testenv"
	"github.com/docker-scan/docker-scan/engine/types"
)

// redHatDB is the detect package's hand-written Red Hat fixture.
func redHatDB(t *testing.T) *db.DB { return fixtureDB(t, "../detect/testdata/redhat.yaml") }

// fixtureDB builds and opens a DB of fixture files for the test.
func fixtureDB(t *testing.T, fixtures ...string) *db.DB { return dbtest.FixtureDB(t, fixtures...) }

// ubi8BuildInfo are the build files of a UBI 8 image for s390x as Red
// Hat's build system leaves them in root/buildinfo.
var ubi8BuildInfo = []imagebuild.File{
	{Path: "root/buildinfo/content_manifests/ubi8-container-8.6-754.json", Body: `{
  "metadata": {
    "icm_version": 1,
    "icm_spec": "https://raw.githubusercontent.com/containerbuildsystem/atomic-reactor/master/atomic_reactor/schemas/content_manifest.json",
    "image_layer_index": 1
  },
  "content_sets": [
    "rhel-8-for-s390x-baseos-rpms",
    "rhel-8-for-s390x-appstream-rpms"
  ],
  "image_contents": []
}
`},
	{Path: "root/buildinfo/Dockerfile-ubi8-8.6-754", Body: `FROM sha256:0f2d7b2b56b0bd3e6b2f2cde5e2bd4e9b3c68bd7d3c0b58bd7b31ac1b7d5ec2f

LABEL maintainer="Red Hat, Inc."

LABEL com.redhat.component="ubi8-container" \
      name="ubi8" \
      version="8.6"

ENV container oci
ENV PATH /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ENV arch s390x

CMD ["/bin/bash"]

ADD ubi8-container-8.6-754.json /root/buildinfo/content_manifests/ubi8-container-8.6-754.json
LABEL "release"="754" "distribution-scope"="public" "vendor"="Red Hat, Inc." "architecture"=$arch "vcs-type"="git"
`},
}

// redHatFindings renders an OS result's findings, one a line.
func redHatFindings(r types.Result) string {
	var lines []string
	for _, v := range r.Vulnerabilities {
		lines = append(lines, strings.Join([]string{v.PkgName, v.InstalledVersion, v.VulnerabilityID, v.Status.String(), v.FixedVersion,
			v.Severity + "/" + v.SeveritySource, strings.Join(v.VendorIDs, ",")}, " "))
	}
	return strings.Join(lines, "\n")
}

func scanRPMImage(t *testing.T, name string, built *imagebuild.RPMImage, d *db.DB, now time.Time) *types.Report {
	t.Helper()
	img, err := imagebuild.EngineImage(name, built.Image)
	if err != nil {
		t.Fatal(err)
	}
	opts := DefaultOptions()
	opts.TempDir = t.TempDir()
	opts.Scanners = []string{ScannerVuln}
	opts.DB, opts.Now = d, now
	rep, err := Image(context.Background(), img, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) == 0 || rep.Results[0].Class != types.ClassOSPkg {
		t.Fatalf("no OS package result: %+v", rep.Results)
	}
	return rep
}

var jan2024 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// A UBI 8 image whose build info names its products: findings worked out
// by hand from the fixture for go-rpmdb's real UBI 8 database, whose
// openssl-libs the second layer updates to 1:1.1.1k-7.el8_6.
func TestRedHatUBI8Image(t *testing.T) {
	testenv.Slow(t, "builds and scans an rpm image")
	f, _ := imagebuild.RPMFamilyByName("ubi8")
	spec, err := f.Spec(t.TempDir(), testenv.Cached)
	if err == nil {
		spec.Files = append(spec.Files, ubi8BuildInfo...)
		var built *imagebuild.RPMImage
		if built, err = imagebuild.BuildRPMImage(spec); err == nil {
			rep := scanRPMImage(t, "ubi8", built, redHatDB(t), jan2024)
			want := strings.Join([]string{
				// CVE-2022-1292 was fixed in -7 (installed): not reported;
				// only RHSA-2022:6224 still applies to CVE-2022-2068.
				"openssl-libs 1:1.1.1k-7.el8_6 CVE-2022-2068 fixed 1:1.1.1k-8.el8_6 MEDIUM/redhat RHSA-2022:6224",
				"systemd-libs 239-58.el8 CVE-2023-26604 affected  HIGH/redhat ",
				"systemd-libs 239-58.el8 CVE-2021-3997 will_not_fix  LOW/redhat ",
				"tzdata 2022a-1.el8 CVE-2099-6138 fixed 2022c-1.el8 LOW/redhat RHBA-2022:6138",
			}, "\n")
			if got := redHatFindings(rep.Results[0]); got != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
			if os := rep.Metadata.OS; os == nil || os.Family != "redhat" || os.Name != "8.6" || os.EOSL {
				t.Errorf("OS %+v", rep.Metadata.OS)
			}
			// Every package, the updated one from layer 2 included, has
			// the build info of the UBI layer.
			for _, p := range rep.Results[0].Packages {
				if bi := p.BuildInfo; bi == nil || bi.Nvr != "ubi8-container-8.6-754" || bi.Arch != "s390x" || len(bi.ContentSets) != 2 {
					t.Fatalf("%s (layer %s): build info %+v", p.Name, p.Layer.DiffID, bi)
				}
			}
			return
		}
	}
	if errors.Is(err, imagebuild.ErrNoRPMTools) {
		testenv.Unavailable(t, err)
	}
	t.Fatal(err)
}

// CentOS 7 and 8 images (no build info: RHEL's default repositories),
// with their EOL flag.
func TestCentOSImages(t *testing.T) {
	testenv.Slow(t, "builds and scans two rpm images")
	d := redHatDB(t)
	for _, tc := range []struct {
		name string
		now  time.Time
		eosl bool
		want []string
	}{
		// Layer 2 updates openssl-libs to 1:1.0.2k-26.el7_9: both its
		// RHEL 7 fixes are in.
		{"centos7", jan2024, false, []string{
			"systemd-libs 219-57.el7_5.3 CVE-2023-26604 affected  HIGH/redhat ",
		}},
		{"centos7", time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC), true, []string{
			"systemd-libs 219-57.el7_5.3 CVE-2023-26604 affected  HIGH/redhat ",
		}},
		// Layer 2 updates the modular nodejs past its stream's fix; npm,
		// in the same stream, is not.
		{"centos8", jan2024, true, []string{
			"npm 1:6.14.4-1.10.21.0.3.module_el8.2.0+391+8da3adc6 CVE-2020-8265 fixed 1:6.14.11-1.10.24.0.1.module+el8.3.0+10166+b07ac28e HIGH/redhat RHSA-2021:0548",
			"openssl-libs 1:1.1.1c-15.el8 CVE-2022-0778 fixed 1:1.1.1k-6.el8_5 HIGH/redhat RHSA-2022:1065",
			"openssl-libs 1:1.1.1c-15.el8 CVE-2023-0286 fixed 1:1.1.1k-9.el8_7 HIGH/redhat RHSA-2023:1405",
			"openssl-libs 1:1.1.1c-15.el8 CVE-2022-1292 fixed 1:1.1.1k-7.el8_6 MEDIUM/redhat RHSA-2022:5818",
			"openssl-libs 1:1.1.1c-15.el8 CVE-2022-2068 fixed 1:1.1.1k-8.el8_6 MEDIUM/redhat RHSA-2022:6224",
			"systemd-libs 239-31.el8_2.2 CVE-2023-26604 affected  HIGH/redhat ",
			"systemd-libs 239-31.el8_2.2 CVE-2021-3997 will_not_fix  LOW/redhat ",
			"tzdata 2020a-1.el8 CVE-2099-6138 fixed 2022c-1.el8 LOW/redhat RHBA-2022:6138",
		}},
	} {
		t.Run(tc.name+"/"+tc.now.Format("2006-01"), func(t *testing.T) {
			built, _ := buildRPMFamily(t, tc.name)
			rep := scanRPMImage(t, tc.name, built, d, tc.now)
			if got, want := redHatFindings(rep.Results[0]), strings.Join(tc.want, "\n"); got != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
			if os := rep.Metadata.OS; os == nil || os.Family != "centos" || os.EOSL != tc.eosl {
				t.Errorf("OS %+v, want EOSL %v", rep.Metadata.OS, tc.eosl)
			}
		})
	}
}
