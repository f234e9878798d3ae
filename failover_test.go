package redactor_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/internal/localcluster"
)

// pipelineOutcome is one pipeline run by a load loop.
type pipelineOutcome struct {
	at     time.Time
	failed int
	errs   []error
}

// runLoad runs pipelines of SET/GET over all masters until stop is closed,
// and returns what each pipeline saw.
func runLoad(t *testing.T, c *redactor.Client, prefix string, stop <-chan struct{}) []pipelineOutcome {
	var outcomes []pipelineOutcome
	for round := 0; ; round++ {
		select {
		case <-stop:
			return outcomes
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		p := c.Pipeline()
		for i := range 50 {
			k := fmt.Sprintf("%s:%d", prefix, i)
			p.Do("SET", k, fmt.Sprint(round))
			p.Do("GET", k)
		}
		results, err := p.Exec(ctx)
		cancel()
		o := pipelineOutcome{at: time.Now()}
		if err != nil {
			o.failed, o.errs = 100, []error{err}
		}
		for _, r := range results {
			if r.Err != nil {
				o.failed++
				o.errs = append(o.errs, r.Err)
			}
		}
		outcomes = append(outcomes, o)
	}
}

// TestMasterKilledWhilePipelinesRun kills -9 a master that has a replica
// while pipelines run, and measures how long after the cluster itself
// recovered the client's pipelines succeed again.
func TestMasterKilledWhilePipelinesRun(t *testing.T) {
	lc, c := clusterAndClient(t, localcluster.Config{Masters: 3, Replicas: 1}, redactor.Config{})
	ctx := testContext(t)

	stop := make(chan struct{})
	var outcomes []pipelineOutcome
	var wg sync.WaitGroup
	wg.Go(func() { outcomes = runLoad(t, c, t.Name(), stop) })

	time.Sleep(300 * time.Millisecond)
	victim := lc.Addrs()[0]
	killedAt := time.Now()
	require.NoError(t, lc.Kill(victim))
	require.NoError(t, lc.WaitHealthy(ctx))
	clusterRecovered := time.Since(killedAt)
	time.Sleep(1500 * time.Millisecond)
	close(stop)
	wg.Wait()

	// The client has recovered at the end of its last failed pipeline.
	var lastFailure time.Time
	failed := 0
	for _, o := range outcomes {
		if o.failed > 0 && o.at.After(lastFailure) {
			lastFailure = o.at
		}
		failed += o.failed
		for _, err := range o.errs {
			assert.True(t, errors.Is(err, redactor.ErrUnknownOutcome) || errors.Is(err, redactor.ErrNodeUnreachable) ||
				errors.Is(err, context.DeadlineExceeded) || errors.Is(err, redactor.ErrSlotNotServed),
				"unexpected error during failover: %v", err)
		}
	}
	clientRecovered := time.Duration(0)
	if !lastFailure.IsZero() {
		clientRecovered = lastFailure.Sub(killedAt)
	}
	t.Logf("killed master %s: cluster failed over in %v, client pipelines all succeed from %v after the kill "+
		"(%d pipelines, %d failed commands)", victim, clusterRecovered.Round(time.Millisecond),
		clientRecovered.Round(time.Millisecond), len(outcomes), failed)
	assert.LessOrEqual(t, clientRecovered, clusterRecovered+time.Second)
	require.NotEmpty(t, outcomes)
	assert.Zero(t, outcomes[len(outcomes)-1].failed, "pipelines succeed after the failover")
}

// TestManualFailoverUnderLoad runs CLUSTER FAILOVER (lossless) on a
// replica while four goroutines run pipelines of INCR and RPUSH: no
// acknowledged write is lost or doubled, and no error reaches the caller.
func TestManualFailoverUnderLoad(t *testing.T) {
	lc, c := clusterAndClient(t, localcluster.Config{Masters: 3, Replicas: 1}, redactor.Config{})
	ctx := testContext(t)

	master := lc.Addrs()[0]
	var replica string
	for _, n := range lc.Nodes() {
		if !n.Master && n.MasterID == masterID(t, lc, master) {
			replica = n.Addr
		}
	}
	require.NotEmpty(t, replica)
	hot, err := lc.SlotsOf(ctx, master)
	require.NoError(t, err)

	events := countEvents(c)
	defer events.stop()
	var took time.Duration
	workers := runWorkersDuring(t, c, hot, func() {
		start := time.Now()
		require.NoError(t, lc.Failover(ctx, replica))
		took = time.Since(start)
	})
	_, changes, moved, _ := events.snapshot()
	total := verifyWorkers(t, c, workers)
	t.Logf("manual failover of %s to %s in %v under load: %d acknowledged INCRs, %d MOVED, %d slot-map changes",
		master, replica, took.Round(time.Millisecond), total, moved, changes)
	assert.Positive(t, changes, "the client saw the new master")
}

func masterID(t *testing.T, lc *localcluster.Cluster, addr string) string {
	t.Helper()
	for _, n := range lc.Nodes() {
		if n.Addr == addr {
			return n.ID
		}
	}
	t.Fatalf("no node %s", addr)
	return ""
}

// TestUnreachableMaster kills a master that has no replica: its commands
// are retried inside the caller's deadline, then fail with
// ErrNodeUnreachable, while the other masters' commands succeed.
func TestUnreachableMaster(t *testing.T) {
	lc, c := clusterAndClient(t, localcluster.Config{Masters: 3}, redactor.Config{})
	tagA, tagB := tagsOnTwoMastersOf(t, lc)
	victim := ownerIn(t, lc, tagA)
	require.NoError(t, c.Do(testContext(t), "SET", tagA+"k", "v").Err)
	require.NoError(t, lc.Kill(victim))
	// Let the client's reader see its connection end, as it does within
	// moments: a command written in that instant would rightly get
	// ErrUnknownOutcome instead of being known unsent.
	time.Sleep(50 * time.Millisecond)

	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	p := c.Pipeline()
	p.Do("GET", tagA+"k")
	p.Do("SET", tagB+"k", "fine")
	start := time.Now()
	results, err := p.Exec(ctx)
	require.NoError(t, err, "the pipeline returns before the deadline, with each command's outcome")
	assert.ErrorIs(t, results[0].Err, redactor.ErrNodeUnreachable)
	assert.ErrorIs(t, results[0].Err, redactor.ErrNotSent)
	assert.Equal(t, redactor.Result{Value: "OK"}, results[1])
	t.Logf("unreachable master: gave up after %v", time.Since(start).Round(time.Millisecond))
}
