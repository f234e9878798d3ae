package redactor_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/internal/localcluster"
)

// TestBlockingCommandFollowsFailover blocks a BLPOP on a master, then fails
// that master over to its replica with CLUSTER FAILOVER: the demoted master
// unblocks it with UNBLOCKED, which proves it popped nothing, so the client
// sends it again to the new master, where it pops the element pushed after
// the failover.
func TestBlockingCommandFollowsFailover(t *testing.T) {
	lc, c := clusterAndClient(t, localcluster.Config{Masters: 3, Replicas: 1}, redactor.Config{})
	ctx := testContext(t)
	list := "{" + t.Name() + "}:list"
	master := ownerIn(t, lc, list)
	replica := replicaOf(t, lc, master)

	callCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	popped := make(chan redactor.Result, 1)
	go func() { popped <- c.Do(callCtx, "BLPOP", list, "0") }()
	waitBlocked(t, c, 1)

	require.NoError(t, lc.Failover(ctx, replica))
	require.Equal(t, replica, ownerIn(t, lc, list), "the replica serves the list now")
	select {
	case r := <-popped:
		t.Fatalf("BLPOP returned before the push: %v", r)
	case <-time.After(500 * time.Millisecond):
	}
	require.Equal(t, redactor.Result{Value: int64(1)}, c.Do(ctx, "RPUSH", list, "after"))
	select {
	case r := <-popped:
		assert.Equal(t, redactor.Result{Value: []any{list, "after"}}, r)
	case <-time.After(20 * time.Second):
		t.Fatal("BLPOP did not get the element pushed to the new master")
	}
}
