package proxy

import (
	"net"
	"sync"
	"sync/atomic"
)

// link is one proxied connection: the client's connection to the proxy and
// the proxy's connection to the target, with a pipe per direction. Each pipe
// runs a reader and a writer goroutine; the link is torn down when all four
// have returned, or earlier on an error or a fault.
type link struct {
	p      *Proxy
	client *net.TCPConn
	server *net.TCPConn
	up     *pipe // client -> server
	down   *pipe // server -> client

	// done is closed by teardown; it stops the writers and blocked readers.
	done chan struct{}
	once sync.Once
	// live counts the link's goroutines still running.
	live atomic.Int32
	// cutting is set once CutAfterRequest picked this link: from then on no
	// byte is forwarded to the client, nor any further byte to the server.
	cutting atomic.Bool
}

// linkGoroutines is the number of goroutines a link runs.
const linkGoroutines = 4

// newLink returns a link between client and server, not yet started.
func newLink(p *Proxy, client, server *net.TCPConn) *link {
	l := &link{p: p, client: client, server: server, done: make(chan struct{})}
	l.up = newPipe(l, client, server, true, &p.stats.bytesUp)
	l.down = newPipe(l, server, client, false, &p.stats.bytesDown)
	return l
}

// start runs the link's goroutines, counted in wg.
func (l *link) start(wg *sync.WaitGroup) {
	l.live.Store(linkGoroutines)
	wg.Add(linkGoroutines)
	for _, f := range []func(){l.up.readLoop, l.up.writeLoop, l.down.readLoop, l.down.writeLoop} {
		go func() {
			defer wg.Done()
			defer l.exit()
			f()
		}()
	}
}

// exit is called by each of the link's goroutines as it returns; the last
// one tears the link down.
func (l *link) exit() {
	if l.live.Add(-1) == 0 {
		l.teardown()
	}
}

// teardown closes both connections, stops the link's goroutines and removes
// the link from the proxy. Only the first call (of teardown or cut) acts.
func (l *link) teardown() {
	l.shutdown(false)
}

// cut tears the link down as a fault, counted in Stats.Cuts.
func (l *link) cut() {
	l.shutdown(true)
}

// shutdown is teardown, counting a cut first when asked to, so that the
// count is visible by the time either side sees its connection closed.
func (l *link) shutdown(isCut bool) {
	l.once.Do(func() {
		if isCut {
			l.p.stats.cuts.Add(1)
		}
		close(l.done)
		_ = l.client.Close()
		_ = l.server.Close()
		l.p.unregister(l)
	})
}
