// Package detect matches the packages of an image against the
// vulnerability DB.
package detect

import (
	"fmt"
	"strings"

	apkversion "github.com/knqyf263/go-apk-version"
	debversion "github.com/knqyf263/go-deb-version"
)

// Family says how to match the packages of one OS family. Every family is
// one row of the table below; the detection loop is the same for all.
type Family struct {
	// Bucket is the DB platform bucket, with %s for the release.
	Bucket string
	// Release cuts the OS version to what buckets and EOL dates use.
	Release func(version string) string
	// Parse reads a package version of the family's package manager.
	Parse func(v string) (Version, error)
	// SourceNames: advisories are filed against source packages (apk
	// origin, dpkg Source), and the source version is compared.
	SourceNames bool
}

// Families are the OS families whose packages can be matched, by the family
// name the OS analyzers report.
var Families = map[string]Family{
	"alpine": {Bucket: "alpine %s", Release: majorMinor, Parse: parseAPK, SourceNames: true},
	"debian": {Bucket: "debian %s", Release: major, Parse: parseDeb, SourceNames: true},
	"ubuntu": {Bucket: "ubuntu %s", Release: whole, Parse: parseDeb, SourceNames: true},
}

// BucketFor returns the DB bucket for an OS version of a family.
func (f Family) BucketFor(version string) string {
	return fmt.Sprintf(f.Bucket, f.Release(version))
}

func majorMinor(v string) string {
	if strings.HasPrefix(v, "edge") {
		return "edge"
	}
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return v
	}
	// 3.21_alpha20240807 -> 3.21
	minor, _, _ := strings.Cut(parts[1], "_")
	return parts[0] + "." + minor
}

func major(v string) string {
	m, _, _ := strings.Cut(v, ".")
	return m
}

func whole(v string) string { return v }

// Version is a parsed package version, ordered by its package manager's rules.
type Version interface {
	// Compare returns -1, 0 or 1; other is of the same kind.
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
