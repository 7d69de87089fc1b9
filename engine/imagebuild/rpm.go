package imagebuild

// Images of rpm-based families for tests: a real rpm database (one of
// go-rpmdb's, taken from real images) with a family's release files in
// the first layer, and in the second layer the same database after an
// update of one package, done by Debian's rpm tools (rpmbuild builds a
// minimal package of that name and version; `rpm -U --justdb` records
// it). The package list an image should give is the rpm tool's, never
// ours: RPMOracle.

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/knqyf263/go-rpmdb/pkg/ndb"
)

// ErrNoRPMTools says the rpm tools (Debian's `rpm` package: rpm, rpmdb,
// rpmbuild) or go-rpmdb's test databases are missing: tests skip on it.
var ErrNoRPMTools = errors.New("rpm tools or go-rpmdb's test databases missing")

// RPMUpdate is the package the second layer of an RPM image updates (or
// downgrades): a package of Name is built at [Epoch:]Version-Release and
// installed over the one the base database has.
type RPMUpdate struct {
	Name string
	// SrcName is the source package it is built from (its SOURCERPM is
	// SrcName-Version-Release.src.rpm); empty means Name.
	SrcName string
	Epoch   int
	Version string
	Release string
	// Arch defaults to the arch of the installed package of Name.
	Arch string
	// Modularitylabel, when set, is the package's module
	// (name:stream:version:context), as on RHEL 8's modular packages.
	Modularitylabel string
	// Vendor defaults to the vendor of the installed package of Name, so
	// that the update is the distribution's own (a package of another
	// vendor is third-party, and not matched against its advisories).
	Vendor string
}

// RPMImageSpec says what image BuildRPMImage builds.
type RPMImageSpec struct {
	// BaseDB is a real rpm database file, read only: a BerkeleyDB
	// `Packages`, an NDB `Packages.db` or a SQLite `rpmdb.sqlite` (the
	// format is told by the base name). See GoRPMDBTestdata.
	BaseDB string
	// DBPath is where the database sits in the image, without a leading
	// slash: var/lib/rpm/Packages, usr/lib/sysimage/rpm/Packages.db...
	DBPath string
	// Files are the family's release files (etc/os-release,
	// etc/redhat-release...), put in layer 1 beside the database.
	Files []File
	// Arch is the image's architecture; empty means amd64.
	Arch string
	// Update is the package layer 2 updates.
	Update RPMUpdate
	// WorkDir is a directory private to the caller (t.TempDir()): all the
	// work happens in it, so two builds at once never collide.
	WorkDir string
	// Cache, when set, keeps the built rpm between runs: pass
	// testenv.Cached (this package cannot import testenv). nil builds it
	// in WorkDir every time (about 0.1 s).
	Cache func(name, version string, build func(dir string) error) (string, error)
}

// RPMPackage is a package as Debian's rpm prints it from a database.
// Empty tags are "" (rpm prints "(none)").
type RPMPackage struct {
	Name, Version, Release, Arch string
	Epoch                        int
	SourceRPM, License, Vendor   string
	Modularitylabel              string
}

// NEVRA is the package as name-[epoch:]version-release.arch.
func (p RPMPackage) NEVRA() string {
	e := ""
	if p.Epoch != 0 {
		e = strconv.Itoa(p.Epoch) + ":"
	}
	return p.Name + "-" + e + p.Version + "-" + p.Release + "." + p.Arch
}

// RPMImage is what BuildRPMImage made.
type RPMImage struct {
	Image v1.Image
	// DiffIDs of layer 1 (the base database and release files) and layer 2
	// (the updated database).
	DiffIDs [2]string
	// DBPath is the path of the database in layer 2. For a SQLite base it
	// is the base's own path. Debian's rpm cannot write BerkeleyDB or NDB,
	// so for those bases layer 2 holds what `rpmdb --rebuilddb` to SQLite
	// leaves: rpmdb.sqlite beside the old file, and a whiteout of the old
	// file (var/lib/rpm/.wh.Packages, usr/lib/sysimage/rpm/.wh.Packages.db).
	DBPath string
	// Base is the oracle's list of the layer-1 database, and Packages the
	// oracle's list of the final one, both sorted by NEVRA, gpg-pubkey
	// pseudo-packages left out. Debian's rpm cannot read NDB: for an NDB
	// base, Base is nil, and the headers were carried over to SQLite with
	// go-rpmdb's NDB reader (the blobs only: rpm parses them).
	Base, Packages []RPMPackage
	// Before and After are the updated package in Base (zero for NDB) and
	// in Packages.
	Before, After RPMPackage
}

// GoRPMDBTestdata is go-rpmdb v0.1.1's pkg/testdata directory in the
// module cache (centos5-plain ... centos8-modularitylabel, fedora35,
// ubi8-s390x, cbl-mariner-2.0, sle15-bci, libuuid), or an error wrapping
// ErrNoRPMTools when the module cache lacks it (`go mod download` fetches
// it: it is a dependency).
func GoRPMDBTestdata() (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", "github.com/knqyf263/go-rpmdb@v0.1.1")
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=mod")
	out, err := cmd.Output()
	var mod struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &mod); err != nil || jerr != nil || mod.Dir == "" {
		return "", fmt.Errorf("%w: go-rpmdb@v0.1.1 not in the module cache: %v %s", ErrNoRPMTools, err, mod.Error)
	}
	dir := filepath.Join(mod.Dir, "pkg", "testdata")
	if _, err := os.Stat(filepath.Join(dir, "fedora35", "rpmdb.sqlite")); err != nil {
		return "", fmt.Errorf("%w: %v", ErrNoRPMTools, err)
	}
	return dir, nil
}

// RPMToolsAvailable says whether rpm, rpmdb and rpmbuild are installed
// (an error wrapping ErrNoRPMTools if not).
func RPMToolsAvailable() error {
	for _, t := range []string{"rpm", "rpmdb", "rpmbuild"} {
		if _, err := exec.LookPath(t); err != nil {
			return fmt.Errorf("%w: %s not installed (apt-get install rpm)", ErrNoRPMTools, t)
		}
	}
	return nil
}

// rpmQueryFormat is the tags RPMOracle reads, tab-separated.
const rpmQueryFormat = `%{NAME}\t%{EPOCHNUM}\t%{VERSION}\t%{RELEASE}\t%{ARCH}\t%{SOURCERPM}\t%{LICENSE}\t%{VENDOR}\t%{MODULARITYLABEL}\n`

// RPMOracle lists the packages of the rpm database in dbDir (BerkeleyDB
// or SQLite) with Debian's rpm, sorted by NEVRA, gpg-pubkey left out.
// rpm may leave lock or -shm files in dbDir: query a copy of anything
// read only.
func RPMOracle(dbDir string) ([]RPMPackage, error) {
	abs, err := filepath.Abs(dbDir)
	if err != nil {
		return nil, err
	}
	var stderr bytes.Buffer
	cmd := exec.Command("rpm", "-qa", "--dbpath", abs, "--qf", rpmQueryFormat)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("rpm -qa --dbpath %s: %v: %s", abs, err, stderr.Bytes())
	}
	none := func(s string) string {
		if s == "(none)" {
			return ""
		}
		return s
	}
	var pkgs []RPMPackage
	for _, line := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 9 {
			if line == "" {
				continue
			}
			return nil, fmt.Errorf("rpm -qa: unexpected line %q", line)
		}
		if f[0] == "gpg-pubkey" {
			continue
		}
		epoch, err := strconv.Atoi(f[1])
		if err != nil {
			return nil, fmt.Errorf("rpm -qa: epoch in %q: %v", line, err)
		}
		pkgs = append(pkgs, RPMPackage{Name: f[0], Epoch: epoch, Version: f[2], Release: f[3], Arch: f[4],
			SourceRPM: none(f[5]), License: none(f[6]), Vendor: none(f[7]), Modularitylabel: none(f[8])})
	}
	sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].NEVRA() < pkgs[j].NEVRA() })
	if len(pkgs) == 0 {
		return nil, fmt.Errorf("rpm -qa --dbpath %s: no packages (%s)", abs, stderr.Bytes())
	}
	return pkgs, nil
}

// BuildRPMImage builds the two-layer image spec describes. Errors wrap
// ErrNoRPMTools when the rpm tools are missing. With spec.Cache the
// updated database and the oracle's lists are kept between runs (keyed by
// the base database's content, the update and rpm's version), so a second
// run only assembles the layers.
func BuildRPMImage(spec RPMImageSpec) (*RPMImage, error) {
	if err := RPMToolsAvailable(); err != nil {
		return nil, err
	}
	if spec.WorkDir == "" || spec.BaseDB == "" || spec.DBPath == "" || spec.Update.Name == "" {
		return nil, fmt.Errorf("BuildRPMImage: WorkDir, BaseDB, DBPath and Update.Name are required")
	}
	base, err := os.ReadFile(spec.BaseDB)
	if err != nil {
		return nil, err
	}
	res := &RPMImage{DBPath: spec.DBPath}
	var whiteout string
	switch filepath.Base(spec.BaseDB) {
	case "rpmdb.sqlite":
	case "Packages", "Packages.db":
		res.DBPath = path.Join(path.Dir(spec.DBPath), "rpmdb.sqlite")
		whiteout = path.Join(path.Dir(spec.DBPath), ".wh."+path.Base(spec.DBPath))
	default:
		return nil, fmt.Errorf("BuildRPMImage: %s is not Packages, Packages.db or rpmdb.sqlite", spec.BaseDB)
	}
	var outDir string
	if spec.Cache == nil {
		if outDir, err = os.MkdirTemp(spec.WorkDir, "rpmimage-*"); err == nil {
			err = updateRPMDB(spec, base, outDir)
		}
	} else {
		rpmVersion, _ := exec.Command("rpm", "--version").Output()
		sum := sha256.Sum256(base)
		key, _ := json.Marshal([]any{rpmSpecVersion, string(rpmVersion), hex.EncodeToString(sum[:]), filepath.Base(spec.BaseDB), spec.Update})
		h := sha256.Sum256(key)
		outDir, err = spec.Cache("rpm-image", hex.EncodeToString(h[:])[:16], func(dir string) error {
			return updateRPMDB(spec, base, dir)
		})
	}
	if err != nil {
		return nil, err
	}
	final, err := os.ReadFile(filepath.Join(outDir, "rpmdb.sqlite"))
	if err != nil {
		return nil, err
	}
	lists, err := os.ReadFile(filepath.Join(outDir, "oracle.json"))
	if err != nil {
		return nil, err
	}
	var o rpmOracleLists
	if err := json.Unmarshal(lists, &o); err != nil {
		return nil, err
	}
	res.Base, res.Packages, res.Before, res.After = o.Base, o.Packages, o.Before, o.After

	l1, err := fastLayer(append([]File{{Path: spec.DBPath, Body: string(base)}}, spec.Files...))
	if err != nil {
		return nil, err
	}
	l2Files := []File{{Path: res.DBPath, Body: string(final)}}
	if whiteout != "" {
		l2Files = append(l2Files, File{Path: whiteout})
	}
	l2, err := fastLayer(l2Files)
	if err != nil {
		return nil, err
	}
	arch := spec.Arch
	if arch == "" {
		arch = "amd64"
	}
	if res.Image, err = Image(arch, l1, l2); err != nil {
		return nil, err
	}
	for i, l := range []v1.Layer{l1, l2} {
		d, err := l.DiffID()
		if err != nil {
			return nil, err
		}
		res.DiffIDs[i] = d.String()
	}
	return res, nil
}

// fastLayer is Layer compressed once, at gzip's fastest level: these
// layers hold databases of tens of MB, and Layer compresses them again
// each time they are read.
func fastLayer(files []File) (v1.Layer, error) {
	b, err := TarBytes(files)
	if err != nil {
		return nil, err
	}
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(gz.Bytes())), nil })
}

// rpmOracleLists is oracle.json in updateRPMDB's output.
type rpmOracleLists struct {
	Base, Packages []RPMPackage
	Before, After  RPMPackage
}

// updateRPMDB does the rpm work of BuildRPMImage in out: the base
// database copied, converted to SQLite if it is not, the update
// installed; out/rpmdb.sqlite is the result and out/oracle.json the
// oracle's lists.
func updateRPMDB(spec RPMImageSpec, base []byte, out string) error {
	work, err := os.MkdirTemp(spec.WorkDir, "rpmdb-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	dbDir := filepath.Join(work, "db")
	if err := os.Mkdir(dbDir, 0o755); err != nil {
		return err
	}
	var o rpmOracleLists
	switch filepath.Base(spec.BaseDB) {
	case "rpmdb.sqlite":
		if err := os.WriteFile(filepath.Join(dbDir, "rpmdb.sqlite"), base, 0o644); err != nil {
			return err
		}
		if o.Base, err = RPMOracle(dbDir); err != nil {
			return err
		}
	case "Packages": // BerkeleyDB: rpm reads it (bdb_ro) and converts it
		if err := os.WriteFile(filepath.Join(dbDir, "Packages"), base, 0o644); err != nil {
			return err
		}
		if o.Base, err = RPMOracle(dbDir); err != nil {
			return err
		}
		if err := run("", "rpmdb", "--rebuilddb", "--dbpath", dbDir, "--define", "_db_backend sqlite"); err != nil {
			return err
		}
	case "Packages.db": // NDB: rpm cannot read it; carry the headers over
		headers, err := ndbHeaders(spec.BaseDB, work)
		if err != nil {
			return err
		}
		if err := run(headers, "rpmdb", "--importdb", "--dbpath", dbDir, "--define", "_db_backend sqlite"); err != nil {
			return err
		}
	}
	up := spec.Update
	if up.SrcName == "" {
		up.SrcName = up.Name
	}
	current, err := RPMOracle(dbDir)
	if err != nil {
		return err
	}
	for _, p := range current {
		if p.Name == up.Name && (up.Arch == "" || up.Arch == p.Arch) {
			if o.Base != nil {
				o.Before = p
			}
			if up.Arch == "" {
				up.Arch = p.Arch
			}
			if up.Vendor == "" {
				up.Vendor = p.Vendor
			}
			break
		}
	}
	if up.Arch == "" {
		return fmt.Errorf("BuildRPMImage: %s is not installed in %s", up.Name, spec.BaseDB)
	}
	rpmFile, err := buildRPM(up, work, spec.Cache)
	if err != nil {
		return err
	}
	if err := run("", "rpm", "-U", "--justdb", "--nodeps", "--noscripts", "--notriggers", "--nosignature", "--nodigest",
		"--ignorearch", "--ignoreos", "--oldpackage", "--dbpath", dbDir, rpmFile); err != nil {
		return err
	}
	if o.Packages, err = RPMOracle(dbDir); err != nil {
		return err
	}
	for _, p := range o.Packages {
		if p.Name == up.Name && p.Arch == up.Arch {
			o.After = p
		}
	}
	if o.After.Version != up.Version || o.After.Release != up.Release || o.After.Epoch != up.Epoch {
		return fmt.Errorf("BuildRPMImage: after the update rpm lists %s, not %s %d:%s-%s", o.After.NEVRA(), up.Name, up.Epoch, up.Version, up.Release)
	}
	// rpm checkpoints its write-ahead log when it closes the database: the
	// main file alone is the whole database, as in an image.
	if st, err := os.Stat(filepath.Join(dbDir, "rpmdb.sqlite-wal")); err == nil && st.Size() > 0 {
		return fmt.Errorf("BuildRPMImage: rpm left %d bytes in rpmdb.sqlite-wal", st.Size())
	}
	if err := os.Rename(filepath.Join(dbDir, "rpmdb.sqlite"), filepath.Join(out, "rpmdb.sqlite")); err != nil {
		return err
	}
	lists, err := json.Marshal(o)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "oracle.json"), lists, 0o644)
}

// ndbHeaders writes the package headers of an NDB database as a header
// stream `rpmdb --importdb` reads (each: the 8-byte header magic, then the
// blob as stored), and returns the stream's path.
func ndbHeaders(dbFile, work string) (string, error) {
	cp := filepath.Join(work, "Packages.db")
	b, err := os.ReadFile(dbFile)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(cp, b, 0o644); err != nil {
		return "", err
	}
	db, err := ndb.Open(cp)
	if err != nil {
		return "", fmt.Errorf("read NDB %s: %w", dbFile, err)
	}
	defer db.Close()
	var buf bytes.Buffer
	n := 0
	for e := range db.Read() {
		if e.Err != nil {
			return "", fmt.Errorf("read NDB %s: %w", dbFile, e.Err)
		}
		buf.Write([]byte{0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0})
		buf.Write(e.Value)
		n++
	}
	if n == 0 {
		return "", fmt.Errorf("read NDB %s: no headers", dbFile)
	}
	out := filepath.Join(work, "headers")
	return out, os.WriteFile(out, buf.Bytes(), 0o644)
}

// rpmSpecVersion changes when buildRPM's spec or options change.
const rpmSpecVersion = "1"

// buildRPM builds (or takes from the cache) a package of up with no files.
func buildRPM(up RPMUpdate, work string, cache func(string, string, func(string) error) (string, error)) (string, error) {
	headers := ""
	if up.Epoch != 0 {
		headers = fmt.Sprintf("Epoch: %d\n", up.Epoch)
	}
	var sub string
	if up.Name != up.SrcName {
		sub = "%package -n " + up.Name + "\nSummary: test package\n%description -n " + up.Name + "\ntest package\n%files -n " + up.Name + "\n"
	} else {
		sub = "%files\n"
	}
	if up.Vendor != "" {
		headers += "Vendor: " + up.Vendor + "\n"
	}
	specText := "Name: " + up.SrcName + "\n" + headers + "Version: " + up.Version + "\nRelease: " + up.Release +
		"\nSummary: test package\nLicense: MIT\n%description\ntest package\n" + sub
	arch := up.Arch
	file := fmt.Sprintf("%s-%s-%s.%s.rpm", up.Name, up.Version, up.Release, arch)
	build := func(dir string) error {
		top := filepath.Join(dir, "top")
		for _, d := range []string{"SPECS", "tmp"} {
			if err := os.MkdirAll(filepath.Join(top, d), 0o755); err != nil {
				return err
			}
		}
		specFile := filepath.Join(top, "SPECS", "pkg.spec")
		if err := os.WriteFile(specFile, []byte(specText), 0o644); err != nil {
			return err
		}
		args := []string{"-bb", "--quiet", "--define", "_topdir " + top, "--define", "_tmppath " + filepath.Join(top, "tmp"),
			"--define", "_build_id_links none"}
		if up.Modularitylabel != "" {
			args = append(args, "--define", "modularitylabel "+up.Modularitylabel)
		}
		if arch == "noarch" {
			args = append(args, "--define", "_target_cpu noarch")
		} else {
			args = append(args, "--target", arch)
		}
		if err := run("", "rpmbuild", append(args, specFile)...); err != nil {
			return err
		}
		built := filepath.Join(top, "RPMS", arch, file)
		if _, err := os.Stat(built); err != nil {
			return fmt.Errorf("rpmbuild did not write %s: %v", built, err)
		}
		return os.Rename(built, filepath.Join(dir, file))
	}
	if cache == nil {
		dir, err := os.MkdirTemp(work, "rpmbuild-*")
		if err != nil {
			return "", err
		}
		return filepath.Join(dir, file), build(dir)
	}
	rpmVersion, _ := exec.Command("rpm", "--version").Output()
	h := sha256.Sum256([]byte(rpmSpecVersion + "\x00" + string(rpmVersion) + "\x00" + arch + "\x00" + up.Modularitylabel + "\x00" + specText))
	dir, err := cache("rpm-update", hex.EncodeToString(h[:])[:16], build)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, file), nil
}

// run runs a tool, its stdin from the file stdin when that is not "".
func run(stdin string, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	if stdin != "" {
		f, err := os.Open(stdin)
		if err != nil {
			return err
		}
		defer f.Close()
		cmd.Stdin = f
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
	return nil
}
