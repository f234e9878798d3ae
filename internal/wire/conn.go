package wire

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

// DialFunc opens a network connection to a node.
type DialFunc func(ctx context.Context, addr string) (net.Conn, error)

// PushFunc is told of each RESP3 push frame a connection to the node at
// addr read and skipped: data the node sent on its own, never a reply. It
// is called on the goroutine reading the connection.
type PushFunc func(addr string, push []any)

// Conn is a connection of its own to one node: one exchange at a time, each
// bounded by its context. Once an exchange fails, the connection is closed
// and Broken reports true. A Conn is not safe for concurrent use, except
// Close.
type Conn struct {
	addr   string
	nc     net.Conn
	r      *silenceReader
	br     *bufio.Reader
	d      *resp.Decoder
	w      VecWriter
	broken bool
}

// Options are what a Conn does with what it reads. The zero value skips
// push frames and decodes with the default resp.Limits.
type Options struct {
	// OnPush, when not nil, is told of the push frames the Conn skips.
	OnPush PushFunc
	// Limits bound the replies the Conn accepts; a reply beyond them
	// fails the exchange with resp.ErrProtocol.
	Limits resp.Limits
}

// Dial opens a Conn to addr.
func Dial(ctx context.Context, dial DialFunc, addr string, opts Options) (*Conn, error) {
	nc, err := dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	return NewConn(nc, addr, opts), nil
}

// NewConn wraps an open network connection to the node at addr.
func NewConn(nc net.Conn, addr string, opts Options) *Conn {
	r := &silenceReader{nc: nc}
	c := &Conn{addr: addr, nc: nc, r: r, br: bufio.NewReaderSize(r, 16<<10), w: VecWriter{Conn: nc}}
	c.d = resp.NewPlainDecoder(c.br).SetLimits(opts.Limits)
	if onPush := opts.OnPush; onPush != nil {
		c.d.OnPush = func(push []any) { onPush(addr, push) }
	}
	return c
}

// Addr returns the node's address.
func (c *Conn) Addr() string { return c.addr }

// Broken reports whether the connection failed or was closed.
func (c *Conn) Broken() bool { return c.broken }

// Close closes the connection. It is safe to call from any goroutine, also
// while an exchange runs: the exchange then fails.
func (c *Conn) Close() error { return c.nc.Close() }

// Exchange writes cmds (with one write, unless they are large) and reads one reply per command into
// replies (len(replies) >= len(cmds)): a value, or a *resp.Error in Err;
// push frames are skipped. It returns how many replies it read. The error
// is for the exchange:
//   - no byte left: it wraps ErrNotSent;
//   - the connection broke after the write: it wraps ErrUnknownOutcome;
//   - ctx ended while waiting: the connection is closed at once, so the
//     server cannot serve a blocked command later, and the error wraps
//     ctx's and ErrUnknownOutcome (ErrNotSent when nothing was written):
//     a server that had not read the command yet runs it when it does.
//
// silence, when positive, bounds how long no byte may arrive while replies
// are due. After an error the connection is closed.
func (c *Conn) Exchange(ctx context.Context, cmds [][]string, replies []resp.Reply, silence time.Duration) (int, error) {
	if c.broken {
		return 0, fmt.Errorf("%w: %s: %w", ErrNotSent, c.addr, net.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return 0, Chain(ErrNotSent, err)
	}
	c.r.arm(silence)
	stop := context.AfterFunc(ctx, c.r.interrupt)
	if err := c.write(cmds); err != nil {
		return 0, c.failed(ctx, stop, err)
	}
	for i := range cmds {
		v, err := c.d.Decode()
		if err != nil {
			if re, ok := err.(*resp.Error); ok {
				replies[i] = resp.Reply{Err: re}
				continue
			}
			return i, c.failed(ctx, stop, fmt.Errorf("%w: %s: %w", ErrUnknownOutcome, c.addr, err))
		}
		replies[i] = resp.Reply{Value: v}
	}
	if !stop() {
		// ctx ended as the last reply came: every reply is in, but the
		// deadline it set makes the connection unusable.
		c.close()
		return len(cmds), nil
	}
	c.r.disarm()
	return len(cmds), nil
}

// write writes cmds, large arguments from their own memory (see
// VecWriter). A failed write closes the connection; its error wraps
// ErrNotSent when no byte left, ErrUnknownOutcome otherwise.
func (c *Conn) write(cmds [][]string) error {
	c.w.Reset()
	for _, cmd := range cmds {
		c.w.AppendCommand(cmd)
	}
	n, err := c.w.Finish()
	c.w.Reset() // lets go of the arguments
	if err != nil {
		c.close()
		if n == 0 {
			return fmt.Errorf("%w: %s: %w", ErrNotSent, c.addr, err)
		}
		return fmt.Errorf("%w: %s: %w", ErrUnknownOutcome, c.addr, err)
	}
	return nil
}

// Alive reports whether the idle connection is still open: the peer has not
// closed it and sent nothing unasked. It does not block.
func (c *Conn) Alive() bool {
	if c.broken || c.br.Buffered() > 0 {
		return false
	}
	p := peek(c.nc)
	return p == peekEmpty || p == peekUnknown
}

// failed closes the connection after a failed exchange and returns its
// error, saying whether ctx ended it.
func (c *Conn) failed(ctx context.Context, stop func() bool, err error) error {
	canceled := !stop()
	if canceled {
		c.r.waitInterrupted()
	}
	c.close()
	switch {
	case !canceled:
		return err
	case errors.Is(err, ErrNotSent):
		return fmt.Errorf("%w: %s: %w", ErrNotSent, c.addr, context.Cause(ctx))
	}
	// Written, and no reply (or part of one): closing the connection
	// usually unblocks the command on the server, but a server that had
	// not read it yet (stalled, or slow) runs it when it does, and a BLPOP
	// then pops an element into the closed connection. It may have run.
	return fmt.Errorf("%w: %s: %w", ErrUnknownOutcome, c.addr, context.Cause(ctx))
}

func (c *Conn) close() {
	c.broken = true
	c.nc.Close()
}

// silenceReader reads from the network. While armed with a silence bound
// it extends the read deadline before each read, so the bound is on
// silence, not on the whole exchange; interrupt ends every read at once,
// for good.
type silenceReader struct {
	nc net.Conn

	mu          sync.Mutex
	silence     time.Duration
	interrupted bool
	done        chan struct{} // closed by interrupt
}

func (r *silenceReader) Read(p []byte) (int, error) {
	r.mu.Lock()
	if r.silence > 0 && !r.interrupted {
		r.nc.SetReadDeadline(time.Now().Add(r.silence))
	}
	r.mu.Unlock()
	return r.nc.Read(p)
}

// arm starts an exchange bounded by silence (none when zero).
func (r *silenceReader) arm(silence time.Duration) {
	r.mu.Lock()
	r.silence, r.interrupted, r.done = silence, false, make(chan struct{})
	r.mu.Unlock()
	if silence <= 0 {
		r.nc.SetReadDeadline(time.Time{})
	}
}

// disarm ends an exchange that went well.
func (r *silenceReader) disarm() {
	r.mu.Lock()
	r.silence = 0
	r.mu.Unlock()
	r.nc.SetReadDeadline(time.Time{})
}

// interrupt makes every pending and later read fail at once.
func (r *silenceReader) interrupt() {
	r.mu.Lock()
	r.interrupted = true
	r.nc.SetDeadline(time.Unix(1, 0))
	close(r.done)
	r.mu.Unlock()
}

func (r *silenceReader) waitInterrupted() { <-r.done }
