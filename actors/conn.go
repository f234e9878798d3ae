package actors

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redactor-go/redactor/internal/wire"
	"github.com/redactor-go/redactor/resp"
)

// Connection failures, as a command's error says them. Match them with
// errors.Is.
var (
	// ErrUnknownOutcome is the error of a command that was written to a node
	// whose connection then broke before its reply came: it may or may not
	// have run. It is never re-sent, unless it is read-only or the client
	// retries unsafe commands.
	ErrUnknownOutcome = wire.ErrUnknownOutcome
	// ErrNotSent wraps the error of a command that provably never reached
	// its node (the dial failed, or the write failed before any byte of it
	// left). Such commands are retried.
	ErrNotSent = wire.ErrNotSent
)

// errIdleClosed is why a connection the peer closed while nothing was due
// ended: a server's idle timeout, a proxy or a load balancer.
var errIdleClosed = errors.New("closed by the peer while idle")

// connOptions bound a pipelined connection's I/O.
type connOptions struct {
	// read bounds the silence while replies are due; zero means none.
	read time.Duration
	// write bounds one write; zero means none.
	write time.Duration
	// inFlight bounds what the connection has written without having read
	// all its replies yet; batches beyond it wait, in order, until replies
	// come (see pipeConn.admit).
	inFlight flowLimit
}

// flowLimit bounds commands and their argument bytes; a zero field means
// no bound of that kind.
type flowLimit struct {
	cmds  int
	bytes int64
}

// connHooks tell the connection's owner (the node actor) what happened.
type connHooks struct {
	// done gets each batch with an outcome for every command.
	done func(*nodeBatch)
	// broken is called once, from the goroutine that saw it, when the
	// connection ends; quiet means the peer closed it while idle, which
	// is no failure of the node.
	broken func(c *pipeConn, err error, quiet bool)
	// unsent gets the batches handed over but never written when the peer
	// closed the connection while idle, to send on a new one.
	unsent func(c *pipeConn, batches []*nodeBatch)
	// push, when set, is told of each RESP3 push frame the reader skipped.
	push func(push []any)
}

// pipeConn is one pipelined connection to a node, with a writer and a
// reader goroutine. The owner (the node actor) hands it batches with send;
// the writer encodes everything handed over since its last write into one
// buffer and writes it with one call, so batches that arrive while a write
// is in progress are coalesced into the next; the reader reads the replies
// of written batches in order and hands each finished batch on. While
// nothing is due the reader watches the socket, so a connection the peer
// closed is known at once and never written to. The connection knows which
// bytes left, so a failure gives each command the outcome it really had:
// not sent, or unknown.
type pipeConn struct {
	nc    net.Conn
	hooks connHooks
	opts  connOptions

	mu       sync.Mutex
	pending  []*nodeBatch // handed over, not yet written
	inflight []*nodeBatch // written, awaiting replies, oldest first
	writing  bool         // a write runs; its batches join inflight after it
	wrote    *sync.Cond   // signaled when a write ends
	isClosed bool
	quiet    bool         // the peer closed it while idle
	silence  atomic.Int64 // the bound on silence now, in ns; 0 while idle
	// inCmds and inBytes are what the batches taken by the writer and not
	// yet answered hold, against opts.inFlight; starved is set while
	// batches wait for them to fall.
	inCmds  int
	inBytes int64
	starved bool
	// pruneAt is the length of pending at which send next drops the
	// batches whose callers gave up.
	pruneAt int

	writerWake chan struct{}
	stopped    sync.WaitGroup // the writer and the reader
}

// dialPipe connects to addr and starts the writer and the reader, which
// decodes by limits.
func dialPipe(ctx context.Context, dial func(context.Context, string) (net.Conn, error), addr string,
	opts connOptions, limits resp.Limits, hooks connHooks) (*pipeConn, error) {
	nc, err := dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	c := &pipeConn{nc: nc, opts: opts, hooks: hooks, writerWake: make(chan struct{}, 1)}
	c.wrote = sync.NewCond(&c.mu)
	c.stopped.Add(2)
	go c.write()
	br := bufio.NewReaderSize(&silenceReader{c: c}, 32<<10)
	d := resp.NewDecoder(br).SetLimits(limits)
	d.OnPush = hooks.push
	go c.read(br, d)
	return c, nil
}

// send hands b to the writer. It reports false, keeping b, when the
// connection is closed: the owner sends b on a new one.
func (c *pipeConn) send(batches ...*nodeBatch) bool {
	c.mu.Lock()
	if c.isClosed {
		c.mu.Unlock()
		return false
	}
	var dropped []*nodeBatch
	for _, b := range batches {
		if b.queued() {
			c.pending = append(c.pending, b)
		} else {
			dropped = append(dropped, b)
		}
	}
	if len(c.pending) >= max(c.pruneAt, minPrune) {
		dropped = append(dropped, c.prune()...)
	}
	c.mu.Unlock()
	wake(c.writerWake)
	c.dropAbandoned(dropped)
	return true
}

// open reports whether the connection still takes batches.
func (c *pipeConn) open() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.isClosed
}

func wake(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// write writes what was handed over, one write per wake-up, until the
// connection is closed.
func (c *pipeConn) write() {
	defer c.stopped.Done()
	var (
		w     = wire.VecWriter{Conn: c.nc, Timeout: c.opts.write}
		ends  []int64
		spare []*nodeBatch
	)
	for range c.writerWake {
		// Let the goroutines that are ready hand over what they have
		// before this write: a woken writer that wrote at once sent one
		// small batch per wake-up. With 200 goroutines of single commands
		// this yield took the client from 150k to 230k commands a second
		// (fewer, larger writes); when nothing else is ready it costs
		// well under a microsecond.
		runtime.Gosched()
		c.mu.Lock()
		closed := c.isClosed
		if closed {
			batches := c.pending
			c.pending = nil
			c.mu.Unlock()
			c.handBack(batches)
			return
		}
		var batches, dropped []*nodeBatch
		batches, dropped = c.admit(spare)
		spare = nil // batches holds its memory now
		c.writing = len(batches) > 0
		c.mu.Unlock()
		c.dropAbandoned(dropped)
		if len(batches) == 0 {
			spare = batches
			continue
		}
		w.Reset()
		ends = ends[:0]
		for _, b := range batches {
			b.encode(&w)
			ends = append(ends, w.Size())
		}
		n, err := w.Finish()
		w.Reset() // drop the references to the values written
		c.mu.Lock()
		c.writing = false
		closed = c.isClosed
		if err == nil && !closed {
			if len(c.inflight) == 0 {
				c.armSilence(batches[0])
			}
			c.inflight = append(c.inflight, batches...)
		}
		c.wrote.Broadcast()
		c.mu.Unlock()
		if err != nil {
			start := int64(0)
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
		if closed {
			c.finish(batches, ErrUnknownOutcome, net.ErrClosed)
			c.writeOff()
			return
		}
		clear(batches)
		spare = batches
	}
}

// handBack gives batches that were never written to the owner after a
// quiet close, or fails them as not sent after any other.
func (c *pipeConn) handBack(batches []*nodeBatch) {
	if len(batches) == 0 {
		return
	}
	c.mu.Lock()
	quiet := c.quiet
	c.mu.Unlock()
	if quiet && c.hooks.unsent != nil {
		c.hooks.unsent(c, batches)
		return
	}
	c.finish(batches, ErrNotSent, net.ErrClosed)
}

// writeOff fails or hands back what is still handed over after the writer
// stopped.
func (c *pipeConn) writeOff() {
	c.mu.Lock()
	batches := c.pending
	c.pending = nil
	c.mu.Unlock()
	c.handBack(batches)
}

// armSilence bounds the silence while b's replies are due: the read
// timeout, plus what b may make the server wait (WAIT). Called with c.mu
// held.
func (c *pipeConn) armSilence(b *nodeBatch) {
	if c.opts.read <= 0 {
		return
	}
	bound := c.opts.read + b.waitFor
	c.silence.Store(int64(bound))
	c.nc.SetReadDeadline(time.Now().Add(bound))
}

// read reads the replies of written batches, in the order they were written,
// until the connection ends; then it fails the batches still waiting. Push
// frames are skipped (the decoder tells hooks.push), so no command ever
// gets one. While nothing is due it watches the socket: the peer closing it
// then is a quiet end, a push is skipped, and anything else it sends
// unasked is a protocol error.
func (c *pipeConn) read(br *bufio.Reader, d *resp.Decoder) {
	defer c.stopped.Done()
	for {
		// peekErr is the error of the idle wait that a write ended: a
		// timeout there is the first batch's silence (armSilence set that
		// deadline), not to be waited for a second time.
		var peekErr error
		c.mu.Lock()
		for len(c.inflight) == 0 {
			if c.isClosed {
				c.mu.Unlock()
				return
			}
			c.silence.Store(0)
			c.nc.SetReadDeadline(time.Time{})
			c.mu.Unlock()
			_, err := br.Peek(1)
			c.mu.Lock()
			for c.writing {
				c.wrote.Wait()
			}
			if len(c.inflight) > 0 {
				peekErr = err
				break // a reply: read it
			}
			if c.isClosed {
				c.mu.Unlock()
				return
			}
			c.mu.Unlock()
			var cause error
			if err == nil {
				skipped, err := d.SkipPush()
				if skipped && err == nil {
					c.mu.Lock()
					continue
				}
				if err != nil {
					cause = fmt.Errorf("reading: %w", err)
				} else {
					cause = fmt.Errorf("%w: the node sent data no command asked for", resp.ErrProtocol)
				}
			}
			if testHookIdleEnd != nil {
				testHookIdleEnd(c)
			}
			if cause != nil {
				c.fail(cause)
			} else {
				cause = fmt.Errorf("%w: %w", errIdleClosed, err)
				c.closeQuietly(cause)
			}
			// A batch written after the look at inflight above and before
			// the close gets no reply: the reader is done.
			c.failInflight(cause)
			return
		}
		b := c.inflight[0]
		if c.opts.read > 0 {
			c.silence.Store(int64(c.opts.read + b.waitFor))
		}
		c.mu.Unlock()

		err := peekErr
		if err == nil {
			err = b.readReplies(d)
		}
		if err != nil {
			var netErr net.Error
			if errors.As(err, &netErr) && netErr.Timeout() {
				err = fmt.Errorf("no reply byte for %v: %w", time.Duration(c.silence.Load()), err)
			}
			c.fail(fmt.Errorf("reading: %w", err))
		}
		c.mu.Lock()
		var rest []*nodeBatch
		if err == nil {
			c.inflight[0] = nil
			c.inflight = c.inflight[1:]
			c.release(b)
		} else {
			rest, c.inflight = c.inflight, nil
		}
		c.mu.Unlock()
		if err == nil {
			c.hooks.done(b)
		} else {
			c.finish(rest, ErrUnknownOutcome, err)
		}
	}
}

// failInflight fails, with an unknown outcome, the batches written and
// still waiting for replies when the reader stops after the connection
// closed while it looked idle: a write may have slipped in between. Once
// the connection is closed no write adds to inflight, so nothing is left.
func (c *pipeConn) failInflight(cause error) {
	c.mu.Lock()
	rest := c.inflight
	c.inflight = nil
	c.mu.Unlock()
	c.finish(rest, ErrUnknownOutcome, cause)
}

// testHookIdleEnd, when set by a test, runs as the reader, having found
// the connection idle, is about to close it.
var testHookIdleEnd func(*pipeConn)

// silenceReader reads the connection; while replies are due it moves the
// read deadline before each read, so Config.ReadTimeout bounds the silence,
// not the whole batch: a large batch whose replies keep coming is never
// torn down.
type silenceReader struct {
	c *pipeConn
}

func (r silenceReader) Read(p []byte) (int, error) {
	if s := r.c.silence.Load(); s > 0 {
		r.c.nc.SetReadDeadline(time.Now().Add(time.Duration(s)))
	}
	return r.c.nc.Read(p)
}

// finish gives the unanswered commands of batches kind wrapping cause, and
// hands the batches on.
func (c *pipeConn) finish(batches []*nodeBatch, kind, cause error) {
	for _, b := range batches {
		if strings.Contains(cause.Error(), b.addr) { // a net error names it
			b.failUnanswered(wire.Chain(kind, cause))
		} else {
			b.failUnanswered(fmt.Errorf("%w: %s: %w", kind, b.addr, cause))
		}
		c.hooks.done(b)
	}
}

// fail closes the connection after an error and reports it, once.
func (c *pipeConn) fail(err error) {
	if c.shut(false) && c.hooks.broken != nil {
		c.hooks.broken(c, err, false)
	}
}

// closeQuietly closes a connection the peer closed while idle and reports
// it, once.
func (c *pipeConn) closeQuietly(err error) {
	if c.shut(true) && c.hooks.broken != nil {
		c.hooks.broken(c, err, true)
	}
}

// shut marks the connection closed and closes the socket; it reports whether
// this call did it.
func (c *pipeConn) shut(quiet bool) bool {
	c.mu.Lock()
	first := !c.isClosed
	if first {
		c.isClosed, c.quiet = true, quiet
	}
	c.mu.Unlock()
	if first {
		c.nc.Close()
		wake(c.writerWake)
	}
	return first
}

// idle reports whether nothing handed over awaits its write or its replies.
func (c *pipeConn) idle() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.inflight) == 0 && len(c.pending) == 0 && !c.writing
}

// close closes the connection after waiting up to drain for the batches
// handed over to be written and answered; what is left then fails (not sent,
// or unknown outcome). It returns when the writer and the reader stopped.
func (c *pipeConn) close(drain time.Duration) {
	deadline := time.Now().Add(drain)
	for !c.idle() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	c.shut(false)
	c.stopped.Wait()
}
