package secret

import (
	"context"
	"regexp"
)

// A merged window can span a whole file; its regex runs over pieces of it,
// so that a rule that has found enough stops early and the matches of one
// call stay few. Pieces overlap by pieceOverlap, longer than any secret of
// the built-in rules (a PEM key of 4096 bits is about 3.3 KiB), so that a
// secret across a cut is found whole in the next piece.
const (
	pieceSize    = 64 << 10
	pieceOverlap = 8 << 10
)

// eachMatch calls fn with each match of re in content[w[0]:w[1]]
// (offsets into content, with the submatches), in order, until fn returns
// false. It charges the bytes it searches to budget and stops, returning
// false, when that runs out; it returns ctx's error once ctx is done.
func eachMatch(ctx context.Context, re *regexp.Regexp, content []byte, w [2]int, budget *int, fn func(m []int) bool) (bool, error) {
	// frontier: matches before it were seen in an earlier piece.
	frontier := w[0]
	for start := w[0]; ; {
		end := min(w[1], start+pieceSize)
		if err := ctx.Err(); err != nil {
			return false, err
		}
		if *budget -= end - start; *budget < 0 {
			return false, nil
		}
		for _, m := range re.FindAllSubmatchIndex(content[start:end], -1) {
			for i := range m {
				if m[i] >= 0 {
					m[i] += start
				}
			}
			// A match at a cut is not trusted: \b sees the cut as a
			// boundary, and the secret may go on past it. The piece on
			// the other side of the cut finds it whole.
			if m[0] < frontier || m[0] == start && start != w[0] || m[1] == end && end != w[1] {
				continue
			}
			frontier = m[1]
			if !fn(m) {
				return true, nil
			}
		}
		if end == w[1] {
			return true, nil
		}
		start = max(end-pieceOverlap, start+1)
	}
}
