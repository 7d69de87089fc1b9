package scan

import (
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"

	"github.com/docker-scan/docker-scan/engine/families"
	"github.com/docker-scan/docker-scan/engine/merge"
	"github.com/docker-scan/docker-scan/engine/types"
)

// Detection priorities, as Trivy names them.
const (
	// PriorityPrecise leaves language packages that an OS package
	// installed to the OS vendor's advisories (fewer false positives).
	PriorityPrecise = "precise"
	// PriorityComprehensive also matches them against upstream advisories
	// (fewer false negatives, when a vendor's advisories lag).
	PriorityComprehensive = "comprehensive"
)

// DetectionPriorities are the valid Options.DetectionPriority values.
var DetectionPriorities = []string{PriorityPrecise, PriorityComprehensive}

// DistroFamilies are the OS families a distribution can be given as: the
// ones whose packages the vulnerability DB can match.
func DistroFamilies() []string { return families.MatchedNames() }

// distroVersion is what a release looks like: 3.20, 12, 22.04, edge.
var distroVersion = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z._~+-]{0,63}$`)

// ParseDistro reads a distribution given as FAMILY/VERSION (alpine/3.20,
// debian/12, ubuntu/22.04).
func ParseDistro(s string) (types.OS, error) {
	family, version, ok := strings.Cut(s, "/")
	if !ok || family == "" || version == "" {
		return types.OS{}, fmt.Errorf("bad distribution %q: want FAMILY/VERSION, e.g. alpine/3.20 or debian/12", s)
	}
	if !slices.Contains(DistroFamilies(), family) {
		return types.OS{}, fmt.Errorf("unknown OS family %q in %q (choose from %s)", family, s, strings.Join(DistroFamilies(), ", "))
	}
	if !distroVersion.MatchString(version) {
		return types.OS{}, fmt.Errorf("bad version %q in %q: want a release such as 3.20, 12 or 22.04", version, s)
	}
	return types.OS{Family: family, Name: version}, nil
}

// mergeOptions are the merge settings a scan's options imply.
func (o Options) mergeOptions() merge.Options {
	return merge.Options{KeepOSOwned: o.DetectionPriority == PriorityComprehensive}
}

// useDistro puts the distribution the user gave in place of the detected
// OS: its advisories are matched, its end of life checked, and it is
// what the report names. The package repositories' release no longer
// counts either: the user said which release to match.
func useDistro(art *types.Artifact, distro types.OS) {
	if !distro.Detected() {
		return
	}
	if art.OS.Detected() && (art.OS.Family != distro.Family || art.OS.Name != distro.Name) {
		slog.Info("using the given distribution instead of the detected OS", "distro", distro.Family+"/"+distro.Name, "detected", art.OS.Family+"/"+art.OS.Name)
	}
	art.OS = types.OS{Family: distro.Family, Name: distro.Name}
	art.Repository = nil
}
