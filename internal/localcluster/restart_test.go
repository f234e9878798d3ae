package localcluster

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRestart kills a master, lets its replica take over, and restarts it:
// it comes back as a replica of its former replica, with its data, and can
// take over again when that one is killed in turn.
func TestRestart(t *testing.T) {
	t.Parallel()
	c := StartT(t, Config{Masters: 3, Replicas: 1}) // a failover needs a majority of masters alive
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Second)
	defer cancel()

	master := c.mustNode(t, c.Addrs()[0])
	var replica Node
	for _, n := range c.Nodes() {
		if n.MasterID == master.ID {
			replica = n
		}
	}
	slots, err := c.SlotsOf(ctx, master.Addr)
	require.NoError(t, err)
	k := keysInSlots(slots[:1], 1)[slots[0]][0]
	require.NoError(t, try(t, dial(t, master.Addr), nil, "SET", k, "v"))
	// Let the replica have it before the kill.
	require.NoError(t, try(t, dial(t, master.Addr), nil, "WAIT", "1", "1000"))

	assert.ErrorIs(t, c.Restart(ctx, master.Addr), ErrNotKilled)
	assert.ErrorIs(t, c.Restart(ctx, "127.0.0.1:1"), ErrUnknownNode)
	require.NoError(t, c.Kill(master.Addr))
	require.NoError(t, c.WaitHealthy(ctx))
	oldPid := master.Pid

	begin := time.Now()
	require.NoError(t, c.Restart(ctx, master.Addr))
	t.Logf("Restart took %s", time.Since(begin))
	back := c.mustNode(t, master.Addr)
	assert.False(t, back.Killed)
	assert.NotEqual(t, oldPid, back.Pid)
	assert.Equal(t, master.ID, back.ID, "the same node, from its config file")
	assert.False(t, back.Master)
	assert.Equal(t, replica.ID, back.MasterID, "a replica of the replica that took over")
	assert.Equal(t, "slave", role(t, master.Addr))

	// It has the data once its first sync from its new master is done:
	// it restarted empty (no persistence here).
	require.Eventually(t, func() bool {
		var info string
		if err := try(t, dial(t, master.Addr), &info, "INFO", "replication"); err != nil {
			return false
		}
		return strings.Contains(info, "master_link_status:up") && strings.Contains(info, "master_sync_in_progress:0")
	}, 20*time.Second, 20*time.Millisecond, "the restarted node synced from its new master")

	// It takes over when its new master dies.
	require.NoError(t, c.Kill(replica.Addr))
	require.NoError(t, c.WaitHealthy(ctx))
	owner, err := c.SlotOwner(ctx, slots[0])
	require.NoError(t, err)
	assert.Equal(t, master.Addr, owner)
	var v string
	require.NoError(t, try(t, dial(t, master.Addr), &v, "GET", k))
	assert.Equal(t, "v", v, "the data came back by replication")
	assertShardsAgree(t, c)
}
