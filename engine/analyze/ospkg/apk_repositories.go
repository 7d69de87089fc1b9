package ospkg

import (
	"bufio"
	"bytes"
	"regexp"
	"strconv"
	"strings"

	"github.com/docker-scan/docker-scan/engine/types"
)

// ApkRepositoriesFile lists the repositories apk installs from.
const ApkRepositoriesFile = "etc/apk/repositories"

// ApkRepositories reads which Alpine branch apk installs from: an image
// whose alpine-release says 3.14 but whose repositories point at v3.15 gets
// 3.15 packages, and is matched against 3.15 advisories.
type ApkRepositories struct{}

func (ApkRepositories) Name() string { return "apk-repositories" }
func (ApkRepositories) Version() int { return 1 }

func (ApkRepositories) Wants(filePath string, size int64) bool {
	return filePath == ApkRepositoriesFile && size <= maxReleaseSize
}

var apkBranch = regexp.MustCompile(`/(v(\d+)\.(\d+)|edge)/(?:main|community)/?$`)

func (ApkRepositories) Analyze(filePath string, content []byte, res *types.LayerResult) error {
	best, bestMajor, bestMinor := "", -1, -1
	sc := bufio.NewScanner(bytes.NewReader(content))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m := apkBranch.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		if m[1] == "edge" {
			best, bestMajor = "edge", 1<<30
			continue
		}
		major, _ := strconv.Atoi(m[2])
		minor, _ := strconv.Atoi(m[3])
		if major > bestMajor || (major == bestMajor && minor > bestMinor) {
			best, bestMajor, bestMinor = m[2]+"."+m[3], major, minor
		}
	}
	if best != "" {
		res.Repositories = append(res.Repositories, types.Repository{FilePath: filePath, Family: "alpine", Release: best})
	}
	return nil
}
