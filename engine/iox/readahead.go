package iox

import (
	"io"
	"sync"
)

// ReadAhead reads src in a goroutine of its own, up to depth chunks of
// size bytes ahead of the reader, so that a source that costs CPU to
// produce (a tar assembled from many files) runs beside what consumes it.
// Close stops the goroutine and closes src; it must be called.
func ReadAhead(src io.ReadCloser, size, depth int) io.ReadCloser {
	r := &readAhead{src: src, full: make(chan chunk, depth), free: make(chan []byte, depth+1), stop: make(chan struct{})}
	for range depth + 1 {
		r.free <- make([]byte, size)
	}
	r.wg.Add(1)
	go r.fill()
	return r
}

type chunk struct {
	buf []byte
	n   int
	err error
}

type readAhead struct {
	src        io.ReadCloser
	full       chan chunk
	free       chan []byte
	stop       chan struct{}
	wg         sync.WaitGroup
	cur        chunk
	off        int
	closeOnce  sync.Once
	closeError error
}

func (r *readAhead) fill() {
	defer r.wg.Done()
	for {
		var buf []byte
		select {
		case buf = <-r.free:
		case <-r.stop:
			return
		}
		n, err := io.ReadFull(r.src, buf)
		if err == io.ErrUnexpectedEOF {
			err = io.EOF
		}
		select {
		case r.full <- chunk{buf: buf, n: n, err: err}:
		case <-r.stop:
			return
		}
		if err != nil {
			return
		}
	}
}

func (r *readAhead) Read(p []byte) (int, error) {
	select {
	case <-r.stop:
		return 0, io.ErrClosedPipe
	default:
	}
	for r.off == r.cur.n {
		if r.cur.err != nil {
			return 0, r.cur.err
		}
		if r.cur.buf != nil {
			r.free <- r.cur.buf
		}
		select {
		case r.cur = <-r.full:
			r.off = 0
		case <-r.stop:
			return 0, io.ErrClosedPipe
		}
	}
	n := copy(p, r.cur.buf[r.off:r.cur.n])
	r.off += n
	return n, nil
}

func (r *readAhead) Close() error {
	r.closeOnce.Do(func() {
		close(r.stop)
		r.wg.Wait()
		r.closeError = r.src.Close()
	})
	return r.closeError
}
