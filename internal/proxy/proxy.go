package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// acceptRetryPause is how long the accept loop waits after a failed Accept
// (e.g. out of file descriptors) before trying again.
const acceptRetryPause = 5 * time.Millisecond

// Proxy is a TCP proxy on loopback in front of one node, made by Start. Each
// connection a client makes to Addr becomes a link: a connection of its own
// to Config.Target, with the data copied both ways, delayed by Delay, and
// subject to the faults (CutAfterRequest, CutAll, Refuse, Blackhole). All
// methods are safe for concurrent use.
type Proxy struct {
	cfg  Config
	ln   *net.TCPListener
	addr string
	port int

	// dialCtx is cancelled by Close to abort dials in flight.
	dialCtx    context.Context
	cancelDial context.CancelFunc

	delayNs   atomic.Int64
	refuse    atomic.Bool
	blackhole atomic.Bool
	cutArmed  atomic.Bool
	stats     counters
	// pacer wakes the writers when their chunks are due.
	pacer *pacer

	mu     sync.Mutex
	links  map[*link]struct{}
	closed bool

	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// Start validates cfg, listens on cfg.Listen and returns the running Proxy.
// It does not dial cfg.Target; each accepted connection does. Errors wrap
// ErrNotLoopback, ErrInvalidConfig or the listen error.
func Start(cfg Config) (*Proxy, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return nil, fmt.Errorf("proxy: listen on %s: %w", c.Listen, err)
	}
	tl := ln.(*net.TCPListener)
	ta := tl.Addr().(*net.TCPAddr)
	p := &Proxy{
		cfg:   c,
		ln:    tl,
		addr:  ta.String(),
		port:  ta.Port,
		links: make(map[*link]struct{}),
		pacer: acquirePacer(),
	}
	p.dialCtx, p.cancelDial = context.WithCancel(context.Background())
	p.SetDelay(c.Delay)
	p.wg.Add(1)
	go p.acceptLoop()
	return p, nil
}

// Addr returns the "127.0.0.1:port" address clients connect to.
func (p *Proxy) Addr() string {
	return p.addr
}

// Port returns the port of Addr.
func (p *Proxy) Port() int {
	return p.port
}

// Target returns the address of the node behind the proxy.
func (p *Proxy) Target() string {
	return p.cfg.Target
}

// Close stops listening, closes every link (both sides), aborts dials in
// flight and waits until all of the proxy's goroutines have returned. Later
// calls wait for the first and return its result.
func (p *Proxy) Close() error {
	p.closeOnce.Do(func() {
		p.mu.Lock()
		p.closed = true
		links := p.snapshotLocked()
		p.mu.Unlock()

		p.cancelDial()
		if err := p.ln.Close(); err != nil {
			p.closeErr = fmt.Errorf("proxy: close listener %s: %w", p.addr, err)
		}
		for _, l := range links {
			l.teardown()
		}
		p.wg.Wait()
		releasePacer()
	})
	return p.closeErr
}

// acceptLoop accepts connections until the listener is closed and hands
// each one to connect, or closes it at once while Refuse is on.
func (p *Proxy) acceptLoop() {
	defer p.wg.Done()
	for {
		c, err := p.ln.AcceptTCP()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || p.isClosed() {
				return
			}
			time.Sleep(acceptRetryPause)
			continue
		}
		if p.refuse.Load() {
			p.stats.refused.Add(1)
			_ = c.Close()
			continue
		}
		p.stats.accepted.Add(1)
		p.wg.Add(1)
		go p.connect(c)
	}
}

// connect dials the target for the accepted client connection and starts
// the link, or closes client when the dial fails or the proxy is closing.
func (p *Proxy) connect(client *net.TCPConn) {
	defer p.wg.Done()
	d := net.Dialer{Timeout: p.cfg.DialTimeout}
	sc, err := d.DialContext(p.dialCtx, "tcp", p.cfg.Target)
	if err != nil {
		p.stats.dialFailures.Add(1)
		_ = client.Close()
		return
	}
	l := newLink(p, client, sc.(*net.TCPConn))
	if !p.register(l) {
		_ = client.Close()
		_ = sc.Close()
		return
	}
	// The link's goroutines are added while connect still holds its own
	// count, so Close's wg.Wait cannot have returned yet.
	l.start(&p.wg)
}

// register adds l to the open links; false when the proxy is closing.
func (p *Proxy) register(l *link) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.links[l] = struct{}{}
	return true
}

// unregister removes l from the open links.
func (p *Proxy) unregister(l *link) {
	p.mu.Lock()
	delete(p.links, l)
	p.mu.Unlock()
}

// snapshotLocked returns the open links; p.mu must be held.
func (p *Proxy) snapshotLocked() []*link {
	out := make([]*link, 0, len(p.links))
	for l := range p.links {
		out = append(out, l)
	}
	return out
}

// isClosed reports whether Close has been called.
func (p *Proxy) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}
