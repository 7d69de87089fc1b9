package main

// TestTrivyDifferential scans the same images with the same DB through
// Trivy (testenv.Trivy: the reference release, built from source) and
// through docker scan, and compares the two JSON reports field by field.
// Only what Trivy cannot know or what legitimately differs is normalised
// (see normalizeForDiff); everything else, down to the order of packages
// and of the fields of each object, must be equal.

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/docker-scan/docker-scan/engine/db"
	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/testenv"
)

var trivyDiffKeep = flag.String("trivy-diff-keep", "", "TestTrivyDifferential: write both reports of each image into this directory")

// trivyDiffFixtures is the DB both scanners read: every advisory the
// images below can match.
var trivyDiffFixtures = []string{
	"../../engine/detect/testdata/rpm-family-images.yaml",
	"../../engine/detect/testdata/redhat.yaml",
	"../../testdata/db/alpine-3.14.yaml",
	"../../testdata/db/debian-12.yaml",
	"../../testdata/db/languages.yaml",
}

// diffImage makes one image of the comparison as a docker save archive.
type diffImage struct {
	name  string
	build func(t *testing.T) string
}

func trivyDiffImages() []diffImage {
	var images []diffImage
	for _, f := range imagebuild.RPMFamilies {
		images = append(images, diffImage{f.Name, func(t *testing.T) string {
			built, _, err := imagebuild.BuildRPMFamily(f.Name, t.TempDir(), testenv.Cached)
			if errors.Is(err, imagebuild.ErrNoRPMTools) {
				testenv.Unavailable(t, err)
			}
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(t.TempDir(), "image.tar")
			if err := imagebuild.WriteDockerArchive(p, f.Name+":diff", built.Image); err != nil {
				t.Fatal(err)
			}
			return p
		}})
	}
	return append(images,
		// A real Alpine root with a layer downgrading packages (findings).
		diffImage{"alpine-old-base", oldAlpineImage},
		diffImage{"alpine-shape", func(t *testing.T) string {
			return layerArchive(t, "alpine:shape",
				imagebuild.File{Path: "etc/alpine-release", Body: "3.14.10\n"},
				imagebuild.File{Path: "lib/apk/db/installed", Body: trivyShapeApkDB})
		}},
		diffImage{"debian-shape", func(t *testing.T) string {
			return layerArchive(t, "debian:shape",
				imagebuild.File{Path: "etc/debian_version", Body: "12.5\n"},
				imagebuild.File{Path: "etc/os-release", Body: "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\n"},
				imagebuild.File{Path: "var/lib/dpkg/status", Body: trivyShapeDpkgStatus},
				imagebuild.File{Path: "var/lib/dpkg/info/libc6:amd64.list", Body: trivyShapeLibc6List},
				imagebuild.File{Path: "var/lib/dpkg/info/libc6:amd64.md5sums", Body: trivyShapeLibc6Md5sums},
				imagebuild.File{Path: "usr/share/doc/libc6/copyright", Body: "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nCopyright: 1991-2023 Free Software Foundation, Inc.\nLicense: LGPL-2.1+\n"})
		}},
		// debootstrap's bookworm minbase (cached per machine).
		diffImage{"debian-minbase", func(t *testing.T) string {
			need(t, haveCommand("debootstrap"), "debootstrap (apt-get install debootstrap)")
			need(t, os.Geteuid() == 0, "root for debootstrap")
			layerTar := filepath.Join(t.TempDir(), "rootfs.tar")
			if err := imagebuild.DirTar(debianRoot(t), layerTar); err != nil {
				t.Fatal(err)
			}
			return imageArchive(t, layerTar, "debian:bookworm")
		}},
		diffImage{"gobinary", func(t *testing.T) string {
			bin, err := testenv.GoBinary(t, nil, "golang.org/x/text@v0.3.5")
			need(t, err == nil, fmt.Sprintf("a Go toolchain and the module proxy (%v)", err))
			b, err := os.ReadFile(bin)
			if err != nil {
				t.Fatal(err)
			}
			return layerArchive(t, "gobinary:diff", imagebuild.File{Path: "usr/local/bin/tool", Body: string(b), Mode: 0o755})
		}},
	)
}

func TestTrivyDifferential(t *testing.T) {
	trivy := testenv.Trivy(t)
	need(t, haveCommand("docker"), "the docker CLI")
	for _, img := range trivyDiffImages() {
		t.Run(img.name, func(t *testing.T) {
			archive := img.build(t)
			theirs := runTrivy(t, trivy, archive)
			r := scanCLI(t, "image", "--input", archive, "--cache-dir", diffCache(t), "--skip-db-update", "--quiet",
				"--scanners", "vuln", "--list-all-pkgs", "--format", "json")
			if r.exit != 0 {
				t.Fatalf("docker scan: exit %d: %s", r.exit, r.stderr)
			}
			if *trivyDiffKeep != "" {
				os.MkdirAll(*trivyDiffKeep, 0o755)
				os.WriteFile(filepath.Join(*trivyDiffKeep, img.name+".trivy.json"), []byte(theirs), 0o644)
				os.WriteFile(filepath.Join(*trivyDiffKeep, img.name+".ours.json"), []byte(r.stdout), 0o644)
			}
			trivyRep, ourRep := parseOrdered(t, "trivy", theirs), parseOrdered(t, "docker scan", r.stdout)
			for _, note := range reconcile(img.name, trivyRep, ourRep) {
				t.Logf("%s: left out of the comparison: %s", img.name, note)
			}
			want, got := flatten(trivyRep), flatten(ourRep)
			if d := diffFlat(want, got); d != "" {
				t.Errorf("%s: docker scan's JSON differs from Trivy %s's (- trivy, + docker scan):\n%s", img.name, testenv.TrivyVersion, d)
			}
		})
	}
}

// diffCache is a cache dir holding the DB of trivyDiffFixtures, in the
// layout both scanners read (db/trivy.db, db/metadata.json: schema 2, due
// for an update tomorrow). Each run gets its own: each scanner keeps its
// own layer cache beside the DB.
func diffCache(t *testing.T) string {
	t.Helper()
	cache := t.TempDir()
	now := time.Now().UTC().Truncate(time.Second)
	meta := db.Metadata{Version: 2, UpdatedAt: now, NextUpdate: now.Add(24 * time.Hour), DownloadedAt: now}
	dbDir := filepath.Join(cache, "db")
	if err := os.MkdirAll(dbDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := db.BuildFixtureDB(dbDir, meta, trivyDiffFixtures...); err != nil {
		t.Fatal(err)
	}
	return cache
}

// runTrivy scans archive with the reference Trivy, offline, and returns
// its JSON report.
func runTrivy(t *testing.T, trivy, archive string) string {
	t.Helper()
	cmd := exec.Command(trivy, "image", "--input", archive, "--cache-dir", diffCache(t),
		"--skip-db-update", "--skip-java-db-update", "--offline-scan", "--skip-version-check", "--disable-telemetry",
		"--scanners", "vuln", "--list-all-pkgs", "--format", "json", "--quiet")
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "TRIVY_NO_PROGRESS=true")
	r := runCommand(t, cmd)
	if r.exit != 0 {
		t.Fatalf("trivy: exit %d: %s", r.exit, r.stderr)
	}
	return r.stdout
}

// parseOrdered parses a report, keeping the order of fields, and
// normalises what Trivy cannot know (normalizeForDiff).
func parseOrdered(t *testing.T, who, report string) *orderedValue {
	t.Helper()
	var v orderedValue
	if err := json.Unmarshal([]byte(report), &v); err != nil {
		t.Fatalf("%s: report is not JSON: %v\n%s", who, err, report)
	}
	normalizeForDiff(&v)
	return &v
}

// flatten turns a report into one line per leaf value, "path = value",
// with list elements named by what identifies them (a result by its
// Target and Class, a package by its ID, a finding by its CVE and package
// ID) so that a difference is reported where it is, and lines for the
// order of lists and of each object's fields.
func flatten(v *orderedValue) map[string]bool {
	out := map[string]bool{}
	flattenInto(out, "", v)
	return out
}

// normalizeForDiff removes or replaces, in place, the values that differ
// for reasons other than a difference in what the scanners found or how
// they print it.
func normalizeForDiff(v *orderedValue) {
	// Timestamps, and who wrote the report.
	v.del("CreatedAt")
	v.del("ReportID")
	v.del("Trivy")
	// Trivy names an --input scan after the archive path; ours after the
	// reference (none given here: the path too), but the archive paths
	// of the two runs are the same file.
	v.set("ArtifactName", "ARCHIVE")
	// Only we know these: the runtimes holding the image, and what
	// analysis could not read (absent when all went well, but never
	// Trivy's to have).
	v.del("Runtimes")
	for _, res := range v.get("Results").elems() {
		for _, p := range res.get("Packages").elems() {
			uidPlaceholder(p.get("Identifier"))
		}
		for _, f := range res.get("Vulnerabilities").elems() {
			uidPlaceholder(f.get("PkgIdentifier"))
		}
	}
}

// uidPlaceholder replaces a UID (a hash of the package whose algorithm
// is each scanner's own) by a placeholder: both must have one.
func uidPlaceholder(id *orderedValue) {
	if id != nil && id.get("UID") != nil {
		id.set("UID", "UID")
	}
}

// listKey names an element of the list at path by what identifies it.
func listKey(path string, elem *orderedValue, i int) string {
	str := func(k string) string {
		if f := elem.get(k); f != nil {
			if s, ok := f.scalar.(string); ok {
				return s
			}
		}
		return ""
	}
	switch {
	case strings.HasSuffix(path, "Results"):
		return str("Target") + "|" + str("Class")
	case strings.HasSuffix(path, ".Packages") && str("ID") != "":
		return str("ID")
	case strings.HasSuffix(path, ".Vulnerabilities"):
		return str("VulnerabilityID") + "|" + str("PkgID") + "|" + str("PkgPath")
	}
	return fmt.Sprint(i)
}

func flattenInto(out map[string]bool, path string, v *orderedValue) {
	switch {
	case v == nil:
	case v.keys != nil:
		out[path+" {"+strings.Join(v.keys, ",")+"}"] = true
		for _, k := range v.keys {
			flattenInto(out, path+"."+k, v.fields[k])
		}
	case v.list != nil:
		keys := make([]string, len(v.list))
		for i, e := range v.list {
			keys[i] = listKey(path, e, i)
		}
		out[fmt.Sprintf("%s order %q", path, keys)] = true
		for i, e := range v.list {
			flattenInto(out, path+"["+keys[i]+"]", e)
		}
	default:
		b, _ := json.Marshal(v.scalar)
		out[path+" = "+string(b)] = true
	}
}

// diffFlat lists the lines only in want (-) and only in got (+), sorted
// by path, at most 300.
func diffFlat(want, got map[string]bool) string {
	var lines []string
	for l := range want {
		if !got[l] {
			lines = append(lines, "- "+l)
		}
	}
	for l := range got {
		if !want[l] {
			lines = append(lines, "+ "+l)
		}
	}
	sort.Slice(lines, func(i, j int) bool {
		if lines[i][2:] != lines[j][2:] {
			return lines[i][2:] < lines[j][2:]
		}
		return lines[i] < lines[j]
	})
	if len(lines) > 300 {
		lines = append(lines[:300], fmt.Sprintf("... and %d more", len(lines)-300))
	}
	return strings.Join(lines, "\n")
}

// orderedValue is a JSON value that keeps the order of an object's keys.
// Exactly one of keys (an object; empty, not nil, for {}), list (an
// array; empty, not nil, for []) or scalar is set.
type orderedValue struct {
	keys   []string
	fields map[string]*orderedValue
	list   []*orderedValue
	scalar any
}

func (o *orderedValue) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.HasPrefix(b, []byte("{")):
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.Token()
		o.keys, o.fields = []string{}, map[string]*orderedValue{}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return err
			}
			k := tok.(string)
			var f orderedValue
			if err := dec.Decode(&f); err != nil {
				return err
			}
			o.keys = append(o.keys, k)
			o.fields[k] = &f
		}
		return nil
	case bytes.HasPrefix(b, []byte("[")):
		var raw []json.RawMessage
		if err := json.Unmarshal(b, &raw); err != nil {
			return err
		}
		o.list = []*orderedValue{}
		for _, r := range raw {
			var e orderedValue
			if err := json.Unmarshal(r, &e); err != nil {
				return err
			}
			o.list = append(o.list, &e)
		}
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(&o.scalar)
}

// get is the field k of an object, or nil.
func (o *orderedValue) get(k string) *orderedValue {
	if o == nil || o.fields == nil {
		return nil
	}
	return o.fields[k]
}

// elems is the elements of an array (nil for anything else).
func (o *orderedValue) elems() []*orderedValue {
	if o == nil {
		return nil
	}
	return o.list
}

// del removes the field k of an object.
func (o *orderedValue) del(k string) {
	if o.get(k) == nil {
		return
	}
	delete(o.fields, k)
	for i, key := range o.keys {
		if key == k {
			o.keys = append(o.keys[:i:i], o.keys[i+1:]...)
			break
		}
	}
}

// set replaces the value of an existing field k by the string s.
func (o *orderedValue) set(k, s string) {
	if f := o.get(k); f != nil {
		*f = orderedValue{scalar: s}
	}
}
