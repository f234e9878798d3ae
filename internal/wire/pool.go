package wire

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// ErrPoolClosed is the error of Get on a closed Pool.
var ErrPoolClosed = errors.New("redactor: connection pool closed")

// Pool keeps up to a bound of Conns to one node. Get waits, inside its
// context, while every connection is in use, so the bound is never passed.
type Pool struct {
	addr string
	dial DialFunc
	opts Options
	// slots holds a token per connection in use.
	slots chan struct{}

	mu     sync.Mutex
	idle   []*Conn
	inUse  map[*Conn]struct{}
	closed bool
	done   chan struct{}
}

// NewPool returns a pool of up to size connections to addr, each made
// with opts.
func NewPool(addr string, dial DialFunc, size int, opts Options) *Pool {
	return &Pool{addr: addr, dial: dial, opts: opts, slots: make(chan struct{}, max(size, 1)),
		inUse: map[*Conn]struct{}{}, done: make(chan struct{})}
}

// Get returns an idle connection that is still open, or dials a new one.
// It waits while the pool is at its bound. A failed dial wraps ErrNotSent.
func (p *Pool) Get(ctx context.Context) (*Conn, error) {
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: waiting for a connection to %s: %w", ErrNotSent, p.addr, context.Cause(ctx))
	case <-p.done:
		return nil, Chain(ErrNotSent, ErrPoolClosed)
	}
	p.mu.Lock()
	for len(p.idle) > 0 {
		c := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		if c.Alive() {
			p.inUse[c] = struct{}{}
			p.mu.Unlock()
			return c, nil
		}
		c.close()
	}
	p.mu.Unlock()

	c, err := Dial(ctx, p.dial, p.addr, p.opts)
	if err != nil {
		<-p.slots
		return nil, fmt.Errorf("%w: %s: %w", ErrNotSent, p.addr, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.close()
		<-p.slots
		return nil, Chain(ErrNotSent, ErrPoolClosed)
	}
	p.inUse[c] = struct{}{}
	return c, nil
}

// Put gives back a connection from Get: kept for reuse when it is healthy,
// closed otherwise.
func (p *Pool) Put(c *Conn) {
	p.mu.Lock()
	delete(p.inUse, c)
	if c.broken || p.closed {
		c.close()
	} else {
		p.idle = append(p.idle, c)
	}
	p.mu.Unlock()
	<-p.slots
}

// Close closes every connection, idle or in use (the exchanges on those
// fail at once), and makes Get fail. It does not wait.
func (p *Pool) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.shutLocked()
	for c := range p.inUse {
		c.nc.Close()
	}
}

// Drain makes Get fail and closes the idle connections; a connection in use
// closes when it is put back, once its exchange is done. It does not wait.
func (p *Pool) Drain() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.shutLocked()
}

// shutLocked makes Get fail and closes the idle connections, once.
func (p *Pool) shutLocked() {
	if p.closed {
		return
	}
	p.closed = true
	close(p.done)
	for _, c := range p.idle {
		c.close()
	}
	p.idle = nil
}
