package redactor_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/internal/localcluster"
	"github.com/redactor-go/redactor/resp"
	"github.com/redactor-go/redactor/topology"
)

// keyValues returns MSET's arguments for keys: each key and "v:<key>".
func keyValues(keys []string) []string {
	args := make([]string, 0, 2*len(keys))
	for _, k := range keys {
		args = append(args, k, "v:"+k)
	}
	return args
}

// distinctSlots counts the slots of keys.
func distinctSlots(keys []string) int {
	slots := map[uint16]bool{}
	for _, k := range keys {
		slots[topology.Slot(k)] = true
	}
	return len(slots)
}

// TestSplitMultiKeyCommandsInPipelines runs MSET, MGET, EXISTS, DEL, TOUCH
// and UNLINK over 1,000 keys in nearly as many slots, among other
// commands, in both modes, and checks each merged Result against what the
// masters hold, read key by key.
func TestSplitMultiKeyCommandsInPipelines(t *testing.T) {
	for _, parallel := range []bool{true, false} {
		t.Run(fmt.Sprint("parallel=", parallel), func(t *testing.T) {
			ctx := testContext(t)
			c := newClient(t, redactor.Config{})
			keys := keysFor(t, 1000)
			require.Greater(t, distinctSlots(keys), 900, "the keys span slots")
			missing := []string{t.Name() + ":missing:a", t.Name() + ":missing:b"}
			var deleted, kept []string
			for i, k := range keys {
				if i%2 == 1 {
					deleted = append(deleted, k)
				} else {
					kept = append(kept, k)
				}
			}
			before, counter := "{"+t.Name()+"}before", "{"+t.Name()+"}counter"

			p := c.Pipeline(redactor.WithParallel(parallel))
			p.Do("SET", before, "b")                                  // 0
			p.Do("MSET", keyValues(keys)...)                          // 1
			p.Do("INCR", counter)                                     // 2
			p.Do("MGET", append(slices.Clone(keys), missing...)...)   // 3
			p.Do("EXISTS", append(slices.Clone(keys), missing...)...) // 4
			p.Do("DEL", append(slices.Clone(deleted), missing...)...) // 5
			p.Do("PING")                                              // 6
			p.Do("MGET", keys...)                                     // 7
			p.Do("EXISTS", keys...)                                   // 8
			p.Do("TOUCH", keys...)                                    // 9
			p.Do("GET", before)                                       // 10
			results, err := p.Exec(ctx)
			require.NoError(t, err)
			require.Len(t, results, 11)
			for i, r := range results {
				require.NoError(t, r.Err, "command %d", i)
			}

			// The truth: every key read on its own master, directly.
			truth, owners := readBack(t, keys)
			assert.Len(t, owners, 3, "the keys cover every master")
			wantAfter := make([]any, len(keys))
			for i, k := range keys {
				if i%2 == 0 {
					wantAfter[i] = "v:" + k
				}
			}
			assert.Equal(t, wantAfter, truth, "what the masters hold")

			assert.Equal(t, redactor.Result{Value: "OK"}, results[0])
			assert.Equal(t, redactor.Result{Value: "OK"}, results[1])
			assert.Equal(t, redactor.Result{Value: int64(1)}, results[2])
			wantMGet := make([]any, 0, len(keys)+len(missing))
			for _, k := range keys {
				wantMGet = append(wantMGet, "v:"+k)
			}
			wantMGet = append(wantMGet, nil, nil)
			assert.Equal(t, wantMGet, results[3].Value, "MGET: every value in the caller's key order")
			assert.Equal(t, int64(len(keys)), results[4].Value, "EXISTS: the sum over the parts")
			assert.Equal(t, int64(len(deleted)), results[5].Value, "DEL: the sum over the parts")
			assert.Equal(t, "PONG", results[6].Value)
			assert.Equal(t, truth, results[7].Value, "MGET after DEL agrees with each key's GET")
			assert.Equal(t, int64(len(kept)), results[8].Value)
			assert.Equal(t, int64(len(kept)), results[9].Value)
			assert.Equal(t, "b", results[10].Value)

			// UNLINK the rest, and c.Do a split command: the caller's
			// goroutine does not take it for a prerouted one.
			r := c.Do(ctx, "MGET", kept[:200]...)
			require.NoError(t, r.Err)
			wantKept := make([]any, 200)
			for i := range wantKept {
				wantKept[i] = truth[2*i]
			}
			assert.Equal(t, wantKept, r.Value)
			r = c.Do(ctx, "UNLINK", append(slices.Clone(kept), before, counter)...)
			require.NoError(t, r.Err)
			assert.Equal(t, int64(len(kept)+2), r.Value)
			r = c.Do(ctx, "EXISTS", keys...)
			assert.Equal(t, redactor.Result{Value: int64(0)}, r)
		})
	}
}

// TestNeverSplit keeps ErrCrossSlot where splitting would break a promise:
// MSETNX (all or nothing), a WithTx pipeline and a raw MULTI block
// (atomic on one master), a command without a multi_shard tip.
func TestNeverSplit(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	a, b := t.Name()+":a", t.Name()+":b"
	require.NotEqual(t, topology.Slot(a), topology.Slot(b))

	r := c.Do(ctx, "MSETNX", a, "1", b, "2")
	assert.ErrorIs(t, r.Err, redactor.ErrCrossSlot)

	p := c.Pipeline(redactor.WithTx())
	p.Do("SET", a, "1")
	p.Do("MGET", a, b)
	results, err := p.Exec(ctx)
	assert.ErrorIs(t, err, redactor.ErrCrossSlot)
	assert.Nil(t, results)

	p = c.Pipeline()
	p.Do("MULTI")
	p.Do("DEL", a, b)
	p.Do("EXEC")
	p.Do("MSETNX", a, "1", b, "2")
	p.Do("SUNION", a, b)
	p.Do("MGET", a, b) // outside the block: split
	results, err = p.Exec(ctx)
	require.NoError(t, err)
	for i := range 5 {
		assert.ErrorIs(t, results[i].Err, redactor.ErrCrossSlot, "command %d", i)
	}
	assert.Equal(t, redactor.Result{Value: []any{nil, nil}}, results[5])
	assert.Equal(t, redactor.Result{Value: int64(0)}, c.Do(ctx, "EXISTS", a, b), "nothing ran")

	// The zero policy turns splitting off.
	off := newClient(t, redactor.Config{CommandPolicies: map[string]resp.Policy{"mget": {}}})
	assert.ErrorIs(t, off.Do(ctx, "MGET", a, b).Err, redactor.ErrCrossSlot)
	assert.Equal(t, redactor.Result{Value: int64(0)}, off.Do(ctx, "DEL", a, b), "only MGET")
}

// TestSplitPartRefused makes one master refuse writes (maxmemory 1, so
// every denyoom command gets OOM): an MSET across all masters fails with
// the error of each refused part, naming its keys, while the other parts
// ran: a split command is not atomic.
func TestSplitPartRefused(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	victim := cluster.Addrs()[0]
	require.NoError(t, c.DoOn(ctx, victim, "CONFIG", "SET", "maxmemory", "1").Err)
	t.Cleanup(func() {
		require.NoError(t, c.DoOn(context.Background(), victim, "CONFIG", "SET", "maxmemory", "0").Err)
	})
	keys := keysFor(t, 30)
	var refused []string
	for _, k := range keys {
		if ownerIn(t, cluster, k) == victim {
			refused = append(refused, k)
		}
	}
	require.NotEmpty(t, refused)
	require.Less(t, len(refused), len(keys))

	p := c.Pipeline()
	p.Do("MSET", keyValues(keys)...)
	p.Do("GET", keys[0])
	results, err := p.Exec(ctx)
	require.NoError(t, err)
	r := results[0]
	assert.Nil(t, r.Value)
	var redisErr *redactor.RedisError
	require.ErrorAs(t, r.Err, &redisErr, "the part's own error is wrapped")
	assert.Equal(t, "OOM", redisErr.Prefix())
	for _, k := range refused {
		assert.ErrorContains(t, r.Err, "redactor: MSET part of keys ["+k+"]: OOM")
	}
	assert.Equal(t, len(refused), strings.Count(r.Err.Error(), "MSET part of keys"), "one error per refused part, none for the others")

	truth, _ := readBack(t, keys)
	for i, k := range keys {
		if ownerIn(t, cluster, k) == victim {
			assert.Nil(t, truth[i], "%s: its part was refused", k)
		} else {
			assert.Equal(t, "v:"+k, truth[i], "%s: its part ran", k)
		}
	}
}

// TestSplitPartUnknownOutcome cuts a master's connection right after a DEL
// part went out: the merged DEL's outcome is unknown (no partial count),
// and its error names the keys of that part.
func TestSplitPartUnknownOutcome(t *testing.T) {
	pc := startProxiedCluster(t, localcluster.Config{Masters: 3})
	ctx := testContext(t)
	seed := pc.proxyOf(t, pc.Addrs()[0]).Addr()
	c, err := redactor.New(ctx, redactor.Config{Addrs: []string{seed}})
	require.NoError(t, err)
	defer c.Close()

	keys := keysFor(t, 30)
	require.NoError(t, c.Do(ctx, "MSET", keyValues(keys)...).Err, "connects to every master")
	victim := ownerIn(t, pc.Cluster, keys[0])
	pc.proxyOf(t, victim).CutAfterRequest()
	r := c.Do(ctx, "DEL", keys...)
	assert.Nil(t, r.Value, "a partial count is not the command's")
	assert.ErrorIs(t, r.Err, redactor.ErrUnknownOutcome)
	assert.ErrorContains(t, r.Err, "redactor: DEL part of keys [")

	// An MGET part is read-only: it is re-sent after the cut.
	pc.proxyOf(t, victim).CutAfterRequest()
	r = c.Do(ctx, "MGET", keys...)
	require.NoError(t, r.Err)
	assert.Equal(t, make([]any, len(keys)), r.Value, "every DEL part ran")
}

// TestSplitPartUnreachable kills a master without replica: the parts of
// its keys are retried inside the caller's deadline, then fail with
// ErrNodeUnreachable, named by their keys.
func TestSplitPartUnreachable(t *testing.T) {
	// The retries of the unreachable master end after RetryTimeout, well
	// before the caller's deadline.
	lc, c := clusterAndClient(t, localcluster.Config{Masters: 3}, redactor.Config{RetryTimeout: 300 * time.Millisecond})
	keys := keysFor(t, 30)
	require.NoError(t, c.Do(testContext(t), "MSET", keyValues(keys)...).Err)
	victim := ownerIn(t, lc, keys[0])
	require.NoError(t, lc.Kill(victim))
	// Let the client's reader see its connection end, as it does within
	// moments: a command written in that instant would rightly get
	// ErrUnknownOutcome instead of being known unsent.
	time.Sleep(50 * time.Millisecond)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p := c.Pipeline()
	p.Do("MGET", keys...)
	p.Do("DEL", keys...)
	results, err := p.Exec(ctx)
	require.NoError(t, err, "the pipeline returns before the deadline")
	for i, name := range []string{"MGET", "DEL"} {
		r := results[i]
		assert.Nil(t, r.Value, name)
		assert.ErrorIs(t, r.Err, redactor.ErrNodeUnreachable, name)
		assert.ErrorIs(t, r.Err, redactor.ErrNotSent, name)
		assert.ErrorContains(t, r.Err, "redactor: "+name+" part of keys ["+keys[0], name)
	}
}

// TestSplitPartsFollowRedirects runs split commands while slots move
// behind the client's back (MOVED) and while one migrates (ASK): each part
// follows its own redirect.
func TestSplitPartsFollowRedirects(t *testing.T) {
	lc, c := clusterAndClient(t, localcluster.Config{Masters: 3}, redactor.Config{})
	ctx := testContext(t)
	keys := keysFor(t, 300)
	require.NoError(t, c.Do(ctx, "MSET", keyValues(keys)...).Err)
	values := func() []any {
		out := make([]any, len(keys))
		for i, k := range keys {
			out[i] = "v:" + k
		}
		return out
	}()

	// MOVED: every slot of our keys that the first master serves moves to
	// the second; the client's map is stale.
	from, to := lc.Addrs()[0], lc.Addrs()[1]
	var moved []int
	for _, k := range keys {
		if ownerIn(t, lc, k) == from {
			moved = append(moved, int(topology.Slot(k)))
		}
	}
	require.NotEmpty(t, moved)
	require.NoError(t, lc.MoveSlots(ctx, moved, from, to))
	events := countEvents(c)
	defer events.stop()
	for _, parallel := range []bool{true, false} {
		p := c.Pipeline(redactor.WithParallel(parallel))
		p.Do("MGET", keys...)
		p.Do("EXISTS", keys...)
		results, err := p.Exec(ctx)
		require.NoError(t, err)
		assert.Equal(t, redactor.Result{Value: values}, results[0], "parallel=%v", parallel)
		assert.Equal(t, redactor.Result{Value: int64(len(keys))}, results[1], "parallel=%v", parallel)
	}
	// Events reach observers asynchronously.
	assert.Eventually(t, func() bool {
		_, _, movedSlots, _ := events.snapshot()
		return movedSlots >= 1
	}, 5*time.Second, 10*time.Millisecond, "parts were redirected by MOVED")

	// ASK: one key's slot is migrating, its key already on the target.
	key := keys[0]
	slot := int(topology.Slot(key))
	src, err := lc.SlotOwner(ctx, slot)
	require.NoError(t, err)
	dst := lc.Addrs()[0]
	if dst == src {
		dst = lc.Addrs()[2]
	}
	require.NoError(t, lc.BeginMigration(ctx, slot, src, dst))
	require.NoError(t, lc.MigrateKeys(ctx, slot, src, dst))
	p := c.Pipeline()
	p.Do("MGET", keys...)
	p.Do("DEL", keys[0], keys[1], keys[2])
	p.Do("EXISTS", keys...)
	results, err := p.Exec(ctx)
	require.NoError(t, err)
	assert.Equal(t, redactor.Result{Value: values}, results[0])
	assert.Equal(t, redactor.Result{Value: int64(3)}, results[1], "the migrated key was deleted on the target")
	assert.Equal(t, redactor.Result{Value: int64(len(keys) - 3)}, results[2])
	assert.Eventually(t, func() bool {
		_, _, _, asked := events.snapshot()
		return asked > 0
	}, 5*time.Second, 10*time.Millisecond, "a part followed ASK")
	require.NoError(t, lc.FinishMigration(ctx, slot, src, dst))
	direct := dialDirect(t, dst).pipeline(t, [][]string{{"EXISTS", key}})
	require.NoError(t, direct[0].Err)
	assert.Equal(t, int64(0), direct[0].Value)
}
