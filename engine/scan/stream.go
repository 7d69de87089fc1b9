package scan

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/docker-scan/docker-scan/engine/analyze"
	"github.com/docker-scan/docker-scan/engine/types"
)

// analyzeMissing analyses the layers of part (the layers of whole that
// need reading): in one pass over the source's export when it offers one
// (whole.Stream), layer by layer otherwise.
func analyzeMissing(ctx context.Context, whole, part *types.Image, opts Options) ([]*types.LayerResult, error) {
	if whole.Stream == nil || !streamable(part) {
		return analyzeImage(ctx, whole, part, opts)
	}
	return analyzeStream(ctx, whole, part, opts)
}

// streamable tells whether every layer of part can be recognised in a
// stream by hashing it: its diffID must be a digest analysis can check.
func streamable(part *types.Image) bool {
	for _, l := range part.Layers {
		if !analyze.Verifiable(l.DiffID) {
			return false
		}
	}
	return len(part.Layers) > 0
}

// errReread is what a streamed layer's Open returns the second time: the
// stream has passed. analyze.Layer reads a layer twice only for hard
// links to files it did not keep; such a layer is then read alone.
var errReread = errors.New("a streamed layer cannot be read twice")

// analyzeStream reads whole's export once, as the source sends it. The
// export names its entries in ways that need not be diffIDs (`<id>/layer.tar`)
// and lists them in an order of its own, so each entry that may be a
// layer is analysed while its uncompressed bytes are hashed, and its
// result is kept when the hash is the diffID of a layer of part. The
// diffID is thus computed from the bytes read, exactly as analyze.Layer
// verifies it on the other path: a result kept here may be cached. An
// entry the export names by a digest that is a diffID of whole but not of
// part (a cached layer) is skipped unread; the stream stops once every
// layer of part is read.
func analyzeStream(ctx context.Context, whole, part *types.Image, opts Options) ([]*types.LayerResult, error) {
	want := map[string][]int{} // diffID -> indices in part.Layers
	for i, l := range part.Layers {
		want[l.DiffID] = append(want[l.DiffID], i)
	}
	skip := map[string]bool{}
	for _, l := range whole.Layers {
		if want[l.DiffID] == nil {
			skip[l.DiffID] = true
		}
	}
	p := opts.Progress
	if p != nil {
		var size int64
		for _, l := range part.Layers {
			size += l.Size
		}
		if size == 0 && len(part.Layers) == len(whole.Layers) {
			size = whole.Size
		}
		p.AnalysisStarted(whole.Name, len(part.Layers), size)
	}
	results := make([]*types.LayerResult, len(part.Layers))
	reread := map[string]bool{} // diffIDs whose layer must be read alone
	remaining := len(want)
	err := whole.Stream(ctx, func(digest string, blob io.Reader) error {
		if remaining == 0 {
			return types.ErrStreamDone
		}
		if digest != "" && skip[digest] {
			return nil
		}
		diffID, res, err := analyzeEntry(ctx, blob, opts, p)
		if diffID == "" || want[diffID] == nil || results[want[diffID][0]] != nil || reread[diffID] {
			// Not a layer, or not one this scan reads (a cached layer of
			// an export that names layers otherwise, a second copy): what
			// analysis made of it does not matter.
			return ctx.Err()
		}
		if errors.Is(err, errReread) {
			reread[diffID] = true
			remaining--
			return nil
		}
		if err != nil {
			return fmt.Errorf("analyze layer %s: %w", diffID, err)
		}
		for _, i := range want[diffID] {
			r := *res
			r.Digest, r.DiffID = part.Layers[i].Digest, diffID
			results[i] = &r
		}
		if p != nil {
			p.LayerDone()
		}
		remaining--
		return nil
	})
	if err == nil {
		err = ctx.Err()
	}
	if err == nil {
		err = readAlone(ctx, part, results, reread, opts)
	}
	if err == nil {
		for i, l := range part.Layers {
			if results[i] == nil {
				err = fmt.Errorf("the export of %s does not hold layer %s (%d of %d), which the image lists", whole.Name, l.DiffID, i+1, len(part.Layers))
				break
			}
		}
	}
	if p != nil {
		p.AnalysisDone(whole.Name, err)
	}
	if err != nil {
		return nil, err
	}
	return results, nil
}

// readAlone analyses the layers of part whose diffIDs are in reread the
// usual way, each through its own Open.
func readAlone(ctx context.Context, part *types.Image, results []*types.LayerResult, reread map[string]bool, opts Options) error {
	if len(reread) == 0 {
		return nil
	}
	alone := *part
	alone.Layers = nil
	var idx []int
	for i, l := range part.Layers {
		if reread[l.DiffID] {
			alone.Layers = append(alone.Layers, l)
			idx = append(idx, i)
		}
	}
	slog.Debug("layers read again alone (hard links)", "layers", len(idx))
	res, err := analyze.Image(ctx, &alone, opts.Analysis)
	if err != nil {
		return err
	}
	for j, i := range idx {
		results[i] = res[j]
	}
	return nil
}

// analyzeEntry analyses one entry of an export that may be a layer blob,
// hashing its uncompressed bytes. It returns the diffID ("" when the entry
// is not a layer: a config or manifest blob), and what analysis made of it
// (a result, or why not).
func analyzeEntry(ctx context.Context, blob io.Reader, opts Options, p Progress) (diffID string, _ *types.LayerResult, _ error) {
	br := bufio.NewReaderSize(blob, 64<<10)
	head, _ := br.Peek(512)
	if !layerStart(head) {
		return "", nil, nil
	}
	stream, err := uncompressed(br)
	if err != nil {
		return "", nil, err
	}
	defer stream.Close()
	h := newStreamHash()
	defer h.stop()
	var read io.Reader = io.TeeReader(stream, h)
	if p != nil {
		read = progressReader{r: read, p: p}
	}
	opened := false
	layer := types.Layer{Open: func() (io.ReadCloser, error) {
		if opened {
			return nil, errReread
		}
		opened = true
		return io.NopCloser(read), nil
	}}
	res, aerr := analyze.Layer(ctx, layer, opts.Analysis)
	// Analysis reads the layer to its end; after an error (not a tar, a
	// broken layer) the rest is read here, so that the hash says which
	// entry failed.
	if _, err := io.Copy(io.Discard, read); err != nil {
		return "", nil, err
	}
	return h.sum(), res, aerr
}

// layerStart tells whether the first bytes of an entry can start a layer
// blob: gzip or zstd, or a tar (a header with a valid checksum, or the
// zero blocks that end one: an empty layer).
func layerStart(head []byte) bool {
	if bytes.HasPrefix(head, []byte{0x1f, 0x8b}) || bytes.HasPrefix(head, []byte{0x28, 0xb5, 0x2f, 0xfd}) {
		return true
	}
	if len(head) < 512 {
		return false
	}
	if bytes.Count(head, []byte{0}) == 512 {
		return true
	}
	// Unsigned, or signed as some old tar writers summed (archive/tar
	// accepts both).
	var sum, signed int64
	for i, b := range head {
		if i >= 148 && i < 156 {
			b = ' '
		}
		sum += int64(b)
		signed += int64(int8(b))
	}
	field := bytes.Trim(head[148:156], " \x00")
	var want int64
	for _, c := range field {
		if c < '0' || c > '7' {
			return false
		}
		want = want*8 + int64(c-'0')
	}
	return len(field) > 0 && (want == sum || want == signed)
}

// uncompressed is the tar stream of a blob, gunzipped or unzstded as its
// first bytes say (the limits are analyze's own).
func uncompressed(br *bufio.Reader) (io.ReadCloser, error) {
	head, _ := br.Peek(4)
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return zr, nil
	case bytes.HasPrefix(head, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true), zstd.WithDecoderMaxWindow(128<<20))
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		return zr.IOReadCloser(), nil
	}
	return io.NopCloser(br), nil
}

// streamHash hashes what is written to it on a goroutine of its own, as
// analyze's digest check does: on the reader's goroutine SHA-256 would
// slow the pass by a third.
type streamHash struct {
	pw   *io.PipeWriter
	done chan string
}

func newStreamHash() *streamHash {
	pr, pw := io.Pipe()
	h := &streamHash{pw: pw, done: make(chan string, 1)}
	go func() {
		s := sha256.New()
		_, err := io.CopyBuffer(s, pr, make([]byte, 256<<10))
		pr.CloseWithError(err)
		h.done <- "sha256:" + hex.EncodeToString(s.Sum(nil))
	}()
	return h
}

func (h *streamHash) Write(b []byte) (int, error) { return h.pw.Write(b) }

// sum ends the hash and returns it.
func (h *streamHash) sum() string {
	h.pw.Close()
	s := <-h.done
	h.done <- s
	return s
}

// stop ends the hashing goroutine on every path.
func (h *streamHash) stop() { h.sum() }

// progressReader tells Progress about the bytes of a streamed layer.
type progressReader struct {
	r io.Reader
	p Progress
}

func (c progressReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	if n > 0 {
		c.p.LayerRead(int64(n))
	}
	return n, err
}
