// Package ospkg finds the operating system of an image and its installed OS
// packages (apk, dpkg).
package ospkg

import (
	"bufio"
	"bytes"
	"strings"

	"github.com/docker-scan/docker-scan/engine/types"
)

// Release reads the files that name the OS: the family-specific ones
// (etc/alpine-release, etc/debian_version) and the generic ones
// (etc/os-release, usr/lib/os-release, etc/lsb-release). Which one wins when
// several exist is decided when layers are merged.
type Release struct{}

// Release file paths, relative to the image root.
const (
	AlpineRelease  = "etc/alpine-release"
	DebianVersion  = "etc/debian_version"
	EtcOSRelease   = "etc/os-release"
	UsrOSRelease   = "usr/lib/os-release"
	EtcLSBRelease  = "etc/lsb-release"
	maxReleaseSize = 64 << 10
)

func (Release) Name() string { return "os-release" }
func (Release) Version() int { return 1 }

func (Release) Wants(filePath string, size int64) bool {
	if size > maxReleaseSize {
		return false
	}
	switch filePath {
	case AlpineRelease, DebianVersion, EtcOSRelease, UsrOSRelease, EtcLSBRelease:
		return true
	}
	return false
}

func (Release) Analyze(filePath string, content []byte, res *types.LayerResult) error {
	var family, name string
	switch filePath {
	case AlpineRelease:
		family, name = "alpine", firstLine(content)
	case DebianVersion:
		family, name = "debian", firstLine(content)
	case EtcLSBRelease:
		kv := parseShellVars(content)
		family, name = FamilyFromID(kv["DISTRIB_ID"]), kv["DISTRIB_RELEASE"]
	default:
		kv := parseShellVars(content)
		family, name = FamilyFromID(kv["ID"]), kv["VERSION_ID"]
	}
	if family == "" {
		// A release file that names nothing is not an error: scratch-like
		// images ship empty or partial ones.
		return nil
	}
	res.OSReleases = append(res.OSReleases, types.OSRelease{FilePath: filePath, Family: family, Name: name})
	return nil
}

// familyByID maps os-release IDs to the family names reports use where
// the two differ; any other ID is its own family name.
var familyByID = map[string]string{
	"rhel":       "redhat",
	"almalinux":  "alma",
	"amzn":       "amazon",
	"ol":         "oracle",
	"mariner":    "cbl-mariner",
	"sle-micro":  "slem",
	"sles":       "sles",
	"opensuse":   "opensuse-leap",
	"azurelinux": "azurelinux",
}

// FamilyFromID turns an os-release ID (or lsb-release DISTRIB_ID) into a family name.
func FamilyFromID(id string) string {
	id = strings.ToLower(strings.TrimSpace(id))
	if f, ok := familyByID[id]; ok {
		return f
	}
	return id
}

func firstLine(content []byte) string {
	line, _, _ := bytes.Cut(content, []byte("\n"))
	return strings.TrimSpace(string(line))
}

// parseShellVars reads KEY=value lines as os-release(5) writes them, with
// optional single or double quotes.
func parseShellVars(content []byte) map[string]string {
	vars := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(content))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		value = strings.TrimSpace(value)
		if len(value) >= 2 && (value[0] == '"' || value[0] == '\'') && value[len(value)-1] == value[0] {
			value = value[1 : len(value)-1]
		}
		vars[strings.TrimSpace(key)] = value
	}
	return vars
}
