//go:build soak

package soak

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/internal/consistency"
	"github.com/redactor-go/redactor/topology"
)

var (
	duration = flag.Duration("soak.duration", 10*time.Minute, "how long the load runs under faults")
	warmup   = flag.Duration("soak.warmup", 10*time.Second, "how long the load runs before the level of goroutines and heap is taken, while every master fails over to its replica once")
	seed     = flag.Uint64("soak.seed", 0, "the seed of the faults and the load; 0: from the clock")
)

// TestSoak runs the mixed load of the package doc for -soak.duration while
// the cluster fails under it, and checks that no reply was wrong, no
// acknowledged write was lost (but in a crash failover), and goroutines
// and heap came back to their level.
func TestSoak(t *testing.T) {
	s := *seed
	if s == 0 {
		s = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (-soak.seed to run the same faults again), duration %v", s, *duration)
	ctx, cancel := context.WithTimeout(t.Context(), *duration+*warmup+10*time.Minute)
	defer cancel()
	e := startEnv(t)
	c, err := redactor.New(ctx, redactor.Config{Addrs: e.seeds()})
	require.NoError(t, err)
	defer c.Close()
	var loadFailures atomic.Int64
	o := redactor.Observe(c, func(l *topology.Loaded) {
		if l.Err != nil && loadFailures.Add(1) <= 20 {
			t.Logf("layout load failed: %v", l.Err)
		}
	})
	defer func() {
		o.Stop()
		<-o.Done()
		t.Logf("layout loads failed: %d", loadFailures.Load())
	}()

	t.Logf("level with the client just connected: %s", level(ctx, nil))
	// The level is taken once every node has served as a master, so that
	// it includes what failovers leave behind.
	t.Log("warm-up: the load, while every master fails over to its replica once")
	warm := runLoads(ctx, t, c, e, *warmup, nil, s)
	for _, l := range warm {
		t.Log(l)
	}
	before := level(ctx, nil)
	t.Logf("level before (every node has served as a master): %s", before)
	stacksBefore := goroutines()
	heapProfile(t, "before")
	t.Logf("connections before:\n%s", e.describe(ctx))

	begin := time.Now()
	rng := rand.New(rand.NewPCG(s, 1))
	soak := runLoads(ctx, t, c, e, *duration, rng, s+1)
	t.Logf("load and faults ran for %v", time.Since(begin).Round(time.Second))
	require.NoError(t, e.heal(ctx))
	after := level(ctx, &before)
	t.Logf("level after:  %s", after)
	heapProfile(t, "after")
	if after.goroutines != before.goroutines {
		t.Logf("goroutines that differ, by function:\n%s", diffGoroutines(stacksBefore, goroutines()))
		t.Logf("connections after:\n%s", e.describe(ctx))
	}

	var wrong, lost, crashLost, ops int64
	for _, l := range append(warm, soak...) {
		wrong += l.wrong
		lost += l.lost
		crashLost += l.crashLost
		ops += l.ops
	}
	var report strings.Builder
	fmt.Fprintf(&report, "soak: %v, seed %d\n", *duration, s)
	for _, l := range soak {
		fmt.Fprintln(&report, l)
	}
	fmt.Fprintf(&report, "in all (warm-up included): %d operations checked, %d wrong replies, %d lost acknowledged writes, %d lost in crash failovers\n",
		ops, wrong, lost, crashLost)
	fmt.Fprintf(&report, "goroutines %d -> %d (%+.1f%%), heap %.1f MB -> %.1f MB (%+.1f%%)",
		before.goroutines, after.goroutines, pct(after.goroutines, before.goroutines),
		mb(before.heap), mb(after.heap), pct(int(after.heap), int(before.heap)))
	t.Log("\n" + report.String())

	assert.Zero(t, wrong, "wrong replies")
	assert.Zero(t, lost, "lost acknowledged writes")
	assert.LessOrEqual(t, after.goroutines, before.goroutines*11/10, "goroutines back within 10%")
	assert.LessOrEqual(t, after.heap, before.heap*11/10, "heap back within 10%")
}

// runLoads runs every load for d on c, with the faults of chaos when rng is
// set (else a rotation of the masters: chaos.rotate), and returns their counts once they have stopped and their final
// checks are done.
func runLoads(ctx context.Context, t *testing.T, c *redactor.Client, e *env, d time.Duration, rng *rand.Rand, seed uint64) []*counts {
	crashes := &crashLog{}
	checker, err := consistency.New(c, consistency.Config{Prefix: "soak:counter", Workers: 2, CrashWindow: crashWindow})
	require.NoError(t, err)
	require.NoError(t, checker.Reset(ctx))
	mixedCounts, psCounts, txCounts, blCounts := newCounts("pipelines"), newCounts("pub/sub"), newCounts("transactions"), newCounts("blocking")
	m := &mixed{c: c, crashes: crashes, counts: mixedCounts}
	ps := &pubsub{c: c, crashes: crashes, counts: psCounts}
	x := &tx{c: c, counts: txCounts}
	bl := &blocking{c: c, crashes: crashes, counts: blCounts}
	bl.init()
	for _, cs := range []*counts{mixedCounts, psCounts, txCounts, blCounts} {
		cs.logf = t.Logf
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	r := func(i uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, i)) }
	for w := range 2 {
		wg.Go(func() { m.work(ctx, stop, w, r(uint64(w))) })
	}
	waitPubSub, err := ps.start(ctx, stop)
	require.NoError(t, err)
	wg.Go(func() { x.work(ctx, stop, r(10)) })
	for i := range 2 {
		wg.Go(func() { bl.produce(ctx, stop, r(20+uint64(i))) })
	}
	for i := range 4 {
		wg.Go(func() { bl.consume(ctx, stop, r(30+uint64(i))) })
	}
	checker.Start(ctx)

	var chaosErr error
	var chaosWG sync.WaitGroup
	ch := &chaos{e: e, crashes: crashes, checker: checker, logf: t.Logf, rng: rng, done: map[string]int{}, start: ps.began}
	if rng != nil {
		chaosWG.Go(func() { chaosErr = ch.run(ctx, stop) })
	} else {
		chaosWG.Go(func() { chaosErr = ch.rotate(ctx) })
	}
	progress := time.NewTicker(30 * time.Second)
	deadline := time.After(d)
wait:
	for {
		select {
		case <-progress.C:
			t.Logf("progress: %s", checker.Stats())
		case <-deadline:
			break wait
		}
	}
	progress.Stop()
	close(stop)
	chaosWG.Wait()
	assert.NoError(t, chaosErr, "the faults stopped early") // the loads still report
	if rng != nil {
		t.Logf("faults: %v", ch.done)
	}
	// The blocking and pub/sub checks need the cluster whole.
	require.NoError(t, e.heal(ctx))
	wg.Wait()
	waitPubSub()
	require.NoError(t, bl.finish(ctx))
	checker.Stop()
	cs, err := checker.Verify(ctx)
	require.NoError(t, err)
	require.NoError(t, checker.Reset(ctx))
	counters := newCounts("counters")
	counters.ops = cs.Reads + cs.Writes
	counters.wrong = cs.Wrong + cs.Unexpected
	counters.lost = cs.Lost
	counters.crashLost = cs.CrashLost
	counters.errs = cs.Errors
	return []*counts{mixedCounts, psCounts, txCounts, blCounts, counters}
}

// levels are the process's goroutines and live heap.
type levels struct {
	goroutines int
	heap       uint64
}

func (l levels) String() string {
	return fmt.Sprintf("%d goroutines, heap %.1f MB", l.goroutines, mb(l.heap))
}

// level returns the goroutines and the heap after a GC. With a level to
// come back to, it waits up to 30 s for both to be within 10% of it (idle
// connections close, goroutines end), and returns the last it saw.
func level(ctx context.Context, to *levels) levels {
	var l levels
	for deadline := time.Now().Add(30 * time.Second); ; {
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		l = levels{goroutines: runtime.NumGoroutine(), heap: ms.HeapAlloc}
		if to == nil || (l.goroutines <= to.goroutines*11/10 && l.heap <= to.heap*11/10) || time.Now().After(deadline) {
			return l
		}
		select {
		case <-ctx.Done():
			return l
		case <-time.After(time.Second):
		}
	}
}

func mb(b uint64) float64 { return float64(b) / (1 << 20) }

func pct(after, before int) float64 { return 100 * float64(after-before) / float64(before) }

// goroutines counts the goroutines by the function they run (the first
// function of their stack outside the runtime and the standard library's
// waiting code).
func goroutines() map[string]int {
	buf := make([]byte, 1<<22)
	buf = buf[:runtime.Stack(buf, true)]
	out := map[string]int{}
	for _, g := range strings.Split(string(buf), "\n\n") {
		lines := strings.Split(g, "\n")
		fn := "?"
		for _, l := range lines[1:] {
			if strings.HasPrefix(l, "\t") || l == "" {
				continue
			}
			if strings.HasPrefix(l, "runtime.") || strings.HasPrefix(l, "internal/") || strings.HasPrefix(l, "sync.") ||
				strings.HasPrefix(l, "net.") || strings.HasPrefix(l, "io.") || strings.HasPrefix(l, "bufio.") ||
				strings.HasPrefix(l, "syscall.") || strings.HasPrefix(l, "os.") || strings.HasPrefix(l, "time.") {
				continue
			}
			fn, _, _ = strings.Cut(l, "(")
			break
		}
		out[fn]++
	}
	return out
}

// diffGoroutines lists the functions whose goroutines' count changed.
func diffGoroutines(before, after map[string]int) string {
	var b strings.Builder
	seen := map[string]bool{}
	for _, m := range []map[string]int{before, after} {
		for fn := range m {
			if !seen[fn] && before[fn] != after[fn] {
				fmt.Fprintf(&b, "  %d -> %d %s\n", before[fn], after[fn], fn)
			}
			seen[fn] = true
		}
	}
	return b.String()
}

// heapProfile writes a heap profile to a file of the temporary directory,
// to compare the heap before and after with go tool pprof -base.
func heapProfile(t *testing.T, name string) {
	f, err := os.CreateTemp("", "soak-heap-"+name+"-*.pprof")
	if err != nil {
		t.Log(err)
		return
	}
	defer f.Close()
	runtime.GC()
	if err := pprof.WriteHeapProfile(f); err != nil {
		t.Log(err)
		return
	}
	t.Logf("heap profile %s: %s", name, f.Name())
}
