package redactor_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/internal/localcluster"
)

// TestIdleConnectionClosedByServer lets the servers close idle connections
// after 1 s (CONFIG SET timeout 1), idles 2 s, then runs an INCR on every
// master: each runs exactly once, without an error, and the client takes
// the closes for what they are, not for failed nodes.
func TestIdleConnectionClosedByServer(t *testing.T) {
	_, c := clusterAndClient(t, localcluster.Config{Masters: 3}, redactor.Config{})
	ctx := testContext(t)
	keys := keysFor(t, 30) // over every master
	p := c.Pipeline()
	for _, k := range keys {
		p.Do("INCR", k)
	}
	_, err := p.Exec(ctx)
	require.NoError(t, err)
	require.Equal(t, redactor.Result{Value: "OK"}, c.Do(ctx, "CONFIG", "SET", "timeout", "1"))
	events := countEvents(c)
	defer events.stop()

	for round := range 2 {
		time.Sleep(2500 * time.Millisecond) // the servers' timeout closes every connection
		p := c.Pipeline()
		for _, k := range keys {
			p.Do("INCR", k)
		}
		results, err := p.Exec(ctx)
		require.NoError(t, err)
		for i, r := range results {
			assert.Equal(t, redactor.Result{Value: int64(round + 2)}, r, "%s ran exactly once", keys[i])
		}
		assert.Equal(t, redactor.Result{Value: int64(round + 3)}, c.Do(ctx, "INCR", keys[0]))
		require.NoError(t, c.Do(ctx, "DECR", keys[0]).Err)
	}
	loads, _, _, _ := events.snapshot()
	assert.Zero(t, events.nodeDowns(), "an idle close is no node failure")
	assert.Zero(t, loads, "an idle close needs no new slot map")
}
