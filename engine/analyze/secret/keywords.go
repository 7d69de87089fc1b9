package secret

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
}

// outputFlag marks, in next, the states where keywords end, so that the
// scan loop tests one bit instead of loading out.
const outputFlag = int32(1) << 30

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
	for i, w := range words {
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

// scan calls fn with each keyword found and the offset just past it.
func (m *keywordMatcher) scan(content []byte, fn func(word int32, end int)) {
	row := int32(0)
	next, class := m.next, &m.class
	for i, b := range content {
		row = next[row+class[b]]
		if row&outputFlag != 0 {
			row &^= outputFlag
			for _, w := range m.out[int(row)/m.classes] {
				fn(w, i+1)
			}
		}
	}
}
