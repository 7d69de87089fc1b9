package secret

import "bytes"

// lineCursor finds the lines around offsets that only grow (keyword hits
// in scan order, findings sorted by offset) in one forward pass over the
// content in all: looking back from each offset to its line start, or
// forward to its line end, would cost a whole long line per offset, and a
// file that is one line with a keyword every few bytes makes that
// quadratic.
type lineCursor struct {
	content []byte
	// pos: every newline before pos has been counted.
	pos int
	// line is the 1-based number of the line that holds pos, and start
	// its first byte.
	line, start int
}

func newLineCursor(content []byte) *lineCursor {
	return &lineCursor{content: content, line: 1}
}

// advance moves the cursor to offset to (never back).
func (c *lineCursor) advance(to int) {
	for c.pos < to {
		i := bytes.IndexByte(c.content[c.pos:to], '\n')
		if i < 0 {
			c.pos = to
			return
		}
		c.line++
		c.pos += i + 1
		c.start = c.pos
	}
}

// lineStart is the offset where the line holding off starts; off must not
// be behind the last call's.
func (c *lineCursor) lineStart(off int) int {
	c.advance(off)
	return c.start
}

// lineNumber is the 1-based line that holds off; off must not be behind
// the last call's.
func (c *lineCursor) lineNumber(off int) int {
	c.advance(off)
	return c.line
}

// newlineFinder finds the first newline at or after growing offsets,
// searching each byte at most once.
type newlineFinder struct {
	content []byte
	// nl is the first newline at or after the last search's start, or -1
	// when there is none before searched.
	nl, searched int
}

func newNewlineFinder(content []byte) *newlineFinder {
	return &newlineFinder{content: content, nl: -1}
}

// lineEnd is the offset of the first newline at or after off, or limit
// (at most len(content)) when there is none before limit. off must not be
// behind the last call's.
func (f *newlineFinder) lineEnd(off, limit int) int {
	limit = min(limit, len(f.content))
	if f.nl >= off {
		return min(f.nl, limit)
	}
	from := off
	if f.nl < 0 && f.searched > off {
		from = f.searched // no newline in [last start, searched)
	}
	if from >= limit {
		return limit
	}
	if i := bytes.IndexByte(f.content[from:limit], '\n'); i >= 0 {
		f.nl, f.searched = from+i, from+i+1
		return f.nl
	}
	f.nl, f.searched = -1, limit
	return limit
}
