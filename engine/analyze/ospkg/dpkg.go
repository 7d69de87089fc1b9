package ospkg

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
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
	// maxDpkgLine is the longest line of a status file that is read; a
	// stanza with a longer one is left out.
	maxDpkgLine = 4 << 20
)

// Dpkg reads dpkg's database of installed packages.
type Dpkg struct{}

func (Dpkg) Name() string { return "dpkg" }
func (Dpkg) Version() int { return 5 } // 5: Pre-Depends and Provides in DependsOn

func (Dpkg) Wants(filePath string, size int64) bool {
	if size > maxWantedDBSize {
		return false
	}
	if filePath == DpkgStatus {
		return true
	}
	name, ok := strings.CutPrefix(filePath, DpkgStatusDir)
	return ok && name != "" && !strings.Contains(name, "/") && !strings.HasSuffix(name, ".md5sums")
}

func (d Dpkg) Analyze(filePath string, content []byte, res *types.LayerResult) error {
	if len(content) > maxDBSize {
		tooBig(res, d.Name(), filePath, len(content))
		return nil
	}
	pkgs, skipped, err := parseDpkgStatus(content, filePath != DpkgStatus)
	if err != nil {
		return err
	}
	res.PackageDBs = append(res.PackageDBs, types.PackageDB{FilePath: filePath, Type: "dpkg", Packages: pkgs})
	skipped.issues(res, d.Name(), filePath)
	return nil
}

// ParseDpkgStatus parses dpkg status stanzas (deb822: "Field: value" lines,
// continuation lines starting with a blank, stanzas separated by empty
// lines). Only installed packages are returned; distroless status.d files
// carry no Status field and list installed packages only, so
// assumeInstalled accepts stanzas without one.
func ParseDpkgStatus(content []byte, assumeInstalled bool) ([]types.Package, error) {
	pkgs, _, err := parseDpkgStatus(content, assumeInstalled)
	return pkgs, err
}

// dpkgFields are the fields of a stanza that are read; the others (long
// descriptions, conffiles) are not kept.
var dpkgFields = map[string]bool{"Package": true, "Status": true, "Version": true, "Architecture": true, "Maintainer": true, "Source": true,
	"Depends": true, "Pre-Depends": true, "Provides": true}

// parseDpkgStatus is ParseDpkgStatus that also says what it left out.
func parseDpkgStatus(content []byte, assumeInstalled bool) ([]types.Package, notes, error) {
	var pkgs []types.Package
	var provides [][]string // of each package, the virtual names it provides
	var skipped notes
	err := parseDeb822(content, dpkgFields, &skipped, func(fields map[string]string, line int) error {
		if len(pkgs) == maxPackagesPerDB {
			skipped.add(fmt.Sprintf("packages past the first %d were not read", maxPackagesPerDB), fmt.Sprintf("line %d", line))
			return errStop
		}
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
		v, err := splitDebVersion(fields["Version"])
		if err != nil {
			return fmt.Errorf("line %d: package %s: bad Version %q", line, name, fields["Version"])
		}
		p := types.Package{
			// Trivy's ID keeps the version as dpkg prints it, epoch and all.
			ID:         name + "@" + strings.TrimSpace(fields["Version"]),
			Name:       name,
			Version:    v.upstream,
			Release:    v.revision,
			Epoch:      v.epoch,
			Arch:       fields["Architecture"],
			Maintainer: fields["Maintainer"],
			SrcName:    name,
			SrcVersion: v.upstream,
			SrcRelease: v.revision,
			SrcEpoch:   v.epoch,
		}
		if src := fields["Source"]; src != "" {
			srcName, srcVer, hasVer := strings.Cut(src, " ")
			p.SrcName = srcName
			if hasVer {
				srcVer = strings.Trim(strings.TrimSpace(srcVer), "()")
				sv, err := splitDebVersion(srcVer)
				if err != nil {
					return fmt.Errorf("line %d: package %s: bad Source version %q", line, name, srcVer)
				}
				p.SrcEpoch, p.SrcVersion, p.SrcRelease = sv.epoch, sv.upstream, sv.revision
			}
		}
		p.Repository.Class = types.RepositoryClassOfficial
		if dpkgThirdParty(p.Maintainer) {
			p.Repository.Class = types.RepositoryClassThirdParty
		}
		p.DependsOn = dependencyNames(fields["Pre-Depends"] + "," + fields["Depends"])
		pkgs = append(pkgs, p)
		provides = append(provides, dependencyNames(fields["Provides"]))
		return nil
	})
	if err != nil {
		return nil, skipped, err
	}
	resolveDpkgDepends(pkgs, provides, &skipped)
	return pkgs, skipped, nil
}

// dependencyNames lists the package names a relationship field
// (Depends, Pre-Depends, Provides) names, each once, without version
// constraints and architecture qualifiers: "libc6 (>= 2.34), debconf
// (>= 0.5) | debconf-2.0, python3:any" names libc6, debconf, debconf-2.0
// and python3 (every alternative of a group).
func dependencyNames(field string) []string {
	var names []string
	for _, dep := range strings.Split(field, ",") {
		for _, alt := range strings.Split(dep, "|") {
			name, _, _ := strings.Cut(alt, "(")
			name, _, _ = strings.Cut(name, "[") // build profiles and arch restrictions, in source stanzas only
			name, _, _ = strings.Cut(strings.TrimSpace(name), ":")
			if name != "" && !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
	}
	return names
}

// resolveDpkgDepends turns the dependency names of each package into the
// IDs of the installed packages of the same database that satisfy them:
// the package of that name and every package that Provides it (a virtual
// package: debconf provides debconf-2.0, mawk provides awk), sorted and
// unique, without the package itself. Every installed alternative of a
// group is kept (dpkg's data does not say which one was chosen); names
// nothing installed satisfies are left out.
//
// This is more than Trivy v0.74 lists (Depends only, by name only, so
// Pre-Depends, virtual packages and "python3:any" are lost): the graph
// is the one `apt-cache rdepends --installed` walks, so that
// --dependency-tree and SBOMs show why a library is installed.
func resolveDpkgDepends(pkgs []types.Package, provides [][]string, skipped *notes) {
	ids := make(map[string][]string, len(pkgs))
	for i, p := range pkgs {
		ids[p.Name] = append(ids[p.Name], p.ID)
		for _, v := range provides[i] {
			switch {
			case v == p.Name:
			case len(ids[v]) < maxDpkgProviders:
				ids[v] = append(ids[v], p.ID)
			default:
				skipped.add(fmt.Sprintf("providers past the first %d of a virtual package were left out", maxDpkgProviders), "package "+v)
			}
		}
	}
	for i := range pkgs {
		var deps []string
		for _, name := range pkgs[i].DependsOn {
			for _, id := range ids[name] {
				if id != pkgs[i].ID {
					deps = append(deps, id)
				}
			}
			if len(deps) >= maxDpkgDependsOn {
				skipped.add(fmt.Sprintf("dependencies past the first %d of a package were left out", maxDpkgDependsOn), "package "+pkgs[i].Name)
				break
			}
		}
		slices.Sort(deps)
		pkgs[i].DependsOn = slices.Compact(deps)
	}
}

// Bounds on the dependency graph of one database: a real package has
// some tens of dependencies and a virtual package a handful of providers
// (mail-transport-agent, the largest in Debian, has about twenty); a
// crafted status file could make every package depend on every other.
const (
	maxDpkgProviders = 256
	maxDpkgDependsOn = 1024
)

// errStop ends a parse early without an error.
var errStop = errors.New("stop")

// debVersion is a Debian version's three parts, as deb-version(7) names
// them.
type debVersion struct {
	epoch    int
	upstream string
	revision string
}

// splitDebVersion splits a Debian version "[epoch:]upstream[-revision]"
// the way dpkg does: the epoch ends at the first colon, the revision
// starts after the last hyphen (the upstream version may hold hyphens),
// and a version without a hyphen has no revision (a native package).
func splitDebVersion(s string) (debVersion, error) {
	var v debVersion
	rest := strings.TrimSpace(s)
	if e, after, ok := strings.Cut(rest, ":"); ok {
		epoch, err := strconv.Atoi(e)
		if err != nil || epoch < 0 {
			return debVersion{}, fmt.Errorf("bad epoch %q", e)
		}
		v.epoch, rest = epoch, after
	}
	v.upstream = rest
	if i := strings.LastIndexByte(rest, '-'); i >= 0 {
		v.upstream, v.revision = rest[:i], rest[i+1:]
	}
	if v.upstream == "" {
		return debVersion{}, errors.New("empty upstream version")
	}
	if v.epoch == 0 && strings.Contains(v.upstream, ":") {
		// "0:1:2": only an upstream version after a real epoch may hold colons.
		return debVersion{}, errors.New("colon in an upstream version without epoch")
	}
	if strings.HasSuffix(rest, "-") {
		return debVersion{}, errors.New("empty revision")
	}
	if strings.Contains(v.revision, ":") {
		return debVersion{}, errors.New("colon in the revision")
	}
	return v, nil
}

// parseDeb822 calls fn with the first line of each field in keep of each
// stanza (continuation lines are not kept: no field we read spans lines).
// The map is reused: fn must not keep it. A stanza with a line over
// maxDpkgLine is left out, noted in skipped. fn returning errStop ends the
// parse without an error.
func parseDeb822(content []byte, keep map[string]bool, skipped *notes, fn func(fields map[string]string, line int) error) error {
	fields := map[string]string{}
	start := 0
	inStanza, lastField, tooLong := false, false, false
	var err error
	flush := func() bool {
		if inStanza && !tooLong {
			err = fn(fields, start)
		}
		clear(fields)
		inStanza, lastField, tooLong = false, false, false
		return err == nil
	}
	eachLine(content, func(line []byte, n int) bool {
		switch {
		case len(bytes.TrimSpace(line)) == 0:
			return flush()
		case len(line) > maxDpkgLine:
			skipped.add(fmt.Sprintf("stanzas with a line over %d bytes were left out", maxDpkgLine), fmt.Sprintf("line %d, %d bytes", n, len(line)))
			if !inStanza {
				start = n
			}
			inStanza, lastField, tooLong = true, true, true
		case tooLong:
		case line[0] == ' ' || line[0] == '\t':
			if !lastField {
				err = fmt.Errorf("line %d: continuation line outside a field", n)
				return false
			}
		case line[0] == '#':
		default:
			key, value, ok := bytes.Cut(line, []byte(":"))
			if !ok || len(key) == 0 || bytes.ContainsAny(key, " \t") {
				err = fmt.Errorf("line %d: not a \"Field: value\" line: %.40q", n, line)
				return false
			}
			if !inStanza {
				start = n
			}
			inStanza, lastField = true, true
			if keep[string(key)] {
				fields[string(key)] = string(bytes.TrimSpace(value))
			}
		}
		return true
	})
	if err == nil {
		flush()
	}
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}

// dpkgThirdPartyMaintainers are parts of the Maintainer field of packages
// from vendors' own apt repositories rather than the distribution's, as
// Trivy knows them (dpkg has no vendor field): Docker, NVIDIA, Google
// Cloud SDK, SAP Machine, HashiCorp, Microsoft, MongoDB, MariaDB, CouchDB,
// Elastic, nginx.org, Kong, Cloudflare, InfluxData, GitLab, Grafana,
// Datadog, NodeSource, Tailscale and ROS.
var dpkgThirdPartyMaintainers = []string{
	"support@docker.com", "@nvidia.com", "Google Cloud CLI Authors", "sapmachine@sap.com", "@hashicorp.com",
	"@microsoft.com", "@mongodb.com", "developers@lists.mariadb.org", "dev@couchdb.apache.org", "info@elastic.co",
	"nginx-packaging@f5.com", "@konghq.com", "@cloudflare.com", "support@influxdb.com", "support@gitlab.com",
	"contact@grafana.com", "@datadoghq.com", "@nodesource.com", "info@tailscale.com", "@openrobotics.org",
	"@osrfoundation.org",
}

// dpkgThirdPartyExact are whole Maintainer fields, too short to look for
// inside others: GitHub's CLI, HashiCorp's tools.
var dpkgThirdPartyExact = []string{"GitHub", "HashiCorp"}

// dpkgThirdParty reports whether a package's maintainer names a vendor
// that ships its own packages: such packages are third-party, list no
// files (so that the language packages they install are reported) and
// are not matched against the distribution's advisories.
func dpkgThirdParty(maintainer string) bool {
	if slices.Contains(dpkgThirdPartyExact, maintainer) {
		return true
	}
	for _, s := range dpkgThirdPartyMaintainers {
		if strings.Contains(maintainer, s) {
			return true
		}
	}
	return false
}
