package scan

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/tarball"
	bolt "go.etcd.io/bbolt"

	"github.com/docker-scan/docker-scan/engine/db"
	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/testenv"
	"github.com/docker-scan/docker-scan/engine/types"
)

// The rpm benchmark image: Rocky Linux 9.3 with 1,500 packages in a
// SQLite rpm database that Debian's rpm wrote (one spec, 1,500
// subpackages of their own versions, 20 files each), matched against a
// fixture DB with advisories in "rocky 9" for 300 of them (1-5 each).
const (
	benchRPMPackages = 1500
	benchRPMFiles    = 20
	// benchRPMVersion changes when the generated packages change.
	benchRPMVersion = "v2"
)

// benchRPMPackage is the name, epoch, version and release of package i.
func benchRPMPackage(i int) (name string, epoch int, version, release string) {
	if i%10 == 0 {
		epoch = 1
	}
	return fmt.Sprintf("bench-lib%04d", i), epoch, fmt.Sprintf("%d.%d.%d", i%7+1, i%13, i%5), fmt.Sprintf("%d.el9", i%9+1)
}

// benchRPMSpec is the spec of the 1,500 packages.
func benchRPMSpec() string {
	var s strings.Builder
	// The distribution's vendor: a package of another is third-party,
	// and not matched against the distribution's advisories.
	fmt.Fprintf(&s, "Name: bench\nVersion: 1.0\nRelease: 1.el9\nVendor: Rocky Enterprise Software Foundation\nSummary: bench\nLicense: MIT\n%%description\nbench\n")
	fmt.Fprintf(&s, "%%install\nfor i in $(seq 0 %d); do d=%%{buildroot}/usr/share/bench/p$i; mkdir -p $d; for f in $(seq 1 %d); do : > $d/f$f; done; done\n",
		benchRPMPackages-1, benchRPMFiles)
	for i := range benchRPMPackages {
		name, epoch, version, release := benchRPMPackage(i)
		fmt.Fprintf(&s, "%%package -n %s\nSummary: bench package %d\nVersion: %s\nRelease: %s\n", name, i, version, release)
		if epoch != 0 {
			fmt.Fprintf(&s, "Epoch: %d\n", epoch)
		}
		fmt.Fprintf(&s, "License: MIT\n%%description -n %s\nbench package %d\n%%files -n %s\n/usr/share/bench/p%d\n", name, i, name, i)
	}
	return s.String()
}

// benchRPMDB builds (once per machine: testenv.Cached) the 1,500-package
// rpmdb.sqlite with rpmbuild and `rpm -i --justdb`, and returns its path
// and how long the build took.
func benchRPMDB(b *testing.B) (string, time.Duration) {
	b.Helper()
	if err := imagebuild.RPMToolsAvailable(); err != nil {
		b.Skip(err)
	}
	rpmVersion, _ := exec.Command("rpm", "--version").Output()
	version := benchRPMVersion + "-" + strings.ReplaceAll(strings.TrimSpace(strings.TrimPrefix(string(rpmVersion), "RPM version ")), " ", "_")
	dir, err := testenv.Cached("bench-rpmdb-1500", version, func(dir string) error {
		start := time.Now()
		top := filepath.Join(dir, "top")
		if err := os.MkdirAll(filepath.Join(top, "SPECS"), 0o755); err != nil {
			return err
		}
		spec := filepath.Join(top, "SPECS", "bench.spec")
		if err := os.WriteFile(spec, []byte(benchRPMSpec()), 0o644); err != nil {
			return err
		}
		out, err := exec.Command("rpmbuild", "-bb", "--quiet", "--define", "_topdir "+top, "--define", "_tmppath "+filepath.Join(top, "tmp"),
			"--define", "_build_id_links none", "--define", "__os_install_post %{nil}", spec).CombinedOutput()
		if err != nil {
			return fmt.Errorf("rpmbuild: %v: %s", err, out)
		}
		rpms, err := filepath.Glob(filepath.Join(top, "RPMS", "*", "*.rpm"))
		if err != nil || len(rpms) != benchRPMPackages {
			return fmt.Errorf("rpmbuild wrote %d packages, want %d (%v)", len(rpms), benchRPMPackages, err)
		}
		dbDir := filepath.Join(dir, "db")
		args := append([]string{"-i", "--justdb", "--nodeps", "--noscripts", "--notriggers", "--nosignature", "--nodigest", "--dbpath", dbDir}, rpms...)
		if out, err := exec.Command("rpm", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("rpm -i: %v: %s", err, out)
		}
		for _, extra := range []string{"rpmdb.sqlite-shm", "rpmdb.sqlite-wal"} {
			if st, err := os.Stat(filepath.Join(dbDir, extra)); err == nil && st.Size() > 0 && extra == "rpmdb.sqlite-wal" {
				return fmt.Errorf("rpm left %d bytes in its write-ahead log", st.Size())
			}
			os.Remove(filepath.Join(dbDir, extra))
		}
		if err := os.RemoveAll(top); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, "build-time"), []byte(time.Since(start).String()), 0o644)
	})
	if err != nil {
		b.Fatal(err)
	}
	took, _ := os.ReadFile(filepath.Join(dir, "build-time"))
	d, _ := time.ParseDuration(string(took))
	return filepath.Join(dir, "db", "rpmdb.sqlite"), d
}

// writeBenchRPMVulnDB writes the fixture DB: for every fifth package,
// n = 1..5 advisories in turn; advisory a of a package is (0) fixed in a
// later version, (1) fixed in the installed version, (2) fixed in an
// earlier one, (3) unfixed (will_not_fix), (4) fixed in a later release.
// It returns how many findings a correct matcher reports: a in {0, 3, 4}.
func writeBenchRPMVulnDB(path string) (int, error) {
	want := 0
	err := db.WriteDB(path, func(tx *bolt.Tx) error {
		if err := db.PutDataSource(tx, "rocky 9", types.DataSource{ID: "rocky", Name: "Rocky Linux updateinfo", URL: "https://download.rockylinux.org/pub/rocky/"}); err != nil {
			return err
		}
		for i := 0; i < benchRPMPackages; i += 5 {
			name, epoch, version, release := benchRPMPackage(i)
			e := ""
			if epoch != 0 {
				e = strconv.Itoa(epoch) + ":"
			}
			rel, _ := strconv.Atoi(strings.TrimSuffix(release, ".el9"))
			parts := strings.Split(version, ".")
			patch, _ := strconv.Atoi(parts[2])
			n := 1 + (i/5)%5
			for a := range n {
				id := fmt.Sprintf("CVE-2099-%d", i*10+a)
				var adv map[string]any
				switch a {
				case 0:
					adv = map[string]any{"FixedVersion": fmt.Sprintf("%s%s.%s.%d-1.el9", e, parts[0], parts[1], patch+1)}
				case 1:
					adv = map[string]any{"FixedVersion": e + version + "-" + release}
				case 2:
					adv = map[string]any{"FixedVersion": "0.1.0-1.el9"}
				case 3:
					adv = map[string]any{"Status": 5}
				case 4:
					adv = map[string]any{"FixedVersion": fmt.Sprintf("%s%s-%d.el9", e, version, rel+1)}
				}
				if a == 0 || a == 3 || a == 4 {
					want++
				}
				if err := db.PutAdvisory(tx, "rocky 9", name, id, adv); err != nil {
					return err
				}
				v := types.Vulnerability{
					Title:          "a title of about the usual length for a vulnerability " + id,
					Description:    "A description that is a few hundred bytes long, as most are in the real DB. It says what is wrong, where, and what an attacker can do with it, sometimes at length.",
					VendorSeverity: map[string]types.Severity{"nvd": types.Severity(a % 5), "rocky": types.Severity((a + 1) % 5)},
					CVSS:           map[string]types.CVSS{"nvd": {V3Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", V3Score: 9.8}},
					References:     []string{"https://example.org/" + id},
				}
				if err := db.PutVulnerability(tx, id, v); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return want, err
}

// benchRPMImage is the Rocky 9.3 image of one layer holding the database,
// its layer compressed once.
func benchRPMImage(b *testing.B, dbFile string) *types.Image {
	b.Helper()
	rpmdb, err := os.ReadFile(dbFile)
	if err != nil {
		b.Fatal(err)
	}
	tarBytes, err := imagebuild.TarBytes([]imagebuild.File{
		{Path: "etc/rocky-release", Body: "Rocky Linux release 9.3 (Blue Onyx)\n"},
		{Path: "etc/redhat-release", Type: '2', Linkname: "rocky-release", Mode: 0o777},
		{Path: "etc/os-release", Body: "NAME=\"Rocky Linux\"\nVERSION=\"9.3 (Blue Onyx)\"\nID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.3\"\nPLATFORM_ID=\"platform:el9\"\nPRETTY_NAME=\"Rocky Linux 9.3 (Blue Onyx)\"\n"},
		{Path: "var/lib/rpm/rpmdb.sqlite", Body: string(rpmdb)},
	})
	if err != nil {
		b.Fatal(err)
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	zw.Write(tarBytes)
	if err := zw.Close(); err != nil {
		b.Fatal(err)
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(gz.Bytes())), nil })
	if err != nil {
		b.Fatal(err)
	}
	v1img, err := imagebuild.Image("amd64", layer)
	if err != nil {
		b.Fatal(err)
	}
	img, err := imagebuild.EngineImage("rocky9-rpm1500", v1img)
	if err != nil {
		b.Fatal(err)
	}
	return img
}

// BenchmarkRPMImage1500 analyses and matches the 1,500-package rpm image
// (every layer analysed each time: no cache): the rpm database spooled
// and read, the OS found, 1,500 packages matched against "rocky 9".
func BenchmarkRPMImage1500(b *testing.B) {
	dbFile, built := benchRPMDB(b)
	vulnDB := filepath.Join(b.TempDir(), db.DBFile)
	want, err := writeBenchRPMVulnDB(vulnDB)
	if err != nil {
		b.Fatal(err)
	}
	d, err := db.Open(vulnDB)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	img := benchRPMImage(b, dbFile)
	opts := DefaultOptions()
	opts.TempDir = b.TempDir()
	opts.Scanners = []string{ScannerVuln}
	opts.DB = d
	var pkgs, found int
	for b.Loop() {
		rep, err := Image(context.Background(), img, opts)
		if err != nil {
			b.Fatal(err)
		}
		if len(rep.Results) == 0 || rep.Results[0].Class != types.ClassOSPkg {
			b.Fatal(errors.New("no OS package result"))
		}
		pkgs, found = len(rep.Results[0].Packages), len(rep.Results[0].Vulnerabilities)
	}
	if pkgs != benchRPMPackages || found != want {
		b.Fatalf("%d packages and %d findings, want %d and %d", pkgs, found, benchRPMPackages, want)
	}
	b.ReportMetric(built.Seconds(), "fixture-build-s")
	b.ReportMetric(float64(pkgs), "packages")
	b.ReportMetric(float64(found), "findings")
}
