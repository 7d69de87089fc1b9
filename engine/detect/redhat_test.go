package detect

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
)

// The packages below are as go-rpmdb's real databases list them
// (ubi8-s390x: RHEL 8.6 on s390x; centos7-plain; centos8-modularitylabel),
// with the findings worked out by hand from testdata/redhat.yaml.
var (
	ubi8OpenSSL   = rpm("openssl-libs", 1, "1.1.1k", "6.el8_5", "s390x", "openssl")
	ubi8Tzdata    = rpm("tzdata", 0, "2022a", "1.el8", "noarch", "tzdata")
	ubi8Systemd   = rpm("systemd-libs", 0, "239", "58.el8", "s390x", "systemd")
	ubi8Libxml2   = rpm("libxml2", 0, "2.9.7", "13.el8", "s390x", "libxml2")
	ubi8Bash      = rpm("bash", 0, "4.4.20", "3.el8", "s390x", "bash")
	ubi8GPGPubkey = rpm("gpg-pubkey", 0, "fd431d51", "4ae0493b", "", "")
)

func rpm(name string, epoch int, version, release, arch, src string) types.Package {
	p := types.Package{Name: name, Epoch: epoch, Version: version, Release: release, Arch: arch, SrcName: src, SrcEpoch: epoch, SrcVersion: version, SrcRelease: release}
	p.ID = name + "@" + p.FullVersion() + "." + arch
	return p
}

func withBuildInfo(bi *types.BuildInfo, pkgs ...types.Package) []types.Package {
	out := slices.Clone(pkgs)
	for i := range out {
		out[i].BuildInfo = bi
	}
	return out
}

// foundRedHat renders findings as found does, plus the advisory IDs.
func foundRedHat(vs []types.DetectedVulnerability) string {
	var lines []string
	for _, v := range vs {
		lines = append(lines, found([]types.DetectedVulnerability{v})+" "+strings.Join(v.VendorIDs, ","))
	}
	return strings.Join(lines, "\n")
}

func TestRedHatUBI8DefaultContentSets(t *testing.T) {
	d := openFixture(t, "testdata/redhat.yaml")
	got, err := OSPackages(d, artifact("redhat", "8.6", ubi8OpenSSL, ubi8Tzdata, ubi8Systemd, ubi8Libxml2, ubi8Bash, ubi8GPGPubkey))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		// RHSA-2022:1065 (fixed == installed), RHSA-2021:9001 (no epoch:
		// older) and RHSA-2023:1405 (x86_64 and EUS only) are not.
		"openssl-libs 1:1.1.1k-6.el8_5 CVE-2022-1292 fixed 1:1.1.1k-7.el8_6 MEDIUM/redhat RHSA-2022:5818",
		"openssl-libs 1:1.1.1k-6.el8_5 CVE-2022-2068 fixed 1:1.1.1k-8.el8_6 MEDIUM/redhat RHSA-2022:6224",
		"systemd-libs 239-58.el8 CVE-2023-26604 affected  HIGH/redhat ",
		"systemd-libs 239-58.el8 CVE-2021-3997 will_not_fix  LOW/redhat ",
		"tzdata 2022a-1.el8 CVE-2099-6138 fixed 2022c-1.el8 LOW/redhat RHBA-2022:6138",
	}, "\n")
	if foundRedHat(got) != want {
		t.Errorf("got\n%s\nwant\n%s", foundRedHat(got), want)
	}
	for _, v := range got {
		if v.VulnerabilityID != "CVE-2021-3997" {
			continue
		}
		// Red Hat rates the CVE LOW for this package (MEDIUM overall):
		// the package's rating is Red Hat's in the finding.
		if v.VendorSeverity["redhat"] != types.SeverityLow || v.VendorSeverity["nvd"] != types.SeverityMedium ||
			v.DataSource == nil || v.DataSource.ID != "redhat" || v.Title == "" || v.PrimaryURL != "https://avd.aquasec.com/nvd/cve-2021-3997" {
			t.Errorf("finding details: %+v", v)
		}
	}
	// The vendor severities of the DB's record are not changed for other
	// packages: a second scan sees MEDIUM again.
	if again, _ := OSPackages(d, artifact("redhat", "8.6", ubi8Systemd)); len(again) != 2 || found(again[1:]) != "systemd-libs 239-58.el8 CVE-2021-3997 will_not_fix  LOW/redhat" {
		t.Errorf("second scan: %s", found(again))
	}
}

func TestRedHatContentSets(t *testing.T) {
	d := openFixture(t, "testdata/redhat.yaml")
	crb := &types.BuildInfo{ContentSets: []string{"rhel-8-for-x86_64-baseos-rpms", "rhel-8-for-x86_64-appstream-rpms", "codeready-builder-for-rhel-8-x86_64-rpms"}}
	eus := &types.BuildInfo{ContentSets: []string{"rhel-8-for-x86_64-baseos-eus-rpms__8_DOT_1"}}
	nvr := &types.BuildInfo{Nvr: "ubi8-container-8.6-754", Arch: "s390x"}
	for _, tc := range []struct {
		name string
		bi   *types.BuildInfo
		want []string
	}{
		// The CodeReady Builder product is the image's: its libxml2 fix
		// applies (zero epoch shown as rpm shows it, without).
		{"crb", crb, []string{
			"libxml2 2.9.7-13.el8 CVE-2099-0001 fixed 2.9.7-99.el8 MEDIUM/redhat RHSA-2099:0001",
			"openssl-libs 1:1.1.1k-6.el8_5 CVE-2022-1292 fixed 1:1.1.1k-7.el8_6 MEDIUM/redhat RHSA-2022:5818",
			"openssl-libs 1:1.1.1k-6.el8_5 CVE-2022-2068 fixed 1:1.1.1k-8.el8_6 MEDIUM/redhat RHSA-2022:6224",
		}},
		// Only the EUS product: only its entry (s390x) applies.
		{"eus", eus, []string{
			"openssl-libs 1:1.1.1k-6.el8_5 CVE-2023-0286 fixed 1:1.1.1k-9.el8_7 HIGH/redhat RHSA-2023:1405",
		}},
		// The build's NVR maps to baseos and appstream.
		{"nvr", nvr, []string{
			"openssl-libs 1:1.1.1k-6.el8_5 CVE-2022-1292 fixed 1:1.1.1k-7.el8_6 MEDIUM/redhat RHSA-2022:5818",
			"openssl-libs 1:1.1.1k-6.el8_5 CVE-2022-2068 fixed 1:1.1.1k-8.el8_6 MEDIUM/redhat RHSA-2022:6224",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := OSPackages(d, artifact("redhat", "8.6", withBuildInfo(tc.bi, ubi8OpenSSL, ubi8Libxml2)...))
			if err != nil {
				t.Fatal(err)
			}
			if w := strings.Join(tc.want, "\n"); foundRedHat(got) != w {
				t.Errorf("got\n%s\nwant\n%s", foundRedHat(got), w)
			}
		})
	}
}

// Products the DB does not know (content sets, or a release without
// default repositories) leave the packages not matched, never clean.
func TestRedHatUnknownProducts(t *testing.T) {
	d := openFixture(t, "testdata/redhat.yaml")
	unknown := &types.BuildInfo{ContentSets: []string{"rhel-99-for-x86_64-baseos-rpms"}}
	for name, art := range map[string]types.Artifact{
		"content sets": artifact("redhat", "8.6", withBuildInfo(unknown, ubi8OpenSSL)...),
		"release":      artifact("redhat", "5.11", ubi8OpenSSL),
	} {
		if got, err := OSPackages(d, art); !errors.Is(err, ErrNotMatched) {
			t.Errorf("%s: got %s, %v; want ErrNotMatched", name, found(got), err)
		}
	}
	// A package no advisory names needs no products.
	if got, err := OSPackages(d, artifact("redhat", "5.11", ubi8Bash)); err != nil || len(got) != 0 {
		t.Errorf("bash on RHEL 5: %s, %v", found(got), err)
	}
}

func TestRedHatThirdPartyPackages(t *testing.T) {
	d := openFixture(t, "testdata/redhat.yaml")
	remi := rpm("php-common", 0, "7.4.33", "1.el8.remi", "x86_64", "php")
	ours := rpm("php-common", 0, "7.4.33", "1.el8", "x86_64", "php")
	got, err := OSPackages(d, artifact("redhat", "8.9", remi))
	if err != nil || len(got) != 0 {
		t.Errorf("Remi's php-common matched: %s, %v", found(got), err)
	}
	got, err = OSPackages(d, artifact("redhat", "8.9", ours))
	if err != nil || found(got) != "php-common 7.4.33-1.el8 CVE-2099-0003 fixed 7.4.99-1.el8 HIGH/redhat" {
		t.Errorf("Red Hat's php-common: %s, %v", found(got), err)
	}
}

func TestCentOS7(t *testing.T) {
	d := openFixture(t, "testdata/redhat.yaml")
	got, err := OSPackages(d, artifact("centos", "7.5.1804",
		rpm("openssl-libs", 1, "1.0.2k", "12.el7", "x86_64", "openssl"),
		rpm("systemd-libs", 0, "219", "57.el7_5.3", "x86_64", "systemd")))
	if err != nil {
		t.Fatal(err)
	}
	// RHEL 7's default repositories: RHEL 8's entries do not apply.
	want := strings.Join([]string{
		"openssl-libs 1:1.0.2k-12.el7 CVE-2023-0286 fixed 1:1.0.2k-26.el7_9 HIGH/redhat RHSA-2023:0946",
		"openssl-libs 1:1.0.2k-12.el7 CVE-2018-0732 fixed 1:1.0.2k-16.el7 LOW/redhat RHSA-2018:3221",
		"systemd-libs 219-57.el7_5.3 CVE-2023-26604 affected  HIGH/redhat ",
	}, "\n")
	if foundRedHat(got) != want {
		t.Errorf("got\n%s\nwant\n%s", foundRedHat(got), want)
	}
}

func TestCentOS8Modular(t *testing.T) {
	d := openFixture(t, "testdata/redhat.yaml")
	const label = "nodejs:10:8020020200707141642:6a468ee4"
	npm := rpm("npm", 1, "6.14.4", "1.10.21.0.3.module_el8.2.0+391+8da3adc6", "x86_64", "nodejs")
	nodejs := rpm("nodejs", 1, "10.21.0", "3.module_el8.2.0+391+8da3adc6", "x86_64", "nodejs")
	npm.Modularitylabel, nodejs.Modularitylabel = label, label
	got, err := OSPackages(d, artifact("centos", "8.2.2004", npm, nodejs))
	if err != nil {
		t.Fatal(err)
	}
	// The stream's advisories, never those of the non-modular npm.
	want := strings.Join([]string{
		"nodejs 1:10.21.0-3.module_el8.2.0+391+8da3adc6 CVE-2020-8265 fixed 1:10.23.1-1.module+el8.3.0+9502+012ad7fe HIGH/redhat RHSA-2021:0548",
		"npm 1:6.14.4-1.10.21.0.3.module_el8.2.0+391+8da3adc6 CVE-2020-8265 fixed 1:6.14.11-1.10.24.0.1.module+el8.3.0+10166+b07ac28e HIGH/redhat RHSA-2021:0548",
	}, "\n")
	if foundRedHat(got) != want {
		t.Errorf("got\n%s\nwant\n%s", foundRedHat(got), want)
	}
	// Without its label, npm is the non-modular package.
	npm.Modularitylabel = ""
	got, _ = OSPackages(d, artifact("centos", "8.2.2004", npm))
	if found(got) != "npm 1:6.14.4-1.10.21.0.3.module_el8.2.0+391+8da3adc6 CVE-2099-0002 fixed 1:99.0.0-1.el8 CRITICAL/redhat" {
		t.Errorf("unlabelled npm: %s", found(got))
	}
}
