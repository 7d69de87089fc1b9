package analyze

import (
	"github.com/docker-scan/docker-scan/engine/analyze/buildinfo"
	"github.com/docker-scan/docker-scan/engine/analyze/dockerfile"
	"github.com/docker-scan/docker-scan/engine/analyze/lang"
	"github.com/docker-scan/docker-scan/engine/analyze/license"
	"github.com/docker-scan/docker-scan/engine/analyze/ospkg"
	"github.com/docker-scan/docker-scan/engine/analyze/secret"
	"github.com/docker-scan/docker-scan/engine/misconf"
)

// OSAnalyzers are the analyzers that find the OS and its packages.
func OSAnalyzers() []Analyzer {
	return []Analyzer{
		ospkg.Release{},
		ospkg.Apk{},
		ospkg.ApkRepositories{},
		ospkg.Dpkg{},
		ospkg.DpkgFacts{},
		buildinfo.Analyzer{},
		ospkg.BottlerocketInventory{},
	}
}

// LanguageAnalyzers find the packages of language ecosystems.
func LanguageAnalyzers() []Analyzer {
	return []Analyzer{
		lang.Node{},
		lang.Python{},
		lang.Java{},
		lang.Ruby{},
		lang.PHP{},
		lang.Dotnet{},
		lang.Cargo{},
		lang.Conda{},
	}
}

// OSStreamers read OS package databases from the layer stream: the rpm
// database, which its libraries open by path, is copied to a temp file in
// tempDir (the scan's <cache-dir>/tmp) and removed when read.
func OSStreamers(tempDir string) []StreamAnalyzer {
	return []StreamAnalyzer{ospkg.NewRPM(tempDir)}
}

// TempFilePatterns are the globs, in the temp dir, of the files the
// analyzers write, for iox.RemoveOrphans at start-up.
var TempFilePatterns = ospkg.RPMTempPatterns

// LanguageStreamers read language packages from the layer stream.
func LanguageStreamers() []StreamAnalyzer {
	return []StreamAnalyzer{lang.GoBinary{}}
}

// SecretAnalyzers are the analyzers of the secret scanner, with the rules
// of a config file (nil for the built-in ones).
func SecretAnalyzers(cfg *secret.Config) ([]Analyzer, error) {
	a, err := secret.NewAnalyzer(cfg)
	if err != nil {
		return nil, err
	}
	return []Analyzer{a}, nil
}

// MisconfAnalyzers are the analyzers of the misconfiguration scanner:
// the Dockerfiles in layers, checked with checks (nil for the built-in
// ones).
func MisconfAnalyzers(checks []misconf.Check) []Analyzer {
	return []Analyzer{dockerfile.NewAnalyzer(checks)}
}

// LicenseAnalyzers find licence texts in files (--license-full): licence
// files, Debian copyright files that name no licence, and the headers of
// source files in language package directories, classified with
// opts.Threshold. The classifier is loaded at the first file classified.
func LicenseAnalyzers(opts license.Options) ([]Analyzer, error) {
	a, err := license.NewAnalyzer(opts)
	if err != nil {
		return nil, err
	}
	return []Analyzer{a}, nil
}
