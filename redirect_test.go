package redactor_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/actors"
	"github.com/redactor-go/redactor/internal/localcluster"
	"github.com/redactor-go/redactor/topology"
)

// keysInSlots returns n keys named prefix:<i> whose slots are in slots.
func keysInSlots(prefix string, slots []int, n int) []string {
	in := map[uint16]bool{}
	for _, s := range slots {
		in[uint16(s)] = true
	}
	var keys []string
	for i := 0; len(keys) < n; i++ {
		k := fmt.Sprintf("%s:%d", prefix, i)
		if in[topology.Slot(k)] {
			keys = append(keys, k)
		}
	}
	return keys
}

// clusterAndClient starts a fresh cluster for one test and a client of it.
func clusterAndClient(t *testing.T, lcCfg localcluster.Config, cfg redactor.Config) (*localcluster.Cluster, *redactor.Client) {
	t.Helper()
	lc := localcluster.StartT(t, lcCfg)
	cfg.Addrs = lc.Addrs()
	c, err := redactor.New(testContext(t), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return lc, c
}

// TestRefreshStorm makes the client's slot map stale for 1,000 slots, then
// runs 10,000 commands on them: every one gets MOVED once, and the client
// loads the slot map at most twice for all of them.
func TestRefreshStorm(t *testing.T) {
	lc, c := clusterAndClient(t, localcluster.Config{Masters: 3}, redactor.Config{})
	ctx := testContext(t)

	from, to := lc.Addrs()[0], lc.Addrs()[1]
	owned, err := lc.SlotsOf(ctx, from)
	require.NoError(t, err)
	moved := owned[:1000]
	require.NoError(t, lc.MoveSlots(ctx, moved, from, to))

	events := countEvents(c)
	defer events.stop()
	keys := keysInSlots(t.Name(), moved, 10_000)
	p := c.Pipeline()
	for i, k := range keys {
		p.Do("SET", k, fmt.Sprint(i))
	}
	results, err := p.Exec(ctx)
	require.NoError(t, err)
	for i, r := range results {
		require.NoError(t, r.Err, keys[i])
		require.Equal(t, "OK", r.Value)
	}
	// Let a scheduled refresh run, to count it too.
	time.Sleep(300 * time.Millisecond)
	loads, _, movedSlots, _ := events.snapshot()
	t.Logf("10,000 MOVED over %d slots: %d slot-map loads", movedSlots, loads)
	assert.LessOrEqual(t, loads, 2)
	assert.GreaterOrEqual(t, movedSlots, 1000, "every moved slot was redirected")

	// The client now knows the new owner: no more redirects.
	events2 := countEvents(c)
	defer events2.stop()
	p = c.Pipeline()
	for _, k := range keys[:100] {
		p.Do("GET", k)
	}
	results, err = p.Exec(ctx)
	require.NoError(t, err)
	for i, r := range results {
		require.Equal(t, fmt.Sprint(i), r.Value)
	}
	_, _, movedAgain, _ := events2.snapshot()
	assert.Zero(t, movedAgain)
}

// slotScenario is a fresh 3-master cluster, a client of it, and a hash tag
// whose slot is served by from; to is another master.
type slotScenario struct {
	lc       *localcluster.Cluster
	c        *redactor.Client
	tag      string
	slot     int
	from, to string
}

func newSlotScenario(t *testing.T, cfg redactor.Config) *slotScenario {
	t.Helper()
	lc, c := clusterAndClient(t, localcluster.Config{Masters: 3}, cfg)
	ctx := testContext(t)
	s := &slotScenario{lc: lc, c: c, tag: "{" + t.Name() + "}"}
	s.slot = int(topology.Slot(s.tag))
	var err error
	s.from, err = lc.SlotOwner(ctx, s.slot)
	require.NoError(t, err)
	s.to = lc.Addrs()[0]
	if s.to == s.from {
		s.to = lc.Addrs()[1]
	}
	return s
}

// TestSlotMidMigration runs a pipeline against a slot that is MIGRATING on
// its master and IMPORTING on another, with one key already moved.
func TestSlotMidMigration(t *testing.T) {
	s := newSlotScenario(t, redactor.Config{})
	ctx, lc, c, tag, slot, from, to := testContext(t), s.lc, s.c, s.tag, s.slot, s.from, s.to
	moved, stays, fresh := tag+"moved", tag+"stays", tag+"new"
	require.NoError(t, c.Do(ctx, "SET", moved, "m").Err)
	require.NoError(t, c.Do(ctx, "SET", stays, "s").Err)

	require.NoError(t, lc.BeginMigration(ctx, slot, from, to))
	_, toPort, _ := strings.Cut(to, ":")
	r := dialDirect(t, from).pipeline(t, [][]string{{"MIGRATE", "127.0.0.1", toPort, "", "0", "5000", "KEYS", moved}})
	require.NoError(t, r[0].Err)

	events := countEvents(c)
	defer events.stop()
	// The multi-key command spans a moved and an unmoved key: TRYAGAIN
	// until the migration ends, which happens 300 ms from now.
	finished := make(chan error, 1)
	go func() {
		time.Sleep(300 * time.Millisecond)
		if err := lc.MigrateKeys(ctx, slot, from, to); err != nil {
			finished <- err
			return
		}
		finished <- lc.FinishMigration(ctx, slot, from, to)
	}()

	p := c.Pipeline()
	p.Do("GET", moved)         // ASK -> target
	p.Do("GET", stays)         // served by the source
	p.Do("SET", fresh, "n")    // new key: ASK -> created on the target
	p.Do("MGET", moved, stays) // TRYAGAIN until the migration finishes
	p.Do("GET", fresh)         // ASK -> target
	start := time.Now()
	results, err := p.Exec(ctx)
	require.NoError(t, err)
	require.NoError(t, <-finished)
	for i, r := range results {
		require.NoError(t, r.Err, "command %d", i)
	}
	assert.Equal(t, "m", results[0].Value)
	assert.Equal(t, "s", results[1].Value)
	assert.Equal(t, "OK", results[2].Value)
	assert.Equal(t, []any{"m", "s"}, results[3].Value)
	assert.Equal(t, "n", results[4].Value)
	assert.GreaterOrEqual(t, time.Since(start), 250*time.Millisecond, "MGET waited for the migration")

	_, changes, _, asked := events.snapshot()
	assert.Positive(t, asked, "ASK redirects were followed")
	t.Logf("mid-migration pipeline: %d ASK redirects, %d slot-map changes", asked, changes)

	// ASK did not change the map: before the migration finished, the
	// client still sent the slot's keys to the source. Verify the server's
	// own view now: the target owns the slot and holds all three keys.
	owner, err := lc.SlotOwner(ctx, slot)
	require.NoError(t, err)
	assert.Equal(t, to, owner)
	got := dialDirect(t, to).pipeline(t, [][]string{{"MGET", moved, stays, fresh}})
	assert.Equal(t, []any{"m", "s", "n"}, got[0].Value)
}

// TestAskDoesNotChangeTheSlotMap follows ASK redirects while a slot
// migrates, and checks no slot-map load or change came of them.
func TestAskDoesNotChangeTheSlotMap(t *testing.T) {
	s := newSlotScenario(t, redactor.Config{})
	ctx, lc, c, tag, slot, from, to := testContext(t), s.lc, s.c, s.tag, s.slot, s.from, s.to
	require.NoError(t, c.Do(ctx, "SET", tag+"a", "1").Err)
	require.NoError(t, lc.BeginMigration(ctx, slot, from, to))
	require.NoError(t, lc.MigrateKeys(ctx, slot, from, to))

	events := countEvents(c)
	defer events.stop()
	for range 3 {
		r := c.Do(ctx, "GET", tag+"a")
		require.NoError(t, r.Err)
		assert.Equal(t, "1", r.Value)
	}
	time.Sleep(200 * time.Millisecond)
	loads, changes, moved, asked := events.snapshot()
	assert.Equal(t, 3, asked, "each GET was asked for on the target")
	assert.Zero(t, moved)
	assert.Zero(t, loads, "ASK triggers no slot-map load")
	assert.Zero(t, changes)
	require.NoError(t, lc.FinishMigration(ctx, slot, from, to))
}

// loadWorker runs pipelines of 100 INCR and RPUSH over its own keys, and
// logs what the server acknowledged.
type loadWorker struct {
	c        *redactor.Client
	parallel bool
	counters []string
	lists    []string
	acked    map[string]int64    // counter -> acknowledged INCRs
	pushed   map[string][]string // list -> acknowledged ids, in order
	errs     []error
}

func newLoadWorker(c *redactor.Client, name string, parallel bool, hot []int) *loadWorker {
	w := &loadWorker{c: c, parallel: parallel, acked: map[string]int64{}, pushed: map[string][]string{}}
	// Half the keys live in the slots that move.
	w.counters = append(keysInSlots(name+":hotcount", hot, 25), keysFor2(name+":count", 25)...)
	w.lists = append(keysInSlots(name+":hotlist", hot, 25), keysFor2(name+":list", 25)...)
	return w
}

func keysFor2(prefix string, n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("%s:%d", prefix, i)
	}
	return keys
}

func (w *loadWorker) run(stop <-chan struct{}) {
	for round := 0; ; round++ {
		select {
		case <-stop:
			return
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		p := w.c.Pipeline(redactor.WithParallel(w.parallel))
		ids := make([]string, len(w.lists))
		for i := range w.counters {
			p.Do("INCR", w.counters[i])
			ids[i] = fmt.Sprintf("%d-%d", round, i)
			p.Do("RPUSH", w.lists[i], ids[i])
		}
		results, err := p.Exec(ctx)
		cancel()
		if err != nil {
			w.errs = append(w.errs, err)
			continue
		}
		for i := range w.counters {
			if r := results[2*i]; r.Err == nil {
				w.acked[w.counters[i]]++
				if r.Value != w.acked[w.counters[i]] {
					w.errs = append(w.errs, fmt.Errorf("INCR %s returned %v, want %d", w.counters[i], r.Value, w.acked[w.counters[i]]))
				}
			} else {
				w.errs = append(w.errs, r.Err)
			}
			if r := results[2*i+1]; r.Err == nil {
				w.pushed[w.lists[i]] = append(w.pushed[w.lists[i]], ids[i])
			} else {
				w.errs = append(w.errs, r.Err)
			}
		}
	}
}

// verify reads every key back directly and compares it with the log.
func (w *loadWorker) verify(t *testing.T, c *redactor.Client) {
	t.Helper()
	ctx := testContext(t)
	p := c.Pipeline()
	for _, k := range w.counters {
		p.Do("GET", k)
	}
	for _, k := range w.lists {
		p.Do("LRANGE", k, "0", "-1")
	}
	results, err := p.Exec(ctx)
	require.NoError(t, err)
	for i, k := range w.counters {
		require.NoError(t, results[i].Err)
		assert.Equal(t, fmt.Sprint(w.acked[k]), results[i].Value, "counter %s", k)
	}
	for i, k := range w.lists {
		r := results[len(w.counters)+i]
		require.NoError(t, r.Err)
		var got []string
		for _, v := range r.Value.([]any) {
			got = append(got, v.(string))
		}
		assert.Equal(t, w.pushed[k], got, "list %s: nothing lost, nothing doubled, order kept", k)
	}
}

// runWorkersDuring runs four load workers (two of them serial), half of
// whose keys are in the slots hot, from before change until after it.
func runWorkersDuring(t *testing.T, c *redactor.Client, hot []int, change func()) []*loadWorker {
	var workers []*loadWorker
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := range 4 {
		w := newLoadWorker(c, fmt.Sprintf("%s:w%d", t.Name(), g), g%2 == 0, hot)
		workers = append(workers, w)
		wg.Go(func() { w.run(stop) })
	}
	time.Sleep(200 * time.Millisecond)
	change()
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	return workers
}

// verifyWorkers checks that no error reached the workers and that the
// cluster holds exactly what they were acknowledged; it returns the number
// of acknowledged INCRs.
func verifyWorkers(t *testing.T, c *redactor.Client, workers []*loadWorker) int {
	total := 0
	for _, w := range workers {
		assert.Empty(t, w.errs, "no error reaches the caller")
		for _, n := range w.acked {
			total += int(n)
		}
		w.verify(t, c)
	}
	return total
}

// TestLiveReshardingUnderLoad moves 1,000 slots from one master to another
// and back while four goroutines (two of them serial) run pipelines.
func TestLiveReshardingUnderLoad(t *testing.T) {
	lc, c := clusterAndClient(t, localcluster.Config{Masters: 3}, redactor.Config{})
	ctx := testContext(t)

	from, to := lc.Addrs()[0], lc.Addrs()[1]
	owned, err := lc.SlotsOf(ctx, from)
	require.NoError(t, err)
	hot := owned[:1000]

	events := countEvents(c)
	defer events.stop()
	var resharding time.Duration
	workers := runWorkersDuring(t, c, hot, func() {
		start := time.Now()
		require.NoError(t, lc.MoveSlots(ctx, hot, from, to))
		require.NoError(t, lc.MoveSlots(ctx, hot, to, from))
		resharding = time.Since(start)
	})
	loads, _, moved, asked := events.snapshot()
	total := verifyWorkers(t, c, workers)
	t.Logf("moved 1,000 slots there and back in %v under load: %d acknowledged INCRs, %d MOVED and %d ASK redirects, %d slot-map loads",
		resharding.Round(time.Millisecond), total, moved, asked, loads)
	assert.Positive(t, moved+asked, "the load ran into the resharding")
}

// TestTooManyRedirects sets a slot MIGRATING on its master towards a node
// that is not importing it: the master answers ASK, the target answers
// MOVED back, forever. Each command stops after MaxRedirects with
// ErrTooManyRedirects, and the ping-pong causes no refresh storm.
func TestTooManyRedirects(t *testing.T) {
	s := newSlotScenario(t, redactor.Config{MaxRedirects: 3})
	ctx, lc, c, tag, slot, from, to := testContext(t), s.lc, s.c, s.tag, s.slot, s.from, s.to
	r := dialDirect(t, from).pipeline(t, [][]string{{"CLUSTER", "SETSLOT", fmt.Sprint(slot), "MIGRATING", masterID(t, lc, to)}})
	require.NoError(t, r[0].Err)

	events := countEvents(c)
	defer events.stop()
	p := c.Pipeline()
	p.Do("GET", tag+"missing")
	p.Do("SET", tag+"new", "v")
	p.Do("PING")
	results, err := p.Exec(ctx)
	require.NoError(t, err)
	for i := range 2 {
		assert.ErrorIs(t, results[i].Err, redactor.ErrTooManyRedirects, "command %d", i)
		var redisErr *redactor.RedisError
		assert.ErrorAs(t, results[i].Err, &redisErr, "the last redirect is kept")
	}
	assert.Equal(t, redactor.Result{Value: "PONG"}, results[2])
	time.Sleep(300 * time.Millisecond)
	loads, _, _, _ := events.snapshot()
	assert.LessOrEqual(t, loads, 2)
}

// TestPeriodicRefresh moves a slot behind the client's back: with
// RefreshInterval set, the client learns it without running any command.
func TestPeriodicRefresh(t *testing.T) {
	lc, c := clusterAndClient(t, localcluster.Config{Masters: 3}, redactor.Config{RefreshInterval: 100 * time.Millisecond})
	ctx := testContext(t)
	events := countEvents(c)
	defer events.stop()

	from, to := lc.Addrs()[0], lc.Addrs()[1]
	owned, err := lc.SlotsOf(ctx, from)
	require.NoError(t, err)
	require.NoError(t, lc.MoveSlots(ctx, owned[:1], from, to))
	require.Eventually(t, func() bool {
		_, changes, _, _ := events.snapshot()
		return changes >= 1
	}, 5*time.Second, 20*time.Millisecond, "a periodic load picked up the moved slot")
	_, _, moved, _ := events.snapshot()
	assert.Zero(t, moved, "no command was redirected")
}

// TestRedirectWithoutHost runs a cluster whose nodes announce no endpoint
// (cluster-preferred-endpoint-type unknown-endpoint): a MOVED then names
// only a port ("MOVED 42 :7001"), meaning the host the client asked. The
// client follows it there, for a single command and for a pipeline, and
// an ASK the same way.
func TestRedirectWithoutHost(t *testing.T) {
	lc, c := clusterAndClient(t, localcluster.Config{Masters: 3,
		ServerArgs: []string{"--cluster-preferred-endpoint-type", "unknown-endpoint"}}, redactor.Config{})
	ctx := testContext(t)
	from, to := lc.Addrs()[0], lc.Addrs()[1]
	owned, err := lc.SlotsOf(ctx, from)
	require.NoError(t, err)
	keys := append(keysInSlots(t.Name(), owned[:1], 1), keysInSlots(t.Name(), owned[1:2], 1)...)
	keys = append(keys, keysInSlots(t.Name(), owned[2:3], 1)...)
	for _, k := range keys {
		require.NoError(t, c.Do(ctx, "SET", k, "v:"+k).Err)
	}
	var (
		mu        sync.Mutex
		redirects []string // the addresses the client's redirect events name
	)
	obs := redactor.Observe(c, func(e redactor.Event) {
		if r, ok := e.Payload.(*actors.Redirected); ok {
			mu.Lock()
			defer mu.Unlock()
			for _, m := range r.Moved {
				redirects = append(redirects, m.Addr)
			}
			redirects = append(redirects, r.Asked...)
		}
	})
	defer obs.Stop()

	// MOVED: the client's map is stale for the keys' slots.
	slots := []int{int(topology.Slot(keys[0])), int(topology.Slot(keys[1]))}
	require.NoError(t, lc.MoveSlots(ctx, slots, from, to))
	_, port, _ := strings.Cut(to, ":")
	require.ErrorContains(t, lc.Do(ctx, from, nil, "GET", keys[0]), fmt.Sprintf("MOVED %d :%s", slots[0], port),
		"the node names no host in its redirect")
	r := c.Do(ctx, "GET", keys[0])
	require.NoError(t, r.Err)
	assert.Equal(t, "v:"+keys[0], r.Value)
	p := c.Pipeline()
	p.Do("GET", keys[1])
	p.Do("SET", keys[1], "again")
	p.Do("GET", keys[1])
	results, err := p.Exec(ctx)
	require.NoError(t, err)
	assert.Equal(t, []redactor.Result{{Value: "v:" + keys[1]}, {Value: "OK"}, {Value: "again"}}, results)

	// ASK: the third key's slot is migrating, the key already moved.
	slot := int(topology.Slot(keys[2]))
	require.NoError(t, lc.BeginMigration(ctx, slot, from, to))
	require.NoError(t, lc.MigrateKeys(ctx, slot, from, to))
	r = c.Do(ctx, "GET", keys[2])
	require.NoError(t, r.Err)
	assert.Equal(t, "v:"+keys[2], r.Value)
	require.NoError(t, lc.FinishMigration(ctx, slot, from, to))
	assert.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(redirects) >= 2
	}, 5*time.Second, 10*time.Millisecond, "no redirect events")
	mu.Lock()
	defer mu.Unlock()
	for _, addr := range redirects {
		assert.Equal(t, to, addr, "a redirect was followed to another address than the node's")
	}
	for _, n := range c.Nodes() {
		assert.NotEmpty(t, strings.Split(n.Addr, ":")[0], "a node without a host: %s", n.Addr)
	}
}
