package runtime

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/vbatts/tar-split/tar/storage"
)

// tarSplitLines are lines of tar-split metadata: those the library writes
// for the test layers (a non-UTF-8 name among them) and odd ones that
// encoding/json reads differently or refuses.
func tarSplitLines(t testing.TB) [][]byte {
	t.Helper()
	raw := append(append([]tarEntry(nil), baseLayer...), tarEntry{name: "bad\xffname", typ: '0', body: "x"}, tarEntry{name: strings.Repeat("long/", 40) + "name<&>", typ: '0', body: "y"})
	s := newFakeStoreIn(t, t.TempDir(), raw, appLayer)
	var lines [][]byte
	for _, meta := range s.metas {
		b, err := os.ReadFile(filepath.Join(meta, "tar-split.json.gz"))
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		js, _ := io.ReadAll(zr)
		for _, l := range bytes.Split(js, []byte("\n")) {
			if len(l) > 0 {
				lines = append(lines, l)
			}
		}
	}
	for _, l := range []string{
		`{}`, `{"type":1}`, `{"type":null,"size":null,"position":null,"name":null,"payload":null,"name_raw":null}`,
		`{"type":2,"payload":"","position":0}`, `{"type":1,"name":"a","size":-5,"payload":"AAAA","position":3}`,
		`{"TYPE":1}`, `{"type":1,}`, `{"type":01}`, `{"type":1e2}`, `{"type":"1"}`, `{"type":+1}`, `{"type":-0}`,
		`{"size":99999999999999999999}`, `{"name":"a\"b"}`, `{"name":"a\u00e9"}`, `{"payload":"AAA"}`, `{"payload":"A A="}`,
		`{"payload":"AA\r\nAA"}`, `{"type":1,"type":2}`, `{"x":{"a":1}}`, `{"type":1 }`, ` {"type":1}`, `{"name":"tab	x"}`,
		`{"name":"a","name_raw":"/w=="}`, `{"type":[1,2]}`, `{"payload":[1,2]}`, `{"name":5}`, `{"":1}`, `{"type":1"name":"x"}`,
	} {
		lines = append(lines, []byte(l))
	}
	return lines
}

// TestTarSplitLinesAsJSON: every line read by hand is the Entry that
// encoding/json reads from it, and every line left to encoding/json is
// read by it as before.
func TestTarSplitLinesAsJSON(t *testing.T) {
	fast := 0
	for _, l := range tarSplitLines(t) {
		if checkTarSplitLine(t, l) {
			fast++
		}
	}
	if fast < 20 {
		t.Errorf("only %d lines read by hand", fast)
	}
}

func checkTarSplitLine(t *testing.T, line []byte) (fast bool) {
	t.Helper()
	var want storage.Entry
	wantErr := json.Unmarshal(line, &want)
	got, ok := parseTarSplitLine(line)
	if ok {
		if wantErr != nil {
			t.Fatalf("%q: read by hand as %+v, encoding/json refuses it: %v", line, got, wantErr)
		}
		if !reflect.DeepEqual(*got, want) {
			t.Fatalf("%q: read by hand as %+v, encoding/json reads %+v", line, *got, want)
		}
	}
	// Through the reader, as lines of a stream.
	e, err := newTarSplitReader(bytes.NewReader(append(append([]byte(nil), line...), '\n'))).Next()
	if (err != nil) != (wantErr != nil) || err == nil && !reflect.DeepEqual(*e, want) {
		t.Fatalf("%q: reader gives %+v, %v; encoding/json %+v, %v", line, e, err, want, wantErr)
	}
	return ok
}

// TestTarSplitReaderStream: the reader gives the library's entries in
// order, across blank lines and a last line with no newline, and stops at
// io.EOF.
func TestTarSplitReaderStream(t *testing.T) {
	lines := tarSplitLines(t)[:12]
	stream := bytes.Join(lines, []byte("\n\n"))
	var want []storage.Entry
	up := storage.NewJSONUnpacker(bytes.NewReader(stream))
	for {
		e, err := up.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, *e)
	}
	r := newTarSplitReader(bytes.NewReader(stream))
	for i := 0; ; i++ {
		e, err := r.Next()
		if err == io.EOF {
			if i != len(want) {
				t.Fatalf("%d entries, want %d", i, len(want))
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if i >= len(want) || !reflect.DeepEqual(*e, want[i]) {
			t.Fatalf("entry %d: %+v", i, e)
		}
	}
}

// FuzzTarSplitLine: what the hand-written reader accepts, encoding/json
// reads the same.
func FuzzTarSplitLine(f *testing.F) {
	for _, l := range tarSplitLines(f) {
		f.Add(l)
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		if bytes.IndexByte(line, '\n') >= 0 {
			return
		}
		checkTarSplitLine(t, line)
	})
}
