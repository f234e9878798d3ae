package localcluster

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// moveSlotsBudget is how long moving 1,000 mostly empty slots may take, with
// -race on a 2-core machine; it takes a few hundred ms.
const moveSlotsBudget = 3 * time.Second

// assertShardsAgree checks that every live node has the same CLUSTER SHARDS
// slot map.
func assertShardsAgree(t *testing.T, c *Cluster) {
	t.Helper()
	var first []string
	for i, n := range c.Nodes() {
		if n.Killed {
			continue
		}
		got := shards(t, n.Addr)
		if first == nil {
			first = got
			continue
		}
		assert.Equal(t, first, got, "CLUSTER SHARDS of node %d (%s) differs from the first", i, n.Addr)
	}
}

// assertKeysOn checks with one pipeline that addr serves every key, without
// redirection, with the value "v:<key>".
func assertKeysOn(t *testing.T, addr string, keys []string) {
	t.Helper()
	rcvs := make([]any, len(keys))
	cmds := make([][]string, len(keys))
	vals := make([]string, len(keys))
	for i, k := range keys {
		rcvs[i], cmds[i] = &vals[i], []string{"GET", k}
	}
	pipelineDo(t, addr, rcvs, cmds)
	for i, k := range keys {
		assert.Equal(t, "v:"+k, vals[i], "GET %s on %s", k, addr)
	}
}

// load reads the data keys and increments the counters through redirectors
// until stop is closed, counting the INCRs that succeeded.
type load struct {
	t        *testing.T
	data     map[int][]string // slot -> keys holding "v:<key>"
	counters map[int]string   // slot -> counter key
	seed     string

	wg   sync.WaitGroup
	stop chan struct{}
	mu   sync.Mutex
	incr map[string]int
	redirects
}

// redirects sums the redirections the load's clients followed.
type redirects struct{ moved, ask, tryAgain int }

// start runs one reader and one writer goroutine.
func (l *load) start() {
	l.stop, l.incr = make(chan struct{}), map[string]int{}
	l.wg.Go(func() { l.run(l.read, slices.Sorted(maps.Keys(l.data))) })
	l.wg.Go(func() { l.run(l.write, slices.Sorted(maps.Keys(l.counters))) })
}

// run calls op with a fresh redirector on the slots in turn until stop is
// closed (at most 1e6 times), then adds up its redirections.
func (l *load) run(op func(ctx context.Context, r *redirector, slot, i int) error, slots []int) {
	ctx, cancel := context.WithTimeout(l.t.Context(), time.Minute)
	defer cancel()
	r := newRedirector(l.seed)
	defer func() {
		r.close()
		l.mu.Lock()
		l.moved, l.ask, l.tryAgain = l.moved+r.moved, l.ask+r.ask, l.tryAgain+r.tryAgains
		l.mu.Unlock()
	}()
	for i := range 1_000_000 {
		select {
		case <-l.stop:
			return
		default:
		}
		if !assert.NoError(l.t, op(ctx, r, slots[i%len(slots)], i)) {
			return
		}
	}
}

// read GETs a data key of slot and checks its value.
func (l *load) read(ctx context.Context, r *redirector, slot, i int) error {
	keys := l.data[slot]
	k := keys[i%len(keys)]
	var v string
	if err := r.do(ctx, slot, &v, "GET", k); err != nil {
		return err
	}
	assert.Equal(l.t, "v:"+k, v, "GET %s", k)
	return nil
}

// write INCRs the counter of slot.
func (l *load) write(ctx context.Context, r *redirector, slot, _ int) error {
	k := l.counters[slot]
	if err := r.do(ctx, slot, nil, "INCR", k); err != nil {
		return err
	}
	l.mu.Lock()
	l.incr[k]++
	l.mu.Unlock()
	return nil
}

// finish stops the goroutines and waits for them.
func (l *load) finish() {
	close(l.stop)
	l.wg.Wait()
}

func TestMoveSlots(t *testing.T) {
	t.Parallel()
	c := StartT(t, Config{Masters: 3})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	addrs := c.Addrs()
	a, b := addrs[0], addrs[1]

	slots := make([]int, 1000)
	for i := range slots {
		slots[i] = i
	}
	owned, err := c.SlotsOf(ctx, a)
	require.NoError(t, err)
	require.Equal(t, slots, owned[:len(slots)])

	// Two data keys in every slot, written to a, and a counter in every
	// tenth slot.
	keysBySlot := keysInSlots(slots, 3)
	data := make(map[int][]string, len(slots))
	counters := map[int]string{}
	var keys []string
	for _, s := range slots {
		data[s] = keysBySlot[s][:2]
		keys = append(keys, data[s]...)
		if s%10 == 0 {
			counters[s] = keysBySlot[s][2]
		}
	}
	rcvs := make([]any, len(keys))
	cmds := make([][]string, len(keys))
	for i, k := range keys {
		cmds[i] = []string{"SET", k, "v:" + k}
	}
	pipelineDo(t, a, rcvs, cmds)

	// a -> b, idle.
	begin := time.Now()
	require.NoError(t, c.MoveSlots(ctx, slots, a, b))
	took := time.Since(begin)
	t.Logf("MoveSlots of %d slots with %d keys, idle: %s", len(slots), len(keys), took)
	assert.Less(t, took, moveSlotsBudget)
	require.NoError(t, c.WaitHealthy(ctx))
	assertShardsAgree(t, c)
	assertKeysOn(t, b, keys)
	for _, s := range []int{0, 999} {
		owner, err := c.SlotOwner(ctx, s)
		require.NoError(t, err)
		assert.Equal(t, b, owner, "owner of slot %d", s)
	}
	owner, err := c.SlotOwner(ctx, 1000)
	require.NoError(t, err)
	assert.Equal(t, a, owner, "owner of slot 1000")
	ofB, err := c.SlotsOf(ctx, b)
	require.NoError(t, err)
	assert.Subset(t, ofB, slots)
	ofA, err := c.SlotsOf(ctx, a)
	require.NoError(t, err)
	assert.NotContains(t, ofA, 0)
	assert.Equal(t, 1000, ofA[0])
	err = try(t, dial(t, a), nil, "GET", keys[0])
	kind, target, ok := redirection(err)
	require.True(t, ok, "GET on the old owner: %v", err)
	assert.Equal(t, "MOVED", kind)
	assert.Equal(t, b, target)
	assert.Equal(t, []string{b, a, addrs[2]}, c.Addrs(), "b owns the first slots now")

	// b -> a, with a reader and a writer going through the slots.
	l := &load{t: t, data: data, counters: counters, seed: b}
	l.start()
	time.Sleep(100 * time.Millisecond)
	begin = time.Now()
	require.NoError(t, c.MoveSlots(ctx, slots, b, a))
	took = time.Since(begin)
	time.Sleep(100 * time.Millisecond)
	l.finish()
	t.Logf("MoveSlots of %d slots with %d keys, under load: %s; clients followed %d MOVED, %d ASK, %d TRYAGAIN",
		len(slots), len(keys)+len(counters), took, l.moved, l.ask, l.tryAgain)
	assert.Positive(t, l.moved, "the clients were redirected")
	require.NoError(t, c.WaitHealthy(ctx))
	assertShardsAgree(t, c)
	assertKeysOn(t, a, keys)
	assert.Equal(t, addrs, c.Addrs())

	// No INCR was lost or applied twice.
	var counterKeys []string
	for _, k := range counters {
		counterKeys = append(counterKeys, k)
	}
	slices.Sort(counterKeys)
	vals := make([]string, len(counterKeys))
	rcvs, cmds = make([]any, len(counterKeys)), make([][]string, len(counterKeys))
	for i, k := range counterKeys {
		rcvs[i], cmds[i] = &vals[i], []string{"GET", k}
	}
	pipelineDo(t, a, rcvs, cmds)
	total := 0
	for i, k := range counterKeys {
		want := l.incr[k]
		total += want
		if want == 0 {
			assert.Empty(t, vals[i], "counter %s", k)
			continue
		}
		assert.Equal(t, strconv.Itoa(want), vals[i], "counter %s", k)
	}
	assert.Positive(t, total, "the writer wrote")
}

func TestMigrationRedirects(t *testing.T) {
	t.Parallel()
	c := StartT(t, Config{Masters: 3})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	a, b := c.Addrs()[0], c.Addrs()[1]
	const slot = 100
	ks := keysInSlots([]int{slot}, 3)[slot]
	k1, k2, k3 := ks[0], ks[1], ks[2]
	connA, connB := dial(t, a), dial(t, b)
	for _, k := range []string{k1, k2} {
		require.NoError(t, try(t, connA, nil, "SET", k, "v:"+k))
	}
	redirectedTo := func(t *testing.T, err error, wantKind, wantAddr string) {
		t.Helper()
		kind, addr, ok := redirection(err)
		if assert.True(t, ok, "want %s %s, got %v", wantKind, wantAddr, err) {
			assert.Equal(t, wantKind, kind, err)
			assert.Equal(t, wantAddr, addr, err)
		}
	}
	var v string

	require.NoError(t, c.BeginMigration(ctx, slot, a, b))
	// Move k1 only, as MigrateKeys would in its first round.
	var reply string
	require.NoError(t, try(t, connA, &reply, "MIGRATE", "127.0.0.1", strconv.Itoa(c.mustNode(t, b).Port), k1, "0", "2000"))
	require.Equal(t, "OK", reply)

	t.Run("moved key: ASK from the source", func(t *testing.T) {
		redirectedTo(t, try(t, connA, &v, "GET", k1), "ASK", b)
	})
	t.Run("moved key: served by the target after ASKING", func(t *testing.T) {
		require.NoError(t, tryAsking(t, connB, &v, "GET", k1))
		assert.Equal(t, "v:"+k1, v)
	})
	t.Run("moved key: MOVED from the target without ASKING", func(t *testing.T) {
		redirectedTo(t, try(t, connB, &v, "GET", k1), "MOVED", a)
	})
	t.Run("key not moved yet: served by the source", func(t *testing.T) {
		require.NoError(t, try(t, connA, &v, "GET", k2))
		assert.Equal(t, "v:"+k2, v)
	})
	t.Run("multi-key over moved and unmoved keys: TRYAGAIN", func(t *testing.T) {
		err := try(t, connA, nil, "MGET", k1, k2)
		assert.True(t, isTryAgain(err), "MGET: %v", err)
	})
	t.Run("new key: ASK from the source", func(t *testing.T) {
		redirectedTo(t, try(t, connA, nil, "SET", k3, "v:"+k3), "ASK", b)
		require.NoError(t, tryAsking(t, connB, nil, "SET", k3, "v:"+k3))
	})

	require.NoError(t, c.MigrateKeys(ctx, slot, a, b))
	var left []string
	require.NoError(t, try(t, connA, &left, "CLUSTER", "GETKEYSINSLOT", strconv.Itoa(slot), "10"))
	assert.Empty(t, left, "keys left on the source")
	redirectedTo(t, try(t, connA, &v, "GET", k2), "ASK", b)
	owner, err := c.SlotOwner(ctx, slot)
	require.NoError(t, err)
	assert.Equal(t, a, owner, "owner before FinishMigration")

	require.NoError(t, c.FinishMigration(ctx, slot, a, b))
	for _, k := range ks {
		redirectedTo(t, try(t, connA, &v, "GET", k), "MOVED", b)
		require.NoError(t, try(t, connB, &v, "GET", k))
		assert.Equal(t, "v:"+k, v)
	}
	redirectedTo(t, try(t, dial(t, c.Addrs()[2]), &v, "GET", k1), "MOVED", b)
	owner, err = c.SlotOwner(ctx, slot)
	require.NoError(t, err)
	assert.Equal(t, b, owner, "owner after FinishMigration")
	require.NoError(t, c.WaitHealthy(ctx))
	assertShardsAgree(t, c)
}

func TestMigrateKeysErrors(t *testing.T) {
	t.Parallel()
	c := StartT(t, Config{Masters: 3})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	a, b := c.Addrs()[0], c.Addrs()[1]

	for _, tt := range []struct {
		name     string
		slot     int
		from, to string
		wantErr  error
	}{
		{name: "negative slot", slot: -1, from: a, to: b, wantErr: ErrInvalidSlot},
		{name: "slot too large", slot: maxSlots, from: a, to: b, wantErr: ErrInvalidSlot},
		{name: "unknown source", slot: 1, from: "127.0.0.1:1", to: b, wantErr: ErrUnknownNode},
		{name: "unknown target", slot: 1, from: a, to: "127.0.0.1:1", wantErr: ErrUnknownNode},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assert.ErrorIs(t, c.BeginMigration(ctx, tt.slot, tt.from, tt.to), tt.wantErr)
			assert.ErrorIs(t, c.MigrateKeys(ctx, tt.slot, tt.from, tt.to), tt.wantErr)
			assert.ErrorIs(t, c.FinishMigration(ctx, tt.slot, tt.from, tt.to), tt.wantErr)
			assert.ErrorIs(t, c.MoveSlots(ctx, []int{tt.slot}, tt.from, tt.to), tt.wantErr)
		})
	}
	assert.Error(t, c.MoveSlots(ctx, []int{1}, a, a), "move to itself")
	_, err := c.SlotOwner(ctx, maxSlots)
	assert.ErrorIs(t, err, ErrInvalidSlot)
	_, err = c.SlotsOf(ctx, "127.0.0.1:1")
	assert.ErrorIs(t, err, ErrUnknownNode)

	const slot = 200
	k := keysInSlots([]int{slot}, 1)[slot][0]
	connA, connB := dial(t, a), dial(t, b)
	require.NoError(t, try(t, connA, nil, "SET", k, "source"))
	require.NoError(t, c.BeginMigration(ctx, slot, a, b))
	require.NoError(t, tryAsking(t, connB, nil, "SET", k, "target"))

	err = c.MigrateKeys(ctx, slot, a, b)
	require.ErrorIs(t, err, ErrBusyKey)
	assert.ErrorContains(t, err, "BUSYKEY")
	var v string
	require.NoError(t, try(t, connA, &v, "GET", k))
	assert.Equal(t, "source", v, "the source keeps its key")
	require.NoError(t, tryAsking(t, connB, &v, "GET", k))
	assert.Equal(t, "target", v, "the target's key is not replaced")
	err = c.MoveSlots(ctx, []int{slot}, a, b)
	assert.ErrorIs(t, err, ErrBusyKey)

	require.NoError(t, c.Kill(b))
	err = c.MigrateKeys(ctx, slot, a, b)
	require.ErrorIs(t, err, ErrMigrateIO)
	assert.ErrorContains(t, err, "IOERR")
}

// mustNode returns the node at addr.
func (c *Cluster) mustNode(t *testing.T, addr string) Node {
	t.Helper()
	i := slices.IndexFunc(c.Nodes(), func(n Node) bool { return n.Addr == addr })
	require.GreaterOrEqual(t, i, 0, "no node %s", addr)
	return c.Nodes()[i]
}
