package proxy

import (
	"errors"
	"io"
	"net"
	"sync/atomic"
	"time"
)

// queueLen is the number of chunks a pipe can hold in flight before its
// reader blocks (at most queueLen*bufSize bytes per direction).
const queueLen = 256

// chunk is the data of one read, stamped with the time it is due to be
// written to the other side.
type chunk struct {
	buf *[]byte
	n   int
	due time.Time
	// cutAfter marks the chunk CutAfterRequest picked: the link is cut right
	// after it has been written.
	cutAfter bool
}

// pipe moves data in one direction of a link. Its reader stamps each chunk
// with its arrival time and queues it; its writer writes each chunk once
// now >= arrival+delay, in order. Chunks are not serialised by the delay:
// each one waits only for its own deadline. While the delay is 0 and nothing
// is queued the reader writes directly, with no added latency.
type pipe struct {
	l         *link
	src, dst  *net.TCPConn
	up        bool // client -> server
	queue     chan chunk
	pending   atomic.Int64 // chunks queued and not yet written
	forwarded *atomic.Uint64
}

// newPipe returns the pipe of l that copies src to dst.
func newPipe(l *link, src, dst *net.TCPConn, up bool, forwarded *atomic.Uint64) *pipe {
	return &pipe{l: l, src: src, dst: dst, up: up, queue: make(chan chunk, queueLen), forwarded: forwarded}
}

// readLoop reads src until EOF or an error. On EOF the queue is closed so
// that the writer drains it and half-closes dst; on an error the whole link
// is torn down.
func (pp *pipe) readLoop() {
	defer close(pp.queue)
	buf := getBuf()
	defer func() { putBuf(buf) }()
	for {
		n, err := pp.src.Read(*buf)
		if n > 0 {
			var ok bool
			if buf, ok = pp.handle(buf, n, time.Now()); !ok {
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				pp.l.teardown()
			}
			return
		}
	}
}

// handle forwards, queues or drops the n bytes just read into buf at time
// at. It returns the buffer for the next read (a fresh one when buf was
// queued) and false when the reader must stop.
func (pp *pipe) handle(buf *[]byte, n int, at time.Time) (*[]byte, bool) {
	p := pp.l.p
	if p.blackhole.Load() || pp.l.cutting.Load() {
		p.stats.dropped.Add(uint64(n))
		return buf, true
	}
	cutAfter := pp.up && p.cutArmed.CompareAndSwap(true, false)
	if cutAfter {
		// Set before the request reaches the server, so no reply to it can
		// be forwarded to the client.
		pp.l.cutting.Store(true)
	}
	d := p.Delay()
	if d == 0 && pp.pending.Load() == 0 {
		if !pp.write((*buf)[:n]) {
			return buf, false
		}
		if cutAfter {
			pp.l.cut()
			return buf, false
		}
		return buf, true
	}
	pp.pending.Add(1)
	select {
	case pp.queue <- chunk{buf: buf, n: n, due: at.Add(d), cutAfter: cutAfter}:
		return getBuf(), true
	case <-pp.l.done:
		pp.pending.Add(-1)
		return buf, false
	}
}

// writeLoop writes the queued chunks to dst, each when it is due, until the
// queue is closed (then dst is half-closed) or the link is torn down.
func (pp *pipe) writeLoop() {
	t := newTicket()
	for {
		select {
		case c, ok := <-pp.queue:
			if !ok {
				_ = pp.dst.CloseWrite()
				return
			}
			ok = pp.l.p.pacer.wait(t, c.due, pp.l.done) && pp.deliver(c)
			putBuf(c.buf)
			pp.pending.Add(-1)
			if !ok {
				return
			}
		case <-pp.l.done:
			return
		}
	}
}

// deliver writes a due chunk, or drops it towards a client whose link is
// being cut; it cuts the link after the chunk CutAfterRequest picked. It
// returns false when the writer must stop.
func (pp *pipe) deliver(c chunk) bool {
	if !pp.up && pp.l.cutting.Load() {
		pp.l.p.stats.dropped.Add(uint64(c.n))
		return true
	}
	if !pp.write((*c.buf)[:c.n]) {
		return false
	}
	if c.cutAfter {
		pp.l.cut()
		return false
	}
	return true
}

// write writes b to dst, tearing the link down on failure. The bytes are
// counted before the write, so that Stats include them by the time the peer
// has them; the unwritten part of a failed write is taken back.
func (pp *pipe) write(b []byte) bool {
	pp.forwarded.Add(uint64(len(b)))
	n, err := pp.dst.Write(b)
	if err != nil {
		if lost := len(b) - n; lost > 0 {
			pp.forwarded.Add(^uint64(lost - 1)) // subtract lost
		}
		pp.l.teardown()
		return false
	}
	return true
}
