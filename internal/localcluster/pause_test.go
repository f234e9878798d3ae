package localcluster

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mediocregopher/radix/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPauseResume stops a node with Pause (it accepts connections and
// answers nothing), resumes it, and pauses it again before Stop, which must
// not wait for SIGTERM to be taken by a stopped process.
func TestPauseResume(t *testing.T) {
	t.Parallel()
	c, err := Start(t.Context(), Config{Masters: 1})
	require.NoError(t, err)
	defer c.Stop()
	addr := c.Addrs()[0]
	conn := dial(t, addr)

	require.NoError(t, c.Pause(addr))
	require.NoError(t, c.Pause(addr), "pausing twice is a no-op")
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	err = conn.Do(ctx, radix.Cmd(nil, "PING"))
	cancel()
	require.ErrorIs(t, err, context.DeadlineExceeded, "a paused node answers nothing")

	require.NoError(t, c.Resume(addr))
	require.NoError(t, c.Resume(addr), "resuming twice is a no-op")
	var pong string
	require.NoError(t, try(t, dial(t, addr), &pong, "PING"))
	assert.Equal(t, "PONG", pong)
	assert.ErrorIs(t, c.Pause("127.0.0.1:1"), ErrUnknownNode)

	require.NoError(t, c.Pause(addr))
	start := time.Now()
	require.NoError(t, c.Stop())
	assert.Less(t, time.Since(start), stopGrace, "Stop resumes a paused node, which takes SIGTERM at once")
}

// TestStartStandaloneT starts a redis-server without cluster support.
func TestStartStandaloneT(t *testing.T) {
	t.Parallel()
	addr := StartStandaloneT(t)
	var info string
	require.NoError(t, try(t, dial(t, addr), &info, "INFO", "cluster"))
	assert.True(t, strings.Contains(info, "cluster_enabled:0"), info)
}
