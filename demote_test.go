package redactor_test

import (
	"context"
	"strconv"
	"strings"
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

// clientConns counts the connections named name on the node at addr.
func clientConns(t *testing.T, lc *localcluster.Cluster, addr, name string) int {
	t.Helper()
	var list string
	require.NoError(t, lc.Do(testContext(t), addr, &list, "CLIENT", "LIST"))
	return strings.Count(list, " name="+name+" ")
}

// TestDemotedMasterConnectionsClose gives the client a pipelined
// connection, a connection for blocking commands and one for Watch to a
// master, then fails that master over to its replica: once the client
// knows, it closes every connection to the demoted node, which serves it
// nothing any more.
func TestDemotedMasterConnectionsClose(t *testing.T) {
	name := "demoted-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	lc, c := clusterAndClient(t, localcluster.Config{Masters: 3, Replicas: 1}, redactor.Config{ClientName: name})
	ctx := testContext(t)
	keys := keysFor(t, 30)
	for _, k := range keys {
		require.NoError(t, c.Do(ctx, "SET", k, "v").Err)
	}
	list := "{" + t.Name() + "}:list"
	require.Equal(t, redactor.Result{Value: nil}, c.Do(ctx, "BLPOP", list, "0.1"))
	require.NoError(t, c.Watch(ctx, func(tx *redactor.Tx) error { return nil }, list))
	master := ownerIn(t, lc, list)
	require.GreaterOrEqual(t, clientConns(t, lc, master, name), 3, "a pipelined, a dedicated and a Watch connection")

	replica := replicaOf(t, lc, master)
	require.NoError(t, lc.Failover(ctx, replica))
	for _, k := range keys { // the client learns of the failover
		require.Equal(t, redactor.Result{Value: "v"}, c.Do(ctx, "GET", k))
	}
	require.Equal(t, redactor.Result{Value: nil}, c.Do(ctx, "BLPOP", list, "0.1"))
	if !assert.Eventually(t, func() bool { return clientConns(t, lc, master, name) == 0 }, 10*time.Second, 50*time.Millisecond,
		"connections to the demoted master close") {
		var clients string
		require.NoError(t, lc.Do(ctx, master, &clients, "CLIENT", "LIST"))
		t.Logf("CLIENT LIST of %s:\n%s", master, clients)
	}
	assert.Positive(t, clientConns(t, lc, replica, name), "the new master has the client's connections")
}
