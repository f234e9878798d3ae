package redactor_test

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/internal/localcluster"
	"github.com/redactor-go/redactor/topology"
)

// Scans of clusters of their own, which change under the scan.

// slotsWithKeys returns up to n slots of owned that hold keys, and their
// keys.
func slotsWithKeys(owned []int, bySlot map[int][]string, n int) (slots []int, keys []string) {
	for _, s := range owned {
		if len(bySlot[s]) > 0 && len(slots) < n {
			slots = append(slots, s)
			keys = append(keys, bySlot[s]...)
		}
	}
	return slots, keys
}

// TestScanWhileSlotsMove moves slots that hold keys while a scan runs, at
// points the test picks. Every key is returned, though keys leave the
// master being scanned and come back while its SCAN advances (on a by an
// aborted migration, which changes no config epoch; on b by two moves),
// keys leave the master being scanned for one not scanned yet, and keys go
// from a master not scanned yet to one scanned already (a scan that visits
// each master once misses those).
func TestScanWhileSlotsMove(t *testing.T) {
	lc, c := clusterAndClient(t, localcluster.Config{Masters: 3}, redactor.Config{})
	ctx := testContext(t)
	keys := keysFor(t, 5000)
	setKeys(t, ctx, c, keys)
	addrs := lc.Addrs()
	require.Len(t, addrs, 3)
	a, b, cc := addrs[0], addrs[1], addrs[2]
	owned := map[string][]int{}
	ownerOf := map[int]string{}
	for _, addr := range addrs {
		slots, err := lc.SlotsOf(ctx, addr)
		require.NoError(t, err)
		owned[addr] = slots
		for _, s := range slots {
			ownerOf[s] = addr
		}
	}
	bySlot := bySlotOf(keys)
	aborted, abortedKeys := slotsWithKeys(owned[a], bySlot, 40)
	outAndBack, outAndBackKeys := slotsWithKeys(owned[b], bySlot, 40)
	intoScanned, intoScannedKeys := slotsWithKeys(owned[cc], bySlot, 40)
	outOfCurrent, outOfCurrentKeys := slotsWithKeys(owned[b][len(owned[b])/2:], bySlot, 40)
	t.Logf("moving %d+%d+%d+%d keys", len(abortedKeys), len(outAndBackKeys), len(intoScannedKeys), len(outOfCurrentKeys))

	seen := scanSeen{}
	it := c.Scan(redactor.ScanOptions{Match: t.Name() + ":*", Count: 20})
	first := seen.take(ctx, it, 200)
	require.Len(t, first, 200)
	for _, k := range first {
		require.Equal(t, a, ownerOf[int(topology.Slot(k))], "the scan starts with the master of slot 0")
	}

	// An aborted migration: keys go from a to b and back while a's SCAN
	// goes on, and the slots end stable on a. No config epoch changes.
	epoch := configEpoch(t, c, a)
	for _, s := range aborted {
		require.NoError(t, lc.BeginMigration(ctx, s, a, b))
		require.NoError(t, lc.MigrateKeys(ctx, s, a, b))
	}
	require.Len(t, seen.take(ctx, it, 600), 600)
	for _, s := range aborted {
		abortMigration(t, c, s, a, b)
	}
	require.Equal(t, epoch, configEpoch(t, c, a), "the aborted migration must leave a's config epoch alone")

	// Once the scan reached b: slots move from b to c and back while b's
	// SCAN goes on; slots of c, not scanned yet, go to a, scanned
	// already; slots of b leave it while it is scanned.
	reachedB := false
	for !reachedB && it.Next(ctx) {
		seen[it.Key()]++
		reachedB = ownerOf[int(topology.Slot(it.Key()))] == b
	}
	require.True(t, reachedB, "the scan reached %s: %v", b, it.Err())
	require.NoError(t, lc.MoveSlots(ctx, outAndBack, b, cc))
	require.Len(t, seen.take(ctx, it, 300), 300)
	require.NoError(t, lc.MoveSlots(ctx, outAndBack, cc, b))
	require.NoError(t, lc.MoveSlots(ctx, intoScanned, cc, a))
	require.NoError(t, lc.MoveSlots(ctx, outOfCurrent, b, cc))

	seen.drain(ctx, it)
	require.NoError(t, it.Err())
	dups := seen.check(t, keys)
	for _, k := range slices.Concat(abortedKeys, outAndBackKeys, intoScannedKeys, outOfCurrentKeys) {
		assert.Positive(t, seen[k], "moved key %q", k)
	}
	returned := 0
	for _, n := range seen {
		returned += n
	}
	t.Logf("%d keys: %d returned, %d of them more than once", len(keys), returned, dups)
}

// abortMigration ends the migration of slot from the master at from to b,
// whose keys all went to b already, by moving them back: the slot stays
// with from. As redis-cli --cluster fix does, it makes the slot stable on
// from, migrates the keys back from to (which serves them, importing, only
// after ASKING), and makes the slot stable on to.
func abortMigration(t *testing.T, c *redactor.Client, slot int, from, to string) {
	t.Helper()
	ctx := testContext(t)
	setSlot := func(addr string) {
		require.NoError(t, c.DoOn(ctx, addr, "CLUSTER", "SETSLOT", strconv.Itoa(slot), "STABLE").Err)
	}
	setSlot(from)
	r := c.DoOn(ctx, to, "CLUSTER", "GETKEYSINSLOT", strconv.Itoa(slot), "1000")
	require.NoError(t, r.Err)
	keys := r.Value.([]any)
	require.NotEmpty(t, keys)
	host, port, err := net.SplitHostPort(from)
	require.NoError(t, err)
	migrate := []string{"MIGRATE", host, port, "", "0", "5000", "KEYS"}
	for _, k := range keys {
		migrate = append(migrate, k.(string))
	}
	replies := dialDirect(t, to).pipeline(t, [][]string{{"ASKING"}, migrate})
	for _, reply := range replies {
		require.NoError(t, reply.Err)
	}
	setSlot(to)
}

// configEpoch returns the config epoch the node at addr has.
func configEpoch(t *testing.T, c *redactor.Client, addr string) uint64 {
	t.Helper()
	r := c.DoOn(testContext(t), addr, "CLUSTER", "NODES")
	require.NoError(t, r.Err)
	for line := range strings.Lines(r.Value.(string)) {
		if f := strings.Fields(line); len(f) > 7 && strings.Contains(f[2], "myself") {
			epoch, err := strconv.ParseUint(f[6], 10, 64)
			require.NoError(t, err)
			return epoch
		}
	}
	t.Fatalf("no myself line in the CLUSTER NODES of %s", addr)
	return 0
}

// TestScanDuringFailover kills the master being scanned: the scan goes on
// on its replica, promoted, and returns every key.
func TestScanDuringFailover(t *testing.T) {
	lc, c := clusterAndClient(t, localcluster.Config{Masters: 3, Replicas: 1}, redactor.Config{RetryTimeout: 5 * time.Second})
	ctx := testContext(t)
	keys := keysFor(t, 3000)
	setKeys(t, ctx, c, keys)
	// Every key must be on the replicas before a master dies.
	require.Eventually(t, func() bool {
		replicas := 0
		for _, n := range c.Nodes() {
			if !n.IsMaster() {
				replicas++
			}
			r := c.DoOn(ctx, n.Addr, "DBSIZE")
			if r.Err != nil {
				return false
			}
			m := c.DoOn(ctx, n.Master, "DBSIZE")
			if m.Err != nil || m.Value != r.Value {
				return false
			}
		}
		return replicas == 3
	}, 10*time.Second, 20*time.Millisecond)

	seen := scanSeen{}
	it := c.Scan(redactor.ScanOptions{Match: t.Name() + ":*", Count: 20})
	require.Len(t, seen.take(ctx, it, 200), 200)
	victim := lc.Addrs()[0]
	require.NoError(t, lc.Kill(victim))
	seen.drain(ctx, it)
	require.NoError(t, it.Err())
	dups := seen.check(t, keys)
	t.Logf("%d keys, %d returned more than once", len(keys), dups)
}

// TestScanWaitsForMigration: a slot left migrating holds the scan up until
// its ctx ends; once the migration finishes, the scan's cursor completes it.
func TestScanWaitsForMigration(t *testing.T) {
	lc, c := clusterAndClient(t, localcluster.Config{Masters: 3}, redactor.Config{})
	ctx := testContext(t)
	keys := keysFor(t, 1000)
	for i := range 50 { // 50 keys in the slot that will migrate
		keys = append(keys, fmt.Sprintf("%s:{tag}:%d", t.Name(), i))
	}
	setKeys(t, ctx, c, keys)
	slot := int(topology.Slot(keys[len(keys)-1]))
	from, err := lc.SlotOwner(ctx, slot)
	require.NoError(t, err)
	to := lc.Addrs()[0]
	if to == from {
		to = lc.Addrs()[1]
	}
	require.NoError(t, lc.BeginMigration(ctx, slot, from, to))

	seen := scanSeen{}
	short, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	defer cancel()
	start := time.Now()
	it := c.Scan(redactor.ScanOptions{Match: t.Name() + ":*"})
	seen.drain(short, it)
	assert.ErrorIs(t, it.Err(), context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 2500*time.Millisecond, "Next returns at the deadline")
	// Every key was returned, those of the migrating slot too, though
	// that slot is not done.
	for _, k := range keys {
		require.Positive(t, seen[k], "%q was not returned before the deadline", k)
	}

	require.NoError(t, lc.MigrateKeys(ctx, slot, from, to))
	require.NoError(t, lc.FinishMigration(ctx, slot, from, to))
	resumed := c.Scan(redactor.ScanOptions{Match: t.Name() + ":*", Cursor: it.Cursor()})
	again := scanSeen{}
	again.drain(ctx, resumed)
	require.NoError(t, resumed.Err())
	// Every other slot was done before the deadline.
	again.check(t, bySlotOf(keys)[slot])
	t.Logf("resumed scan returned the %d keys of slot %d", len(again), slot)
}

// bySlotOf groups keys by slot.
func bySlotOf(keys []string) map[int][]string {
	m := map[int][]string{}
	for _, k := range keys {
		s := int(topology.Slot(k))
		m[s] = append(m[s], k)
	}
	return m
}

// TestScanSkipsUnassignedSlots: slots that no node serves hold no key a
// client can read; the scan completes without them.
func TestScanSkipsUnassignedSlots(t *testing.T) {
	lc, c := clusterAndClient(t, localcluster.Config{Masters: 3}, redactor.Config{})
	ctx := testContext(t)
	var keys []string
	for _, k := range keysFor(t, 500) {
		if s := topology.Slot(k); s < 100 || s > 199 {
			keys = append(keys, k)
		}
	}
	setKeys(t, ctx, c, keys)
	for _, addr := range lc.Addrs() {
		require.NoError(t, c.DoOn(ctx, addr, "CLUSTER", "DELSLOTSRANGE", "100", "199").Err, addr)
	}
	seen := scanSeen{}
	it := c.Scan(redactor.ScanOptions{Match: t.Name() + ":*"})
	seen.drain(ctx, it)
	require.NoError(t, it.Err())
	seen.check(t, keys)
}
