package redactor_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/internal/localcluster"
)

// pauseWrites makes the master at addr hold every write for d (CLIENT PAUSE
// WRITE), through the harness's own connection.
func pauseWrites(t *testing.T, lc *localcluster.Cluster, addr string, d time.Duration) {
	t.Helper()
	require.NoError(t, lc.Do(testContext(t), addr, nil, "CLIENT", "PAUSE", strconv.FormatInt(d.Milliseconds(), 10), "WRITE"))
}

// TestCanceledExecTellsOutcomes cancels pipelines while one master holds
// their writes: Exec returns at its deadline with each command's outcome as
// far as known: replies of the other master, ErrUnknownOutcome for the
// held writes, ErrCanceled and ErrNotSent for what serial mode never sent.
func TestCanceledExecTellsOutcomes(t *testing.T) {
	lc, c := clusterAndClient(t, localcluster.Config{Masters: 3}, redactor.Config{})
	tagA, tagB := tagsOnTwoMastersOf(t, lc)
	held := ownerIn(t, lc, tagA)

	for _, parallel := range []bool{true, false} {
		require.NoError(t, c.Do(testContext(t), "DEL", tagB+":k").Err)
		pauseWrites(t, lc, held, 600*time.Millisecond)
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		p := c.Pipeline(redactor.WithParallel(parallel))
		p.Do("SET", tagA+":k", "v") // held by the pause: in flight
		p.Do("SET", tagB+":k", "v") // another master: its batch comes second
		start := time.Now()
		results, err := p.Exec(ctx)
		cancel()
		elapsed := time.Since(start)
		require.ErrorIs(t, err, context.DeadlineExceeded, "parallel=%v", parallel)
		assert.Less(t, elapsed, 500*time.Millisecond, "Exec returns at the deadline, not when the pause ends")
		require.Len(t, results, 2)
		assert.ErrorIs(t, results[0].Err, redactor.ErrUnknownOutcome)
		assert.ErrorIs(t, results[0].Err, context.DeadlineExceeded)
		if parallel {
			assert.Equal(t, redactor.Result{Value: "OK"}, results[1], "sent at once, answered")
		} else {
			// Serial: the second batch waits for the first, so it was
			// never sent.
			assert.ErrorIs(t, results[1].Err, redactor.ErrCanceled)
			assert.ErrorIs(t, results[1].Err, redactor.ErrNotSent)
			assert.Nil(t, c.Do(testContext(t), "GET", tagB+":k").Value, "and did not run")
		}
		// The held write runs once the pause ends: unknown meant "may run".
		require.Eventually(t, func() bool {
			return c.Do(testContext(t), "GET", tagA+":k").Value == "v"
		}, 2*time.Second, 10*time.Millisecond)
		require.NoError(t, c.Do(testContext(t), "DEL", tagA+":k").Err)
	}

	// Do tells the same of its one command.
	pauseWrites(t, lc, held, 400*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	r := c.Do(ctx, "SET", tagA+":do", "v")
	assert.ErrorIs(t, r.Err, redactor.ErrUnknownOutcome)
	assert.ErrorIs(t, r.Err, context.DeadlineExceeded)
}

// TestCloseDrainsThenTellsOutcomes checks Close: calls in flight finish
// within Config.CloseTimeout; those that cannot return with ErrClosed and
// each command's outcome as far as known.
func TestCloseDrainsThenTellsOutcomes(t *testing.T) {
	lc := localcluster.StartT(t, localcluster.Config{Masters: 3})
	tagA, tagB := tagsOnTwoMastersOf(t, lc)
	held := ownerIn(t, lc, tagA)
	run := func(c *redactor.Client) chan []redactor.Result {
		out := make(chan []redactor.Result, 1)
		go func() {
			p := c.Pipeline()
			p.Do("SET", tagB+":k", "v")
			p.Do("SET", tagA+":k", "v")
			results, err := p.Exec(context.Background())
			if err != nil && !errors.Is(err, redactor.ErrClosed) {
				t.Errorf("Exec: %v", err)
			}
			out <- results
		}()
		time.Sleep(50 * time.Millisecond) // the pipeline is in flight
		return out
	}

	t.Run("the drain lets a call finish", func(t *testing.T) {
		c, err := redactor.New(testContext(t), redactor.Config{Addrs: lc.Addrs(), CloseTimeout: 3 * time.Second})
		require.NoError(t, err)
		pauseWrites(t, lc, held, 300*time.Millisecond)
		out := run(c)
		require.NoError(t, c.Close())
		results := <-out
		require.Len(t, results, 2)
		assert.Equal(t, redactor.Result{Value: "OK"}, results[0])
		assert.Equal(t, redactor.Result{Value: "OK"}, results[1], "finished during the drain")
	})

	t.Run("after the drain, what is known", func(t *testing.T) {
		c, err := redactor.New(testContext(t), redactor.Config{Addrs: lc.Addrs(), CloseTimeout: 50 * time.Millisecond})
		require.NoError(t, err)
		// Held far longer than the drain, so that a loaded host that
		// stalls the test for a while cannot let the write through.
		pauseWrites(t, lc, held, 3*time.Second)
		out := run(c)
		start := time.Now()
		require.NoError(t, c.Close())
		assert.Less(t, time.Since(start), 500*time.Millisecond)
		results := <-out
		require.Len(t, results, 2)
		assert.Equal(t, redactor.Result{Value: "OK"}, results[0])
		assert.ErrorIs(t, results[1].Err, redactor.ErrUnknownOutcome)
		assert.ErrorIs(t, results[1].Err, redactor.ErrClosed)
		// New calls are turned away.
		assert.ErrorIs(t, c.Do(context.Background(), "PING").Err, redactor.ErrClosed)
	})
}

// TestCallRefusedBeforeIOIsNotSent: a Do or DoArgs whose context ended
// before the call, or on a closed client, sends nothing, and its Result
// says so the way a command canceled later does: ErrNotSent with
// ErrCanceled, besides the cause, so that a caller deciding whether a
// retry is safe needs one check.
func TestCallRefusedBeforeIOIsNotSent(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	closed := newClient(t, redactor.Config{})
	require.NoError(t, closed.Close())
	open := newClient(t, redactor.Config{})
	key := "{" + t.Name() + "}:n"
	tests := []struct {
		name    string
		call    func() redactor.Result
		wantErr error
	}{
		{"Do, context canceled", func() redactor.Result { return open.Do(canceled, "INCR", key) }, context.Canceled},
		{"DoArgs, deadline passed", func() redactor.Result { return open.DoArgs(expired, "INCRBY", key, 1) }, context.DeadlineExceeded},
		{"Do, client closed", func() redactor.Result { return closed.Do(context.Background(), "INCR", key) }, redactor.ErrClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.call()
			assert.ErrorIs(t, r.Err, tt.wantErr)
			assert.ErrorIs(t, r.Err, redactor.ErrNotSent)
			assert.ErrorIs(t, r.Err, redactor.ErrCanceled)
			assert.Equal(t, 1, strings.Count(r.Err.Error(), "redactor:"), "repeated text: %v", r.Err)
		})
	}
	assert.True(t, open.Do(testContext(t), "GET", key).IsNil(), "a refused INCR ran")
}
