package scan

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/docker-scan/docker-scan/engine/db"
	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/testenv"
	"github.com/docker-scan/docker-scan/engine/types"
	bolt "go.etcd.io/bbolt"
)

// The real-image benchmark: the Debian bookworm application root that
// cmd/docker-scan's TestSecretsQuietOnDebianImage builds with debootstrap,
// apt-get and npm (python3 + pip + a venv + Django, SQLAlchemy, requests;
// nodejs + npm + an express/pg/axios tree in /app; a JRE and jars; perl;
// git), scanned as one uncompressed layer, in process. Packages times the
// package-only scan (--scanners vuln, against an empty fixture DB: no
// matching cost), Default the default one (vuln + secret); the ratio of
// the two is the cost of the secret pass on a real image.

// debianBenchRoot is the Debian application root of the test cache, or a
// skip when no run has built it.
func debianBenchRoot(b *testing.B) string {
	b.Helper()
	cache, err := testenv.CacheRoot()
	if err != nil {
		testenv.Unavailable(b, err)
	}
	// The entry of cmd/docker-scan's debianAppRoot (debianAppVersion v1).
	dir := filepath.Join(cache, "debian-app-v1")
	if _, err := os.Stat(filepath.Join(dir, ".complete")); err != nil {
		testenv.Unavailable(b, errors.New("no Debian application root in the test cache: `go test -run TestSecretsQuietOnDebianImage ./cmd/docker-scan/` (root, debootstrap, npm, the network) builds it"))
	}
	return filepath.Join(dir, "root")
}

// debianBenchImage is the root as one plain tar layer, written once per
// machine beside the other cached benchmark inputs.
func debianBenchImage(b *testing.B) *types.Image {
	b.Helper()
	root := debianBenchRoot(b)
	dir, err := testenv.Cached("bench-debian-app-layer", "v1", func(dir string) error {
		return imagebuild.DirTar(root, filepath.Join(dir, "rootfs.tar"))
	})
	if err != nil {
		b.Fatal(err)
	}
	img, err := imagebuild.RootfsImage("debian-app:bookworm", filepath.Join(dir, "rootfs.tar"))
	if err != nil {
		b.Fatal(err)
	}
	return img
}

func BenchmarkDebianRealImagePackages(b *testing.B) { benchDebianRealImage(b, ScannerVuln) }
func BenchmarkDebianRealImageDefault(b *testing.B) {
	benchDebianRealImage(b, ScannerVuln, ScannerSecret)
}

// License adds the licence scanner to the package scan (the cost of
// classifying every package's licences); LicenseFull adds --license-full
// (licence texts found in files and classified).
func BenchmarkDebianRealImageLicense(b *testing.B) {
	benchDebianRealImage(b, ScannerVuln, ScannerLicense)
}
func BenchmarkDebianRealImageLicenseFull(b *testing.B) {
	benchDebianRealImage(b, ScannerVuln, ScannerLicense, "full")
}

// SecretOverhead interleaves the two: each round scans package-only and
// by default, and the ratio of their times (wall and CPU) is reported
// directly, with each one's peak RSS. Interleaving keeps a busy moment of
// the machine from landing on one side only.
func BenchmarkDebianRealImageSecretOverhead(b *testing.B) {
	img := debianBenchImage(b)
	d := emptyDebianDB(b)
	defer d.Close()
	optsFor := func(scanners ...string) Options {
		opts := DefaultOptions()
		opts.TempDir = b.TempDir()
		opts.DB = d
		opts.Scanners = scanners
		return opts
	}
	pkgOpts, defOpts := optsFor(ScannerVuln), optsFor(ScannerVuln, ScannerSecret)
	var wall, cpu [2]time.Duration
	var peak [2]int64
	round := 0
	for b.Loop() {
		// Which goes first alternates: the second of two scans finds
		// the heap grown and the file's pages cached.
		order := []int{0, 1}
		if round%2 == 1 {
			order = []int{1, 0}
		}
		round++
		for _, i := range order {
			opts := []Options{pkgOpts, defOpts}[i]
			resetPeakRSS()
			cpu0, start := cpuTime(), time.Now()
			if _, err := Image(context.Background(), img, opts); err != nil {
				b.Fatal(err)
			}
			wall[i] += time.Since(start)
			cpu[i] += cpuTime() - cpu0
			peak[i] = max(peak[i], peakRSS())
		}
	}
	n := float64(b.N)
	b.ReportMetric(wall[0].Seconds()/n, "pkg-s/scan")
	b.ReportMetric(wall[1].Seconds()/n, "default-s/scan")
	b.ReportMetric(wall[1].Seconds()/wall[0].Seconds(), "overhead-x")
	b.ReportMetric(cpu[1].Seconds()/cpu[0].Seconds(), "cpu-overhead-x")
	b.ReportMetric(float64(peak[0])/(1<<20), "pkg-peak-RSS-MiB")
	b.ReportMetric(float64(peak[1])/(1<<20), "default-peak-RSS-MiB")
}

// emptyDebianDB is a vulnerability DB that knows Debian 12 and has no
// advisories: the scans pay for no matching.
func emptyDebianDB(b *testing.B) *db.DB {
	vulnDB := filepath.Join(b.TempDir(), db.DBFile)
	if err := db.WriteDB(vulnDB, func(tx *bolt.Tx) error {
		return db.PutDataSource(tx, "debian 12", types.DataSource{ID: "debian", Name: "Debian Security Tracker"})
	}); err != nil {
		b.Fatal(err)
	}
	d, err := db.Open(vulnDB)
	if err != nil {
		b.Fatal(err)
	}
	return d
}

func benchDebianRealImage(b *testing.B, scanners ...string) {
	img := debianBenchImage(b)
	d := emptyDebianDB(b)
	defer d.Close()
	opts := DefaultOptions()
	opts.TempDir = b.TempDir()
	opts.DB = d
	for _, s := range scanners {
		if s == "full" {
			opts.LicenseFull, opts.LicenseConfidence = true, 0.9
			continue
		}
		opts.Scanners = append(opts.Scanners, s)
	}
	resetPeakRSS()
	var pkgs, findings, licences int
	cpu0 := cpuTime()
	start := time.Now()
	for b.Loop() {
		rep, err := Image(context.Background(), img, opts)
		if err != nil {
			b.Fatal(err)
		}
		pkgs, findings, licences = 0, 0, 0
		for _, r := range rep.Results {
			pkgs += len(r.Packages)
			findings += len(r.Secrets)
			licences += len(r.Licenses)
		}
	}
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	if pkgs < 500 {
		b.Fatalf("%d packages in the Debian application image, want hundreds", pkgs)
	}
	b.ReportMetric(elapsed.Seconds()/float64(b.N), "s/scan")
	// CPU time (user + system) is steadier than wall time on a shared
	// machine.
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/scan")
	b.ReportMetric(float64(pkgs), "packages")
	b.ReportMetric(float64(findings), "secrets")
	b.ReportMetric(float64(licences), "licences")
	if hwm := peakRSS(); hwm > 0 {
		b.ReportMetric(float64(hwm)/(1<<20), "peak-RSS-MiB")
	}
}

// cpuTime is the user and system time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// resetPeakRSS restarts the process's peak resident set size (VmHWM),
// so that each benchmark reports its own peak.
func resetPeakRSS() {
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// peakRSS is VmHWM of /proc/self/status in bytes, 0 where unknown.
func peakRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := bytes.CutPrefix(sc.Bytes(), []byte("VmHWM:")); ok {
			n, err := strconv.ParseInt(string(bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(rest), []byte("kB")))), 10, 64)
			if err != nil {
				return 0
			}
			return n << 10
		}
	}
	return 0
}
