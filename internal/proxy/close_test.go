package proxy

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCloseLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	srv := startEcho(t)
	p, err := Start(Config{Target: srv.addr(), Delay: 10 * time.Second})
	require.NoError(t, err)

	noDelay := dial(t, p.Addr())
	p.SetDelay(0)
	requireEcho(t, noDelay, "ping")
	p.SetDelay(10 * time.Second)
	for range 10 {
		c := dial(t, p.Addr())
		// Queued for 10s: Close must not wait for the delay.
		_, err := c.Write([]byte("stuck in the queue"))
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool { return p.Stats().Open == 11 }, ioTimeout, time.Millisecond)

	start := time.Now()
	require.NoError(t, p.Close())
	assert.Less(t, time.Since(start), time.Second, "Close must not wait for queued data")
	requireClosed(t, noDelay)
	assert.Zero(t, p.Stats().Open)
	require.NoError(t, p.Close(), "Close is idempotent")

	require.Error(t, dialErr(p.Addr()), "the listener must be closed")

	srv.close()
	assert.Truef(t, goroutinesBackTo(before, 5*time.Second),
		"goroutines: %d before, %d after", before, runtime.NumGoroutine())
}
