package wire

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor/resp"
)

// fakeNode is a TCP server for unit tests: it reads commands and answers
// each with whatever reply returns ("" for no answer).
type fakeNode struct {
	ln    net.Listener
	conns chan net.Conn
}

func startFake(t *testing.T, reply func(cmd []any) string) *fakeNode {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	f := &fakeNode{ln: ln, conns: make(chan net.Conn, 16)}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			f.conns <- nc
			go func() {
				defer nc.Close()
				br := bufio.NewReader(nc)
				for {
					v, err := resp.ReadReply(br)
					if err != nil {
						return
					}
					if r := reply(v.([]any)); r != "" {
						nc.Write([]byte(r))
					}
				}
			}()
		}
	}()
	return f
}

func dialTCP(ctx context.Context, addr string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "tcp", addr)
}

func TestExchange(t *testing.T) {
	f := startFake(t, func(cmd []any) string {
		if cmd[0] == "BAD" {
			return "-ERR bad\r\n"
		}
		return "$2\r\nok\r\n"
	})
	c, err := Dial(t.Context(), dialTCP, f.ln.Addr().String(), Options{})
	require.NoError(t, err)
	defer c.Close()
	replies := make([]resp.Reply, 3)
	n, err := c.Exchange(t.Context(), [][]string{{"A"}, {"BAD"}, {"C"}}, replies, time.Second)
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	assert.Equal(t, "ok", replies[0].Value)
	assert.EqualError(t, replies[1].Err, "ERR bad")
	assert.Equal(t, "ok", replies[2].Value)
	assert.True(t, c.Alive())
}

// TestExchangeSkipsPushes has the node send RESP3 push frames before,
// between and inside replies: each command gets its own reply, and every
// push is told to onPush.
func TestExchangeSkipsPushes(t *testing.T) {
	f := startFake(t, func(cmd []any) string {
		switch cmd[0] {
		case "GET":
			return ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n$1\r\nv\r\n"
		case "BLPOP":
			return ">1\r\n$1\r\np\r\n_\r\n>1\r\n$1\r\nq\r\n"
		}
		return "*2\r\n:1\r\n>1\r\n$5\r\ninner\r\n:2\r\n"
	})
	var mu sync.Mutex
	var pushes []string
	c, err := Dial(t.Context(), dialTCP, f.ln.Addr().String(), Options{OnPush: func(addr string, push []any) {
		mu.Lock()
		defer mu.Unlock()
		pushes = append(pushes, fmt.Sprint(addr == f.ln.Addr().String(), push))
	}})
	require.NoError(t, err)
	defer c.Close()
	replies := make([]resp.Reply, 3)
	n, err := c.Exchange(t.Context(), [][]string{{"GET", "k"}, {"BLPOP", "l", "1"}, {"PAIR"}}, replies, time.Second)
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	assert.Equal(t, []resp.Reply{{Value: "v"}, {Value: nil}, {Value: []any{int64(1), int64(2)}}}, replies)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"true [invalidate [k]]", "true [p]", "true [q]", "true [inner]"}, pushes)
}

func TestExchangeCanceledBeforeAnyReply(t *testing.T) {
	f := startFake(t, func([]any) string { return "" }) // a blocked command
	c, err := Dial(t.Context(), dialTCP, f.ln.Addr().String(), Options{})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = c.Exchange(ctx, [][]string{{"BLPOP", "k", "0"}}, make([]resp.Reply, 1), 0)
	assert.Less(t, time.Since(start), time.Second)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	// Written: a server that reads it only after the close (stalled) may
	// still run it.
	assert.ErrorIs(t, err, ErrUnknownOutcome)
	assert.False(t, errors.Is(err, ErrNotSent), "it was written: %v", err)
	assert.True(t, c.Broken())
	// The server sees the connection close.
	server := <-f.conns
	server.SetReadDeadline(time.Now().Add(time.Second))
	_, err = server.Read(make([]byte, 1))
	assert.Error(t, err)
}

func TestExchangeCanceledWithReplyHalfIn(t *testing.T) {
	f := startFake(t, func([]any) string { return "$10\r\nhal" }) // never finishes
	c, err := Dial(t.Context(), dialTCP, f.ln.Addr().String(), Options{})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err = c.Exchange(ctx, [][]string{{"BLPOP", "k", "0"}}, make([]resp.Reply, 1), 0)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.ErrorIs(t, err, ErrUnknownOutcome)
}

func TestExchangeSilenceBound(t *testing.T) {
	f := startFake(t, func([]any) string { return "" })
	c, err := Dial(t.Context(), dialTCP, f.ln.Addr().String(), Options{})
	require.NoError(t, err)
	start := time.Now()
	_, err = c.Exchange(t.Context(), [][]string{{"GET", "k"}}, make([]resp.Reply, 1), 50*time.Millisecond)
	assert.ErrorIs(t, err, ErrUnknownOutcome)
	assert.Less(t, time.Since(start), time.Second)
}

func TestAliveSeesPeerClose(t *testing.T) {
	f := startFake(t, func([]any) string { return "+OK\r\n" })
	c, err := Dial(t.Context(), dialTCP, f.ln.Addr().String(), Options{})
	require.NoError(t, err)
	defer c.Close()
	assert.True(t, c.Alive())
	(<-f.conns).Close()
	assert.Eventually(t, func() bool { return !c.Alive() }, time.Second, time.Millisecond)
}

func TestPoolBoundAndClose(t *testing.T) {
	f := startFake(t, func([]any) string { return "+OK\r\n" })
	p := NewPool(f.ln.Addr().String(), dialTCP, 2, Options{})
	a, err := p.Get(t.Context())
	require.NoError(t, err)
	b, err := p.Get(t.Context())
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Millisecond)
	_, err = p.Get(ctx)
	cancel()
	assert.ErrorIs(t, err, ErrNotSent, "the third waits for a free one")
	p.Put(a)
	again, err := p.Get(t.Context())
	require.NoError(t, err)
	assert.Same(t, a, again, "an idle, open connection is reused")

	p.Close()
	_, err = b.Exchange(t.Context(), [][]string{{"PING"}}, make([]resp.Reply, 1), 0)
	assert.Error(t, err, "Close closes connections in use")
	p.Put(b)
	p.Put(again)
	_, err = p.Get(t.Context())
	assert.ErrorIs(t, err, ErrPoolClosed)
}

// TestExchangeProtocolError has the node answer garbage after a good
// reply: the good one is delivered, the exchange fails with
// resp.ErrProtocol and ErrUnknownOutcome, the connection is closed, and
// the pool dials a new one for the next exchange.
func TestExchangeProtocolError(t *testing.T) {
	tests := []struct {
		name    string
		garbage string
		opts    Options
	}{
		{name: "unknown type byte", garbage: "?x\r\n"},
		{name: "bad length", garbage: "*-5\r\n"},
		{name: "bad integer", garbage: ":1.5\r\n"},
		{name: "nesting beyond the limit", garbage: strings.Repeat("*1\r\n", resp.DefaultMaxReplyDepth+1)},
		{name: "attribute chain", garbage: strings.Repeat("|1\r\n+k\r\n+v\r\n", 10_000) + ":1\r\n"},
		{name: "bulk beyond Options.Limits", garbage: "$5\r\nhello\r\n", opts: Options{Limits: resp.Limits{MaxBulkLen: 4}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := startFake(t, func(cmd []any) string {
				if cmd[0] == "GARBAGE" {
					return tt.garbage
				}
				return "+OK\r\n"
			})
			p := NewPool(f.ln.Addr().String(), dialTCP, 1, tt.opts)
			defer p.Close()
			c, err := p.Get(t.Context())
			require.NoError(t, err)
			replies := make([]resp.Reply, 3)
			n, err := c.Exchange(t.Context(), [][]string{{"A"}, {"GARBAGE"}, {"C"}}, replies, time.Second)
			assert.Equal(t, 1, n)
			assert.Equal(t, resp.Reply{Value: "OK"}, replies[0])
			assert.ErrorIs(t, err, resp.ErrProtocol)
			assert.ErrorIs(t, err, ErrUnknownOutcome)
			assert.True(t, c.Broken())
			p.Put(c)

			again, err := p.Get(t.Context())
			require.NoError(t, err)
			assert.NotSame(t, c, again)
			n, err = again.Exchange(t.Context(), [][]string{{"A"}}, replies, time.Second)
			require.NoError(t, err)
			assert.Equal(t, 1, n)
			assert.Equal(t, resp.Reply{Value: "OK"}, replies[0])
			p.Put(again)
			assert.Len(t, f.conns, 2, "a new connection")
		})
	}
}

// TestHandshakeProtocolError has the node answer the handshake with
// garbage: the setup fails with resp.ErrProtocol, without a panic.
func TestHandshakeProtocolError(t *testing.T) {
	for _, garbage := range []string{"?x\r\n", "%-3\r\n", strings.Repeat("*1\r\n", 100_000), strings.Repeat("|1\r\n+k\r\n+v\r\n", 100_000)} {
		f := startFake(t, func([]any) string { return garbage })
		nc, err := dialTCP(t.Context(), f.ln.Addr().String())
		require.NoError(t, err)
		err = Handshake{Protocol: 3, ClientName: "x"}.Run(t.Context(), nc, f.ln.Addr().String())
		nc.Close()
		assert.ErrorIs(t, err, resp.ErrProtocol, "%.20q", garbage)
	}
}
