package localcluster

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFailover(t *testing.T) {
	t.Parallel()
	c := StartT(t, Config{Masters: 3, Replicas: 1})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()

	addrs := c.Addrs()
	oldMaster := c.mustNode(t, addrs[0])
	var replica Node
	for _, n := range c.Nodes() {
		if n.MasterID == oldMaster.ID {
			replica = n
		}
	}
	require.NotEmpty(t, replica.Addr)
	slots, err := c.SlotsOf(ctx, oldMaster.Addr)
	require.NoError(t, err)
	require.NotEmpty(t, slots)
	// A write acknowledged by the master before the failover survives it.
	k := keysInSlots(slots[:1], 1)[slots[0]][0]
	require.NoError(t, try(t, dial(t, oldMaster.Addr), nil, "SET", k, "before"))

	assert.ErrorIs(t, c.Failover(ctx, oldMaster.Addr), ErrNotReplica)
	assert.ErrorIs(t, c.Failover(ctx, "127.0.0.1:1"), ErrUnknownNode)

	begin := time.Now()
	require.NoError(t, c.Failover(ctx, replica.Addr))
	t.Logf("Failover took %s", time.Since(begin))

	assert.Equal(t, "master", role(t, replica.Addr))
	assert.Equal(t, "slave", role(t, oldMaster.Addr))
	assert.Equal(t, append([]string{replica.Addr}, addrs[1:]...), c.Addrs())
	promoted, demoted := c.mustNode(t, replica.Addr), c.mustNode(t, oldMaster.Addr)
	assert.True(t, promoted.Master)
	assert.Empty(t, promoted.MasterID)
	assert.False(t, demoted.Master)
	assert.Equal(t, replica.ID, demoted.MasterID)

	got, err := c.SlotsOf(ctx, replica.Addr)
	require.NoError(t, err)
	assert.Equal(t, slots, got)
	got, err = c.SlotsOf(ctx, oldMaster.Addr)
	require.NoError(t, err)
	assert.Empty(t, got)
	owner, err := c.SlotOwner(ctx, slots[0])
	require.NoError(t, err)
	assert.Equal(t, replica.Addr, owner)
	var v string
	require.NoError(t, try(t, dial(t, replica.Addr), &v, "GET", k))
	assert.Equal(t, "before", v)
	assertShardsAgree(t, c)
}
