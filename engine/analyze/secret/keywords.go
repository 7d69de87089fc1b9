package secret

import "math/bits"

// keywordMatcher finds every occurrence of a set of keywords in one pass,
// ignoring ASCII case: an Aho-Corasick automaton compiled to a dense DFA
// over byte classes (bytes that occur in no keyword share one class), so
// that the table stays small enough for the CPU cache and each input byte
// costs two lookups. It is written here rather than taken from a library:
// the Go Aho-Corasick port measured here ran at 120-160 MB/s on text, too
// slow for a scan that stays on by default.
type keywordMatcher struct {
	// class maps an input byte to its class; upper-case letters share
	// their lower-case twin's.
	class [256]int32
	// classes is the number of classes, the width of a table row.
	classes int
	// next[row+class] is the row (state*classes) after reading a byte of
	// class, with outputFlag set when keywords end there.
	next []int32
	// out[state] lists the keywords that end at state.
	out [][]int32
	// starts is a hashed set of the first three bytes of every keyword
	// (of a keyword of two bytes: those two and any third), for scan to
	// skip ahead to positions where a keyword may start; nil when a
	// keyword is shorter than two bytes, which turns skipping off.
	starts *[startsBits / 64]uint64
}

// startsBits is the size of the starts set: 16 KiB, which stays in the
// CPU's first-level cache, and a few hundred keywords fill about 1% of it.
const startsBits = 1 << 17

// startHash is the hash of three bytes in starts, ASCII case folded: one
// table, rotated by position, so that scan loads one entry per byte.
func startHash(b0, b1, b2 byte) uint32 {
	return startMix(startHashes[b0], startHashes[b1], startHashes[b2])
}

func startMix(t0, t1, t2 uint32) uint32 {
	return (t0 ^ bits.RotateLeft32(t1, 11) ^ bits.RotateLeft32(t2, 22)) & (startsBits - 1)
}

// startHashes are the byte hashes of startHash, the same for a letter in
// either case.
var startHashes = func() (t [256]uint32) {
	x := uint64(0x9e3779b97f4a7c15)
	for c := range 256 {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		t[c] = uint32(x >> 32)
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = t[c+'a'-'A']
	}
	return t
}()

// outputFlag marks, in next, the states where keywords end, so that the
// scan loop tests one bit instead of loading out.
const outputFlag = int32(1) << 30

// deepFlag marks, in next, the states three or more bytes deep in the
// trie: only from the others may the scan skip ahead (see scan).
const deepFlag = int32(1) << 29

func newKeywordMatcher(words []string) *keywordMatcher {
	m := &keywordMatcher{classes: 1} // class 0: bytes in no keyword
	for _, w := range words {
		for j := 0; j < len(w); j++ {
			c := lower(w[j])
			if m.class[c] == 0 {
				m.class[c] = int32(m.classes)
				m.classes++
			}
		}
	}
	for c := 'A'; c <= 'Z'; c++ {
		m.class[c] = m.class[c+'a'-'A']
	}

	// The trie over classes; state 0 is the root.
	type node struct {
		child map[int32]int32
		out   []int32
	}
	nodes := []node{{child: map[int32]int32{}}}
	m.starts = new([startsBits / 64]uint64)
	for i, w := range words {
		switch {
		case len(w) < 2:
			m.starts = nil
		case m.starts == nil:
		case len(w) == 2:
			for c := range 256 {
				h := startHash(w[0], w[1], byte(c))
				m.starts[h/64] |= 1 << (h % 64)
			}
		default:
			h := startHash(w[0], w[1], w[2])
			m.starts[h/64] |= 1 << (h % 64)
		}
		s := int32(0)
		for j := 0; j < len(w); j++ {
			c := m.class[lower(w[j])]
			n, ok := nodes[s].child[c]
			if !ok {
				n = int32(len(nodes))
				nodes = append(nodes, node{child: map[int32]int32{}})
				nodes[s].child[c] = n
			}
			s = n
		}
		nodes[s].out = append(nodes[s].out, int32(i))
	}

	nc := m.classes
	goTo := make([]int32, len(nodes)*nc) // state -> state, before premultiplying
	m.out = make([][]int32, len(nodes))
	fail := make([]int32, len(nodes))
	depth := make([]int32, len(nodes))
	// Breadth first: a state's failure link and its row of the DFA come
	// from states nearer the root, already done.
	queue := []int32{0}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		m.out[s] = append(append([]int32(nil), nodes[s].out...), m.out[fail[s]]...)
		for c := int32(0); c < int32(nc); c++ {
			if n, ok := nodes[s].child[c]; ok {
				goTo[int(s)*nc+int(c)] = n
				depth[n] = depth[s] + 1
				if s != 0 {
					fail[n] = goTo[int(fail[s])*nc+int(c)]
				}
				queue = append(queue, n)
			} else if s != 0 {
				goTo[int(s)*nc+int(c)] = goTo[int(fail[s])*nc+int(c)]
			}
		}
	}
	m.next = make([]int32, len(goTo))
	for i, n := range goTo {
		v := n * int32(nc)
		if len(m.out[n]) > 0 {
			v |= outputFlag
		}
		if depth[n] >= 3 {
			v |= deepFlag
		}
		m.next[i] = v
	}
	return m
}

func lower(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

// scan calls fn with each keyword found and the offset just past it, in
// the order of those offsets.
//
// Most bytes of a file start no keyword, and stepping the automaton costs
// a dependent table load per byte, so the scan skips: while the automaton
// is at most two bytes deep in the trie, it looks ahead, with a cheap test
// of each position that does not depend on the one before, for the next
// position whose three bytes may start a keyword (starts). Each position
// is tested once. No keyword starts at a position that fails the test,
// and none that started before the two bytes behind the automaton is
// still in progress (it is not three bytes deep), so the scan jumps to
// the next position that passes and restarts the automaton there from
// the root; a position that passes is stepped through byte by byte until
// the automaton is shallow again past its third byte. The hits are the
// plain automaton's, in the same order.
func (m *keywordMatcher) scan(content []byte, fn func(word int32, end int)) {
	if m.starts == nil {
		m.scanAll(content, fn)
		return
	}
	row, deep := int32(0), false
	next, class, starts := m.next, &m.class, m.starts
	hashes := &startHashes
	n := len(content)
	// Positions before tested have been tested against starts; lastStart
	// is the last one that passed.
	tested, lastStart := 0, -3
	for i := 0; i < n; {
		if !deep && lastStart < i-2 {
			// The next possible start at or after i-2 (the automaton
			// may hold the two bytes before i as a keyword's first),
			// past the positions tested already; the last two bytes,
			// which start no three, are stepped through as they are.
			k := max(i-2, tested)
			if k+2 < n {
				t0, t1 := hashes[content[k]], hashes[content[k+1]]
				for _, c := range content[k+2:] {
					t2 := hashes[c]
					h := startMix(t0, t1, t2)
					if starts[h/64]&(1<<(h%64)) != 0 {
						lastStart = k
						break
					}
					t0, t1 = t1, t2
					k++
				}
				tested = k + 1
			}
			if k > i {
				i, row = k, 0
			}
		}
		v := next[row+class[content[i]]]
		i++
		row, deep = v&^(outputFlag|deepFlag), v&deepFlag != 0
		if v&outputFlag != 0 {
			for _, w := range m.out[int(row)/m.classes] {
				fn(w, i)
			}
		}
	}
}

// scanAll steps the automaton over every byte of content: the plain
// scan, for keyword sets with a keyword of one byte.
func (m *keywordMatcher) scanAll(content []byte, fn func(word int32, end int)) {
	row := int32(0)
	next, class := m.next, &m.class
	for i := range content {
		v := next[row+class[content[i]]]
		row = v &^ (outputFlag | deepFlag)
		if v&outputFlag != 0 {
			for _, w := range m.out[int(row)/m.classes] {
				fn(w, i+1)
			}
		}
	}
}
