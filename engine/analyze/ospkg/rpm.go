package ospkg

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"

	rpmdb "github.com/knqyf263/go-rpmdb/pkg"
	// go-rpmdb opens SQLite databases through database/sql's "sqlite"
	// driver, which this pure-Go package registers.
	_ "modernc.org/sqlite"

	"github.com/docker-scan/docker-scan/engine/iox"
	"github.com/docker-scan/docker-scan/engine/types"
)

// Where rpm keeps its database: var/lib/rpm on older releases,
// usr/lib/sysimage/rpm on newer ones (Fedora 36+, SUSE), in one of three
// formats: BerkeleyDB (Packages), NDB (Packages.db) or SQLite
// (rpmdb.sqlite).
var rpmDBPaths = map[string]bool{
	"var/lib/rpm/Packages":              true,
	"var/lib/rpm/Packages.db":           true,
	"var/lib/rpm/rpmdb.sqlite":          true,
	"usr/lib/sysimage/rpm/Packages":     true,
	"usr/lib/sysimage/rpm/Packages.db":  true,
	"usr/lib/sysimage/rpm/rpmdb.sqlite": true,
}

// IsRPMDB reports whether filePath is where rpm keeps its database.
func IsRPMDB(filePath string) bool { return rpmDBPaths[filePath] }

// maxRPMDBSize is the largest rpm database that is read. The databases
// keep every header of every package (file lists, digests, changelogs):
// a CentOS 7 image with a few hundred packages has a 30 MB one.
const maxRPMDBSize = 512 << 20

// rpmTempPattern names the spooled copies of rpm databases in the temp
// dir, for iox.RemoveOrphans.
const rpmTempPattern = "rpmdb-*"

// RPMTempPatterns are the globs, in the temp dir, of the files the rpm
// analyzer writes, for iox.RemoveOrphans at start-up: the database copy and
// the side files SQLite may make next to it.
var RPMTempPatterns = []string{rpmTempPattern}

// RPM reads rpm's database of installed packages. The database libraries
// open a file by path (SQLite needs one), so the analyzer is a
// StreamAnalyzer: it copies the database from the layer stream to a locked
// temp file in its temp dir, reads it and removes it (and any side file
// SQLite made) before it returns, whatever happens.
type RPM struct {
	tempDir string
}

// NewRPM returns the rpm analyzer, which spools databases into tempDir
// (the scan's <cache-dir>/tmp).
func NewRPM(tempDir string) RPM { return RPM{tempDir: tempDir} }

func (RPM) Name() string { return "rpm" }
func (RPM) Version() int { return 4 }

func (RPM) WantsStream(filePath string, _ int64, mode fs.FileMode, _ []byte) bool {
	return mode.IsRegular() && rpmDBPaths[filePath]
}

func (a RPM) AnalyzeStream(filePath string, size int64, r io.Reader, res *types.LayerResult) error {
	if size > maxRPMDBSize {
		res.Issues = append(res.Issues, types.AnalysisIssue{Layer: res.DiffID, Analyzer: a.Name(), FilePath: filePath,
			Reason: fmt.Sprintf("not read: %d bytes is over the limit of %d bytes for an rpm database", size, maxRPMDBSize)})
		return nil
	}
	pkgs, skipped, err := a.read(r)
	if err != nil {
		return err
	}
	res.PackageDBs = append(res.PackageDBs, types.PackageDB{FilePath: filePath, Type: "rpm", Packages: pkgs})
	skipped.issues(res, a.Name(), filePath)
	return nil
}

// read spools r into a temp file and lists the packages in it.
func (a RPM) read(r io.Reader) ([]types.Package, notes, error) {
	if a.tempDir == "" {
		return nil, notes{}, errors.New("no temp dir to copy the rpm database to")
	}
	tmp, err := iox.CreateTempShared(a.tempDir, rpmTempPattern)
	if err != nil {
		return nil, notes{}, fmt.Errorf("copy rpm database: %w", err)
	}
	defer func() {
		// A WAL database opened for reading gets -wal and -shm files
		// beside it.
		for _, side := range []string{"-wal", "-shm", "-journal"} {
			os.Remove(tmp.Name() + side)
		}
		tmp.Remove()
	}()
	n, err := io.Copy(tmp, io.LimitReader(r, maxRPMDBSize+1))
	if err != nil {
		return nil, notes{}, fmt.Errorf("copy rpm database: %w", err)
	}
	if n > maxRPMDBSize {
		return nil, notes{}, fmt.Errorf("rpm database is larger than %d bytes", maxRPMDBSize)
	}
	if err := tmp.Close(); err != nil {
		return nil, notes{}, fmt.Errorf("copy rpm database: %w", err)
	}
	rpms, err := ReadRPMDB(tmp.Name())
	if err != nil {
		return nil, notes{}, err
	}
	pkgs, skipped := rpmPackages(rpms)
	return pkgs, skipped, nil
}

// RPMPackage is one package as the rpm database has it.
type RPMPackage struct {
	Name    string
	Epoch   int
	Version string
	Release string
	Arch    string
	// SourceRPM is the file name of the source package
	// ("glibc-2.28-151.el8.src.rpm"), empty when the header has none.
	SourceRPM       string
	License         string
	Vendor          string
	Modularitylabel string
	// SigMD5 is the MD5 of the package's header and payload (rpm's
	// SIGMD5 tag), in hex; empty when the header has none.
	SigMD5 string
	// Files are the paths the package owns, absolute as rpm keeps them.
	Files []string
	// Provides and Requires are the capabilities the package offers and
	// needs, by name without version ("libc.so.6()(64bit)", "/bin/sh",
	// "glibc").
	Provides, Requires []string
}

// ReadRPMDB lists the packages of the rpm database at dbPath, in any of
// the three formats, leaving out gpg-pubkey pseudo-packages (the keys rpm
// trusts), as rpm -qa users and Trivy expect. A database the library
// cannot read, or that crashes it, gives an error.
func ReadRPMDB(dbPath string) (pkgs []RPMPackage, err error) {
	defer func() {
		if r := recover(); r != nil {
			pkgs, err = nil, fmt.Errorf("read rpm database: malformed (reader crashed: %v)", r)
		}
	}()
	return readRPMDB(dbPath)
}

// readRPMDB is ReadRPMDB without the recover, for the fuzz target.
func readRPMDB(dbPath string) ([]RPMPackage, error) {
	var pkgs []RPMPackage
	if err := checkRPMDB(dbPath); err != nil {
		return nil, fmt.Errorf("read rpm database: %w", err)
	}
	db, err := rpmdb.Open(dbPath)
	if err != nil {
		return nil, fmt.Errorf("open rpm database: %w", err)
	}
	defer db.Close()
	infos, err := db.ListPackages()
	if err != nil {
		return nil, fmt.Errorf("read rpm database: %w", err)
	}
	for _, info := range infos {
		if info.Name == "gpg-pubkey" {
			continue
		}
		p := RPMPackage{
			Name:            info.Name,
			Epoch:           info.EpochNum(),
			Version:         info.Version,
			Release:         info.Release,
			Arch:            info.Arch,
			SourceRPM:       info.SourceRpm,
			License:         info.License,
			Vendor:          info.Vendor,
			Modularitylabel: info.Modularitylabel,
			SigMD5:          info.SigMD5,
			Provides:        info.Provides,
			Requires:        info.Requires,
		}
		if p.Files, err = info.InstalledFileNames(); err != nil {
			return nil, fmt.Errorf("read rpm database: package %s: file list: %w", info.Name, err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}

// SplitSourceRPM splits a source package file name,
// "name-version-release.src.rpm", into its parts. Names and versions may
// hold dashes, releases may not: the last two dashes separate them.
func SplitSourceRPM(file string) (name, version, release string, ok bool) {
	base, found := strings.CutSuffix(file, ".rpm")
	if !found {
		return "", "", "", false
	}
	dot := strings.LastIndexByte(base, '.') // the arch: src, nosrc
	if dot < 0 {
		return "", "", "", false
	}
	base = base[:dot]
	r := strings.LastIndexByte(base, '-')
	if r <= 0 {
		return "", "", "", false
	}
	v := strings.LastIndexByte(base[:r], '-')
	if v <= 0 || v+1 == r || r+1 == len(base) {
		return "", "", "", false
	}
	return base[:v], base[v+1 : r], base[r+1:], true
}

// rpmOSVendors are the vendors (prefixes of rpm's Vendor tag) whose
// packages are the distribution's own, as Trivy lists them: Amazon Linux
// 1 and 2, CentOS, Fedora, Oracle, Red Hat, AlmaLinux (and CloudLinux,
// which builds it), Photon (VMware), SUSE, openSUSE, CBL-Mariner and Azure
// Linux (Microsoft), Rocky.
var rpmOSVendors = []string{
	"Amazon Linux", "Amazon.com", "CentOS", "Fedora Project", "Oracle America", "Red Hat", "AlmaLinux",
	"CloudLinux", "VMware", "SUSE", "openSUSE", "Microsoft Corporation", "Rocky",
}

// rpmFromVendor reports whether the package was built by the
// distribution. Amazon's packages may have no Vendor: a release naming
// amzn ("2.0.amzn2") stands for it.
func rpmFromVendor(r RPMPackage) bool {
	if r.Vendor == "" {
		return strings.Contains(r.Release, "amzn")
	}
	for _, v := range rpmOSVendors {
		if strings.HasPrefix(r.Vendor, v) {
			return true
		}
	}
	return false
}

// maxCapabilitiesPerDB bounds the Provides and Requires entries, together,
// read from one rpm database to resolve dependencies (a CentOS 8 image
// with 500 packages has about 20,000).
const maxCapabilitiesPerDB = 2_000_000

// rpmPackages turns rpm's packages into ours, within the limits on
// packages and files per database: version and release apart, as Trivy
// reports them, the vendor as the maintainer. Packages of a vendor other
// than the distribution's are third-party: Trivy lists no files for them
// (so that the language packages they install are reported) and matches
// no advisory against them. DependsOn is the IDs of the packages that
// provide what each one requires.
func rpmPackages(rpms []RPMPackage) ([]types.Package, notes) {
	var (
		pkgs    []types.Package
		skipped notes
		files   int
		caps    int
		// provider is the ID of the package that provides a capability:
		// the last one listed, when several do.
		provider = map[string]string{}
		requires [][]string
	)
	for _, r := range rpms {
		if len(pkgs) == maxPackagesPerDB {
			skipped.add(fmt.Sprintf("packages past the first %d were not read", maxPackagesPerDB), r.Name)
			break
		}
		p := types.Package{
			Name:       r.Name,
			Version:    r.Version,
			Release:    r.Release,
			Epoch:      r.Epoch,
			Arch:       r.Arch,
			SrcName:    r.Name,
			SrcVersion: r.Version,
			SrcRelease: r.Release,
			SrcEpoch:   r.Epoch,
			// Trivy keeps the vendor as the maintainer, and the license
			// as one expression ("GPLv2+ and LGPLv2+").
			Maintainer:      r.Vendor,
			Modularitylabel: r.Modularitylabel,
		}
		// Trivy's rpm ID: name@version-release.arch, without the epoch.
		p.ID = r.Name + "@" + r.Version + "-" + r.Release + "." + r.Arch
		if r.License != "" {
			p.Licenses = []string{r.License}
		}
		if r.SigMD5 != "" {
			// Trivy's rpm Digest: the header's SIGMD5.
			p.Digest = "md5:" + r.SigMD5
		}
		if name, ver, rel, ok := SplitSourceRPM(r.SourceRPM); ok {
			// A source rpm's file name has no epoch: the binary
			// package's is the source's (rpm builds both from one spec).
			p.SrcName, p.SrcVersion, p.SrcRelease = name, ver, rel
		}
		p.Repository.Class = types.RepositoryClassThirdParty
		if rpmFromVendor(r) {
			p.Repository.Class = types.RepositoryClassOfficial
		} else {
			r.Files = nil
		}
		for _, f := range r.Files {
			switch {
			case len(f) > maxPathLine:
				skipped.add(fmt.Sprintf("installed files with a path over %d bytes were left out", maxPathLine), r.Name)
			case files == maxFilesPerDB:
				skipped.add(fmt.Sprintf("installed files past the first %d were left out", maxFilesPerDB), r.Name)
			default:
				// Relative to the root, like every path the walker
				// reports; the root itself (the filesystem package
				// owns "/") is "", which reports print as "/".
				if rel := strings.TrimPrefix(path.Clean("/"+f), "/"); rel != "" || strings.HasPrefix(f, "/") {
					files++
					p.InstalledFiles = append(p.InstalledFiles, rel)
				}
			}
		}
		var req []string
		if n := len(r.Provides) + len(r.Requires); caps+n > maxCapabilitiesPerDB {
			skipped.add(fmt.Sprintf("dependencies past the first %d capabilities were not resolved", maxCapabilitiesPerDB), r.Name)
		} else {
			caps += n
			for _, c := range r.Provides {
				provider[c] = p.ID
			}
			req = r.Requires
		}
		requires = append(requires, req)
		pkgs = append(pkgs, p)
	}
	for i := range pkgs {
		pkgs[i].DependsOn = rpmDependsOn(pkgs[i].ID, requires[i], provider)
	}
	return pkgs, skipped
}

// rpmDependsOn resolves a package's requirements to the IDs of the
// packages that provide them, sorted, each once, itself left out; a
// requirement nothing provides (rpmlib features, files no package names
// as a capability) is dropped.
func rpmDependsOn(id string, requires []string, provider map[string]string) []string {
	var out []string
	for _, c := range requires {
		if dep, ok := provider[c]; ok && dep != id {
			out = append(out, dep)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
