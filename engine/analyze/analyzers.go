package analyze

import "github.com/docker-scan/docker-scan/engine/analyze/ospkg"

// OSAnalyzers are the analyzers that find the OS and its packages.
func OSAnalyzers() []Analyzer {
	return []Analyzer{
		ospkg.Release{},
		ospkg.Apk{},
		ospkg.ApkRepositories{},
		ospkg.Dpkg{},
		ospkg.DpkgFacts{},
	}
}
