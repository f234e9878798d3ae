package actors

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
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

// pipeConn is one pipelined connection to a node. Its owner (the node actor)
// queues batches and flushes them with one write; a reader goroutine reads
// the replies of the written batches in order and hands each finished batch
// to done. It knows exactly which bytes left, so a failure gives each command
// the outcome it really had: not sent, or unknown.
type pipeConn struct {
	nc   net.Conn
	done func(*nodeBatch)
	// broken is called once, from the goroutine that saw it, when the
	// connection fails.
	broken func(*pipeConn, error)

	// Owned by the writer (the node actor).
	wbuf   []byte
	queued []*nodeBatch
	ends   []int // end offset in wbuf of each queued batch

	mu       sync.Mutex
	inflight []*nodeBatch // written, awaiting replies, oldest first
	isClosed bool
	wake     chan struct{} // tells the reader there is work or the end
	stopped  chan struct{} // closed when the reader has returned
}

// dialPipe connects to addr and starts the reader.
func dialPipe(ctx context.Context, dial func(context.Context, string) (net.Conn, error), addr string,
	done func(*nodeBatch), broken func(*pipeConn, error)) (*pipeConn, error) {
	nc, err := dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	c := &pipeConn{
		nc:      nc,
		done:    done,
		broken:  broken,
		wake:    make(chan struct{}, 1),
		stopped: make(chan struct{}),
	}
	go c.read(bufio.NewReaderSize(nc, 32<<10))
	return c, nil
}

// queue encodes b into the write buffer; flush sends it.
func (c *pipeConn) queue(b *nodeBatch) {
	c.wbuf = b.appendTo(c.wbuf)
	c.queued = append(c.queued, b)
	c.ends = append(c.ends, len(c.wbuf))
}

// flush writes every queued batch with one write. When the write fails,
// batches none of whose bytes left get ErrNotSent, the others
// ErrUnknownOutcome, and the connection is closed.
func (c *pipeConn) flush() {
	if len(c.queued) == 0 {
		return
	}
	n, err := c.nc.Write(c.wbuf)
	if err == nil {
		c.mu.Lock()
		closed := c.isClosed
		if !closed {
			c.inflight = append(c.inflight, c.queued...)
		}
		c.mu.Unlock()
		if closed {
			c.finish(c.queued, ErrUnknownOutcome, net.ErrClosed)
		} else {
			select {
			case c.wake <- struct{}{}:
			default:
			}
		}
	} else {
		start := 0
		for i, b := range c.queued {
			if n <= start {
				c.finish([]*nodeBatch{b}, ErrNotSent, err)
			} else {
				c.finish([]*nodeBatch{b}, ErrUnknownOutcome, err)
			}
			start = c.ends[i]
		}
		c.fail(fmt.Errorf("writing: %w", err))
	}
	if cap(c.wbuf) > 1<<20 {
		c.wbuf = nil
	}
	c.wbuf = c.wbuf[:0]
	clear(c.queued)
	c.queued = c.queued[:0]
	c.ends = c.ends[:0]
}

// read reads the replies of written batches, in the order they were written,
// until the connection ends; then it fails the batches still waiting.
func (c *pipeConn) read(br *bufio.Reader) {
	defer close(c.stopped)
	for {
		c.mu.Lock()
		if len(c.inflight) == 0 {
			closed := c.isClosed
			c.mu.Unlock()
			if closed {
				return
			}
			<-c.wake
			continue
		}
		b := c.inflight[0]
		c.mu.Unlock()

		err := b.readReplies(br)
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
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
	return first
}

// idle reports whether no written batch awaits replies.
func (c *pipeConn) idle() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.inflight) == 0
}

// close closes the connection after waiting up to drain for the replies of
// written batches; batches still without replies then get
// ErrUnknownOutcome. It returns when the reader has stopped.
func (c *pipeConn) close(drain time.Duration) {
	deadline := time.Now().Add(drain)
	for !c.idle() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	c.shut()
	<-c.stopped
}
