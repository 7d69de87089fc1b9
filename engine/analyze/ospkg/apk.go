package ospkg

import (
	"bufio"
	"bytes"
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/docker-scan/docker-scan/engine/types"
)

// ApkDB is where apk keeps the installed packages.
const ApkDB = "lib/apk/db/installed"

const maxApkDBSize = 64 << 20

// Apk reads Alpine's installed-packages database.
type Apk struct{}

func (Apk) Name() string { return "apk" }
func (Apk) Version() int { return 1 }

func (Apk) Wants(filePath string, size int64) bool {
	return filePath == ApkDB && size <= maxApkDBSize
}

func (Apk) Analyze(filePath string, content []byte, res *types.LayerResult) error {
	pkgs, err := ParseApk(content)
	if err != nil {
		return err
	}
	res.PackageDBs = append(res.PackageDBs, types.PackageDB{FilePath: filePath, Type: "apk", Packages: pkgs})
	return nil
}

// ParseApk parses lib/apk/db/installed: one "K:value" line per field,
// packages separated by blank lines (apk's "installed database" format).
func ParseApk(content []byte) ([]types.Package, error) {
	var (
		pkgs    []types.Package
		cur     types.Package
		curDir  string
		started bool
		lineNo  int
	)
	flush := func() error {
		if !started {
			return nil
		}
		if cur.Name == "" || cur.Version == "" {
			return fmt.Errorf("line %d: package without name or version", lineNo)
		}
		cur.ID = cur.Name + "@" + cur.Version
		if cur.SrcName == "" {
			cur.SrcName = cur.Name
		}
		cur.SrcVersion = cur.Version
		pkgs = append(pkgs, cur)
		cur, curDir, started = types.Package{}, "", false
		return nil
	}
	sc := bufio.NewScanner(bytes.NewReader(content))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		lineNo++
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			if err := flush(); err != nil {
				return nil, err
			}
			continue
		}
		if len(line) < 2 || line[1] != ':' {
			return nil, fmt.Errorf("line %d: not a \"K:value\" field: %.40q", lineNo, line)
		}
		started = true
		value := line[2:]
		switch line[0] {
		case 'P':
			cur.Name = value
		case 'V':
			cur.Version = value
		case 'A':
			cur.Arch = value
		case 'o':
			cur.SrcName = value
		case 'L':
			cur.Licenses = SplitLicenses(value)
		case 'm':
			cur.Maintainer = value
		case 'F':
			curDir = value
		case 'R':
			cur.InstalledFiles = append(cur.InstalledFiles, path.Join(curDir, value))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", lineNo+1, err)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return pkgs, nil
}

var licenseSeparators = regexp.MustCompile(`\s+(?:AND|OR|and|or)\s+|\s*[,;]\s*`)

// SplitLicenses turns a license expression such as "MPL-2.0 AND MIT" into
// its license names.
func SplitLicenses(expr string) []string {
	var out []string
	for _, l := range licenseSeparators.Split(expr, -1) {
		l = strings.Trim(strings.TrimSpace(l), "()")
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}
