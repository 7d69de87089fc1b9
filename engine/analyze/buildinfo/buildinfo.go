// Package buildinfo reads what Red Hat's image build system leaves in an
// image about how it was built: the content manifests
// (root/buildinfo/content_manifests/*.json, usr/share/buildinfo/*.json on
// CoreOS) list the content sets (repositories) the layer's packages were
// installed from, and the build's Dockerfile (root/buildinfo/Dockerfile-
// NAME-VERSION-RELEASE) names the image's component and architecture. The
// Red Hat matcher maps both to the products (CPEs) whose advisories apply.
package buildinfo

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/docker-scan/docker-scan/engine/types"
)

// Analyzer reads content manifests and build Dockerfiles into the layer's
// BuildInfo. When a layer has several, the last one read wins, for each
// of the two halves (content sets; NVR and arch).
type Analyzer struct{}

// Limits: a real content manifest is a few KB (its image_contents list
// can reach some hundreds), a build Dockerfile a few KB.
const (
	maxManifestSize   = 8 << 20
	maxDockerfileSize = 1 << 20
	maxContentSets    = 1000
	maxNameLength     = 256
)

// The directories content manifests are kept in.
var manifestDirs = []string{"root/buildinfo/content_manifests", "usr/share/buildinfo"}

const dockerfileDir = "root/buildinfo"

func (Analyzer) Name() string { return "redhat-buildinfo" }
func (Analyzer) Version() int { return 1 }

func (Analyzer) Wants(filePath string, _ int64) bool {
	return isManifest(filePath) || isDockerfile(filePath)
}

func isManifest(filePath string) bool {
	dir, file := path.Split(filePath)
	for _, d := range manifestDirs {
		if dir == d+"/" {
			return path.Ext(file) == ".json"
		}
	}
	return false
}

func isDockerfile(filePath string) bool {
	dir, file := path.Split(filePath)
	return dir == dockerfileDir+"/" && strings.HasPrefix(file, "Dockerfile")
}

func (Analyzer) Analyze(filePath string, content []byte, res *types.LayerResult) error {
	if isManifest(filePath) {
		sets, err := ContentSets(content)
		if err != nil || len(sets) == 0 {
			return err
		}
		info(res).ContentSets = sets
		return nil
	}
	nvr, arch, err := DockerfileNVR(path.Base(filePath), content)
	if err != nil {
		return err
	}
	bi := info(res)
	bi.Nvr, bi.Arch = nvr, arch
	return nil
}

func info(res *types.LayerResult) *types.BuildInfo {
	if res.BuildInfo == nil {
		res.BuildInfo = &types.BuildInfo{}
	}
	return res.BuildInfo
}

// ContentSets reads the content_sets of a content manifest (the
// atomic-reactor image content manifest format); a manifest without any
// gives none.
func ContentSets(content []byte) ([]string, error) {
	if len(content) > maxManifestSize {
		return nil, fmt.Errorf("content manifest of %d bytes is over the %d MiB limit", len(content), maxManifestSize>>20)
	}
	var m struct {
		ContentSets []string `json:"content_sets"`
	}
	if err := json.Unmarshal(content, &m); err != nil {
		return nil, fmt.Errorf("invalid content manifest: %w", err)
	}
	if len(m.ContentSets) > maxContentSets {
		return nil, fmt.Errorf("content manifest lists %d content sets, over the limit of %d", len(m.ContentSets), maxContentSets)
	}
	for _, s := range m.ContentSets {
		if err := checkName("content set", s); err != nil {
			return nil, err
		}
	}
	return m.ContentSets, nil
}

// checkName refuses names no repository or label has: empty, very long,
// or holding control characters or spaces.
func checkName(what, s string) error {
	if s == "" || len(s) > maxNameLength || strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return fmt.Errorf("invalid %s %.64q", what, s)
	}
	return nil
}

// DockerfileNVR reads the image's NVR and architecture from its build
// Dockerfile: the name from the com.redhat.component (or BZComponent)
// label, the version and release from the file's name
// (Dockerfile-ubi8-8.3-227 gives 8.3-227), the architecture from the
// architecture label, labels expanded with the Dockerfile's ENV values
// and global ARG defaults, as the build expanded them.
func DockerfileNVR(fileName string, content []byte) (nvr, arch string, err error) {
	if len(content) > maxDockerfileSize {
		return "", "", fmt.Errorf("build Dockerfile of %d bytes is over the %d MiB limit", len(content), maxDockerfileSize>>20)
	}
	version := versionRelease(fileName)
	if version == "" {
		return "", "", fmt.Errorf("build Dockerfile name %.64q has no version-release", fileName)
	}
	labels := dockerfileLabels(content)
	component, arch := labels["com.redhat.component"], labels["architecture"]
	if component == "" {
		component = labels["bzcomponent"]
	}
	switch {
	case component == "":
		return "", "", errors.New("build Dockerfile has no com.redhat.component label")
	case arch == "":
		return "", "", errors.New("build Dockerfile has no architecture label")
	}
	nvr = component + "-" + version
	if err := checkName("component", nvr); err != nil {
		return "", "", err
	}
	if err := checkName("architecture", arch); err != nil {
		return "", "", err
	}
	return nvr, arch, nil
}

// versionRelease is the last two dash-separated fields of a build
// Dockerfile's name: "8.3-227" of Dockerfile-ubi8-8.3-227.
func versionRelease(fileName string) string {
	rel := strings.LastIndexByte(fileName, '-')
	if rel < 0 {
		return ""
	}
	ver := strings.LastIndexByte(fileName[:rel], '-')
	if ver < 0 || ver+1 == rel || rel+1 == len(fileName) {
		return ""
	}
	return fileName[ver+1:]
}
