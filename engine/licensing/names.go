package licensing

import (
	_ "embed"
	"strings"
	"sync"

	"github.com/github/go-spdx/v2/spdxexp/spdxlicenses"
)

// aliasFile is the table of licence spellings (see its header).
//
//go:embed aliases.txt
var aliasFile string

// licenceRef is a licence as the tables know it: an SPDX identifier and
// whether "or later" goes with it.
type licenceRef struct {
	id   string
	plus bool
}

var (
	aliasesOnce sync.Once
	aliases     map[string]licenceRef // name key (see nameKey) -> licence
)

// loadAliases reads aliases.txt. Every spelling is stored under its key and
// under the key's version form, so that "Apache License, Version 2.0" and
// "Apache 2.0" need one line between them.
func loadAliases() map[string]licenceRef {
	aliasesOnce.Do(func() {
		aliases = map[string]licenceRef{}
		for line := range strings.SplitSeq(aliasFile, "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			target, spellings, ok := strings.Cut(line, " <- ")
			if !ok {
				continue
			}
			id, plus := strings.CutSuffix(strings.TrimSpace(target), "+")
			for sp := range strings.SplitSeq(spellings, " | ") {
				// A spelling with its own "or later" ("GPLv2+") stands for the
				// version alone: the suffix of the name looked up adds it.
				key, own, _ := nameKey(sp)
				ref := licenceRef{id: id, plus: plus && !own}
				for _, k := range []string{key, versionForm(key)} {
					if _, taken := aliases[k]; k != "" && !taken {
						aliases[k] = ref
					}
				}
			}
		}
	})
	return aliases
}

// spdxID is the listed spelling of an SPDX licence identifier, current or
// deprecated, matched case-insensitively ("apache-2.0" -> "Apache-2.0").
// The list is the SPDX License List as github.com/github/go-spdx ships it.
func spdxID(key string) (string, bool) {
	if ok, id := spdxlicenses.IsActiveLicense(key); ok {
		return id, true
	}
	if ok, id := spdxlicenses.IsDeprecatedLicense(key); ok {
		return id, true
	}
	return "", false
}

// spdxException is the listed spelling of an SPDX exception identifier.
func spdxException(key string) (string, bool) {
	if ok, id := spdxlicenses.IsException(key); ok {
		return id, true
	}
	return "", false
}

// gnuIDs are the GNU licences whose SPDX identifiers say "-only" or
// "-or-later": the bare forms ("GPL-2.0") are deprecated.
var gnuIDs = map[string]bool{
	"AGPL-1.0": true, "AGPL-3.0": true,
	"GPL-1.0": true, "GPL-2.0": true, "GPL-3.0": true,
	"LGPL-2.0": true, "LGPL-2.1": true, "LGPL-3.0": true,
	"GFDL-1.1": true, "GFDL-1.2": true, "GFDL-1.3": true,
	"GFDL-1.1-invariants": true, "GFDL-1.2-invariants": true, "GFDL-1.3-invariants": true,
	"GFDL-1.1-no-invariants": true, "GFDL-1.2-no-invariants": true, "GFDL-1.3-no-invariants": true,
}

// String is the SPDX spelling: GNU licences with -only / -or-later, the
// others with a "+" when "or later" applies.
func (r licenceRef) String() string {
	if gnuIDs[r.id] {
		if r.plus {
			return r.id + "-or-later"
		}
		return r.id + "-only"
	}
	if r.plus {
		return r.id + "+"
	}
	return r.id
}

// nameKey is the form names are compared in: upper case, single spaces,
// without "The", "License", "Licensed" and the "or later" / "only"
// suffixes (plus reports "or later", only reports "-only"). URLs are only
// cased and trimmed.
func nameKey(name string) (key string, plus, only bool) {
	key = strings.ToUpper(strings.Join(strings.Fields(name), " "))
	if strings.HasPrefix(key, "HTTP://") || strings.HasPrefix(key, "HTTPS://") {
		return strings.TrimSuffix(key, "/"), false, false
	}
	key = strings.ReplaceAll(key, "LICENCE", "LICENSE")
	key = strings.TrimPrefix(key, "THE ")
	// Suffixes come in any order ("GPL-2.0-or-later License", "GPLv2+
	// licensed"): strip until nothing changes.
	for changed := true; changed && key != ""; {
		changed = false
		for _, s := range licenseWords {
			if k, ok := strings.CutSuffix(key, s); ok && k != "" && key != "UNLICENSE" && key != "UNLICENSED" {
				key, changed = strings.TrimRight(k, " ,"), true
			}
		}
		for _, s := range laterWords {
			if k, ok := strings.CutSuffix(key, s); ok && k != "" {
				key, plus, changed = strings.TrimRight(k, " ,"), true, true
			}
		}
		for _, s := range onlyWords {
			if k, ok := strings.CutSuffix(key, s); ok && k != "" {
				key, only, changed = strings.TrimRight(k, " ,"), true, true
			}
		}
	}
	return key, plus, only
}

var (
	licenseWords = []string{" LICENSE", " LICENSED", "-LICENSE", "-LICENSED", "LICENSE", " LICENSE AGREEMENT"}
	laterWords   = []string{"+", "-OR-LATER", " OR LATER", " OR-LATER", " OR NEWER", " OR GREATER", " OR ANY LATER VERSION", " OR LATER VERSION", " AND LATER", " OR ABOVE"}
	onlyWords    = []string{"-ONLY", " ONLY"}
)

// versionForm rewrites a trailing version in the SPDX way: "GPLV2" ->
// "GPL-2", "APACHE LICENSE, VERSION 2.0" -> "APACHE-2.0", "MPL 2.0" ->
// "MPL-2.0". It is "" when the key ends in no version.
func versionForm(key string) string {
	s := strings.TrimSuffix(key, ")")
	end := len(s)
	i := end
	for i > 0 && (isDigit(s[i-1]) || s[i-1] == '.') {
		i--
	}
	for i < end && s[i] == '.' { // a version starts with a digit
		i++
	}
	if i == end || s[end-1] == '.' {
		return ""
	}
	version := s[i:end]
	base := strings.TrimRight(s[:i], " ")
	for _, w := range []string{"VERSION", "VER.", "VER", "V.", "V"} {
		if b, ok := strings.CutSuffix(base, w); ok {
			// "V" belongs to the version only after a letter sequence
			// that is a name ("GPLV2"), never as a whole word ("V").
			if b != "" {
				base = b
				break
			}
		}
	}
	base = strings.TrimRight(base, " ,(-")
	base = strings.TrimSuffix(base, " LICENSE")
	if base == "" {
		return ""
	}
	// "X11", "W3C": a version glued to a one-letter name is its name.
	if i > 0 && isLetter(s[i-1]) && len(base) < 2 {
		return ""
	}
	return base + "-" + version
}

func isDigit(b byte) bool  { return b >= '0' && b <= '9' }
func isLetter(b byte) bool { return b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' }

// lookup is the licence a name key stands for: the alias table first,
// then the SPDX list, trying the key as written, in its version form,
// with ".0" added to a bare major version, and with spaces as dashes.
func lookup(key string) (licenceRef, bool) {
	table := loadAliases()
	vf := versionForm(key)
	dashed := strings.ReplaceAll(key, " ", "-")
	for _, k := range []string{key, vf, dotZero(vf), dashed, versionForm(dashed), dotZero(key)} {
		if k == "" {
			continue
		}
		if ref, ok := table[k]; ok {
			return ref, true
		}
		if id, ok := spdxID(k); ok {
			return splitListedPlus(id), true
		}
	}
	return licenceRef{}, false
}

// splitListedPlus turns a deprecated "-or-later"/"+" identifier into its
// base and "or later", so that GNU ids print in the current form.
func splitListedPlus(id string) licenceRef {
	if base, ok := strings.CutSuffix(id, "+"); ok && gnuIDs[base] {
		return licenceRef{id: base, plus: true}
	}
	if base, ok := strings.CutSuffix(id, "-or-later"); ok && gnuIDs[base] {
		return licenceRef{id: base, plus: true}
	}
	if base, ok := strings.CutSuffix(id, "-only"); ok && gnuIDs[base] {
		return licenceRef{id: base}
	}
	return licenceRef{id: id}
}

// dotZero is "X-2.0" for "X-2": a major version alone, as many spell it.
func dotZero(key string) string {
	i := strings.LastIndexByte(key, '-')
	if i < 0 || i == len(key)-1 {
		return ""
	}
	for j := i + 1; j < len(key); j++ {
		if !isDigit(key[j]) {
			return ""
		}
	}
	return key + ".0"
}
