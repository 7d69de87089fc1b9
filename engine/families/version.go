package families

import (
	"fmt"
	"strings"

	apkversion "github.com/knqyf263/go-apk-version"
	debversion "github.com/knqyf263/go-deb-version"
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
