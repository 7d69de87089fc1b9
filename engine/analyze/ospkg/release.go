// Package ospkg finds the operating system of an image and its installed OS
// packages (apk, dpkg).
package ospkg

import (
	"bufio"
	"bytes"
	"strings"

	"github.com/docker-scan/docker-scan/engine/families"
	"github.com/docker-scan/docker-scan/engine/types"
)

// Release reads the files that name the OS: the family-specific ones
// (etc/alpine-release, etc/debian_version: the families table lists them)
// and the generic ones (etc/os-release, usr/lib/os-release,
// etc/lsb-release). Which one wins when several exist is decided when
// layers are merged.
type Release struct{}

// The generic release file paths, relative to the image root.
const (
	EtcOSRelease   = families.EtcOSRelease
	UsrOSRelease   = families.UsrOSRelease
	EtcLSBRelease  = families.EtcLSBRelease
	maxReleaseSize = 64 << 10
)

func (Release) Name() string { return "os-release" }
func (Release) Version() int { return 1 }

func (Release) Wants(filePath string, size int64) bool {
	if size > maxReleaseSize {
		return false
	}
	if families.IsGenericReleaseFile(filePath) {
		return true
	}
	_, ok := families.ByReleaseFile(filePath)
	return ok
}

func (Release) Analyze(filePath string, content []byte, res *types.LayerResult) error {
	var family, name string
	if f, ok := families.ByReleaseFile(filePath); ok {
		family, name = f.Name, firstLine(content)
		if f.ReadRelease != nil {
			family, name = f.ReadRelease(content)
		}
	} else if filePath == EtcLSBRelease {
		kv := parseShellVars(content)
		family, name = families.NameFromID(kv["DISTRIB_ID"]), kv["DISTRIB_RELEASE"]
	} else {
		kv := parseShellVars(content)
		family, name = families.NameFromID(kv["ID"]), kv["VERSION_ID"]
	}
	if family == "" {
		// A release file that names nothing is not an error: scratch-like
		// images ship empty or partial ones.
		return nil
	}
	res.OSReleases = append(res.OSReleases, types.OSRelease{FilePath: filePath, Family: family, Name: name})
	return nil
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
