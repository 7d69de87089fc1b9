package analyze

import (
	"archive/tar"
	"bufio"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/docker-scan/docker-scan/engine/iox"
	"github.com/docker-scan/docker-scan/engine/types"
)

// MaxFileSize is the largest file the walker reads into memory for an
// analyzer, whatever the analyzer wants; it bounds memory against hostile
// tar headers that claim huge sizes.
const MaxFileSize = 128 << 20

// Caps on what one layer may make the walker hold or do, whatever its
// headers say: no real image comes near them, and each bounds the memory
// and time of a crafted one.
const (
	// MaxPathLength is Linux's PATH_MAX: longer entry names or link
	// targets cannot exist in a running container, so such entries are
	// skipped (and counted in one analysis issue).
	MaxPathLength = 4096
	// MaxEntries fails a layer with more tar entries than this.
	MaxEntries = 1_000_000
	// maxKeptPathBytes bounds the paths kept from headers (whiteouts,
	// opaque dirs, symlinks) for the merge.
	maxKeptPathBytes = 64 << 20
	// maxHardlinks bounds the hard links kept for the second pass, and
	// maxLinkedBytes the bytes they make analyzers read: without it, many
	// links to one large file would cost a little input and a lot of time.
	maxHardlinks   = 10_000
	maxLinkedBytes = 256 << 20
	// maxIssues bounds the analysis issues kept per layer (a layer of a
	// million malformed files would otherwise make a million of them);
	// the rest are counted in one more. maxReason bounds each reason.
	maxIssues = 1000
	maxReason = 512
)

// maxEntries is MaxEntries, lowered by tests.
var maxEntries = MaxEntries

const (
	whiteoutPrefix = ".wh."
	opaqueMarker   = ".wh..wh..opq"
)

// walkerName names the walker itself in analysis issues.
const walkerName = "layer-walker"

// ResultSchemaVersion changes whenever the shape or meaning of LayerResult
// changes; cached results of another version are not used.
const ResultSchemaVersion = 7 // 7: Misconfigurations (Dockerfiles in layers); 6: dependency names in DependsOn (node-pkg, python-pkg; dpkg Pre-Depends, Provides)

// Layer reads one layer blob (gzip, zstd, bzip2 or plain tar) once and
// returns what the analyzers found in it, with the layer's whiteouts and
// opaque directories. It hashes the blob and the tar stream as it reads
// them and fails, returning no result, when either does not match the
// digest the image claims (layer.Digest, layer.DiffID) in a form it knows.
//
// A hard link whose path an analyzer wants, to a file that analyzer did
// not want under its own name, needs the target's bytes again: the layer
// is then read a second time, for those targets only. Real layers seldom
// have such links; keeping every file's bytes in case one appears later
// would cost far more.
func Layer(ctx context.Context, layer types.Layer, cfg Config) (*types.LayerResult, error) {
	res := &types.LayerResult{Digest: layer.Digest, DiffID: layer.DiffID, SchemaVersion: ResultSchemaVersion}
	var links []hardlink
	size, err := readLayer(ctx, layer, func(stream io.Reader) error {
		var err error
		links, err = walk(ctx, stream, cfg, res)
		return err
	})
	if err != nil {
		return nil, err
	}
	res.Size = size
	if len(links) > 0 {
		if _, err := readLayer(ctx, layer, func(stream io.Reader) error {
			return analyzeLinks(ctx, stream, links, res)
		}); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// readLayer opens the blob and gives its tar stream to read; then it reads
// the rest of the stream (and of the blob, when its digest is checked), so
// that the hash covers every byte, and checks it. It returns the size of
// the tar stream, every byte of it to the end (the padding after the
// tar's end blocks included), as Trivy counts a layer's size.
func readLayer(ctx context.Context, layer types.Layer, read func(io.Reader) error) (int64, error) {
	diffCheck := newDigestCheck("layer", layer.DiffID)
	var blobCheck *digestCheck
	if diffCheck == nil {
		// The diffID names the content analysed and keys the cache, so
		// when it is checked the blob's digest adds no protection, only
		// a second SHA-256 pass (a fifth of the analysis time of a
		// package scan); it is checked when it is all the image gives.
		blobCheck = newDigestCheck("layer blob", layer.Digest)
	}
	defer blobCheck.finish()
	defer diffCheck.finish()
	blob, err := layer.Open()
	if err != nil {
		return 0, err
	}
	defer blob.Close()
	var raw io.Reader = iox.ContextReader{Ctx: ctx, R: blob}
	if blobCheck != nil {
		raw = io.TeeReader(raw, blobCheck)
	}
	br := blobReaders.Get().(*bufio.Reader)
	br.Reset(raw)
	defer func() { br.Reset(nil); blobReaders.Put(br) }()
	stream, err := decompressed(br)
	if err != nil {
		return 0, err
	}
	defer stream.Close()
	counted := &countingReader{r: iox.ContextReader{Ctx: ctx, R: stream}}
	var tarStream io.Reader = counted
	if diffCheck != nil {
		tarStream = io.TeeReader(tarStream, diffCheck)
	}
	if err := read(tarStream); err != nil {
		return 0, err
	}
	// What follows the tar's end (padding, or bytes a forger appended) is
	// part of the digests and of the size too.
	if _, err := io.Copy(io.Discard, tarStream); err != nil {
		return 0, fmt.Errorf("read layer: %w", err)
	}
	if blobCheck != nil {
		if _, err := io.Copy(io.Discard, br); err != nil {
			return 0, fmt.Errorf("read layer blob: %w", err)
		}
	}
	if err := blobCheck.verify(); err != nil {
		return 0, err
	}
	return counted.n, diffCheck.verify()
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// blobReaders buffer blobs: a megabyte each, too much to allocate per
// layer for an image of thousands of tiny layers.
var blobReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 1<<20) }}

// Walk reads a tar stream and fills res. Reading (decompression and tar
// parsing) and analysis run in two goroutines joined by a short queue of
// wanted files, so that a layer keeps two cores busy when its analyzers
// are as costly as its decompression (the secret scan is). It is exported
// for the layer fuzzer and the benchmarks. Hard links that need a second
// pass (see Layer) are recorded as analysis issues.
func Walk(ctx context.Context, stream io.Reader, cfg Config, res *types.LayerResult) error {
	links, err := walk(ctx, stream, cfg, res)
	for _, l := range links {
		res.Issues = append(res.Issues, types.AnalysisIssue{Layer: res.DiffID, Analyzer: walkerName, FilePath: l.path,
			Reason: "hard link to " + l.target + " was not analysed: it needs a second pass over the layer"})
	}
	return err
}

func walk(ctx context.Context, stream io.Reader, cfg Config, res *types.LayerResult) ([]hardlink, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	files := make(chan wantedFile, analysisQueue)
	analysisDone := make(chan struct{})
	go func() {
		defer close(analysisDone)
		analyzeFiles(ctx, files, res)
	}()
	// The reader keeps what it learns from the tar headers to itself until
	// the analysis goroutine, which writes res, is done.
	r := &tarReader{ctx: ctx, cfg: cfg, layer: res.DiffID, files: files, sizes: map[uint64]int64{}, seed: maphash.MakeSeed()}
	readErr := r.read(stream)
	close(files)
	<-analysisDone
	if readErr != nil {
		return nil, readErr
	}
	res.PackageDBs = append(res.PackageDBs, r.streamed.PackageDBs...)
	res.WhiteoutFiles = append(res.WhiteoutFiles, r.whiteouts...)
	res.OpaqueDirs = append(res.OpaqueDirs, r.opaques...)
	res.Symlinks = append(res.Symlinks, r.symlinks...)
	res.Issues = append(res.Issues, r.streamed.Issues...)
	r.issues.close(res)
	r.summarise(res)
	return r.links, nil
}

// analysisQueue is how many read files may wait for analysis.
const analysisQueue = 8

// wantedFile is a file read for the analyzers that want it. content comes
// from bufferPool and goes back to it after analysis: analyzers must not
// keep it.
type wantedFile struct {
	name    string
	content *[]byte
	wanting []Analyzer
}

var bufferPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// analyzeFiles runs the analyzers on the files read. An analyzer that
// fails on a file (or panics on it) costs that analyzer that file only:
// it is recorded as an issue and everything else goes on. Once ctx ends
// (a timeout, or the reader failed) the files still queued are dropped
// unread rather than analysed for a result nobody will use.
func analyzeFiles(ctx context.Context, files <-chan wantedFile, res *types.LayerResult) {
	var issues issueLog
	for f := range files {
		for _, a := range f.wanting {
			if ctx.Err() != nil {
				break
			}
			issues.analyze(ctx, a, f.name, *f.content, res)
		}
		bufferPool.Put(f.content)
	}
	issues.close(res)
}

// issueLog records the issues of one goroutine of a walk, up to
// maxIssues, and counts the rest.
type issueLog struct{ dropped int }

func (l *issueLog) add(issues *[]types.AnalysisIssue, is types.AnalysisIssue) {
	if len(*issues) >= maxIssues {
		l.dropped++
		return
	}
	*issues = append(*issues, is)
}

func (l *issueLog) analyze(ctx context.Context, a Analyzer, name string, content []byte, res *types.LayerResult) {
	if err := analyzeSafely(ctx, a, name, content, res); err != nil {
		if ctx.Err() != nil {
			return // the walk is over; its error says why
		}
		l.add(&res.Issues, issue(res.DiffID, a.Name(), name, err))
	}
}

// close adds the count of the issues left out, if any.
func (l *issueLog) close(res *types.LayerResult) {
	if l.dropped > 0 {
		res.Issues = append(res.Issues, types.AnalysisIssue{Layer: res.DiffID, Analyzer: walkerName,
			Reason: fmt.Sprintf("%d more files of this layer could not be fully analysed", l.dropped)})
		l.dropped = 0
	}
}

// contextAnalyzer is an analyzer whose work on one file can be long
// (the secret rules on 10 MiB of text): it stops when ctx ends, so that
// --timeout and Ctrl-C take effect inside a file, not after it.
type contextAnalyzer interface {
	AnalyzeContext(ctx context.Context, filePath string, content []byte, res *types.LayerResult) error
}

func analyzeSafely(ctx context.Context, a Analyzer, name string, content []byte, res *types.LayerResult) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("analyzer crashed: %v", r)
		}
	}()
	if ca, ok := a.(contextAnalyzer); ok {
		return ca.AnalyzeContext(ctx, name, content, res)
	}
	return a.Analyze(name, content, res)
}

// issue makes an analysis issue of an error, on one short line.
func issue(layer, analyzer, file string, err error) types.AnalysisIssue {
	reason := err.Error()
	if len(reason) > 4*maxReason {
		reason = reason[:4*maxReason]
	}
	reason = strings.Join(strings.Fields(reason), " ")
	if len(reason) > maxReason {
		reason = strings.ToValidUTF8(reason[:maxReason], "") + "..."
	}
	return types.AnalysisIssue{Layer: layer, Analyzer: analyzer, FilePath: file, Reason: reason}
}

// tarReader is the reading side of a walk.
type tarReader struct {
	ctx   context.Context
	cfg   Config
	layer string
	files chan<- wantedFile

	whiteouts, opaques []string
	symlinks           []types.Symlink
	keptPathBytes      int
	// streamed holds what stream analyzers found, and the reader's issues.
	streamed types.LayerResult

	entries, longPaths int
	// sizes are the sizes of the layer's regular files by a hash of their
	// path (16 bytes a file however long the path), for hard links.
	sizes        map[uint64]int64
	seed         maphash.Seed
	links        []hardlink
	linkedBytes  int64
	droppedLinks int
	issues       issueLog
}

// hardlink is a link whose path some analyzers want, and that they did
// not see under its target's path.
type hardlink struct {
	path, target string
	analyzers    []Analyzer
}

func (r *tarReader) read(stream io.Reader) error {
	cfg := r.cfg
	analyzers := cfg.Analyzers
	tr := tar.NewReader(stream)
	// head lets stream analyzers and head filters see a file's first
	// bytes before anything else reads it.
	head := bufio.NewReaderSize(nil, HeadSize)
	for {
		if err := r.ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read tar: %w", err)
		}
		if r.entries++; r.entries > maxEntries {
			return fmt.Errorf("layer has more than %d entries", maxEntries)
		}
		if len(hdr.Name) > MaxPathLength || len(hdr.Linkname) > MaxPathLength {
			r.longPaths++
			continue
		}
		name, ok := cleanPath(hdr.Name)
		if !ok {
			continue
		}
		dir, base := path.Split(name)
		dir = strings.TrimSuffix(dir, "/")
		if strings.HasPrefix(base, whiteoutPrefix) {
			if base == opaqueMarker {
				if err := r.keep(dir); err != nil {
					return err
				}
				r.opaques = append(r.opaques, dir)
			} else if hidden := base[len(whiteoutPrefix):]; hidden != "" {
				p := path.Join(dir, hidden)
				if err := r.keep(p); err != nil {
					return err
				}
				r.whiteouts = append(r.whiteouts, p)
			}
			continue
		}

		if cfg.skipped(name) {
			continue
		}
		switch hdr.Typeflag {
		case tar.TypeReg:
			r.sizes[maphash.String(r.seed, name)] = hdr.Size
		case tar.TypeSymlink:
			for _, a := range analyzers {
				if a.Wants(name, 0) {
					if err := r.keep(name + hdr.Linkname); err != nil {
						return err
					}
					r.symlinks = append(r.symlinks, types.Symlink{Path: name, Target: hdr.Linkname})
					break
				}
			}
			continue
		case tar.TypeLink:
			r.hardlink(name, hdr.Linkname)
			continue
		default:
			// Directories, devices and fifos carry no content of their own
			// for analyzers.
			continue
		}

		// entry is the file's content; a stream analyzer may have looked at
		// its first bytes through head.
		var entry io.Reader = tr
		if len(cfg.Streamers) > 0 && hdr.Size >= streamHead {
			head.Reset(tr)
			first, _ := head.Peek(streamHead)
			if r.offerStream(name, hdr, first, head) {
				continue
			}
			entry = head
		}
		var wanting []Analyzer
		for _, a := range analyzers {
			if a.Wants(name, hdr.Size) {
				wanting = append(wanting, a)
			}
		}
		if len(wanting) == 0 || hdr.Size < 0 {
			continue
		}
		if hdr.Size > MaxFileSize {
			for _, a := range wanting {
				r.issues.add(&r.streamed.Issues, types.AnalysisIssue{Layer: r.layer, Analyzer: a.Name(), FilePath: name,
					Reason: fmt.Sprintf("file of %d bytes is over the %d MiB that analysis reads", hdr.Size, MaxFileSize>>20)})
			}
			continue
		}
		if wanting = r.filterByHead(name, hdr.Size, wanting, &entry, head, tr); len(wanting) == 0 {
			continue
		}
		buf := bufferPool.Get().(*[]byte)
		if int64(cap(*buf)) < hdr.Size {
			*buf = make([]byte, hdr.Size)
		}
		*buf = (*buf)[:hdr.Size]
		if _, err := io.ReadFull(entry, *buf); err != nil {
			bufferPool.Put(buf)
			return fmt.Errorf("read %s: %w", name, err)
		}
		select {
		case r.files <- wantedFile{name: name, content: buf, wanting: wanting}:
		case <-r.ctx.Done():
			bufferPool.Put(buf)
			return r.ctx.Err()
		}
	}
}

// filterByHead drops the wanting analyzers that turn the file down from
// its first bytes (HeadFilter), so that a file none of the rest wants is
// never read whole. entry becomes head (reading tr) when head was not
// already in front of it.
func (r *tarReader) filterByHead(name string, size int64, wanting []Analyzer, entry *io.Reader, head *bufio.Reader, tr io.Reader) []Analyzer {
	if !slices.ContainsFunc(wanting, func(a Analyzer) bool { _, ok := a.(HeadFilter); return ok }) {
		return wanting
	}
	if *entry != io.Reader(head) {
		head.Reset(tr)
		*entry = head
	}
	first, _ := head.Peek(int(min(size, HeadSize)))
	return slices.DeleteFunc(wanting, func(a Analyzer) bool {
		f, ok := a.(HeadFilter)
		return ok && !f.WantsHead(name, first)
	})
}

// keep accounts for a path kept from a header.
func (r *tarReader) keep(p string) error {
	if r.keptPathBytes += len(p); r.keptPathBytes > maxKeptPathBytes {
		return fmt.Errorf("layer deletes or links more than %d MiB of paths", maxKeptPathBytes>>20)
	}
	return nil
}

// hardlink notes a link whose path an analyzer wants when that analyzer
// did not see the same bytes under the target's path. A target that is
// not an earlier regular file of this layer has nothing to read: a tar
// links only to entries before the link.
func (r *tarReader) hardlink(name, linkname string) {
	target, ok := cleanPath(linkname)
	if !ok {
		return
	}
	size, ok := r.sizes[maphash.String(r.seed, target)]
	if !ok || size > MaxFileSize || size < 0 {
		return
	}
	var need []Analyzer
	for _, a := range r.cfg.Analyzers {
		if a.Wants(name, size) && !a.Wants(target, size) {
			need = append(need, a)
		}
	}
	if len(need) == 0 {
		return
	}
	if len(r.links) >= maxHardlinks || r.linkedBytes+size > maxLinkedBytes {
		r.droppedLinks++
		return
	}
	r.linkedBytes += size
	r.links = append(r.links, hardlink{path: name, target: target, analyzers: need})
}

// summarise records, as one issue each, the entries the reader left out.
func (r *tarReader) summarise(res *types.LayerResult) {
	if r.longPaths > 0 {
		res.Issues = append(res.Issues, types.AnalysisIssue{Layer: r.layer, Analyzer: walkerName,
			Reason: fmt.Sprintf("%d entries with a path or link target longer than %d bytes were skipped", r.longPaths, MaxPathLength)})
	}
	if r.droppedLinks > 0 {
		res.Issues = append(res.Issues, types.AnalysisIssue{Layer: r.layer, Analyzer: walkerName,
			Reason: fmt.Sprintf("%d hard links were not analysed: a layer's links may make analyzers read at most %d links or %d MiB", r.droppedLinks, maxHardlinks, maxLinkedBytes>>20)})
	}
}

// offerStream gives a file to the first stream analyzer that wants it. An
// error is that analyzer's, on that file: it becomes an issue.
func (r *tarReader) offerStream(name string, hdr *tar.Header, first []byte, s io.Reader) bool {
	for _, a := range r.cfg.Streamers {
		if a.WantsStream(name, hdr.Size, hdr.FileInfo().Mode(), first) {
			if err := streamSafely(a, name, hdr.Size, s, &r.streamed); err != nil {
				r.issues.add(&r.streamed.Issues, issue(r.layer, a.Name(), name, err))
			}
			return true
		}
	}
	return false
}

func streamSafely(a StreamAnalyzer, name string, size int64, s io.Reader, res *types.LayerResult) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("analyzer crashed: %v", r)
		}
	}()
	return a.AnalyzeStream(name, size, s, res)
}

// analyzeLinks is the second pass over a layer: it reads the targets of
// links and gives their bytes to the analyzers that want them under the
// link's path.
func analyzeLinks(ctx context.Context, stream io.Reader, links []hardlink, res *types.LayerResult) error {
	byTarget := map[string][]hardlink{}
	for _, l := range links {
		byTarget[l.target] = append(byTarget[l.target], l)
	}
	tr := tar.NewReader(stream)
	var buf []byte
	var issues issueLog
	defer issues.close(res)
	for len(byTarget) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read tar: %w", err)
		}
		if hdr.Typeflag != tar.TypeReg || len(hdr.Name) > MaxPathLength || hdr.Size > MaxFileSize || hdr.Size < 0 {
			continue
		}
		name, _ := cleanPath(hdr.Name)
		ls, ok := byTarget[name]
		if !ok {
			continue
		}
		// The first entry of that name is the one the links were made
		// after; a forged layer may repeat it.
		delete(byTarget, name)
		if int64(cap(buf)) < hdr.Size {
			buf = make([]byte, hdr.Size)
		}
		buf = buf[:hdr.Size]
		if _, err := io.ReadFull(tr, buf); err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
		for _, l := range ls {
			for _, a := range l.analyzers {
				issues.analyze(ctx, a, l.path, buf, res)
			}
		}
	}
	for _, ls := range byTarget {
		for _, l := range ls {
			res.Issues = append(res.Issues, types.AnalysisIssue{Layer: res.DiffID, Analyzer: walkerName, FilePath: l.path,
				Reason: "hard link target " + l.target + " was not found on a second read of the layer"})
		}
	}
	return nil
}

// cleanPath turns a tar entry name into a path relative to the image root.
// "..", absolute paths and repeated slashes cannot climb out of the root:
// "/../../etc/passwd" becomes "etc/passwd". The root itself is not a file.
func cleanPath(name string) (string, bool) {
	p := strings.TrimPrefix(path.Clean("/"+name), "/")
	return p, p != ""
}
