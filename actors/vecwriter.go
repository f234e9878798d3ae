package actors

import (
	"net"
	"strconv"
	"unsafe"
)

// largeArg is the size from which an argument is written from its own
// memory, as an iovec of a vectored write, instead of being copied into
// the write buffer: a large value reaches the socket without another copy.
const largeArg = 1 << 10

// maxKeptScratch bounds the write buffer a connection keeps between writes;
// a larger one (many small commands in one write) is dropped after it.
const maxKeptScratch = 256 << 10

// vecWriter encodes commands for one vectored write: small parts go into
// one buffer, large arguments stay where they are and are referenced.
type vecWriter struct {
	scratch []byte
	vecs    net.Buffers
	start   int   // start of the scratch bytes not yet in vecs
	size    int64 // bytes encoded so far
}

// reset readies the writer for the next write, and lets go of the
// arguments of the last one.
func (w *vecWriter) reset() {
	if cap(w.scratch) > maxKeptScratch {
		w.scratch = nil
	}
	w.scratch, w.start, w.size = w.scratch[:0], 0, 0
	clear(w.vecs)
	w.vecs = w.vecs[:0]
}

// appendCommand encodes args as a RESP array of bulk strings.
func (w *vecWriter) appendCommand(args []string) {
	before := len(w.scratch)
	w.scratch = append(w.scratch, '*')
	w.scratch = strconv.AppendInt(w.scratch, int64(len(args)), 10)
	w.scratch = append(w.scratch, '\r', '\n')
	for _, a := range args {
		w.scratch = append(w.scratch, '$')
		w.scratch = strconv.AppendInt(w.scratch, int64(len(a)), 10)
		w.scratch = append(w.scratch, '\r', '\n')
		if len(a) >= largeArg {
			w.size += int64(len(w.scratch) - before)
			w.cut()
			w.vecs = append(w.vecs, unsafe.Slice(unsafe.StringData(a), len(a)))
			w.size += int64(len(a))
			before = len(w.scratch)
		} else {
			w.scratch = append(w.scratch, a...)
		}
		w.scratch = append(w.scratch, '\r', '\n')
	}
	w.size += int64(len(w.scratch) - before)
}

// cut ends the current run of scratch bytes as an iovec. A later append
// that grows scratch moves it; the iovecs keep pointing at the old array,
// which stays unchanged.
func (w *vecWriter) cut() {
	if len(w.scratch) > w.start {
		w.vecs = append(w.vecs, w.scratch[w.start:len(w.scratch):len(w.scratch)])
	}
	w.start = len(w.scratch)
}

// writeTo writes everything encoded to nc, with one writev when there are
// several parts, and returns the bytes written.
func (w *vecWriter) writeTo(nc net.Conn) (int64, error) {
	w.cut()
	if len(w.vecs) == 1 {
		n, err := nc.Write(w.vecs[0])
		return int64(n), err
	}
	vecs := w.vecs // WriteTo consumes the slice it is called on
	return vecs.WriteTo(nc)
}
