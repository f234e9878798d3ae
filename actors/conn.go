package actors

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/redactor-go/redactor/resp"
)

// Connection failures, as a command's error says them. Match them with
// errors.Is.
var (
	// ErrUnknownOutcome is the error of a command that was written to a node
	// whose connection then broke before its reply came: it may or may not
	// have run. It is never re-sent, unless it is read-only or the client
	// retries unsafe commands.
	ErrUnknownOutcome = errors.New("redactor: connection lost after the command was sent; it may or may not have run")
	// ErrNotSent wraps the error of a command that provably never reached
	// its node (the dial failed, or the write failed before any byte of it
	// left). Such commands are retried.
	ErrNotSent = errors.New("redactor: command not sent")
)

// pipeConn is one pipelined connection to a node, with a writer and a
// reader goroutine. The owner (the node actor) hands it batches with send;
// the writer encodes everything handed over since its last write into one
// buffer and writes it with one call, so batches that arrive while a write
// is in progress are coalesced into the next; the reader reads the replies
// of written batches in order and hands each finished batch to done. It
// knows exactly which bytes left, so a failure gives each command the
// outcome it really had: not sent, or unknown.
type pipeConn struct {
	nc   net.Conn
	done func(*nodeBatch)
	// readTimeout bounds the wait for a batch's replies (not of blocking
	// batches); zero means none.
	readTimeout time.Duration
	// broken is called once, from the goroutine that saw it, when the
	// connection fails.
	broken func(*pipeConn, error)

	mu       sync.Mutex
	pending  []*nodeBatch // handed over, not yet written
	inflight []*nodeBatch // written, awaiting replies, oldest first
	isClosed bool

	writerWake chan struct{}
	readerWake chan struct{}
	stopped    sync.WaitGroup // the writer and the reader
}

// dialPipe connects to addr and starts the writer and the reader.
func dialPipe(ctx context.Context, dial func(context.Context, string) (net.Conn, error), addr string,
	readTimeout time.Duration, done func(*nodeBatch), broken func(*pipeConn, error)) (*pipeConn, error) {
	nc, err := dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	c := &pipeConn{
		nc:          nc,
		readTimeout: readTimeout,
		done:        done,
		broken:      broken,
		writerWake:  make(chan struct{}, 1),
		readerWake:  make(chan struct{}, 1),
	}
	c.stopped.Add(2)
	go c.write()
	go c.read(resp.NewDecoder(bufio.NewReaderSize(nc, 32<<10)))
	return c, nil
}

// send hands b to the writer. On a closed connection b fails at once, as
// not sent.
func (c *pipeConn) send(b *nodeBatch) {
	c.mu.Lock()
	if c.isClosed {
		c.mu.Unlock()
		c.finish([]*nodeBatch{b}, ErrNotSent, net.ErrClosed)
		return
	}
	c.pending = append(c.pending, b)
	c.mu.Unlock()
	wake(c.writerWake)
}

func wake(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// write writes what was handed over, one write per wake-up, until the
// connection is closed; batches never written then fail as not sent.
func (c *pipeConn) write() {
	defer c.stopped.Done()
	var (
		buf   []byte
		ends  []int
		spare []*nodeBatch
	)
	for range c.writerWake {
		// Swap the handed-over list with the spare one, so the owner
		// appends to one while the writer works through the other.
		c.mu.Lock()
		batches, closed := c.pending, c.isClosed
		c.pending, spare = spare[:0], nil
		c.mu.Unlock()
		if closed {
			c.finish(batches, ErrNotSent, net.ErrClosed)
			return
		}
		if len(batches) == 0 {
			spare = batches
			continue
		}
		buf, ends = buf[:0], ends[:0]
		for _, b := range batches {
			buf = b.appendTo(buf)
			ends = append(ends, len(buf))
		}
		n, err := c.nc.Write(buf)
		if err != nil {
			start := 0
			for i, b := range batches {
				if n <= start {
					c.finish([]*nodeBatch{b}, ErrNotSent, err)
				} else {
					c.finish([]*nodeBatch{b}, ErrUnknownOutcome, err)
				}
				start = ends[i]
			}
			c.fail(fmt.Errorf("writing: %w", err))
			c.writeOff()
			return
		}
		c.mu.Lock()
		closed = c.isClosed
		if !closed {
			c.inflight = append(c.inflight, batches...)
		}
		c.mu.Unlock()
		if closed {
			c.finish(batches, ErrUnknownOutcome, net.ErrClosed)
			c.writeOff()
			return
		}
		wake(c.readerWake)
		clear(batches)
		spare = batches
		if cap(buf) > 1<<20 {
			buf = nil
		}
	}
}

// writeOff fails what is still handed over after the writer stopped.
func (c *pipeConn) writeOff() {
	c.mu.Lock()
	batches := c.pending
	c.pending = nil
	c.mu.Unlock()
	c.finish(batches, ErrNotSent, net.ErrClosed)
}

// read reads the replies of written batches, in the order they were written,
// until the connection ends; then it fails the batches still waiting.
func (c *pipeConn) read(d *resp.Decoder) {
	defer c.stopped.Done()
	for {
		c.mu.Lock()
		if len(c.inflight) == 0 {
			closed := c.isClosed
			c.mu.Unlock()
			if closed {
				return
			}
			<-c.readerWake
			continue
		}
		b := c.inflight[0]
		c.mu.Unlock()

		err := c.setReadDeadline(b)
		if err == nil {
			err = b.readReplies(d)
		}
		if err != nil {
			c.fail(fmt.Errorf("reading: %w", err))
		}
		c.mu.Lock()
		var rest []*nodeBatch
		if err == nil {
			c.inflight[0] = nil
			c.inflight = c.inflight[1:]
		} else {
			rest, c.inflight = c.inflight, nil
		}
		c.mu.Unlock()
		if err == nil {
			c.done(b)
		} else {
			c.finish(rest, ErrUnknownOutcome, err)
		}
	}
}

// setReadDeadline bounds the wait for b's replies by the read timeout,
// unless b may block. A node that answers nothing for that long is taken
// for dead: the connection fails, and b's commands get ErrUnknownOutcome.
func (c *pipeConn) setReadDeadline(b *nodeBatch) error {
	if c.readTimeout <= 0 {
		return nil
	}
	var deadline time.Time
	if !b.blocking {
		deadline = time.Now().Add(c.readTimeout)
	}
	return c.nc.SetReadDeadline(deadline)
}

// finish gives the unanswered commands of batches kind wrapping cause, and
// hands the batches on.
func (c *pipeConn) finish(batches []*nodeBatch, kind, cause error) {
	for _, b := range batches {
		b.failUnanswered(fmt.Errorf("%w: %w", kind, cause))
		c.done(b)
	}
}

// fail closes the connection after an error and reports it, once.
func (c *pipeConn) fail(err error) {
	if c.shut() && c.broken != nil {
		c.broken(c, err)
	}
}

// shut marks the connection closed and closes the socket; it reports whether
// this call did it.
func (c *pipeConn) shut() bool {
	c.mu.Lock()
	first := !c.isClosed
	c.isClosed = true
	c.mu.Unlock()
	if first {
		c.nc.Close()
		wake(c.writerWake)
		wake(c.readerWake)
	}
	return first
}

// idle reports whether nothing handed over awaits its write or its replies.
func (c *pipeConn) idle() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.inflight) == 0 && len(c.pending) == 0
}

// close closes the connection after waiting up to drain for the batches
// handed over to be written and answered; what is left then fails (not sent,
// or unknown outcome). It returns when the writer and the reader stopped.
func (c *pipeConn) close(drain time.Duration) {
	deadline := time.Now().Add(drain)
	for !c.idle() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	c.shut()
	c.stopped.Wait()
}
