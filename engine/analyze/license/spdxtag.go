package license

import (
	"bytes"
	"slices"
	"strings"

	"github.com/github/go-spdx/v2/spdxexp"

	"github.com/docker-scan/docker-scan/engine/types"
)

const (
	spdxTag = "SPDX-License-Identifier:"
	// maxTags and maxTagLength bound what one file's tags add.
	maxTags      = 4
	maxTagLength = 200
)

// spdxTags are the licences that SPDX-License-Identifier lines of text
// name ("// SPDX-License-Identifier: MIT OR Apache-2.0"): a file states
// its licence this way instead of with a header the classifier would
// know. Each valid expression is a finding of confidence 1; one that does
// not parse as an SPDX expression is not reported.
func spdxTags(text []byte) []types.LicenseFinding {
	var out []types.LicenseFinding
	for rest := text; len(out) < maxTags; {
		i := bytes.Index(rest, []byte(spdxTag))
		if i < 0 {
			break
		}
		rest = rest[i+len(spdxTag):]
		line := rest
		if j := bytes.IndexAny(line, "\r\n"); j >= 0 {
			line = line[:j]
		}
		expr := tagExpression(string(line[:min(len(line), maxTagLength+8)]))
		if expr == "" || len(expr) > maxTagLength {
			continue
		}
		if _, err := spdxexp.ExtractLicenses(expr); err != nil {
			continue
		}
		out = append(out, types.LicenseFinding{Name: expr, Confidence: 1, Link: Link(expr)})
	}
	return out
}

// tagExpression is the expression of a tag line, without the comment
// closer that may follow it on the line ("*/", "-->").
func tagExpression(s string) string {
	s = strings.TrimSpace(s)
	for _, closer := range []string{"*/", "-->", "#}", "%>"} {
		s = strings.TrimSpace(strings.TrimSuffix(s, closer))
	}
	return s
}

// mergeFindings joins the classifier's findings and the tags' by name,
// keeping the best confidence of each, sorted by name.
func mergeFindings(lists ...[]types.LicenseFinding) []types.LicenseFinding {
	var out []types.LicenseFinding
	for _, l := range lists {
		for _, f := range l {
			if i := slices.IndexFunc(out, func(o types.LicenseFinding) bool { return o.Name == f.Name }); i >= 0 {
				out[i].Confidence = max(out[i].Confidence, f.Confidence)
				continue
			}
			out = append(out, f)
		}
	}
	slices.SortFunc(out, func(a, b types.LicenseFinding) int { return strings.Compare(a.Name, b.Name) })
	return out
}
