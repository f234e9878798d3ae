package redactortest

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/topology"
)

// testContext returns a context that ends with the test, or after a minute.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// newClient returns a client of rc, closed when the test ends.
func newClient(t *testing.T, rc *Cluster) *redactor.Client {
	t.Helper()
	c, err := redactor.New(testContext(t), rc.Config())
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// keyOn returns a key whose slot the master at addr serves.
func keyOn(t *testing.T, rc *Cluster, addr string) string {
	t.Helper()
	slots, err := rc.SlotsOf(testContext(t), addr)
	require.NoError(t, err)
	require.NotEmpty(t, slots)
	for i := 0; ; i++ {
		k := "redactortest:" + strconv.Itoa(i)
		if _, ok := slices.BinarySearch(slots, int(topology.Slot(k))); ok {
			return k
		}
	}
}

func TestStartWithReplicas(t *testing.T) {
	t.Parallel()
	rc := StartT(t, Options{Masters: 3, Replicas: 1})

	nodes := rc.Nodes()
	require.Len(t, nodes, 6)
	var masters []string
	for _, n := range nodes {
		assert.False(t, n.Killed)
		if n.IsMaster() {
			masters = append(masters, n.Addr)
		}
	}
	assert.Equal(t, masters, rc.Addrs(), "Addrs are the masters, in slot order")
	for _, m := range masters {
		replicas := rc.ReplicasOf(m)
		require.Len(t, replicas, 1, "replicas of %s", m)
		assert.NotContains(t, masters, replicas[0])
	}
	assert.Empty(t, rc.ReplicasOf(rc.ReplicasOf(masters[0])[0]), "a replica has no replicas")

	// The client sees the same layout.
	c := newClient(t, rc)
	var fromClient []Node
	for _, n := range c.Nodes() {
		fromClient = append(fromClient, Node{Addr: n.Addr, Master: n.Master})
	}
	assert.ElementsMatch(t, nodes, fromClient)

	ctx := testContext(t)
	require.NoError(t, c.Do(ctx, "SET", "greeting", "hello").Err)
	v, err := c.Do(ctx, "GET", "greeting").Text()
	require.NoError(t, err)
	assert.Equal(t, "hello", v)
}

func TestConfig(t *testing.T) {
	t.Parallel()
	rc := StartT(t, Options{Masters: 1, Password: "s3cret"})
	ctx := testContext(t)

	cfg := rc.Config()
	assert.Equal(t, rc.Addrs(), cfg.Addrs)
	assert.Equal(t, "s3cret", cfg.Password)
	cfg.Addrs[0] = "changed"
	assert.NotEqual(t, "changed", rc.Addrs()[0], "Config returns a copy")

	c := newClient(t, rc)
	assert.Equal(t, "PONG", c.Do(ctx, "PING").Value)

	_, err := redactor.New(ctx, redactor.Config{Addrs: rc.Addrs()})
	assert.ErrorIs(t, err, redactor.ErrAuth, "the nodes require the password")
}

func TestInvalidOptions(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		opts Options
	}{
		{name: "negative masters", opts: Options{Masters: -1}},
		{name: "negative replicas", opts: Options{Replicas: -1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rc, err := Start(t.Context(), tt.opts)
			assert.Error(t, err)
			assert.Nil(t, rc)
		})
	}
}

func TestKillMaster(t *testing.T) {
	t.Parallel()
	rc := StartT(t, Options{Masters: 3, Replicas: 1})
	ctx := testContext(t)
	c := newClient(t, rc)

	assert.ErrorIs(t, rc.Kill("127.0.0.1:1"), ErrUnknownNode)
	victim := rc.Addrs()[0]
	heir := rc.ReplicasOf(victim)[0]
	k := keyOn(t, rc, victim)

	require.NoError(t, rc.Kill(victim))
	require.NoError(t, rc.Kill(victim), "a second Kill is a no-op")
	require.NoError(t, rc.WaitHealthy(ctx))

	assert.Equal(t, heir, rc.Addrs()[0], "the replica took over the first slots")
	assert.NotContains(t, rc.Addrs(), victim)
	i := slices.IndexFunc(rc.Nodes(), func(n Node) bool { return n.Addr == victim })
	assert.True(t, rc.Nodes()[i].Killed)
	assert.Empty(t, rc.ReplicasOf(heir), "the killed master is no replica")

	// The client finds the new master.
	require.NoError(t, c.Do(ctx, "SET", k, "after").Err)
	owner, err := rc.SlotOwner(ctx, int(topology.Slot(k)))
	require.NoError(t, err)
	assert.Equal(t, heir, owner)
}

// TestPauseResume stalls a master: a command for it waits until its
// deadline while the others' are served, and it answers again after Resume.
func TestPauseResume(t *testing.T) {
	t.Parallel()
	rc := StartT(t, Options{Masters: 3, ServerArgs: []string{"--cluster-require-full-coverage", "no"}})
	ctx := testContext(t)
	c := newClient(t, rc)
	stalled := rc.Addrs()[0]
	k, other := keyOn(t, rc, stalled), keyOn(t, rc, rc.Addrs()[1])
	require.NoError(t, c.Do(ctx, "SET", k, "before").Err)

	assert.ErrorIs(t, rc.Pause("127.0.0.1:1"), ErrUnknownNode)
	require.NoError(t, rc.Pause(stalled))
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, c.Do(short, "GET", k).Err, context.DeadlineExceeded)
	assert.NoError(t, c.Do(ctx, "SET", other, "served").Err, "another master is held up")

	require.NoError(t, rc.Resume(stalled))
	assert.Equal(t, "before", c.Do(ctx, "GET", k).Value)
}

func TestFailover(t *testing.T) {
	t.Parallel()
	rc := StartT(t, Options{Masters: 2, Replicas: 1})
	ctx := testContext(t)
	c := newClient(t, rc)

	master := rc.Addrs()[1]
	replica := rc.ReplicasOf(master)[0]
	k := keyOn(t, rc, master)
	require.NoError(t, c.Do(ctx, "SET", k, "before").Err)

	assert.ErrorIs(t, rc.Failover(ctx, master), ErrNotReplica)
	assert.ErrorIs(t, rc.Failover(ctx, "127.0.0.1:1"), ErrUnknownNode)
	require.NoError(t, rc.Failover(ctx, replica))

	assert.Equal(t, replica, rc.Addrs()[1])
	assert.Equal(t, []string{master}, rc.ReplicasOf(replica), "the old master replicates the new one")
	v, err := c.Do(ctx, "GET", k).Text()
	require.NoError(t, err)
	assert.Equal(t, "before", v, "an acknowledged write survives a failover")
}

func TestMoveSlots(t *testing.T) {
	t.Parallel()
	rc := StartT(t, Options{Masters: 2})
	ctx := testContext(t)
	c := newClient(t, rc)

	from, to := rc.Addrs()[0], rc.Addrs()[1]
	k := keyOn(t, rc, from)
	slot := int(topology.Slot(k))
	require.NoError(t, c.Do(ctx, "SET", k, "moving").Err)

	require.NoError(t, rc.MoveSlots(ctx, []int{slot}, from, to))
	owner, err := rc.SlotOwner(ctx, slot)
	require.NoError(t, err)
	assert.Equal(t, to, owner)
	slots, err := rc.SlotsOf(ctx, to)
	require.NoError(t, err)
	assert.Contains(t, slots, slot)

	v, err := c.Do(ctx, "GET", k).Text()
	require.NoError(t, err)
	assert.Equal(t, "moving", v, "the key moved with its slot")
	assert.ErrorIs(t, rc.MoveSlots(ctx, []int{slot}, "127.0.0.1:1", to), ErrUnknownNode)
}
