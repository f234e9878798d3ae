package actors

import (
	"bufio"
	"context"
	"errors"
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
}

func newConnProbe() *connProbe {
	return &connProbe{done: make(chan *nodeBatch, 16), broken: make(chan error, 1), quiet: make(chan bool, 1)}
}

func (p *connProbe) hooks() connHooks {
	return connHooks{
		done: func(b *nodeBatch) { p.done <- b },
		broken: func(_ *pipeConn, err error, quiet bool) {
			p.broken <- err
			p.quiet <- quiet
		},
	}
}

func dialTest(t *testing.T, addr string, timeouts connTimeouts, p *connProbe) *pipeConn {
	t.Helper()
	var d net.Dialer
	c, err := dialPipe(t.Context(), func(ctx context.Context, addr string) (net.Conn, error) {
		return d.DialContext(ctx, "tcp", addr)
	}, addr, timeouts, p.hooks())
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
	c := dialTest(t, addr, connTimeouts{read: 100 * time.Millisecond}, p)
	var cmds [][]string
	for range 8 {
		cmds = append(cmds, []string{"PING"})
	}
	start := time.Now()
	require.True(t, c.send(batchOf(cmds...)))
	b := <-p.done
	assert.Greater(t, time.Since(start), 300*time.Millisecond, "the batch took longer than the read timeout")
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
	c := dialTest(t, addr, connTimeouts{read: 100 * time.Millisecond}, p)
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
	c := dialTest(t, addr, connTimeouts{read: time.Second}, p)
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
	dialTest(t, addr, connTimeouts{}, p)
	select {
	case err := <-p.broken:
		assert.True(t, errors.Is(err, resp.ErrProtocol), "%v", err)
		assert.False(t, <-p.quiet)
	case <-time.After(5 * time.Second):
		t.Fatal("unasked data was not noticed")
	}
}
