package redactor_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/internal/localcluster"
)

// fakeNode is a TCP listener of the test's own that plays a node: it
// accepts every connection and hands it to serve, and closes all of them
// when the test ends.
type fakeNode struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
}

// startFakeNode listens on a free port of 127.0.0.1 and serves each
// connection with serve, on a goroutine of its own.
func startFakeNode(t *testing.T, serve func(net.Conn)) *fakeNode {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	f := &fakeNode{ln: ln}
	f.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.mu.Lock()
			f.conns = append(f.conns, c)
			f.mu.Unlock()
			f.wg.Go(func() { serve(c) })
		}
	})
	t.Cleanup(f.close)
	return f
}

func (f *fakeNode) addr() string { return f.ln.Addr().String() }

func (f *fakeNode) close() {
	f.ln.Close()
	f.mu.Lock()
	for _, c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

// silent reads and discards what the client sends and never answers.
func silent(c net.Conn) {
	buf := make([]byte, 4096)
	for {
		if _, err := c.Read(buf); err != nil {
			return
		}
	}
}

// answers returns a serve func that, once the client has sent something,
// writes reply and closes the connection.
func answers(reply string) func(net.Conn) {
	return func(c net.Conn) {
		defer c.Close()
		buf := make([]byte, 4096)
		if _, err := c.Read(buf); err != nil {
			return
		}
		c.Write([]byte(reply))
	}
}

// deadAddr returns an address of 127.0.0.1 nobody listens on.
func deadAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// TestNewHostileSeeds gives New seeds that are no usable cluster node: it
// fails within the dial budget, not at ctx's deadline, with one line that
// names each seed once and an error callers can match.
func TestNewHostileSeeds(t *testing.T) {
	const dialTimeout, readTimeout = 500 * time.Millisecond, 500 * time.Millisecond
	perSeed := dialTimeout + readTimeout // the budget of each address of a layout load
	tests := []struct {
		name     string
		seeds    []string
		password string // a handshake to wait for before the layout load
		wantErr  error
		within   time.Duration // New fails sooner
		want     string        // the whole text, where it is fixed; %s is the first seed
	}{
		{name: "nobody listens", seeds: []string{deadAddr(t), deadAddr(t)}, wantErr: redactor.ErrNodeUnreachable,
			within: dialTimeout},
		{name: "accepts and stays silent", seeds: []string{startFakeNode(t, silent).addr(), startFakeNode(t, silent).addr()},
			wantErr: redactor.ErrNodeUnreachable, within: 2*perSeed + 2*time.Second},
		{name: "accepts and stays silent, with a password", seeds: []string{startFakeNode(t, silent).addr()}, password: "secret",
			wantErr: redactor.ErrNodeUnreachable, within: perSeed + time.Second},
		{name: "an HTTP server", seeds: []string{startFakeNode(t, answers("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")).addr()},
			wantErr: redactor.ErrProtocol, within: dialTimeout,
			want: "redactor: topology: loading the cluster layout: %s: CLUSTER SHARDS: resp: protocol error: unknown reply type 'H'"},
		{name: "random bytes", seeds: []string{startFakeNode(t, answers("\x00\x17\xfe\x81 garbage\r\n")).addr()},
			wantErr: redactor.ErrProtocol, within: dialTimeout},
		{name: "a Redis without cluster support", seeds: []string{localcluster.StartStandaloneT(t)},
			wantErr: redactor.ErrNotCluster, within: dialTimeout,
			want: "redactor: topology: loading the cluster layout: %s: not a cluster node: ERR This instance has cluster support disabled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			start := time.Now()
			c, err := redactor.New(ctx, redactor.Config{Addrs: tt.seeds, Password: tt.password,
				DialTimeout: dialTimeout, ReadTimeout: readTimeout})
			took := time.Since(start)
			if c != nil {
				c.Close()
			}
			require.ErrorIs(t, err, tt.wantErr)
			t.Logf("New failed after %v: %v", took.Round(time.Millisecond), err)
			assert.Less(t, took, tt.within)
			assert.NoError(t, ctx.Err(), "New returned before its ctx ended")
			msg := err.Error()
			assert.NotContains(t, msg, "\n", "one line")
			for _, seed := range tt.seeds {
				assert.Equal(t, 1, strings.Count(msg, seed), "names %s once", seed)
			}
			if tt.want != "" {
				assert.Equal(t, fmt.Sprintf(tt.want, tt.seeds[0]), msg)
			}
		})
	}
}

// TestNewSkipsHungSeed gives New a seed that accepts connections and never
// answers before one of the cluster's: New gives the hung seed its dial
// budget and loads the layout from the next.
func TestNewSkipsHungSeed(t *testing.T) {
	hung := startFakeNode(t, silent).addr()
	start := time.Now()
	c, err := redactor.New(testContext(t), redactor.Config{Addrs: []string{hung, cluster.Addrs()[0]},
		DialTimeout: 500 * time.Millisecond, ReadTimeout: 500 * time.Millisecond})
	require.NoError(t, err)
	defer c.Close()
	took := time.Since(start)
	t.Logf("New with a hung seed first: %v", took.Round(time.Millisecond))
	assert.Less(t, took, 3*time.Second, "one seed's budget (1s), and the load")
	assert.Equal(t, redactor.Result{Value: "PONG"}, c.Do(testContext(t), "PING"))
}

// divertingDialer is a Config.Dialer that can send the dials of one node's
// address to another address (a fake node), as if that node's address
// now answered with something else.
type divertingDialer struct {
	mu    sync.Mutex
	to    map[string]string     // a node's address -> where its dials go
	conns map[string][]net.Conn // the connections to each node's own address
}

func (d *divertingDialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	target := d.to[addr]
	d.mu.Unlock()
	if target == "" {
		target = addr
	}
	var nd net.Dialer
	nc, err := nd.DialContext(ctx, network, target)
	if err == nil && target == addr {
		d.mu.Lock()
		if d.conns == nil {
			d.conns = map[string][]net.Conn{}
		}
		d.conns[addr] = append(d.conns[addr], nc)
		d.mu.Unlock()
	}
	return nc, err
}

// divert sends the dials of addr to target from now on ("" ends it), and
// closes the connections to addr opened so far.
func (d *divertingDialer) divert(addr, target string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.to == nil {
		d.to = map[string]string{}
	}
	d.to[addr] = target
	for _, nc := range d.conns[addr] {
		nc.Close()
	}
	d.conns[addr] = nil
}

// garbageNode answers whatever a connection sends first with payload, then
// keeps the connection open, reading, until the client closes it; it counts
// the connections it served and those the client closed.
type garbageNode struct {
	*fakeNode
	served, closedByClient atomic.Int64
}

func startGarbageNode(t *testing.T, payload string) *garbageNode {
	g := &garbageNode{}
	g.fakeNode = startFakeNode(t, func(c net.Conn) {
		buf := make([]byte, 4096)
		if _, err := c.Read(buf); err != nil {
			return
		}
		g.served.Add(1)
		c.Write([]byte(payload))
		for {
			if _, err := c.Read(buf); err != nil {
				// EOF, or a reset when the client closed with
				// garbage unread; not the test closing it.
				if !errors.Is(err, net.ErrClosed) {
					g.closedByClient.Add(1)
				}
				return
			}
		}
	})
	return g
}

// TestNodeAnswersGarbage makes a master's address answer garbage once the
// client is up (an HTTP server, random bytes, a bulk string longer than
// MaxBulkLen): its commands fail with ErrProtocol, one line each, the
// client closes each connection that sent it, the other masters' commands
// in the same pipeline succeed, nothing panics, and once the address
// answers as the node again so do its commands.
func TestNodeAnswersGarbage(t *testing.T) {
	lc := localcluster.StartT(t, localcluster.Config{Masters: 3})
	tagA, tagB := tagsOnTwoMastersOf(t, lc)
	victim := ownerIn(t, lc, tagA)
	for _, tt := range []struct {
		name    string
		payload string
	}{
		{name: "HTTP", payload: "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n\r\nThis is not Redis.\r\n"},
		{name: "random bytes", payload: "\x9a\x03\xff\x00garbage\x17\r\n\xfe\x80"},
		{name: "bulk string beyond MaxBulkLen", payload: "$99999999999\r\nabc"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			dialer := &divertingDialer{}
			c, err := redactor.New(ctx, redactor.Config{Addrs: lc.Addrs(), Dialer: dialer.dial})
			require.NoError(t, err)
			defer c.Close()
			require.NoError(t, c.Do(ctx, "SET", tagA+"k", "a").Err)

			garbage := startGarbageNode(t, tt.payload)
			dialer.divert(victim, garbage.addr())
			// Let the client's reader see its connection end: a command
			// written in that instant would rightly get ErrUnknownOutcome.
			time.Sleep(100 * time.Millisecond)

			p := c.Pipeline()
			p.Do("GET", tagA+"k")
			p.Do("SET", tagA+"k", "b")
			p.Do("SET", tagB+"k", "fine")
			results, err := p.Exec(ctx)
			require.NoError(t, err)
			for _, r := range results[:2] {
				assert.ErrorIs(t, r.Err, redactor.ErrProtocol)
				assert.ErrorIs(t, r.Err, redactor.ErrUnknownOutcome, "written, and no valid reply came")
				assert.NotContains(t, r.Err.Error(), "\n")
				assert.Equal(t, 1, strings.Count(r.Err.Error(), victim), "names the node once: %v", r.Err)
			}
			t.Logf("%s: %v", tt.name, results[0].Err)
			assert.Equal(t, redactor.Result{Value: "OK"}, results[2], "another master's command")
			assert.Positive(t, garbage.served.Load())
			assert.Eventually(t, func() bool { return garbage.closedByClient.Load() == garbage.served.Load() },
				5*time.Second, 10*time.Millisecond, "the client closes every connection that sent garbage")

			r := c.Do(ctx, "GET", tagA+"k")
			assert.ErrorIs(t, r.Err, redactor.ErrProtocol, "a new connection, the same garbage")

			dialer.divert(victim, "")
			garbage.close()
			assert.Eventually(t, func() bool { return c.Do(ctx, "GET", tagA+"k").Value == "a" },
				10*time.Second, 20*time.Millisecond, "served again once the address answers as the node")
		})
	}
}

// TestNewContextEndsFirst gives New a context that ends before a hung
// seed's budget: it returns at the context's deadline with its error and
// the seeds it was loading the layout from.
func TestNewContextEndsFirst(t *testing.T) {
	hung := startFakeNode(t, silent)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	c, err := redactor.New(ctx, redactor.Config{Addrs: []string{hung.addr()}})
	if c != nil {
		c.Close()
	}
	require.Error(t, err)
	assert.Less(t, time.Since(start), 2*time.Second)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.ErrorContains(t, err, hung.addr())
	assert.Equal(t, 1, strings.Count(err.Error(), "redactor:"), "%v", err)
}
