// Package licensing turns the licence names package metadata gives into
// SPDX identifiers and expressions, and classifies licences into Google's
// categories (forbidden, restricted, reciprocal, notice, permissive,
// unencumbered, unknown), each with the severity a report gives it.
//
// Data: aliases.txt (spellings -> SPDX identifiers), categories.json
// (the built-in classification); the SPDX License List itself comes with
// github.com/github/go-spdx.
package licensing

import (
	"github.com/docker-scan/docker-scan/engine/types"
)

// TextPrefix marks a licence that metadata gave as text rather than by
// name (a sentence, a URL): Split returns it as TextPrefix + the text.
const TextPrefix = "text://"

// CustomPrefix starts the name under which a licence given as text is
// reported: "CUSTOM License: <its first words>...".
const CustomPrefix = "CUSTOM License"

// Severity is the severity a report gives a licence of this category.
func Severity(category string) string {
	switch category {
	case types.LicenseCategoryForbidden:
		return "CRITICAL"
	case types.LicenseCategoryRestricted:
		return "HIGH"
	case types.LicenseCategoryReciprocal:
		return "MEDIUM"
	case types.LicenseCategoryNotice, types.LicenseCategoryPermissive, types.LicenseCategoryUnencumbered:
		return "LOW"
	}
	return "UNKNOWN"
}
