package ospkg

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/docker-scan/docker-scan/engine/licensing"
	"github.com/docker-scan/docker-scan/engine/types"
)

// ApkDB is where apk keeps the installed packages.
const ApkDB = "lib/apk/db/installed"

// maxApkLine is the longest line of the database that is read; apk's own
// fields are far shorter. A record with a longer line is left out.
const maxApkLine = 1 << 20

// Apk reads Alpine's installed-packages database.
type Apk struct{}

func (Apk) Name() string { return "apk" }
func (Apk) Version() int { return 5 } // 5: L: split on spaces and normalised to SPDX, as Trivy does

func (Apk) Wants(filePath string, size int64) bool {
	return filePath == ApkDB && size <= maxWantedDBSize
}

func (a Apk) Analyze(filePath string, content []byte, res *types.LayerResult) error {
	if len(content) > maxDBSize {
		tooBig(res, a.Name(), filePath, len(content))
		return nil
	}
	pkgs, skipped, err := parseApk(content)
	if err != nil {
		return err
	}
	res.PackageDBs = append(res.PackageDBs, types.PackageDB{FilePath: filePath, Type: "apk", Packages: pkgs})
	skipped.issues(res, a.Name(), filePath)
	return nil
}

// ParseApk parses lib/apk/db/installed: one "K:value" line per field,
// packages separated by blank lines (apk's "installed database" format).
func ParseApk(content []byte) ([]types.Package, error) {
	pkgs, _, err := parseApk(content)
	return pkgs, err
}

// parseApk is ParseApk that also says what it left out: records with a
// line over maxApkLine, packages past maxPackagesPerDB, files past
// maxFilesPerDB.
func parseApk(content []byte) ([]types.Package, notes, error) {
	var (
		pkgs    []types.Package
		cur     types.Package
		curDir  string
		started bool
		// tooLong: the record has a line over maxApkLine; it is dropped.
		tooLong bool
		lineNo  int
		files   int
		skipped notes
		// stopped: the package limit was reached.
		stopped bool
		err     error
		// provides maps package names and what packages provide
		// (so:libc.musl-x86_64.so.1) to package IDs, for DependsOn.
		provides    = map[string]string{}
		curProvides []string
	)
	flush := func() bool {
		if !started {
			return true
		}
		if tooLong {
			cur, curDir, curProvides, started, tooLong = types.Package{}, "", nil, false, false
			return true
		}
		if cur.Name == "" || cur.Version == "" {
			err = fmt.Errorf("line %d: package without name or version", lineNo)
			return false
		}
		if len(pkgs) == maxPackagesPerDB {
			skipped.add(fmt.Sprintf("packages past the first %d were not read", maxPackagesPerDB), fmt.Sprintf("line %d", lineNo))
			stopped = true
			return false
		}
		cur.ID = cur.Name + "@" + cur.Version
		if cur.SrcName == "" {
			cur.SrcName = cur.Name
		}
		cur.SrcVersion = cur.Version
		provides[cur.Name] = cur.ID
		for _, name := range curProvides {
			provides[name] = cur.ID
		}
		pkgs = append(pkgs, cur)
		cur, curDir, curProvides, started = types.Package{}, "", nil, false
		return true
	}
	eachLine(content, func(raw []byte, n int) bool {
		lineNo = n
		if len(bytes.TrimSpace(raw)) == 0 {
			return flush()
		}
		started = true
		if len(raw) > maxApkLine {
			skipped.add(fmt.Sprintf("package records with a line over %d bytes were left out", maxApkLine), fmt.Sprintf("line %d, %d bytes", n, len(raw)))
			tooLong = true
			return true
		}
		if tooLong {
			return true
		}
		if len(raw) < 2 || raw[1] != ':' {
			err = fmt.Errorf("line %d: not a \"K:value\" field: %.40q", n, raw)
			return false
		}
		value := string(raw[2:])
		switch raw[0] {
		case 'P':
			cur.Name = value
		case 'V':
			cur.Version = value
		case 'A':
			cur.Arch = value
		case 'o':
			cur.SrcName = value
		case 'L':
			cur.Licenses = licensing.NormalizeAll(licensing.SplitLax(value))
		case 'm':
			cur.Maintainer = value
		case 'D':
			// Dependencies, resolved to IDs once every package is read;
			// "!name" is a conflict, not a dependency.
			for _, d := range strings.Fields(value) {
				if !strings.HasPrefix(d, "!") {
					cur.DependsOn = append(cur.DependsOn, apkRequirementName(d))
				}
			}
		case 'p':
			for _, d := range strings.Fields(value) {
				curProvides = append(curProvides, apkRequirementName(d))
			}
		case 'C':
			// A record with two C: lines keeps the last one that decodes,
			// as Trivy does.
			if d := apkChecksumDigest(value); d != "" {
				cur.Digest = d
			}
		case 'F':
			curDir = value
		case 'R':
			switch {
			case len(curDir)+len(value) >= maxPathLine:
				skipped.add(fmt.Sprintf("installed files with a path over %d bytes were left out", maxPathLine), fmt.Sprintf("line %d", n))
			case files == maxFilesPerDB:
				skipped.add(fmt.Sprintf("installed files past the first %d were left out", maxFilesPerDB), fmt.Sprintf("line %d", n))
			default:
				files++
				cur.InstalledFiles = append(cur.InstalledFiles, path.Join(curDir, value))
			}
		}
		return true
	})
	if !stopped && err == nil {
		flush()
	}
	if err != nil {
		return nil, skipped, err
	}
	for i := range pkgs {
		var deps []string
		for _, name := range pkgs[i].DependsOn {
			if id, ok := provides[name]; ok && id != pkgs[i].ID {
				deps = append(deps, id)
			}
		}
		slices.Sort(deps)
		pkgs[i].DependsOn = slices.Compact(deps)
	}
	return pkgs, skipped, nil
}

// apkChecksumDigest turns the value of an apk C: field, the checksum of
// the package's control data in base64, into "<algorithm>:<hex>": "Q1"
// marks a SHA-1 (apk-tools 2), no prefix an MD5 (the oldest databases).
// A value that is not base64 gives "".
func apkChecksumDigest(value string) string {
	alg := "md5"
	if rest, ok := strings.CutPrefix(value, "Q1"); ok {
		alg, value = "sha1", rest
	}
	raw, err := base64.StdEncoding.DecodeString(value)
	if err != nil || len(raw) == 0 {
		return ""
	}
	return alg + ":" + hex.EncodeToString(raw)
}

// apkRequirementName is the name in an apk dependency or provide, without
// its version constraint: "so:libssl.so.3=3.1.4" is so:libssl.so.3,
// "musl>=1.2" is musl.
func apkRequirementName(s string) string {
	if i := strings.IndexAny(s, "<>="); i >= 0 {
		return s[:i]
	}
	return s
}
