package actors

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor/resp"
)

// scriptedNode is a TCP server for unit tests of pipeConn: each accepted
// connection is handed to serve.
func scriptedNode(t *testing.T, serve func(nc net.Conn, br *bufio.Reader)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer nc.Close()
				serve(nc, bufio.NewReader(nc))
			}()
		}
	}()
	return ln.Addr().String()
}

// connProbe records what a pipeConn tells its owner.
type connProbe struct {
	done   chan *nodeBatch
	broken chan error
	quiet  chan bool

	mu     sync.Mutex
	pushes [][]any
}

func (p *connProbe) pushCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.pushes)
}

func newConnProbe() *connProbe {
	return &connProbe{done: make(chan *nodeBatch, 16), broken: make(chan error, 1), quiet: make(chan bool, 1)}
}

func (p *connProbe) hooks() connHooks {
	return connHooks{
		push: func(push []any) {
			p.mu.Lock()
			p.pushes = append(p.pushes, push)
			p.mu.Unlock()
		},
		done: func(b *nodeBatch) { p.done <- b },
		broken: func(_ *pipeConn, err error, quiet bool) {
			p.broken <- err
			p.quiet <- quiet
		},
	}
}

func dialTest(t *testing.T, addr string, timeouts connOptions, p *connProbe) *pipeConn {
	t.Helper()
	var d net.Dialer
	c, err := dialPipe(t.Context(), func(ctx context.Context, addr string) (net.Conn, error) {
		return d.DialContext(ctx, "tcp", addr)
	}, addr, timeouts, resp.Limits{}, p.hooks())
	require.NoError(t, err)
	t.Cleanup(func() { c.close(0) })
	return c
}

func batchOf(cmds ...[]string) *nodeBatch {
	e := &Exec{Commands: cmds, Results: make([]Result, len(cmds))}
	b := &nodeBatch{exec: e}
	for i := range cmds {
		b.idx = append(b.idx, i)
	}
	return b
}

// TestReadTimeoutBoundsSilence sends a batch whose replies come slowly but
// steadily, for longer in all than the read timeout: it is not torn down.
func TestReadTimeoutBoundsSilence(t *testing.T) {
	addr := scriptedNode(t, func(nc net.Conn, br *bufio.Reader) {
		for {
			if _, err := resp.ReadReply(br); err != nil {
				return
			}
			time.Sleep(40 * time.Millisecond)
			nc.Write([]byte("+OK\r\n"))
		}
	})
	p := newConnProbe()
	// Replies 40 ms apart, a 200 ms bound on silence: a margin for a
	// loaded host.
	c := dialTest(t, addr, connOptions{read: 200 * time.Millisecond}, p)
	var cmds [][]string
	for range 10 {
		cmds = append(cmds, []string{"PING"})
	}
	start := time.Now()
	require.True(t, c.send(batchOf(cmds...)))
	b := <-p.done
	assert.Greater(t, time.Since(start), 200*time.Millisecond, "the batch took longer than the read timeout")
	for i, r := range b.exec.Results {
		assert.Equal(t, Result{Value: "OK"}, r, i)
	}
	select {
	case err := <-p.broken:
		t.Fatalf("a batch whose replies keep coming was torn down: %v", err)
	default:
	}
}

// TestReadTimeoutFailsSilentNode takes a node that answers nothing for the
// read timeout for dead: the unanswered commands get ErrUnknownOutcome.
func TestReadTimeoutFailsSilentNode(t *testing.T) {
	addr := scriptedNode(t, func(nc net.Conn, br *bufio.Reader) {
		resp.ReadReply(br)
		time.Sleep(2 * time.Second)
	})
	p := newConnProbe()
	c := dialTest(t, addr, connOptions{read: 100 * time.Millisecond}, p)
	start := time.Now()
	require.True(t, c.send(batchOf([]string{"INCR", "k"})))
	b := <-p.done
	assert.Less(t, time.Since(start), time.Second)
	assert.ErrorIs(t, b.exec.Results[0].Err, ErrUnknownOutcome)
	assert.ErrorContains(t, <-p.broken, "no reply byte for 100ms")
	assert.False(t, <-p.quiet)
}

// TestIdleCloseIsQuiet has the node close the connection while nothing is
// due: the connection reports a quiet end at once and takes no more
// batches, so none is ever written to it.
func TestIdleCloseIsQuiet(t *testing.T) {
	closeIt := make(chan struct{})
	addr := scriptedNode(t, func(nc net.Conn, br *bufio.Reader) {
		resp.ReadReply(br)
		nc.Write([]byte("+OK\r\n"))
		<-closeIt
	})
	p := newConnProbe()
	c := dialTest(t, addr, connOptions{read: time.Second}, p)
	require.True(t, c.send(batchOf([]string{"PING"})))
	assert.Equal(t, Result{Value: "OK"}, (<-p.done).exec.Results[0])
	close(closeIt)
	select {
	case err := <-p.broken:
		assert.ErrorIs(t, err, errIdleClosed)
		assert.True(t, <-p.quiet, "an idle close is quiet")
	case <-time.After(5 * time.Second):
		t.Fatal("the idle close was not noticed")
	}
	assert.False(t, c.send(batchOf([]string{"PING"})), "a closed connection takes no batch")
}

// TestUnaskedDataFailsTheConnection has the node send bytes no command
// asked for: a protocol error, not a quiet close.
func TestUnaskedDataFailsTheConnection(t *testing.T) {
	addr := scriptedNode(t, func(nc net.Conn, br *bufio.Reader) {
		nc.Write([]byte("+SURPRISE\r\n"))
		time.Sleep(time.Second)
	})
	p := newConnProbe()
	dialTest(t, addr, connOptions{}, p)
	select {
	case err := <-p.broken:
		assert.True(t, errors.Is(err, resp.ErrProtocol), "%v", err)
		assert.False(t, <-p.quiet)
	case <-time.After(5 * time.Second):
		t.Fatal("unasked data was not noticed")
	}
}

// TestPushesAreSkipped has the node send RESP3 push frames before, between
// and inside the replies of a batch, and while nothing is due: every
// command gets its own reply, the connection stays up, and each push is
// told to the hook.
func TestPushesAreSkipped(t *testing.T) {
	idle := make(chan struct{})
	addr := scriptedNode(t, func(nc net.Conn, br *bufio.Reader) {
		for n := 0; ; n++ {
			v, err := resp.ReadReply(br)
			if err != nil {
				return
			}
			switch cmd := v.([]any); cmd[0] {
			case "GET":
				nc.Write([]byte(">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n$1\r\nv\r\n"))
			case "PAIR":
				nc.Write([]byte("*2\r\n:1\r\n>1\r\n$5\r\ninner\r\n:2\r\n>1\r\n$5\r\nafter\r\n"))
			case "BAD":
				nc.Write([]byte(">1\r\n$1\r\np\r\n-ERR bad\r\n"))
			case "IDLE":
				// The reply, then, once the client is idle, a push
				// sent in two pieces.
				nc.Write([]byte("+OK\r\n"))
				<-idle
				nc.Write([]byte(">2\r\n$10\r\ninval"))
				time.Sleep(20 * time.Millisecond)
				nc.Write([]byte("idate\r\n_\r\n"))
			default:
				nc.Write([]byte("+OK\r\n"))
			}
		}
	})
	p := newConnProbe()
	c := dialTest(t, addr, connOptions{read: time.Second}, p)
	require.True(t, c.send(batchOf([]string{"GET", "k"}, []string{"PAIR"}, []string{"BAD"}, []string{"PING"})))
	b := <-p.done
	assert.Equal(t, Result{Value: "v"}, b.exec.Results[0])
	assert.Equal(t, Result{Value: []any{int64(1), int64(2)}}, b.exec.Results[1])
	assert.EqualError(t, b.exec.Results[2].Err, "ERR bad")
	assert.Equal(t, Result{Value: "OK"}, b.exec.Results[3])
	assert.Equal(t, 4, p.pushCount())

	require.True(t, c.send(batchOf([]string{"IDLE"})))
	assert.Equal(t, Result{Value: "OK"}, (<-p.done).exec.Results[0])
	require.Eventually(t, c.idle, time.Second, time.Millisecond)
	close(idle)
	require.Eventually(t, func() bool { return p.pushCount() == 5 }, 5*time.Second, time.Millisecond, "the idle push is skipped")
	require.True(t, c.send(batchOf([]string{"PING"})))
	assert.Equal(t, Result{Value: "OK"}, (<-p.done).exec.Results[0])
	select {
	case err := <-p.broken:
		t.Fatalf("a push broke the connection: %v", err)
	default:
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	assert.Equal(t, [][]any{{"invalidate", []any{"k"}}, {"inner"}, {"after"}, {"p"}, {"invalidate", nil}}, p.pushes)
}

// eofConn is a net.Conn whose peer closed it: reads end at once, writes
// are taken (as the kernel takes them before the peer's reset comes).
type eofConn struct{ net.Conn }

func (eofConn) Read([]byte) (int, error)         { return 0, io.EOF }
func (eofConn) Write(b []byte) (int, error)      { return len(b), nil }
func (eofConn) Close() error                     { return nil }
func (eofConn) SetReadDeadline(time.Time) error  { return nil }
func (eofConn) SetWriteDeadline(time.Time) error { return nil }
func (eofConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (eofConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (eofConn) SetDeadline(time.Time) error      { return nil }

// TestBatchWrittenAsIdleConnectionClosesGetsOutcome writes a batch in the
// instant between the reader finding a connection that the peer closed
// idle and its closing it: the batch was written, so the reader, which
// stops there, must still give it an outcome (it waited forever, its call
// until its context ended).
func TestBatchWrittenAsIdleConnectionClosesGetsOutcome(t *testing.T) {
	var once sync.Once
	written := make(chan struct{})
	testHookIdleEnd = func(c *pipeConn) {
		once.Do(func() {
			go func() {
				assert.True(t, c.send(batchOf([]string{"INCR", "k"})))
				for { // until the writer has written it
					c.mu.Lock()
					n := len(c.inflight)
					c.mu.Unlock()
					if n > 0 {
						close(written)
						return
					}
					time.Sleep(time.Millisecond)
				}
			}()
			<-written
		})
	}
	defer func() { testHookIdleEnd = nil }()
	p := newConnProbe()
	c, err := dialPipe(t.Context(), func(context.Context, string) (net.Conn, error) { return eofConn{}, nil },
		"node", connOptions{}, resp.Limits{}, p.hooks())
	require.NoError(t, err)
	defer c.close(0)
	select {
	case b := <-p.done:
		assert.ErrorIs(t, b.exec.Results[0].Err, ErrUnknownOutcome)
		assert.ErrorIs(t, b.exec.Results[0].Err, errIdleClosed)
	case <-time.After(5 * time.Second):
		t.Fatal("the batch written as the connection closed got no outcome")
	}
	assert.True(t, <-p.quiet)
}
