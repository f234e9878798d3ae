package wire

import (
	"net"
	"strconv"
	"time"
	"unsafe"
)

// largeArg is the size from which an argument is written from its own
// memory, as an iovec of a vectored write, instead of being copied into
// the write buffer: a large value reaches the socket without another copy.
const largeArg = 1 << 10

// maxKeptScratch bounds the write buffer a connection keeps between writes;
// a larger one (a command with many small arguments) is dropped after it.
const maxKeptScratch = 256 << 10

// Bounds of what the writer gathers before it writes: the bytes copied into
// its buffer, and the iovecs. Past either, what is encoded goes out and
// the buffer is filled again: a batch of a million commands is written
// 128 KiB at a time, not first encoded whole into a buffer of its size
// (grown by append, 57 MB and every array it outgrew). Half the buffer
// kept, so that the last append before a write, which may grow the buffer
// by a quarter, leaves it one that is kept.
const (
	flushScratch = maxKeptScratch / 2
	flushVecs    = 1024
)

// VecWriter encodes commands for vectored writes to Conn: small parts go
// into one buffer, large arguments stay where they are and are referenced,
// so a large value reaches the socket without a copy. It writes whenever it
// gathered flushScratch bytes or flushVecs iovecs, and the rest with
// Finish. The zero value, given a Conn, is ready to use.
type VecWriter struct {
	// Conn is where the commands are written.
	Conn net.Conn
	// Timeout bounds each write; zero means none.
	Timeout time.Duration

	scratch []byte
	vecs    net.Buffers
	start   int   // start of the scratch bytes not yet in vecs
	size    int64 // bytes encoded so far
	written int64 // bytes written so far
	err     error // the error of a write; nothing is written after it
}

// Reset readies the writer for the next commands, and lets go of the
// arguments of the last ones.
func (w *VecWriter) Reset() {
	if cap(w.scratch) > maxKeptScratch {
		w.scratch = nil
	}
	w.scratch, w.start, w.size, w.written, w.err = w.scratch[:0], 0, 0, 0, nil
	clear(w.vecs)
	w.vecs = w.vecs[:0]
}

// AppendCommand encodes args as a RESP array of bulk strings, and writes
// what was gathered when it is enough. After a failed write it does
// nothing.
func (w *VecWriter) AppendCommand(args []string) {
	if w.err != nil {
		return
	}
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
	if len(w.scratch) >= flushScratch || len(w.vecs) >= flushVecs {
		w.flush()
	}
}

// cut ends the current run of scratch bytes as an iovec. A later append
// that grows scratch moves it; the iovecs keep pointing at the old array,
// which stays unchanged.
func (w *VecWriter) cut() {
	if len(w.scratch) > w.start {
		w.vecs = append(w.vecs, w.scratch[w.start:len(w.scratch):len(w.scratch)])
	}
	w.start = len(w.scratch)
}

// flush writes everything gathered, with one writev when there are several
// parts, and empties the buffer for more.
func (w *VecWriter) flush() {
	w.cut()
	if w.err != nil || len(w.vecs) == 0 {
		return
	}
	if w.Timeout > 0 {
		w.Conn.SetWriteDeadline(time.Now().Add(w.Timeout))
	}
	var n int64
	if len(w.vecs) == 1 {
		k, err := w.Conn.Write(w.vecs[0])
		n, w.err = int64(k), err
	} else {
		vecs := w.vecs // WriteTo consumes the slice it is called on
		n, w.err = vecs.WriteTo(w.Conn)
	}
	w.written += n
	clear(w.vecs)
	w.vecs = w.vecs[:0]
	w.scratch, w.start = w.scratch[:0], 0
}

// Size returns the bytes encoded since Reset.
func (w *VecWriter) Size() int64 { return w.size }

// Finish writes what is left and returns the bytes written since Reset, and
// the error of the write that failed.
func (w *VecWriter) Finish() (int64, error) {
	w.flush()
	return w.written, w.err
}
