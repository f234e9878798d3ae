package redactor_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/internal/localcluster"
)

// TestStalledNodeCallWithoutDeadlineEnds stalls a master (its proxy
// swallows everything, as a hung node) under calls whose context has no
// deadline: each call still ends within Config.RetryTimeout plus
// Config.ReadTimeout, whatever the node does. With a read timeout the
// silence breaks the connection in time; without one (a negative
// ReadTimeout) nothing else would ever end the call.
func TestStalledNodeCallWithoutDeadlineEnds(t *testing.T) {
	for _, read := range []time.Duration{500 * time.Millisecond, -1} {
		t.Run(fmt.Sprint("ReadTimeout=", read), func(t *testing.T) { testStalledNodeCall(t, read) })
	}
}

func testStalledNodeCall(t *testing.T, read time.Duration) {
	pc := startProxiedCluster(t, localcluster.Config{Masters: 3})
	ctx := testContext(t)
	seed := pc.proxyOf(t, pc.Addrs()[0]).Addr()
	const retry = time.Second
	c, err := redactor.New(ctx, redactor.Config{Addrs: []string{seed}, RetryTimeout: retry, ReadTimeout: read})
	require.NoError(t, err)
	defer c.Close()
	tag, _ := tagsOnTwoMastersOf(t, pc.Cluster)
	require.NoError(t, c.Do(ctx, "SET", tag+"k", "v").Err)

	p := pc.proxyOf(t, ownerIn(t, pc.Cluster, tag))
	p.Blackhole(true)
	defer p.Blackhole(false)
	for _, cmd := range [][]string{{"GET", tag + "k"}, {"SET", tag + "k", "w"}} {
		start := time.Now()
		r := c.Do(context.Background(), cmd[0], cmd[1:]...)
		took := time.Since(start)
		t.Logf("%v on a stalled node: %v after %v", cmd, r.Err, took.Round(time.Millisecond))
		require.Error(t, r.Err)
		assert.ErrorIs(t, r.Err, redactor.ErrUnknownOutcome, "it was written")
		// The bound, with a margin for a loaded machine.
		assert.Less(t, took, retry+max(read, 0)+3*time.Second, "%v", cmd)
	}
}

// TestBlockingCallWithoutDeadlineKeepsItsTimeout runs, without a deadline,
// blocking commands that wait longer than Config.RetryTimeout plus
// Config.ReadTimeout: the bound of such a call starts after the command's
// own timeout, so it ends by the server's answer, not the bound.
func TestBlockingCallWithoutDeadlineKeepsItsTimeout(t *testing.T) {
	c := newClient(t, redactor.Config{RetryTimeout: 500 * time.Millisecond, ReadTimeout: 500 * time.Millisecond})
	list := "{" + t.Name() + "}:list"
	start := time.Now()
	assert.Equal(t, redactor.Result{Value: nil}, c.Do(context.Background(), "BLPOP", list, "2"), "timed out on the server")
	assert.GreaterOrEqual(t, time.Since(start), 2*time.Second)

	done := make(chan redactor.Result, 1)
	go func() { done <- c.Do(context.Background(), "BLPOP", list, "0") }()
	waitBlocked(t, c, 1)
	time.Sleep(1500 * time.Millisecond) // past the bound: a BLPOP without timeout has none
	require.NoError(t, c.Do(testContext(t), "RPUSH", list, "x").Err)
	select {
	case r := <-done:
		assert.Equal(t, redactor.Result{Value: []any{list, "x"}}, r)
	case <-time.After(10 * time.Second):
		t.Fatal("BLPOP did not get the pushed element")
	}
}

// TestCallsEndWhileMasterKilled kills -9 a master that has a replica, and
// restarts it as a replica, while goroutines run single commands on it
// with a deadline far past Config.RetryTimeout: every call ends within
// RetryTimeout plus ReadTimeout (with a margin), none at its deadline.
func TestCallsEndWhileMasterKilled(t *testing.T) {
	pc := startProxiedCluster(t, localcluster.Config{Masters: 3, Replicas: 1})
	lc := pc.Cluster
	ctx := testContext(t)
	c, err := redactor.New(ctx, redactor.Config{Addrs: []string{pc.proxyOf(t, lc.Addrs()[0]).Addr()},
		RetryTimeout: 3 * time.Second, ReadTimeout: time.Second})
	require.NoError(t, err)
	defer c.Close()
	tag, _ := tagsOnTwoMastersOf(t, lc)
	victim := ownerIn(t, lc, tag)

	stop := make(chan struct{})
	var mu sync.Mutex
	var longest time.Duration
	var slow []string
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				callCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
				start := time.Now()
				var r redactor.Result
				if w%2 == 0 {
					r = c.Do(callCtx, "RPUSH", fmt.Sprintf("%s:list%d", tag, w), "x")
				} else {
					r = c.Do(callCtx, "BLPOP", fmt.Sprintf("%s:list%d", tag, w-1), "0.5")
				}
				cancel()
				took := time.Since(start)
				mu.Lock()
				longest = max(longest, took)
				if took > 10*time.Second {
					slow = append(slow, fmt.Sprintf("worker %d call %d: %v after %v", w, i, r.Err, took.Round(time.Millisecond)))
				}
				mu.Unlock()
			}
		})
	}
	time.Sleep(300 * time.Millisecond)
	require.NoError(t, lc.Kill(victim))
	require.NoError(t, lc.WaitHealthy(ctx))
	require.NoError(t, lc.Restart(ctx, victim))
	time.Sleep(2 * time.Second)
	close(stop)
	wg.Wait()
	t.Logf("longest call: %v", longest.Round(time.Millisecond))
	assert.Empty(t, slow, "calls that took longer than 10 s")
}
