package ospkg

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/docker-scan/docker-scan/engine/types"
)

// Where dpkg keeps its database: the status file of a full Debian, or one
// file per package under status.d as distroless images do.
const (
	DpkgStatus    = "var/lib/dpkg/status"
	DpkgStatusDir = "var/lib/dpkg/status.d/"
	dpkgInfoDir   = "var/lib/dpkg/info/"
	docDir        = "usr/share/doc/"
	maxDpkgDBSize = 64 << 20
)

// Dpkg reads dpkg's database of installed packages.
type Dpkg struct{}

func (Dpkg) Name() string { return "dpkg" }
func (Dpkg) Version() int { return 1 }

func (Dpkg) Wants(filePath string, size int64) bool {
	if size > maxDpkgDBSize {
		return false
	}
	if filePath == DpkgStatus {
		return true
	}
	name, ok := strings.CutPrefix(filePath, DpkgStatusDir)
	return ok && name != "" && !strings.Contains(name, "/") && !strings.HasSuffix(name, ".md5sums")
}

func (Dpkg) Analyze(filePath string, content []byte, res *types.LayerResult) error {
	pkgs, err := ParseDpkgStatus(content, filePath != DpkgStatus)
	if err != nil {
		return err
	}
	res.PackageDBs = append(res.PackageDBs, types.PackageDB{FilePath: filePath, Type: "dpkg", Packages: pkgs})
	return nil
}

// ParseDpkgStatus parses dpkg status stanzas (deb822: "Field: value" lines,
// continuation lines starting with a blank, stanzas separated by empty
// lines). Only installed packages are returned; distroless status.d files
// carry no Status field and list installed packages only, so
// assumeInstalled accepts stanzas without one.
func ParseDpkgStatus(content []byte, assumeInstalled bool) ([]types.Package, error) {
	var pkgs []types.Package
	err := parseDeb822(content, func(fields map[string]string, line int) error {
		name := fields["Package"]
		if name == "" {
			return fmt.Errorf("line %d: stanza without Package field", line)
		}
		status, hasStatus := fields["Status"]
		if hasStatus || !assumeInstalled {
			words := strings.Fields(status)
			if len(words) == 0 || words[len(words)-1] != "installed" {
				return nil
			}
		}
		epoch, version, err := splitEpoch(fields["Version"])
		if err != nil || version == "" {
			return fmt.Errorf("line %d: package %s: bad Version %q", line, name, fields["Version"])
		}
		p := types.Package{
			ID:         name + "@" + fields["Version"],
			Name:       name,
			Version:    version,
			Epoch:      epoch,
			Arch:       fields["Architecture"],
			Maintainer: fields["Maintainer"],
			SrcName:    name,
			SrcVersion: version,
			SrcEpoch:   epoch,
		}
		if src := fields["Source"]; src != "" {
			srcName, srcVer, hasVer := strings.Cut(src, " ")
			p.SrcName = srcName
			if hasVer {
				srcVer = strings.Trim(strings.TrimSpace(srcVer), "()")
				if p.SrcEpoch, p.SrcVersion, err = splitEpoch(srcVer); err != nil {
					return fmt.Errorf("line %d: package %s: bad Source version %q", line, name, srcVer)
				}
			}
		}
		pkgs = append(pkgs, p)
		return nil
	})
	return pkgs, err
}

// splitEpoch splits a Debian version "[epoch:]upstream[-revision]".
func splitEpoch(v string) (int, string, error) {
	v = strings.TrimSpace(v)
	e, rest, ok := strings.Cut(v, ":")
	if !ok {
		return 0, v, nil
	}
	epoch, err := strconv.Atoi(e)
	if err != nil || epoch < 0 {
		return 0, "", fmt.Errorf("bad epoch %q", e)
	}
	return epoch, rest, nil
}

// parseDeb822 calls fn with the first line of each field of each stanza
// (continuation lines are not kept: no field we read spans lines).
func parseDeb822(content []byte, fn func(fields map[string]string, line int) error) error {
	fields := map[string]string{}
	start, lineNo := 0, 0
	lastField := ""
	flush := func() error {
		if len(fields) == 0 {
			return nil
		}
		err := fn(fields, start)
		fields, lastField = map[string]string{}, ""
		return err
	}
	sc := bufio.NewScanner(bytes.NewReader(content))
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for sc.Scan() {
		lineNo++
		line := sc.Text()
		switch {
		case strings.TrimSpace(line) == "":
			if err := flush(); err != nil {
				return err
			}
		case line[0] == ' ' || line[0] == '\t':
			if lastField == "" {
				return fmt.Errorf("line %d: continuation line outside a field", lineNo)
			}
		case line[0] == '#':
		default:
			key, value, ok := strings.Cut(line, ":")
			if !ok || key == "" || strings.ContainsAny(key, " \t") {
				return fmt.Errorf("line %d: not a \"Field: value\" line: %.40q", lineNo, line)
			}
			if len(fields) == 0 {
				start = lineNo
			}
			fields[key] = strings.TrimSpace(value)
			lastField = key
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("line %d: %w", lineNo+1, err)
	}
	return flush()
}
