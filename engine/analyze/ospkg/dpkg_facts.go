package ospkg

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/docker-scan/docker-scan/engine/licensing"
	"github.com/docker-scan/docker-scan/engine/types"
)

const maxFactsFileSize = 16 << 20

// DpkgAvailable is dpkg's record of the packages it knows of from the
// archive (dpkg --update-avail, older apt): the same stanzas as the status
// file, with the .deb's checksums.
const DpkgAvailable = "var/lib/dpkg/available"

// DpkgFacts reads what dpkg keeps about each package outside its database:
// the files it installed (var/lib/dpkg/info/<pkg>.md5sums, or beside a
// distroless status.d entry), its licenses (usr/share/doc/<pkg>/copyright)
// and the checksum of its .deb (var/lib/dpkg/available).
//
// The files are those of the package's md5sums, as Trivy lists them: the
// regular files the .deb shipped, without the directories and symlinks
// its .list also names and without its conffiles (dpkg keeps their sums in
// the status file). They are also the files that make a language package
// found among them the OS package's (engine/merge), as Trivy decides it.
type DpkgFacts struct{}

func (DpkgFacts) Name() string { return "dpkg-facts" }
func (DpkgFacts) Version() int { return 5 } // 5: licences normalised to SPDX, as Trivy reads copyright files

func (DpkgFacts) Wants(filePath string, size int64) bool {
	// Up to the walker's limit, so that a file over maxFactsFileSize is
	// reported rather than silently not read.
	if size > maxWantedDBSize {
		return false
	}
	if filePath == DpkgAvailable {
		return true
	}
	if isMd5sums(filePath) {
		return true
	}
	if rest, ok := strings.CutPrefix(filePath, docDir); ok {
		pkg, file, ok := strings.Cut(rest, "/")
		return ok && pkg != "" && file == "copyright"
	}
	return false
}

func (d DpkgFacts) Analyze(filePath string, content []byte, res *types.LayerResult) error {
	// available lists every package of the archive on a system that keeps
	// it up to date: it may be as large as a package database.
	if filePath == DpkgAvailable {
		if len(content) > maxDBSize {
			tooBig(res, d.Name(), filePath, len(content))
			return nil
		}
		digests, skipped, err := parseDpkgAvailable(content)
		if err != nil {
			return err
		}
		skipped.issues(res, d.Name(), filePath)
		if len(digests) == 0 {
			return nil
		}
		res.PackageFacts = append(res.PackageFacts, types.PackageFacts{FilePath: filePath, Type: "dpkg", Digests: digests})
		return nil
	}
	if len(content) > maxFactsFileSize {
		res.Issues = append(res.Issues, types.AnalysisIssue{Layer: res.DiffID, Analyzer: d.Name(), FilePath: filePath,
			Reason: fmt.Sprintf("not read: %d bytes is over the limit of %d bytes", len(content), maxFactsFileSize)})
		return nil
	}
	facts := types.PackageFacts{FilePath: filePath, Type: "dpkg"}
	if isMd5sums(filePath) {
		name := strings.TrimSuffix(path.Base(filePath), md5sumsSuffix)
		name, _, _ = strings.Cut(name, ":") // libc6:amd64.md5sums for Multi-Arch: same
		facts.Package = name
		var skipped notes
		facts.InstalledFiles = parseMd5sums(content, &skipped)
		skipped.issues(res, d.Name(), filePath)
		if len(facts.InstalledFiles) == 0 {
			return nil
		}
	} else {
		facts.Package = path.Base(path.Dir(filePath))
		facts.Licenses = ParseCopyright(content)
		if len(facts.Licenses) == 0 {
			return nil
		}
	}
	res.PackageFacts = append(res.PackageFacts, facts)
	return nil
}

const md5sumsSuffix = ".md5sums"

// isMd5sums tells a package's md5sums file: in dpkg's info directory, or
// beside the package's entry in a distroless status.d.
func isMd5sums(filePath string) bool {
	dir, name := path.Split(filePath)
	return (dir == dpkgInfoDir || dir == DpkgStatusDir) && strings.HasSuffix(name, md5sumsSuffix) && name != md5sumsSuffix
}

// parseMd5sums reads a package's md5sums file (deb-md5sums(5)): a line per
// regular file the package installed, its MD5 sum, two spaces and its
// path from the root, with no leading slash. The paths are returned
// relative to the root, like every path the walker reports, sorted. Lines
// not in that form, paths over maxPathLine and past maxFilesPerDB are left
// out, noted in skipped.
func parseMd5sums(content []byte, skipped *notes) []string {
	var files []string
	eachLine(content, func(line []byte, n int) bool {
		if len(line) == 0 {
			return true
		}
		_, file, ok := strings.Cut(string(line), "  ")
		if !ok || file == "" {
			skipped.add("lines not of the form \"<md5>  <path>\" were left out", fmt.Sprintf("line %d", n))
			return true
		}
		if len(file) > maxPathLine {
			skipped.add(fmt.Sprintf("paths over %d bytes were left out", maxPathLine), fmt.Sprintf("line %d", n))
			return true
		}
		if len(files) == maxFilesPerDB {
			skipped.add(fmt.Sprintf("paths past the first %d were left out", maxFilesPerDB), fmt.Sprintf("line %d", n))
			return false
		}
		p := strings.TrimPrefix(path.Clean("/"+file), "/")
		if p != "" && p != "." {
			files = append(files, p)
		}
		return true
	})
	slices.Sort(files)
	return files
}

// commonLicenseRef is a reference to one of the licence texts Debian
// ships in base-files ("/usr/share/common-licenses/GPL-2"): the name ends
// at the first character that cannot be part of one, and never in a dot
// or a dash (the end of a sentence, "GPL-2.").
var commonLicenseRef = regexp.MustCompile(`/?usr/share/common-licenses/([0-9A-Za-z_.+-]*[0-9A-Za-z+])`)

// maxCopyrightNames bounds the licence names read from one copyright file
// (Boost's lists 1,560 License: fields, most of them the same).
const maxCopyrightNames = 10000

// ParseCopyright gives the licences a Debian copyright file names, as
// SPDX identifiers where they are known, each once, in the order the file
// names them. Like Trivy it reads every "License:" field at the start of
// a line (the header's and every Files stanza's of the machine-readable
// format; in a free-form file such a line is rare), the short name only
// (what follows "(" is a comment, a trailing " license" is noise), and
// the first reference to /usr/share/common-licenses/ on any other line
// (free-form files say "see /usr/share/common-licenses/GPL-2").
func ParseCopyright(content []byte) []string {
	var names []string
	seen := map[string]bool{}
	add := func(n string) {
		if n != "" && !seen[n] && len(names) < maxCopyrightNames {
			seen[n] = true
			names = append(names, n)
		}
	}
	for line := range strings.Lines(string(content)) {
		line = strings.TrimRight(line, "\r\n")
		if value, ok := strings.CutPrefix(line, "License:"); ok {
			for _, n := range licensing.Split(copyrightShortName(value)) {
				add(n)
			}
			continue
		}
		if !strings.Contains(line, "/usr/share/common-licenses/") {
			continue
		}
		if m := commonLicenseRef.FindStringSubmatch(line); m != nil {
			add(m[1])
		}
	}
	return licensing.NormalizeAll(names)
}

// copyrightShortName is the licence name of a License: field: its first
// line ("GPL-2+", "BSD-3-clause", "The MIT License (MIT)" -> "The MIT
// License"), without a parenthesised remark or a trailing " license"
// (kept, as Trivy keeps it, when a remark followed: "BSD license (x)").
func copyrightShortName(value string) string {
	value, _, _ = strings.Cut(strings.TrimSpace(value), "(")
	value = strings.TrimPrefix(value, "The main library is licensed under ")
	value = strings.TrimSuffix(value, " license")
	return strings.TrimSpace(value)
}

// availableFields are the fields of an available stanza that are read.
var availableFields = map[string]bool{"Package": true, "Version": true, "SHA256": true}

// ParseDpkgAvailable reads var/lib/dpkg/available: deb822 stanzas as in the
// status file, each with the SHA256 of the package's .deb. It returns
// "sha256:<SHA256>" by package ID (name@version, the version as written,
// epoch and all), for the stanzas that have a SHA256, as Trivy gives dpkg
// packages their Digest: a package gets one only if the available file
// has its exact version.
func ParseDpkgAvailable(content []byte) (map[string]string, error) {
	digests, _, err := parseDpkgAvailable(content)
	return digests, err
}

func parseDpkgAvailable(content []byte) (map[string]string, notes, error) {
	digests := map[string]string{}
	var skipped notes
	err := parseDeb822(content, availableFields, &skipped, func(fields map[string]string, line int) error {
		sum := fields["SHA256"]
		if sum == "" {
			return nil
		}
		if len(digests) == maxPackagesPerDB {
			skipped.add(fmt.Sprintf("packages past the first %d were not read", maxPackagesPerDB), fmt.Sprintf("line %d", line))
			return errStop
		}
		digests[fields["Package"]+"@"+fields["Version"]] = "sha256:" + sum
		return nil
	})
	if err != nil {
		return nil, skipped, err
	}
	return digests, skipped, nil
}
