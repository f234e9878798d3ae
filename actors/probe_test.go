package actors

import (
	"bufio"
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor/resp"
)

// pingServer answers every command with *answer, read afresh each time.
func pingServer(t *testing.T, answer *atomic.Pointer[string]) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				br := bufio.NewReader(conn)
				for {
					if _, err := resp.ReadReply(br); err != nil {
						return
					}
					if _, err := conn.Write([]byte(*answer.Load())); err != nil {
						return
					}
				}
			}()
		}
	}()
	return l.Addr().String()
}

// TestReplicaProbe measures a node with PING: a PONG sets its latency, an
// unavailable node (LOADING) or none at all pauses it, and another error
// reply (NOPERM) still counts as an answer.
func TestReplicaProbe(t *testing.T) {
	var answer atomic.Pointer[string]
	pong, loading, noperm := "+PONG\r\n", "-LOADING Redis is loading the dataset in memory\r\n", "-NOPERM no PING for you\r\n"
	answer.Store(&pong)
	addr := pingServer(t, &answer)
	dial := func(ctx context.Context, addr string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	}
	h := &nodeHandle{}
	p := startProbe(addr, dial, 20*time.Millisecond, h)
	defer p.stop()
	paused := func() bool { return h.pausedUntil.Load() > time.Now().UnixNano() }

	require.Eventually(t, func() bool { return h.rtt.Load() > 0 }, 5*time.Second, 5*time.Millisecond)
	assert.False(t, paused())

	answer.Store(&loading)
	require.Eventually(t, func() bool { return h.rtt.Load() == 0 && paused() }, 5*time.Second, 5*time.Millisecond)

	h.pausedUntil.Store(0)
	answer.Store(&noperm)
	require.Eventually(t, func() bool { return h.rtt.Load() > 0 }, 5*time.Second, 5*time.Millisecond)
	assert.False(t, paused(), "NOPERM is an answer")

	unreachable := &nodeHandle{}
	q := startProbe("127.0.0.1:1", dial, 20*time.Millisecond, unreachable)
	require.Eventually(t, func() bool { return unreachable.pausedUntil.Load() > time.Now().UnixNano() }, 5*time.Second, 5*time.Millisecond)
	q.stop()
}
