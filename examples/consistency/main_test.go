package main

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/internal/consistency"
	"github.com/redactor-go/redactor/redactortest"
)

// runT runs the program with opts and returns what it counted.
func runT(t *testing.T, opts options) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	res, err := run(ctx, &out, opts)
	t.Log("\n" + out.String())
	require.NoError(t, err)
	assert.Contains(t, out.String(), "] reads ", "the counts every second")
	return res
}

// assertClean checks that s saw load and lost nothing, not even in a crash.
func assertClean(t *testing.T, name string, s stats) {
	t.Helper()
	assert.Positive(t, s.Writes, "%s: writes", name)
	assert.Positive(t, s.Reads, "%s: reads", name)
	assert.Zero(t, s.Failed, "%s: failed", name)
	assert.Zero(t, s.Lost, "%s: lost", name)
	assert.Zero(t, s.CrashLost, "%s: crash-lost", name)
	assert.Zero(t, s.Unexpected, "%s: unexpected", name)
	assert.Zero(t, s.Wrong, "%s: wrong", name)
}

// TestConsistency runs the program on its own cluster: while 2,000 slots
// move and a master fails over cleanly nothing is lost, not even
// crash-lost; when a master is killed, the only losses are the ones a
// crash failover explains.
func TestConsistency(t *testing.T) {
	t.Parallel()
	res := runT(t, options{move: 2000, failover: true, kill: true})
	require.Len(t, res.steps, 3)
	assert.Contains(t, res.steps[0].name, "move 2000 slots")
	assertClean(t, "move", res.steps[0].stats)
	assert.Contains(t, res.steps[1].name, "CLUSTER FAILOVER")
	assertClean(t, "failover", res.steps[1].stats)

	kill := res.steps[2].stats
	assert.Contains(t, res.steps[2].name, "kill -9")
	assert.Positive(t, kill.Writes)
	// Commands for the dead master wait for its replica, within the
	// client's RetryTimeout (10 s): on a loaded machine some may fail,
	// which breaks no promise.
	t.Logf("kill: %d failed", kill.Failed)
	assert.Zero(t, kill.Lost)
	assert.Zero(t, kill.Unexpected)
	assert.LessOrEqual(t, kill.MaxCrashAge, time.Second)

	total := res.total
	assert.True(t, total.ok(), "%s", total)
	assert.Equal(t, kill.CrashLost, total.CrashLost, "crash-lost only at the kill")
	assert.Equal(t, kill.Unknown, total.Unknown, "unknown outcomes only at the kill")
}

// TestConsistencyCrashLost kills a master whose replica has not had its
// last writes: they are lost, and the checker puts them all down to the
// crash failover.
func TestConsistencyCrashLost(t *testing.T) {
	t.Parallel()
	res := runT(t, options{kill: true, killLag: 300 * time.Millisecond})
	require.Len(t, res.steps, 1)
	kill := res.steps[0].stats
	assert.Positive(t, kill.CrashLost, "writes acknowledged while the replica was cut off are lost")
	assert.Zero(t, kill.Lost, "every loss is the crash's")
	assert.Zero(t, kill.Unexpected)
	assert.InDelta(t, 300*time.Millisecond, kill.MaxCrashAge, float64(200*time.Millisecond),
		"the oldest crash-lost write was sent as the replica was cut off")
	assert.True(t, res.total.ok(), "%s", res.total)
}

// TestConsistencyAddrs runs the program on a cluster it did not start: it
// changes nothing but its own keys, and deletes them at the end.
func TestConsistencyAddrs(t *testing.T) {
	t.Parallel()
	rc := redactortest.StartT(t, redactortest.Options{Masters: 2})
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	c, err := redactor.New(ctx, rc.Config())
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Do(ctx, "SET", "someone-else", "1").Err)
	layout := rc.Nodes()

	res := runT(t, options{addrs: rc.Addrs()[:1], duration: time.Second,
		check: consistency.Config{Prefix: "mine", Keys: 200, Workers: 2, Pipeline: 10}})
	assert.Empty(t, res.steps)
	assertClean(t, "all", res.total)
	assert.Zero(t, res.total.Unknown)

	assert.Equal(t, layout, rc.Nodes())
	v, err := c.Do(ctx, "GET", "someone-else").Text()
	require.NoError(t, err)
	assert.Equal(t, "1", v)
	n, err := c.Do(ctx, "DBSIZE").Int64()
	require.NoError(t, err)
	assert.Equal(t, int64(1), n, "the program's keys are gone")
}
