package redactor_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/internal/localcluster"
)

// heapInUse returns the live heap after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// stallLoad is a crowd of goroutines pipelining SETs on one hash tag each
// and counting what succeeded and how the rest failed.
type stallLoad struct {
	c       *redactor.Client
	timeout time.Duration
	stop    atomic.Bool
	wg      sync.WaitGroup
	// ok counts the SETs answered OK; wrong counts results that are
	// neither OK nor an error of a call that gave up.
	ok, wrong  atomic.Int64
	firstWrong atomic.Pointer[string]
}

// run starts n goroutines pipelining size SETs on keys of tag, each call
// bounded by l.timeout.
func (l *stallLoad) run(n, size int, tag string) {
	for g := range n {
		l.wg.Go(func() {
			value := strings.Repeat("v", 64)
			for i := 0; !l.stop.Load(); i++ {
				p := l.c.Pipeline()
				for k := range size {
					p.Do("SET", fmt.Sprintf("%s:%d:%d", tag, g, k), value)
				}
				ctx, cancel := context.WithTimeout(context.Background(), l.timeout)
				results, err := p.Exec(ctx)
				cancel()
				l.check(results, err)
			}
		})
	}
}

// check counts one pipeline's results: each is OK, or an error of its
// call's deadline saying it was not sent or may have run. (A call whose
// batch was dropped unwritten as its deadline passed may be answered
// before it sees its deadline: its error is nil, its commands' errors
// say what happened.)
func (l *stallLoad) check(results []redactor.Result, err error) {
	for _, r := range results {
		switch {
		case r.Err == nil && r.Value == "OK":
			l.ok.Add(1)
		case errors.Is(r.Err, context.DeadlineExceeded) &&
			(errors.Is(r.Err, redactor.ErrNotSent) || errors.Is(r.Err, redactor.ErrUnknownOutcome)):
		default:
			if l.wrong.Add(1) == 1 {
				s := fmt.Sprintf("value %v, error %v (call: %v)", r.Value, r.Err, err)
				l.firstWrong.Store(&s)
			}
		}
	}
}

func (l *stallLoad) halt() {
	l.stop.Store(true)
	l.wg.Wait()
}

// TestStalledMasterHoldsNothingUp stops one master with SIGSTOP (its
// socket stays open, its kernel keeps taking bytes) while 1,000 goroutines
// pipeline against it with deadlines of 500 ms and a few others pipeline
// against the other masters, in a cluster that keeps serving the other
// slots (cluster-require-full-coverage no). The client's memory stays flat
// (what waits for the stalled master is bounded: MaxInFlight, and the
// batches of callers that gave up are dropped), the other masters' commands
// keep completing, and everything resumes after SIGCONT. Every result is
// OK or an error saying the call gave up; none is another command's.
func TestStalledMasterHoldsNothingUp(t *testing.T) {
	lc := localcluster.StartT(t, localcluster.Config{Masters: 3,
		ServerArgs: []string{"--cluster-require-full-coverage", "no"}})
	c, err := redactor.New(testContext(t), redactor.Config{Addrs: lc.Addrs()})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })

	tags := tagsOfMasters(t, lc)
	stalled := lc.Addrs()[0]
	stalledLoad := &stallLoad{c: c, timeout: 500 * time.Millisecond}
	othersLoad := &stallLoad{c: c, timeout: 2 * time.Second}
	defer stalledLoad.halt()
	defer othersLoad.halt()
	stalledLoad.run(1000, 20, tags[stalled])
	for addr, tag := range tags {
		if addr != stalled {
			othersLoad.run(8, 20, tag)
		}
	}
	// Under the race detector on a loaded host the first calls may all
	// miss their deadline: wait until the load gets through.
	require.Eventually(t, func() bool { return stalledLoad.ok.Load() > 0 }, 20*time.Second, 10*time.Millisecond,
		"no SET succeeded before the stall")
	time.Sleep(500 * time.Millisecond)
	othersStart := othersLoad.ok.Load()
	time.Sleep(time.Second)
	othersPerSecond := float64(othersLoad.ok.Load() - othersStart)

	require.NoError(t, lc.Pause(stalled))
	paused := true
	defer func() {
		if paused {
			lc.Resume(stalled)
		}
	}()
	time.Sleep(time.Second)
	heapEarly := heapInUse()
	othersBefore, stalledBefore := othersLoad.ok.Load(), stalledLoad.ok.Load()
	time.Sleep(2500 * time.Millisecond)
	heapLate := heapInUse()
	othersDuring, stalledDuring := othersLoad.ok.Load()-othersBefore, stalledLoad.ok.Load()-stalledBefore
	t.Logf("stalled 1s: heap %.1f MB; 3.5s: %.1f MB; the other masters' SETs in those 2.5s: %d (%.0f in the second before the stall)",
		float64(heapEarly)/1e6, float64(heapLate)/1e6, othersDuring, othersPerSecond)

	require.NoError(t, lc.Resume(stalled))
	paused = false
	resumed := time.Now()
	ctx := testContext(t)
	for {
		r := c.Do(ctx, "SET", tags[stalled]+":probe", "1")
		if r.Err == nil {
			break
		}
		require.Less(t, time.Since(resumed), 10*time.Second, "the stalled master's slots did not come back: %v", r.Err)
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("the stalled master answered again %v after SIGCONT", time.Since(resumed).Round(time.Millisecond))
	stalledAfter := stalledLoad.ok.Load()
	time.Sleep(time.Second)

	stalledLoad.halt()
	othersLoad.halt()
	if s := stalledLoad.firstWrong.Load(); s != nil {
		t.Errorf("%d results against the stalled master were wrong, the first: %s", stalledLoad.wrong.Load(), *s)
	}
	if s := othersLoad.firstWrong.Load(); s != nil {
		t.Errorf("%d results against the other masters were wrong, the first: %s", othersLoad.wrong.Load(), *s)
	}
	assert.Zero(t, stalledDuring, "SETs on the stalled master succeeded while it was stopped")
	// The other masters keep their pace (a loaded host makes it vary, so
	// the bound is loose).
	assert.Greater(t, float64(othersDuring)/2.5, othersPerSecond/5, "the other masters' commands slowed down with the stalled one")
	assert.Less(t, heapLate, heapEarly+16<<20, "the heap grew while the master was stalled")
	assert.Positive(t, stalledLoad.ok.Load()-stalledAfter, "pipelines to the resumed master do not succeed again")
}

// TestPipelineStreamsThroughTheBound runs pipelines far larger than a
// small in-flight bound, in both modes, with a transaction block larger
// than the bound in the middle: every command gets its own reply in queue
// order, and the block runs whole.
func TestPipelineStreamsThroughTheBound(t *testing.T) {
	c := newClient(t, redactor.Config{MaxInFlight: 500, MaxInFlightBytes: 64 << 10})
	ctx := testContext(t)
	keys := keysFor(t, 20000)
	counter := "{" + t.Name() + "}:counter"
	for _, parallel := range []bool{true, false} {
		p := c.Pipeline(redactor.WithParallel(parallel))
		for i, k := range keys {
			p.Do("SET", k, fmt.Sprintf("%d:%v", i, parallel))
			if i == len(keys)/2 {
				p.Do("DEL", counter)
				p.Do("MULTI")
				for range 1200 {
					p.Do("INCR", counter)
				}
				p.Do("EXEC")
			}
		}
		for _, k := range keys {
			p.Do("GET", k)
		}
		results, err := p.Exec(ctx)
		require.NoError(t, err)
		require.Len(t, results, 2*len(keys)+1203)
		at := 0
		for i := range keys {
			require.NoError(t, results[at].Err)
			require.Equal(t, "OK", results[at].Value)
			at++
			if i == len(keys)/2 {
				require.NoError(t, results[at].Err) // DEL
				at++
				require.NoError(t, results[at].Err)
				require.Equal(t, "OK", results[at].Value) // MULTI
				at++
				for range 1200 {
					require.Equal(t, "QUEUED", results[at].Value)
					at++
				}
				replies, ok := results[at].Value.([]any)
				require.True(t, ok, "EXEC: %v %v", results[at].Value, results[at].Err)
				require.Len(t, replies, 1200)
				require.Equal(t, int64(1200), replies[1199])
				at++
			}
		}
		for i := range keys {
			require.NoError(t, results[at].Err)
			require.Equal(t, fmt.Sprintf("%d:%v", i, parallel), results[at].Value, "GET %s", keys[i])
			at++
		}
	}
}

// TestCanceledBeyondTheBoundIsNotSent stops a master and runs pipelines
// far larger than the in-flight bound against it, each giving up after
// 300 ms: what the connection never wrote (all but the bound's worth of
// the first pipeline, all of the second) must come back as ErrNotSent with
// ErrCanceled, not ErrUnknownOutcome, and a command reported not sent must
// never run, even once the master resumes.
func TestCanceledBeyondTheBoundIsNotSent(t *testing.T) {
	lc := localcluster.StartT(t, localcluster.Config{Masters: 3,
		ServerArgs: []string{"--cluster-require-full-coverage", "no"}})
	c, err := redactor.New(testContext(t), redactor.Config{Addrs: lc.Addrs(), MaxInFlight: 100})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	stalled := lc.Addrs()[0]
	tag := tagsOfMasters(t, lc)[stalled]
	const n = 2000
	key := func(round, i int) string { return fmt.Sprintf("%s:%d:%d", tag, round, i) }

	require.NoError(t, lc.Pause(stalled))
	paused := true
	defer func() {
		if paused {
			lc.Resume(stalled)
		}
	}()
	notSent := map[string]bool{}
	for round := range 2 {
		p := c.Pipeline()
		for i := range n {
			p.Do("INCR", key(round, i))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		results, err := p.Exec(ctx)
		cancel()
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.Len(t, results, n)
		unknown := 0
		for i, r := range results {
			switch {
			case errors.Is(r.Err, redactor.ErrNotSent):
				assert.ErrorIs(t, r.Err, redactor.ErrCanceled)
				assert.Equal(t, 1, strings.Count(r.Err.Error(), "redactor:"), "repeated text: %v", r.Err)
				notSent[key(round, i)] = true
			case errors.Is(r.Err, redactor.ErrUnknownOutcome):
				unknown++
			default:
				t.Fatalf("round %d, command %d: value %v, error %v", round, i, r.Value, r.Err)
			}
		}
		t.Logf("round %d: %d of %d not sent, %d unknown", round, n-unknown, n, unknown)
		// The first round fills the bound; nothing of the second is written.
		assert.LessOrEqual(t, unknown, 100*(1-round), "round %d: commands never written reported as ErrUnknownOutcome", round)
	}
	require.NoError(t, lc.Resume(stalled))
	paused = false

	ctx := testContext(t)
	p := c.Pipeline()
	for round := range 2 {
		for i := range n {
			p.Do("GET", key(round, i))
		}
	}
	results, err := p.Exec(ctx)
	require.NoError(t, err)
	for j, r := range results {
		k := key(j/n, j%n)
		require.NoError(t, r.Err, k)
		if notSent[k] {
			assert.Nil(t, r.Value, "%s was reported not sent but ran", k)
		}
	}
}

// TestPartsKeepOrderOnAFreshConnection runs, on fresh clients whose
// connections are not open yet, pipelines cut into many parts by a small
// bound: the first parts wait in the node actor's mailbox while it dials,
// and no later part may overtake them once the connection opens. INCRs of
// one key must count up in queue order.
func TestPartsKeepOrderOnAFreshConnection(t *testing.T) {
	ctx := testContext(t)
	key := "{" + t.Name() + "}:n"
	for round := range 10 {
		c, err := redactor.New(ctx, redactor.Config{Addrs: cluster.Addrs(), MaxInFlight: 8})
		require.NoError(t, err)
		require.NoError(t, c.Do(ctx, "DEL", key).Err)
		c.Close()
		c, err = redactor.New(ctx, redactor.Config{Addrs: cluster.Addrs(), MaxInFlight: 8})
		require.NoError(t, err)
		p := c.Pipeline()
		for range 5000 {
			p.Do("INCR", key)
		}
		results, err := p.Exec(ctx)
		c.Close()
		require.NoError(t, err)
		for i, r := range results {
			require.NoError(t, r.Err)
			require.Equal(t, int64(i+1), r.Value, "round %d: INCR %d ran out of order", round, i)
		}
	}
}
