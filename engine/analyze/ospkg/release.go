// Package ospkg finds the operating system of an image and its installed OS
// packages (apk, dpkg).
package ospkg

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/docker-scan/docker-scan/engine/families"
	"github.com/docker-scan/docker-scan/engine/types"
)

// Release reads the files that name the OS: the family-specific ones
// (etc/alpine-release, etc/debian_version: the families table lists them)
// and the generic ones (etc/os-release, usr/lib/os-release,
// etc/lsb-release). Which one wins when several exist is decided when
// layers are merged. It also reads the files that say a family's
// extended support is enabled (Ubuntu Pro's status.json, for ESM).
type Release struct{}

// The generic release file paths, relative to the image root.
const (
	EtcOSRelease   = families.EtcOSRelease
	UsrOSRelease   = families.UsrOSRelease
	EtcLSBRelease  = families.EtcLSBRelease
	maxReleaseSize = 64 << 10
)

func (Release) Name() string { return "os-release" }
func (Release) Version() int { return 2 }

func (Release) Wants(filePath string, size int64) bool {
	if size > maxReleaseSize {
		return false
	}
	if families.IsGenericReleaseFile(filePath) {
		return true
	}
	if _, ok := families.ExtendedByStatusFile(filePath); ok {
		return true
	}
	_, ok := families.ByReleaseFile(filePath)
	return ok
}

func (Release) Analyze(filePath string, content []byte, res *types.LayerResult) error {
	if f, ok := families.ExtendedByStatusFile(filePath); ok {
		return analyzeExtended(f, filePath, content, res)
	}
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

// analyzeExtended records an OSRelease of the family, with no version,
// when its extended-support status file says the service is enabled;
// merge suffixes the OS version when it finds one (families.WithExtended).
// The file is Ubuntu Pro's status.json: {"services": [{"name":
// "esm-infra", "status": "enabled"}, ...], ...}.
func analyzeExtended(f families.OSFamily, filePath string, content []byte, res *types.LayerResult) error {
	var status struct {
		Services []struct {
			Name   string `json:"name"`
			Status string `json:"status"`
		} `json:"services"`
	}
	if err := json.Unmarshal(content, &status); err != nil {
		return fmt.Errorf("%s: %w", filePath, err)
	}
	for _, s := range status.Services {
		if s.Name == f.Extended.Service && s.Status == "enabled" {
			res.OSReleases = append(res.OSReleases, types.OSRelease{FilePath: filePath, Family: f.Name})
			return nil
		}
	}
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
