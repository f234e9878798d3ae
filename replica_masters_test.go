package redactor_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/resp"
)

// TestReplicaReadsLeaveTheRestOnMasters runs, with ReadReplicaPreferred,
// reads that are not plain keyed commands of a pipeline: in a WithTx
// pipeline, in a raw MULTI block, in Watch, keyless, fanned out, blocking,
// with DoOn and WithNode. By the nodes' own commandstats, none ran on a
// replica; DoOn to a replica still gets the replica's MOVED.
func TestReplicaReadsLeaveTheRestOnMasters(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{ReadFrom: redactor.ReadReplicaPreferred})
	k := "{" + t.Name() + "}"
	p := c.Pipeline()
	p.Do("SET", k+"a", "1")
	p.Do("WAIT", "1", "5000")
	results, err := p.Exec(ctx)
	require.NoError(t, err)
	require.Equal(t, redactor.Result{Value: int64(1)}, results[1])
	master := ownerIn(t, cluster, k)
	replica := replicaOf(t, cluster, master)
	require.Eventually(t, func() bool {
		return slices.Contains(c.Nodes(), redactor.Node{Addr: replica, Master: master})
	}, 15*time.Second, 50*time.Millisecond, "the client knows the replica")
	resetStats(t, cluster)

	p = c.Pipeline(redactor.WithTx())
	p.Do("GET", k+"a")
	p.Do("INCR", k+"n")
	results, err = p.Exec(ctx)
	require.NoError(t, err)
	assert.Equal(t, redactor.Result{Value: "1"}, results[0])

	p = c.Pipeline()
	p.Do("MULTI")
	p.Do("GET", k+"a")
	p.Do("EXEC")
	p.Do("GET", k+"a") // in a pipeline on the general path
	results, err = p.Exec(ctx)
	require.NoError(t, err)
	assert.Equal(t, redactor.Result{Value: []any{"1"}}, results[2])
	assert.Equal(t, redactor.Result{Value: "1"}, results[3])

	require.NoError(t, c.Watch(ctx, func(tx *redactor.Tx) error {
		assert.Equal(t, redactor.Result{Value: "1"}, tx.Do(ctx, "GET", k+"a"))
		tx.Queue("INCR", k+"n")
		_, err := tx.Exec(ctx)
		return err
	}, k+"a"))

	assert.NoError(t, c.Do(ctx, "RANDOMKEY").Err)
	assert.NoError(t, c.Do(ctx, "DBSIZE").Err)
	assert.Equal(t, redactor.Result{Value: nil}, c.Do(ctx, "BLPOP", k+"list", "0.01"))
	assert.Equal(t, redactor.Result{Value: "1"}, c.DoOn(ctx, master, "GET", k+"a"))
	p = c.Pipeline(redactor.WithNode(master))
	p.Do("GET", k+"a")
	results, err = p.Exec(ctx)
	require.NoError(t, err)
	assert.Equal(t, redactor.Result{Value: "1"}, results[0])

	r := c.DoOn(ctx, replica, "GET", k+"a")
	var re *resp.Error
	require.ErrorAs(t, r.Err, &re)
	_, _, moved := re.IsMoved()
	assert.True(t, moved, "DoOn to a replica: %v", r.Err)

	for _, n := range cluster.Nodes() {
		stats := commandStats(t, cluster, n.Addr)
		for _, name := range []string{"get", "randomkey", "dbsize", "blpop"} {
			if n.Master {
				continue
			}
			assert.Zero(t, stats[name].calls, "%s ran on replica %s", name, n.Addr)
		}
	}
	assert.Equal(t, int64(6), commandStats(t, cluster, master)["get"].calls)

	// The control: a plain GET runs on the replica.
	assert.Equal(t, redactor.Result{Value: "1"}, c.Do(ctx, "GET", k+"a"))
	assert.Equal(t, int64(1), commandStats(t, cluster, replica)["get"].calls)
}
