package main

import (
	"fmt"
	"slices"
	"strings"
)

// reconcile removes from both reports (in place) the differences from
// Trivy that are known, and returns a note for each kind it removed, so
// that the test log says what was not compared. Two kinds:
//
//   - deliberate: where Trivy v0.74 is arguably wrong and we keep ours;
//   - pending: ours to fix, in code another change owns (the rpm, dpkg,
//     apk and Go binary analyzers, the image sources); delete the entry
//     when it lands, and the test holds it from then on.
func reconcile(image string, trivy, ours *orderedValue) []string {
	var notes []string
	note := func(n int, what string) {
		if n > 0 {
			notes = append(notes, fmt.Sprintf("%s (%d)", what, n))
		}
	}

	// Deliberate: Trivy finds no OS in Amazon Linux 2023 images (its
	// release file is etc/amazon-linux-release, etc/system-release only
	// a symlink to it, which Trivy does not follow), and has no Fedora
	// matcher (it lists no packages at all); we report both OSes, their
	// packages, and Fedora as not matched.
	if trivy.get("Metadata").get("OS") == nil || len(osResults(trivy)) == 0 {
		if n := len(osResults(ours)); n > 0 || ours.get("Metadata").get("OS") != nil {
			trivy.get("Metadata").del("OS")
			ours.get("Metadata").del("OS")
			dropResults(ours, func(r *orderedValue) bool { return str(r, "Class") == "os-pkgs" })
			note(1, "deliberate: Trivy detects no OS or lists no OS packages here; we do")
		}
	}

	// Pending (release files, engine/analyze/ospkg/release.go and the
	// families table): Trivy v0.74 names the release by etc/os-release's
	// VERSION_ID when the image has one beside the family's own release
	// file: CentOS "7" and "8" (centos-release: 7.5.1804, 8.2.2004),
	// CBL-Mariner "2.0" (mariner-release: 2.0.20220226); the name is in
	// Metadata.OS, the OS target, every PURL's distro qualifier and so
	// every fingerprint. Same DB bucket either way.
	if a, b := trivy.get("Metadata").get("OS"), ours.get("Metadata").get("OS"); a != nil && b != nil {
		tn, on, fam := str(a, "Name"), str(b, "Name"), str(a, "Family")
		if tn != on && strings.HasPrefix(on, tn+".") {
			a.set("Name", on)
			for _, r := range osResults(trivy) {
				r.set("Target", strings.Replace(str(r, "Target"), tn+")", on+")", 1))
				for _, l := range []string{"Packages", "Vulnerabilities"} {
					for _, e := range r.get(l).elems() {
						for _, id := range []*orderedValue{e.get("Identifier"), e.get("PkgIdentifier")} {
							if purl := str(id, "PURL"); purl != "" {
								purl = strings.Replace(purl, "distro="+fam+"-"+tn+"&", "distro="+fam+"-"+on+"&", 1)
								if strings.HasSuffix(purl, "distro="+fam+"-"+tn) {
									purl = strings.TrimSuffix(purl, tn) + on
								}
								id.set("PURL", purl)
							}
						}
					}
				}
			}
			for _, rep := range []*orderedValue{trivy, ours} {
				for _, r := range osResults(rep) {
					for _, v := range r.get("Vulnerabilities").elems() {
						v.del("Fingerprint")
					}
				}
			}
			note(1, "pending: OS name "+tn+" (Trivy, os-release) vs "+on+" (ours, release file)")
		}
		// Deliberate: Trivy v0.74 has no end-of-life date for CBL-Mariner
		// 2.0 (ended July 2025); ours flags it.
		if fam == "cbl-mariner" && a.get("EOSL") == nil && b.get("EOSL") != nil {
			b.del("EOSL")
			note(1, "deliberate: CBL-Mariner 2.0 EOSL")
		}
	}

	ourPkgs := packagesByID(ours)
	trivyPkgs := packagesByID(trivy)

	// Deliberate: rpm's gpg-pubkey pseudo-packages (imported signing
	// keys, no arch) are not software; we leave them out, as rpm -qa's
	// oracle lists in engine/imagebuild do.
	n := 0
	for id := range trivyPkgs {
		if strings.HasPrefix(id, "gpg-pubkey@") && ourPkgs[id] == nil {
			n += dropPackages(trivy, func(p *orderedValue) bool { return str(p, "ID") == id })
		}
	}
	note(n, "deliberate: gpg-pubkey packages")

	// Deliberate (engine/licensing): where a package's licences differ
	// only in names we normalise further than Trivy v0.74, name by name
	// (same count, same order): see deliberateLicenceName. Any other
	// difference in Licenses (a licence more or less, another reading of
	// a copyright file, an L: field or a package.json) is compared.
	n = 0
	for id, p := range trivyPkgs {
		q := ourPkgs[id]
		if q == nil {
			continue
		}
		theirs, ours := scalars(p.get("Licenses")), scalars(q.get("Licenses"))
		if slices.Equal(theirs, ours) || len(theirs) != len(ours) {
			continue
		}
		deliberate := true
		for i := range theirs {
			deliberate = deliberate && (theirs[i] == ours[i] || deliberateLicenceName(theirs[i], ours[i]))
		}
		if deliberate {
			p.del("Licenses")
			q.del("Licenses")
			n++
		}
	}
	note(n, "deliberate: licence names normalised further than Trivy's (exceptions as SPDX WITH, Debian's Artistic, MIT/X11, BSL-1)")

	// Deliberate (engine/analyze/ospkg/dpkg.go, resolveDpkgDepends):
	// a dpkg package's DependsOn also follows Pre-Depends, virtual
	// packages (Provides) and "name:any", which Trivy v0.74 drops; ours
	// holds every edge of Trivy's and more. Only that case is left out:
	// an edge of Trivy's that we lack is still a difference.
	n = 0
	for id, p := range trivyPkgs {
		q := ourPkgs[id]
		if q == nil || str(q, "AnalyzedBy") != "dpkg" {
			continue
		}
		theirs, ours := scalars(p.get("DependsOn")), scalars(q.get("DependsOn"))
		if len(ours) > len(theirs) && !slices.ContainsFunc(theirs, func(d string) bool { return !slices.Contains(ours, d) }) {
			p.del("DependsOn")
			q.del("DependsOn")
			n++
		}
	}
	note(n, "deliberate: dpkg DependsOn with Pre-Depends and Provides (a superset of Trivy's)")

	// Deliberate: Trivy's Red Hat matcher gives its findings no
	// DataSource, and its Azure Linux and CBL-Mariner matcher no PkgID
	// (so its Fingerprint hashes an empty package ID); ours name both.
	n = 0
	for _, res := range trivy.get("Results").elems() {
		for _, v := range res.get("Vulnerabilities").elems() {
			o := findingLike(ours, v)
			if o == nil {
				continue
			}
			if v.get("DataSource") == nil && str(o.get("DataSource"), "ID") == "redhat" {
				o.del("DataSource")
				n++
			}
			if v.get("PkgID") == nil && o.get("PkgID") != nil {
				o.del("PkgID")
				o.del("Fingerprint")
				v.del("Fingerprint")
				n++
			}
		}
	}
	note(n, "deliberate: Red Hat DataSource, Azure/Mariner PkgID")

	return notes
}

// deliberateLicenceName tells the licence names that we normalise
// differently from Trivy v0.74, on purpose (seen on debootstrap's bookworm
// minbase):
//
//   - Debian's "GPL-3+ with Bison exception", "GPL-2+ with Texinfo
//     exception", "GPL-2 with Linux-syscall-note exception": ours an SPDX
//     expression "GPL-3.0-or-later WITH Bison-exception-2.2"; Trivy keeps
//     the string, or maps it to a deprecated ID
//     ("GPL-3.0-with-autoconf-exception+"), and maps perl-base's
//     "GPL-3+-WITH-BISON-EXCEPTION" to a GPL-2.0 one;
//   - "Artistic" (Debian's common-licenses/Artistic is Perl's Artistic
//     Licence 1.0): Trivy says Artistic-2.0, we Artistic-1.0-Perl; and
//     perl-base's "Artistic-2", which Trivy keeps, is Artistic-2.0;
//   - "MIT/X11" is MIT (the Expat text), "BSL-1" is BSL-1.0; Trivy keeps
//     both strings (which classify as unknown).
func deliberateLicenceName(theirs, ours string) bool {
	if strings.Contains(ours, " WITH ") && strings.Contains(strings.ToLower(theirs), "with") {
		return true
	}
	switch theirs + " -> " + ours {
	case "Artistic-2.0 -> Artistic-1.0-Perl", "Artistic-2 -> Artistic-2.0", "MIT/X11 -> MIT", "BSL-1 -> BSL-1.0":
		return true
	}
	return false
}

func str(v *orderedValue, k string) string {
	if f := v.get(k); f != nil {
		if s, ok := f.scalar.(string); ok {
			return s
		}
	}
	return ""
}

func osResults(rep *orderedValue) []*orderedValue {
	var out []*orderedValue
	for _, r := range rep.get("Results").elems() {
		if str(r, "Class") == "os-pkgs" {
			out = append(out, r)
		}
	}
	return out
}

func packagesByID(rep *orderedValue) map[string]*orderedValue {
	out := map[string]*orderedValue{}
	for _, r := range rep.get("Results").elems() {
		for _, p := range r.get("Packages").elems() {
			out[str(p, "ID")] = p
		}
	}
	return out
}

// findingLike is ours's finding of the same CVE, package name and
// installed version as v.
func findingLike(ours, v *orderedValue) *orderedValue {
	for _, r := range ours.get("Results").elems() {
		for _, o := range r.get("Vulnerabilities").elems() {
			if str(o, "VulnerabilityID") == str(v, "VulnerabilityID") && str(o, "PkgName") == str(v, "PkgName") &&
				str(o, "InstalledVersion") == str(v, "InstalledVersion") {
				return o
			}
		}
	}
	return nil
}

func dropResults(rep *orderedValue, drop func(*orderedValue) bool) {
	if res := rep.get("Results"); res != nil {
		res.list = slices.DeleteFunc(res.list, drop)
		if len(res.list) == 0 {
			rep.del("Results")
		}
	}
}

func dropPackages(rep *orderedValue, drop func(*orderedValue) bool) int {
	return dropIn(rep, "Packages", drop)
}

func dropIn(rep *orderedValue, field string, drop func(*orderedValue) bool) int {
	n := 0
	for _, r := range rep.get("Results").elems() {
		if l := r.get(field); l != nil {
			before := len(l.list)
			l.list = slices.DeleteFunc(l.list, drop)
			n += before - len(l.list)
			if len(l.list) == 0 {
				r.del(field)
			}
		}
	}
	return n
}

// scalars is the strings of a list of strings (nil for none).
func scalars(v *orderedValue) []string {
	var out []string
	for _, e := range v.elems() {
		if s, ok := e.scalar.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
