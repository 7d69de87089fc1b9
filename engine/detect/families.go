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
	// Compare orders two package versions of the family's package manager.
	Compare func(a, b string) (int, error)
	// SourceNames: advisories are filed against source packages (apk
	// origin, dpkg Source), and the source version is compared.
	SourceNames bool
}

// Families are the OS families whose packages can be matched, by the family
// name the OS analyzers report.
var Families = map[string]Family{
	"alpine": {Bucket: "alpine %s", Release: majorMinor, Compare: compareAPK, SourceNames: true},
	"debian": {Bucket: "debian %s", Release: major, Compare: compareDeb, SourceNames: true},
	"ubuntu": {Bucket: "ubuntu %s", Release: whole, Compare: compareDeb, SourceNames: true},
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

func compareAPK(a, b string) (int, error) {
	va, err := apkversion.NewVersion(a)
	if err != nil {
		return 0, fmt.Errorf("apk version %q: %w", a, err)
	}
	vb, err := apkversion.NewVersion(b)
	if err != nil {
		return 0, fmt.Errorf("apk version %q: %w", b, err)
	}
	return va.Compare(vb), nil
}

func compareDeb(a, b string) (int, error) {
	va, err := debversion.NewVersion(a)
	if err != nil {
		return 0, fmt.Errorf("dpkg version %q: %w", a, err)
	}
	vb, err := debversion.NewVersion(b)
	if err != nil {
		return 0, fmt.Errorf("dpkg version %q: %w", b, err)
	}
	return va.Compare(vb), nil
}
