package scan

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/types"
)

// scanFiles scans a two-layer image (base files, then an update) against
// the fixture DB of engine/detect/testdata/apk-ubuntu-esm.yaml at now.
func scanFiles(t *testing.T, name string, now time.Time, base, update []imagebuild.File) *types.Report {
	t.Helper()
	d := fixtureDB(t, "../detect/testdata/apk-ubuntu-esm.yaml")
	l1, err := imagebuild.Layer(base...)
	if err != nil {
		t.Fatal(err)
	}
	l2, err := imagebuild.Layer(update...)
	if err != nil {
		t.Fatal(err)
	}
	v1img, err := imagebuild.Image("amd64", l1, l2)
	if err != nil {
		t.Fatal(err)
	}
	img, err := imagebuild.EngineImage(name, v1img)
	if err != nil {
		t.Fatal(err)
	}
	opts := DefaultOptions()
	opts.Scanners = []string{ScannerVuln}
	opts.DB, opts.Now = d, now
	rep, err := Image(context.Background(), img, opts)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func findingLines(rep *types.Report) string {
	var lines []string
	for _, v := range rep.Results[0].Vulnerabilities {
		lines = append(lines, strings.Join([]string{v.PkgName, v.InstalledVersion, v.VulnerabilityID, v.Status.String(), v.FixedVersion}, " "))
	}
	return strings.Join(lines, "\n")
}

// apkRecord is one package of lib/apk/db/installed as Wolfi's apk writes it.
func apkRecord(name, version, origin string) string {
	return "C:Q1mS3sNd0b6GvF2V0XK9xI8sjsW8A=\nP:" + name + "\nV:" + version + "\nA:x86_64\nS:1745000\nI:4571136\nT:" + name +
		"\nU:https://www.openssl.org\nL:Apache-2.0\no:" + origin + "\nm:Wolfi\nt:1700000000\nc:2b4e5d3c\n\n"
}

// Wolfi and Chainguard: os-release names them, apk installs their
// packages, and their advisories sit in versionless buckets under source
// names. Layer 2 upgrades libcrypto3 (origin openssl) past one fix.
func TestVersionlessAPKImages(t *testing.T) {
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		id, osRelease, want string
	}{
		{"wolfi", "ID=wolfi\nNAME=\"Wolfi\"\nPRETTY_NAME=\"Wolfi\"\nVERSION_ID=\"20230201\"\nHOME_URL=\"https://wolfi.dev\"\n",
			// 6002 is fixed at the installed 3.1.4-r5; libcrypto3's own
			// advisory (binary name) is not looked up.
			"libcrypto3 3.1.4-r5 CVE-2099-6001 fixed 3.1.5-r0"},
		{"chainguard", "ID=chainguard\nNAME=\"Chainguard\"\nPRETTY_NAME=\"Chainguard\"\nVERSION_ID=\"20230214\"\nHOME_URL=\"https://chainguard.dev/\"\n",
			"libcrypto3 3.1.4-r5 CVE-2099-6101 fixed 3.1.5-r0\nlibcrypto3 3.1.4-r5 CVE-2099-6102 affected "},
	} {
		rep := scanFiles(t, tc.id+":latest", day,
			[]imagebuild.File{{Path: "etc/os-release", Body: tc.osRelease}, {Path: "lib/apk/db/installed", Body: apkRecord("libcrypto3", "3.1.4-r0", "openssl")}},
			[]imagebuild.File{{Path: "lib/apk/db/installed", Body: apkRecord("libcrypto3", "3.1.4-r5", "openssl")}})
		if os := rep.Metadata.OS; os == nil || os.Family != tc.id || os.EOSL {
			t.Fatalf("%s: OS %+v", tc.id, rep.Metadata.OS)
		}
		if got := findingLines(rep); got != tc.want {
			t.Errorf("%s: got\n%s\nwant\n%s", tc.id, got, tc.want)
		}
		if p := rep.Results[0].Packages; len(p) != 1 || p[0].Layer.DiffID != rep.Metadata.DiffIDs[1] {
			t.Errorf("%s: the upgraded package must come from layer 2: %+v", tc.id, p)
		}
	}
}

// Ubuntu Pro with esm-infra enabled: the image is "20.04-ESM", matched
// against the ESM bucket (an ESM release with an end date of its own);
// "22.04-ESM", which has none, against 22.04's while 22.04 is supported;
// without the status file 20.04 is plain 20.04, and EOL.
func TestUbuntuESMImage(t *testing.T) {
	osRelease := imagebuild.File{Path: "etc/os-release", Body: "NAME=\"Ubuntu\"\nVERSION=\"20.04.6 LTS (Focal Fossa)\"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"20.04\"\nVERSION_CODENAME=focal\n"}
	status := imagebuild.File{Path: "var/lib/dpkg/status", Body: "Package: libssl1.1\nStatus: install ok installed\nPriority: optional\nSection: libs\nInstalled-Size: 4119\nMaintainer: Ubuntu Developers <ubuntu-devel-discuss@lists.ubuntu.com>\nArchitecture: amd64\nMulti-Arch: same\nSource: openssl\nVersion: 1.1.1f-1ubuntu2.22\nDescription: Secure Sockets Layer toolkit - shared libraries\n\n"}
	pro := imagebuild.File{Path: "var/lib/ubuntu-advantage/status.json", Body: `{"_schema_version": "0.1", "attached": true, "services": [
  {"name": "esm-apps", "status": "disabled", "entitled": "yes"},
  {"name": "esm-infra", "status": "enabled", "entitled": "yes"},
  {"name": "livepatch", "status": "n/a", "entitled": "yes"}]}`}
	afterEOL := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rep := scanFiles(t, "focal-pro:1", afterEOL, []imagebuild.File{osRelease, status}, []imagebuild.File{pro})
	if os := rep.Metadata.OS; os == nil || *os != (types.OS{Family: "ubuntu", Name: "20.04-ESM"}) {
		t.Fatalf("OS %+v", rep.Metadata.OS)
	}
	if got, want := findingLines(rep), "libssl1.1 1.1.1f-1ubuntu2.22 CVE-2099-6202 fixed 1.1.1f-1ubuntu2.23+esm1"; got != want {
		t.Errorf("ESM after 20.04's end: got\n%s\nwant\n%s", got, want)
	}
	// 22.04-ESM has no end of its own: while 22.04 is supported its
	// image is matched against 22.04's bucket, not the ESM one.
	jammy := imagebuild.File{Path: "etc/os-release", Body: strings.ReplaceAll(strings.ReplaceAll(osRelease.Body, "20.04", "22.04"), "focal", "jammy")}
	jammyStatus := imagebuild.File{Path: status.Path, Body: strings.ReplaceAll(strings.ReplaceAll(status.Body, "libssl1.1", "libssl3"), "1.1.1f-1ubuntu2.22", "3.0.2-0ubuntu1.14")}
	rep = scanFiles(t, "jammy-pro:1", afterEOL, []imagebuild.File{jammy, jammyStatus}, []imagebuild.File{pro})
	if got, want := findingLines(rep), "libssl3 3.0.2-0ubuntu1.14 CVE-2099-6301 fixed 3.0.2-0ubuntu1.15"; got != want || rep.Metadata.OS.Name != "22.04-ESM" || rep.Metadata.OS.EOSL {
		t.Errorf("22.04-ESM during 22.04's support: got\n%s\nwant\n%s\nOS %+v", got, want, rep.Metadata.OS)
	}
	rep = scanFiles(t, "focal:1", afterEOL, []imagebuild.File{osRelease, status}, []imagebuild.File{{Path: "etc/motd", Body: "hi\n"}})
	if os := rep.Metadata.OS; os == nil || *os != (types.OS{Family: "ubuntu", Name: "20.04", EOSL: true}) {
		t.Errorf("no ESM: OS %+v", rep.Metadata.OS)
	}
}
