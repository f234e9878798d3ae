package proxy

import (
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDelayRTT(t *testing.T) {
	srv := startEcho(t)
	direct := dial(t, srv.addr())
	t.Logf("median RTT without proxy: %s", medianRTT(t, direct, 200))

	t.Run("no delay", func(t *testing.T) {
		p := startProxy(t, Config{Target: srv.addr()})
		t.Logf("median RTT through proxy, Delay 0: %s", medianRTT(t, dial(t, p.Addr()), 200))
	})
	t.Run("500us from Config", func(t *testing.T) {
		p := startProxy(t, Config{Target: srv.addr(), Delay: 500 * time.Microsecond})
		rtt := medianRTT(t, dial(t, p.Addr()), 200)
		t.Logf("median RTT through proxy, Delay 500us: %s", rtt)
		assert.GreaterOrEqual(t, rtt, 1000*time.Microsecond)
		assert.LessOrEqual(t, rtt, 1600*time.Microsecond)
	})
	t.Run("2ms from SetDelay", func(t *testing.T) {
		p := startProxy(t, Config{Target: srv.addr()})
		c := dial(t, p.Addr())
		requireEcho(t, c, "hello")
		p.SetDelay(2 * time.Millisecond)
		rtt := medianRTT(t, c, 200)
		t.Logf("median RTT through proxy, Delay 2ms: %s", rtt)
		assert.GreaterOrEqual(t, rtt, 4000*time.Microsecond)
		assert.LessOrEqual(t, rtt, 4800*time.Microsecond)
	})
}

// TestDelayDoesNotSerialise sends 100 chunks spaced by ~50us through a 2ms
// delay each way: they must all be back about 4ms after the last send, not
// 100 delays later.
func TestDelayDoesNotSerialise(t *testing.T) {
	srv := startEcho(t)
	p := startProxy(t, Config{Target: srv.addr(), Delay: 2 * time.Millisecond})
	c := dial(t, p.Addr())
	requireEcho(t, c, "warm-up")

	const chunks = 100
	msg := []byte("*1\r\n$4\r\nPING\r\n")
	done := make(chan time.Time, 1)
	go func() {
		_ = c.SetReadDeadline(time.Now().Add(ioTimeout))
		_, _ = io.ReadFull(c, make([]byte, chunks*len(msg)))
		done <- time.Now()
	}()
	start := time.Now()
	for range chunks {
		_, err := c.Write(msg)
		require.NoError(t, err)
		// Spin rather than sleep: a sleep would take about a millisecond.
		for next := time.Now().Add(50 * time.Microsecond); time.Now().Before(next); {
		}
	}
	lastSend := time.Now()
	end := <-done
	t.Logf("%d chunks: sent in %s, all echoed %s after the last send, %s in total",
		chunks, lastSend.Sub(start), end.Sub(lastSend), end.Sub(start))
	assert.Less(t, end.Sub(start), 40*time.Millisecond, "chunks are serialised by the delay")
}
