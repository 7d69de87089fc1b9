package misconf

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/docker-scan/docker-scan/engine/types"
)

// Finding config files in a directory of the host (docker scan config), and
// reading one, bounded.

// Limits of FindConfigFiles: a build context is a project, not a disk.
const (
	// MaxWalkDepth is how deep under the root directories are entered.
	MaxWalkDepth = 16
	// MaxWalkEntries is how many directory entries are looked at in all.
	MaxWalkEntries = 200_000
	// MaxConfigFiles is how many config files one walk returns.
	MaxConfigFiles = 10_000
)

// skippedDirs are never entered: version control, dependencies, caches.
var skippedDirs = []string{".git", ".hg", ".svn", "node_modules", "vendor", ".venv", "__pycache__", ".terraform", ".tox"}

// ComposeFileNames are the names docker compose looks for.
var ComposeFileNames = []string{"compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"}

// notDockerfileExts are extensions that make "dockerfile.EXT" a file
// about Dockerfiles rather than one: source code, data, BuildKit's
// per-Dockerfile ignore file, editor backups. Trivy takes them as
// Dockerfiles and then reports a Go file as one that passed.
var notDockerfileExts = []string{
	".dockerignore", ".go", ".json", ".yaml", ".yml", ".toml", ".md", ".txt", ".rst", ".html",
	".py", ".js", ".ts", ".rb", ".rs", ".java", ".sh", ".tpl", ".tmpl", ".rego",
	".bak", ".orig", ".swp", ".tmp",
}

// IsDockerfileName tells a file name that Trivy reads as a Dockerfile:
// Dockerfile or Containerfile with any one extension (Dockerfile.prod),
// or any name with the extension .Dockerfile or .Containerfile
// (api.dockerfile), case-insensitively; but not source code or data
// named after Dockerfiles (dockerfile.go, Dockerfile.dockerignore).
func IsDockerfileName(name string) bool {
	base := filepath.Base(name)
	ext := filepath.Ext(base)
	if slices.Contains(notDockerfileExts, strings.ToLower(ext)) {
		return false
	}
	for _, stem := range []string{"Dockerfile", "Containerfile"} {
		if strings.EqualFold(base, stem+ext) || strings.EqualFold(ext, "."+stem) {
			return true
		}
	}
	return false
}

// IsComposeFileName tells the default names of a compose file.
func IsComposeFileName(name string) bool {
	return slices.Contains(ComposeFileNames, filepath.Base(name))
}

// ConfigFile is a config file found under a root.
type ConfigFile struct {
	// Path is where it is (joined to the root as given).
	Path string
	// Target is its path relative to the root, with slashes: the report's
	// name for it. A root that is a file is its own base name.
	Target string
	// Type is TypeDockerfile or TypeCompose.
	Type string
}

// Skip are the paths a walk leaves out: doublestar globs (** allowed)
// matched against paths relative to the root, as --skip-files and
// --skip-dirs give them.
type Skip struct {
	Files, Dirs []string
}

// Validate checks the globs before any walk.
func (s Skip) Validate() error {
	for _, pat := range slices.Concat(s.Files, s.Dirs) {
		if !doublestar.ValidatePattern(cleanGlob(pat)) {
			return fmt.Errorf("bad glob pattern %q", pat)
		}
	}
	return nil
}

func cleanGlob(pat string) string {
	return strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(pat, "./"), "/"), "/")
}

func matchAny(patterns []string, rel string) bool {
	for _, pat := range patterns {
		if ok, _ := doublestar.Match(cleanGlob(pat), rel); ok {
			return true
		}
	}
	return false
}

// FindConfigFiles lists the Dockerfiles and compose files at root: root
// itself when it is a file (any name: the caller said it is one), else
// every such file under it, in lexical order, skipping version control
// and dependency directories, symbolic links and what skip names, within
// the walk limits. Skipped are also the entries it could not read, as
// issues.
func FindConfigFiles(root string, skip Skip) ([]ConfigFile, []types.AnalysisIssue, error) {
	if err := skip.Validate(); err != nil {
		return nil, nil, err
	}
	info, err := os.Stat(root)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("%s: no such file or directory", root)
		}
		return nil, nil, err
	}
	if !info.IsDir() {
		typ := TypeDockerfile
		if IsComposeFileName(root) || strings.HasSuffix(root, ".yaml") || strings.HasSuffix(root, ".yml") {
			typ = TypeCompose
		}
		return []ConfigFile{{Path: root, Target: filepath.Base(root), Type: typ}}, nil, nil
	}
	var (
		files   []ConfigFile
		issues  []types.AnalysisIssue
		entries int
	)
	errLimit := errors.New("limit")
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if err != nil {
			issues = append(issues, types.AnalysisIssue{Analyzer: "config", FilePath: rel, Reason: err.Error()})
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if entries++; entries > MaxWalkEntries {
			issues = append(issues, types.AnalysisIssue{Analyzer: "config", FilePath: ".", Reason: fmt.Sprintf("more than %d entries: the rest was not looked at", MaxWalkEntries)})
			return errLimit
		}
		if d.IsDir() {
			if path == root {
				return nil
			}
			if slices.Contains(skippedDirs, d.Name()) || matchAny(skip.Dirs, rel) {
				return fs.SkipDir
			}
			if strings.Count(rel, "/")+1 > MaxWalkDepth {
				issues = append(issues, types.AnalysisIssue{Analyzer: "config", FilePath: rel, Reason: fmt.Sprintf("deeper than %d directories: not looked at", MaxWalkDepth)})
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || matchAny(skip.Files, rel) {
			return nil // symbolic links may leave the root or loop
		}
		typ := ""
		switch {
		case IsDockerfileName(d.Name()):
			typ = TypeDockerfile
		case IsComposeFileName(d.Name()):
			typ = TypeCompose
		default:
			return nil
		}
		if len(files) == MaxConfigFiles {
			issues = append(issues, types.AnalysisIssue{Analyzer: "config", FilePath: rel, Reason: fmt.Sprintf("more than %d config files: the rest was not checked", MaxConfigFiles)})
			return errLimit
		}
		files = append(files, ConfigFile{Path: path, Target: rel, Type: typ})
		return nil
	})
	if err != nil && !errors.Is(err, errLimit) {
		return files, issues, err
	}
	return files, issues, nil
}

// ReadConfigFile reads a config file, at most MaxDockerfileBytes of it: a
// larger one is an error, not a read of gigabytes; a FIFO or a device (a
// compose file of an untrusted repository may name one) is refused
// rather than waited on.
func ReadConfigFile(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxDockerfileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(b) > MaxDockerfileBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, MaxDockerfileBytes)
	}
	return b, nil
}

// CheckDockerfileFile reads, parses and checks the Dockerfile at path;
// target names it in the result.
func CheckDockerfileFile(path, target string, checks []Check) (types.Result, error) {
	b, err := ReadConfigFile(path)
	if err != nil {
		return types.Result{}, err
	}
	df, err := ParseDockerfile(target, b)
	if err != nil {
		return types.Result{}, err
	}
	return Run(df, checks), nil
}
