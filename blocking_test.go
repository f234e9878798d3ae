package redactor_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor"
)

// TestBlockingCommandHoldsUpNobody runs a BLPOP that waits on a master
// while other callers run commands on the same master: they are served
// while it waits, and it gets the element pushed later.
func TestBlockingCommandHoldsUpNobody(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	list := "{" + t.Name() + "}:list"

	popped := make(chan redactor.Result, 1)
	go func() { popped <- c.Do(ctx, "BLPOP", list, "30") }()

	// Commands to the same master (same slot) and elsewhere are served
	// while the BLPOP waits; a generous bound, far below its timeout.
	deadline, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := fmt.Sprintf("{%s}:k%d", t.Name(), i)
			assert.Equal(t, redactor.Result{Value: "OK"}, c.Do(deadline, "SET", k, "v"))
			assert.Equal(t, redactor.Result{Value: "v"}, c.Do(deadline, "GET", k))
		}()
	}
	wg.Wait()
	select {
	case r := <-popped:
		t.Fatalf("BLPOP returned before any push: %v", r)
	default:
	}
	require.Equal(t, redactor.Result{Value: int64(1)}, c.Do(ctx, "RPUSH", list, "x"))
	select {
	case r := <-popped:
		assert.Equal(t, redactor.Result{Value: []any{list, "x"}}, r)
	case <-time.After(10 * time.Second):
		t.Fatal("BLPOP did not get the pushed element")
	}
}

// TestBlockingCommandCanceled cancels a BLPOP that waits: the call returns
// at once, and the server cannot serve it later: an element pushed after
// the cancel stays in the list. The call says ErrUnknownOutcome all the
// same: the client cannot tell a server that was blocked on it from one
// that had not read it yet (stalled), which would run it after the close.
func TestBlockingCommandCanceled(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	list := t.Name()

	callCtx, cancel := context.WithCancel(ctx)
	done := make(chan redactor.Result, 1)
	go func() { done <- c.Do(callCtx, "BLPOP", list, "0") }()
	waitBlocked(t, c, 1)
	start := time.Now()
	cancel()
	var r redactor.Result
	select {
	case r = <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("a canceled BLPOP did not return")
	}
	t.Logf("canceled BLPOP returned in %v: %v", time.Since(start), r.Err)
	assert.ErrorIs(t, r.Err, context.Canceled)
	assert.ErrorIs(t, r.Err, redactor.ErrUnknownOutcome)
	waitBlocked(t, c, 0)

	require.NoError(t, c.Do(ctx, "RPUSH", list, "kept").Err)
	assert.Equal(t, redactor.Result{Value: []any{"kept"}}, c.Do(ctx, "LRANGE", list, "0", "-1"),
		"no armed BLPOP ate the element")
}

// waitBlocked waits until the cluster has n blocked clients in all.
func waitBlocked(t *testing.T, c *redactor.Client, n int) {
	t.Helper()
	ctx := testContext(t)
	require.Eventually(t, func() bool {
		var total atomic.Int64
		err := c.ForEachMaster(ctx, func(ctx context.Context, addr string) error {
			r := c.DoOn(ctx, addr, "INFO", "clients")
			if r.Err != nil {
				return r.Err
			}
			var blocked int64
			_, err := fmt.Sscanf(after(r.Value.(string), "blocked_clients:"), "%d", &blocked)
			total.Add(blocked)
			return err
		})
		return err == nil && total.Load() == int64(n)
	}, 10*time.Second, 5*time.Millisecond, "want %d blocked clients", n)
}

func after(s, prefix string) string {
	for i := 0; i+len(prefix) <= len(s); i++ {
		if s[i:i+len(prefix)] == prefix {
			return s[i+len(prefix):]
		}
	}
	return ""
}

// TestCloseDoesNotWaitForBlockingCommands closes a client while a BLPOP
// waits forever.
func TestCloseDoesNotWaitForBlockingCommands(t *testing.T) {
	ctx := testContext(t)
	c, err := redactor.New(ctx, redactor.Config{Addrs: cluster.Addrs()})
	require.NoError(t, err)
	done := make(chan redactor.Result, 1)
	go func() { done <- c.Do(ctx, "BLPOP", t.Name(), "0") }()
	waitBlocked(t, c, 1)
	start := time.Now()
	require.NoError(t, c.Close())
	assert.Less(t, time.Since(start), 2*time.Second, "Close waited for the BLPOP")
	r := <-done
	assert.ErrorIs(t, r.Err, redactor.ErrClosed)
}

// TestBlockingCommandsInPipeline puts blocking commands among others: each
// runs on a connection of its own, in its place in its master's order, and
// its result lands in its place.
func TestBlockingCommandsInPipeline(t *testing.T) {
	for _, parallel := range []bool{true, false} {
		t.Run(fmt.Sprint("parallel=", parallel), func(t *testing.T) {
			ctx := testContext(t)
			c := newClient(t, redactor.Config{})
			k := "{" + t.Name() + "}"
			others := keysFor(t, 4)
			p := c.Pipeline(redactor.WithParallel(parallel))
			p.Do("RPUSH", k+"l", "a", "b")
			p.Do("SET", others[0], "x")
			p.Do("BLPOP", k+"l", "1")            // served at once: the RPUSH came first
			p.Do("BRPOP", k+"empty", "0.1")      // times out: nil
			p.Do("LLEN", k+"l")                  // after the BLPOP: 1
			p.Do("XADD", k+"s", "1-1", "f", "v") // a stream entry
			p.Do("XREAD", "BLOCK", "100", "STREAMS", k+"s", "0")
			p.Do("GET", others[1])
			results, err := p.Exec(ctx)
			require.NoError(t, err)
			want := []redactor.Result{
				{Value: int64(2)},
				{Value: "OK"},
				{Value: []any{k + "l", "a"}},
				{Value: nil},
				{Value: int64(1)},
				{Value: "1-1"},
				{Value: []any{[]any{k + "s", []any{[]any{"1-1", []any{"f", "v"}}}}}},
				{Value: nil},
			}
			assert.Equal(t, want, results)
		})
	}
}

// TestManyBlockingCommandsWaitForThePool runs more blocking commands than
// the pool has connections: the extra ones wait for a free connection, and
// all are served.
func TestManyBlockingCommandsWaitForThePool(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{BlockingPoolSize: 2})
	k := "{" + t.Name() + "}"
	var wg sync.WaitGroup
	results := make([]redactor.Result, 6)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = c.Do(ctx, "BLPOP", fmt.Sprintf("%s%d", k, i), "0.2")
		}()
	}
	wg.Wait()
	for i, r := range results {
		assert.Equal(t, redactor.Result{Value: nil}, r, "BLPOP %d timed out on the server", i)
	}
}
