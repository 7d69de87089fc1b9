package families

import (
	"fmt"
	"strings"

	apkversion "github.com/knqyf263/go-apk-version"
	debversion "github.com/knqyf263/go-deb-version"
	rpmversion "github.com/knqyf263/go-rpm-version"
)

// Version is a parsed package version, ordered by its package manager's rules.
type Version interface {
	// Compare is negative, zero or positive as the version is older than,
	// equal to or newer than other, which is of the same kind.
	Compare(other Version) int
}

type apkVersion struct{ v apkversion.Version }

func (a apkVersion) Compare(o Version) int { return a.v.Compare(o.(apkVersion).v) }

func parseAPK(s string) (Version, error) {
	v, err := apkversion.NewVersion(s)
	if err != nil {
		return nil, fmt.Errorf("apk version %q: %w", s, err)
	}
	return apkVersion{v}, nil
}

type debVersion struct{ v debversion.Version }

func (d debVersion) Compare(o Version) int { return d.v.Compare(o.(debVersion).v) }

func parseDeb(s string) (Version, error) {
	v, err := debversion.NewVersion(s)
	if err != nil {
		return nil, fmt.Errorf("dpkg version %q: %w", s, err)
	}
	return debVersion{v}, nil
}

// How releases are cut from OS versions.

// majorMinor: 3.20.3 -> 3.20; 3.21_alpha20240807 -> 3.21; edge stays edge.
func majorMinor(v string) string {
	if strings.HasPrefix(v, "edge") {
		return "edge"
	}
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return v
	}
	minor, _, _ := strings.Cut(parts[1], "_")
	return parts[0] + "." + minor
}

// major: 12.7 -> 12.
func major(v string) string {
	m, _, _ := strings.Cut(v, ".")
	return m
}

// whole: 22.04 stays 22.04.
func whole(v string) string { return v }

type rpmVersion struct{ v rpmversion.Version }

func (r rpmVersion) Compare(o Version) int { return r.v.Compare(o.(rpmVersion).v) }

// parseRPM reads [epoch:]version[-release]; rpm orders any string, so it
// never fails.
func parseRPM(s string) (Version, error) { return rpmVersion{rpmversion.NewVersion(s)}, nil }

// amazonRelease: Amazon Linux 2 and 2023 are named by their major
// ("2023.5.20240805" -> 2023); every Amazon Linux AMI release
// (2018.03) is "1".
func amazonRelease(v string) string {
	fields := strings.Fields(v)
	if len(fields) == 0 {
		return v
	}
	m, _, _ := strings.Cut(fields[0], ".")
	switch m {
	case "2", "2022", "2023":
		return m
	}
	return "1"
}

// The release files of rpm families.

// redHatNames tell the family from the NAME of "NAME release VERSION
// (CODENAME)", the first line of etc/redhat-release and its siblings.
var redHatNames = []struct{ prefix, family string }{
	{"centos", "centos"},
	{"red hat enterprise linux", "redhat"},
	{"rocky linux", "rocky"},
	{"almalinux", "alma"},
	{"oracle linux", "oracle"},
	{"fedora", "fedora"},
}

// readRedHatRelease reads "CentOS Linux release 7.9.2009 (Core)",
// "Red Hat Enterprise Linux release 8.9 (Ootpa)" and their kind.
func readRedHatRelease(content []byte) (family, version string) {
	name, rest, ok := strings.Cut(firstLine(content), " release ")
	if !ok {
		return "", ""
	}
	fields := strings.Fields(rest)
	if len(fields) == 0 {
		return "", ""
	}
	lower := strings.ToLower(strings.TrimSpace(name))
	for _, n := range redHatNames {
		if strings.HasPrefix(lower, n.prefix) {
			return n.family, fields[0]
		}
	}
	return "", ""
}

// readAmazonRelease reads etc/system-release (usr/lib/system-release on
// 2022 and later): "Amazon Linux release 2 (Karoo)", "Amazon Linux
// release 2023.5.20240805 (Amazon Linux)", "Amazon Linux AMI release
// 2018.03". The version is what follows "Amazon Linux release" (or
// "Amazon Linux"), codename included, as Trivy reports it: "2 (Karoo)",
// "AMI release 2018.03"; amazonRelease cuts it. Other families link their
// own release file there; those are not Amazon's.
func readAmazonRelease(content []byte) (family, version string) {
	line := firstLine(content)
	if !strings.HasPrefix(line, "Amazon Linux") {
		return "", ""
	}
	fields := strings.Fields(line)
	skip := 2
	if strings.HasPrefix(line, "Amazon Linux release 2") {
		skip = 3
	}
	if len(fields) <= skip {
		return "", ""
	}
	return "amazon", strings.Join(fields[skip:], " ")
}

// readMarinerRelease reads "CBL-Mariner 2.0.20230630" or "Azure Linux
// 3.0.20240727" (a second line holds the build number).
func readMarinerRelease(content []byte) (family, version string) {
	line := firstLine(content)
	for _, p := range []struct{ prefix, family string }{{"CBL-Mariner ", "cbl-mariner"}, {"Azure Linux ", "azurelinux"}, {"Microsoft Azure Linux ", "azurelinux"}} {
		if v, ok := strings.CutPrefix(line, p.prefix); ok && strings.TrimSpace(v) != "" {
			return p.family, strings.Fields(v)[0]
		}
	}
	return "", ""
}

func firstLine(content []byte) string {
	line, _, _ := strings.Cut(string(content), "\n")
	return strings.TrimSpace(line)
}

// bottlerocketReleaseFiles are the os-release files of Bottlerocket's
// sys-roots.
var bottlerocketReleaseFiles = []string{
	"x86_64-bottlerocket-linux-gnu/sys-root/usr/lib/os-release",
	"aarch64-bottlerocket-linux-gnu/sys-root/usr/lib/os-release",
}

// readBottlerocketRelease reads a sys-root's os-release: ID=bottlerocket
// and VERSION_ID=1.34.0.
func readBottlerocketRelease(content []byte) (family, version string) {
	var id string
	for _, line := range strings.Split(string(content), "\n") {
		key, value, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok {
			continue
		}
		value = strings.Trim(strings.TrimSpace(value), `"'`)
		switch strings.TrimSpace(key) {
		case "ID":
			id = value
		case "VERSION_ID":
			version = value
		}
	}
	if id != "bottlerocket" || version == "" {
		return "", ""
	}
	return "bottlerocket", version
}
