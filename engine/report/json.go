package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"

	"github.com/docker-scan/docker-scan/engine/types"
)

// writeJSON writes the report as encoding/json indents it, two spaces a
// level. The report is encoded compact once and indented as it is
// written: a report listing 100,000 packages is 60 MB indented, and
// json.Encoder's indenting would hold that whole second copy (and its
// growth) at once.
func writeJSON(w io.Writer, r *types.Report, _ Options) error {
	var compact bytes.Buffer
	enc := json.NewEncoder(&compact)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := indentTo(bw, bytes.TrimSuffix(compact.Bytes(), []byte("\n")), "  "); err != nil {
		return err
	}
	if err := bw.WriteByte('\n'); err != nil {
		return err
	}
	return bw.Flush()
}

// indentTo writes compact JSON (as encoding/json produces it: no
// whitespace outside strings) indented as json.Indent would with no prefix.
// Empty objects and arrays stay "{}" and "[]".
func indentTo(w *bufio.Writer, src []byte, indent string) error {
	depth := 0
	inString, escaped := false, false
	newline := func() {
		w.WriteByte('\n')
		for range depth {
			w.WriteString(indent)
		}
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		if inString {
			w.WriteByte(c)
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
			w.WriteByte(c)
		case '{', '[':
			w.WriteByte(c)
			if i+1 < len(src) && (src[i+1] == '}' || src[i+1] == ']') {
				w.WriteByte(src[i+1])
				i++
				continue
			}
			depth++
			newline()
		case '}', ']':
			depth--
			newline()
			w.WriteByte(c)
		case ',':
			w.WriteByte(c)
			newline()
		case ':':
			w.WriteString(": ")
		default:
			w.WriteByte(c)
		}
	}
	_, err := w.Write(nil)
	return err
}
