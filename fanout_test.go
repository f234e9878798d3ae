package redactor_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/internal/localcluster"
	"github.com/redactor-go/redactor/resp"
)

// perMaster runs one command on every master with DoOn, the truth the
// fanned-out commands are checked against.
func perMaster(t *testing.T, c *redactor.Client, args ...string) map[string]any {
	t.Helper()
	ctx := testContext(t)
	var mu sync.Mutex
	out := map[string]any{}
	require.NoError(t, c.ForEachMaster(ctx, func(ctx context.Context, addr string) error {
		r := c.DoOn(ctx, addr, args[0], args[1:]...)
		mu.Lock()
		defer mu.Unlock()
		out[addr] = r.Value
		return r.Err
	}))
	return out
}

// TestWholeClusterCommands checks DBSIZE, KEYS, FLUSHALL, SCRIPT LOAD and
// SCRIPT EXISTS, CONFIG SET and WAIT against each node's own answer, on a
// cluster of its own (FLUSHALL empties it).
func TestWholeClusterCommands(t *testing.T) {
	_, c := clusterAndClient(t, localcluster.Config{Masters: 3, Replicas: 1}, redactor.Config{})
	ctx := testContext(t)
	keys := keysFor(t, 300)
	p := c.Pipeline()
	for _, k := range keys {
		p.Do("SET", k, "v")
	}
	_, err := p.Exec(ctx)
	require.NoError(t, err)

	// DBSIZE sums over the masters.
	var sum int64
	for _, n := range perMaster(t, c, "DBSIZE") {
		sum += n.(int64)
		assert.Positive(t, n.(int64), "every master holds some keys")
	}
	assert.Equal(t, int64(len(keys)), sum)
	assert.Equal(t, redactor.Result{Value: sum}, c.Do(ctx, "DBSIZE"))

	// KEYS concatenates every master's keys.
	r := c.Do(ctx, "KEYS", t.Name()+":*")
	require.NoError(t, r.Err)
	got := toStrings(r.Value.([]any))
	slices.Sort(got)
	want := slices.Clone(keys)
	slices.Sort(want)
	assert.Equal(t, want, got)

	// In a pipeline, each master's copy of DBSIZE runs in its place.
	extra := keysFor(t, 310)[300:]
	p = c.Pipeline()
	p.Do("DBSIZE")
	for _, k := range extra {
		p.Do("SET", k, "v")
	}
	p.Do("DBSIZE")
	results, err := p.Exec(ctx)
	require.NoError(t, err)
	assert.Equal(t, redactor.Result{Value: sum}, results[0])
	assert.Equal(t, redactor.Result{Value: sum + int64(len(extra))}, results[len(results)-1])

	// WAIT, after the pipeline's writes: where they went, the least count.
	p = c.Pipeline()
	for _, k := range keys[:30] {
		p.Do("SET", k, "w")
	}
	p.Do("WAIT", "1", "5000")
	results, err = p.Exec(ctx)
	require.NoError(t, err)
	assert.Equal(t, redactor.Result{Value: int64(1)}, results[30], "the replica of every master that took writes acknowledged them")

	// SCRIPT LOAD reaches every node, replicas too.
	r = c.Do(ctx, "SCRIPT", "LOAD", "return 'fan'")
	require.NoError(t, r.Err)
	sha := r.Value.(string)
	nodes := c.Nodes()
	require.Len(t, nodes, 6)
	for _, n := range nodes {
		assert.Equal(t, redactor.Result{Value: []any{int64(1)}}, c.DoOn(ctx, n.Addr, "SCRIPT", "EXISTS", sha), n.Addr)
	}
	// SCRIPT EXISTS ANDs over the masters.
	assert.Equal(t, redactor.Result{Value: []any{int64(1), int64(0)}}, c.Do(ctx, "SCRIPT", "EXISTS", sha, "0000"))
	require.NoError(t, c.DoOn(ctx, nodes[0].Addr, "SCRIPT", "FLUSH").Err)
	assert.Equal(t, redactor.Result{Value: []any{int64(0)}}, c.Do(ctx, "SCRIPT", "EXISTS", sha), "one master lacks it")

	// CONFIG SET reaches every node.
	require.Equal(t, redactor.Result{Value: "OK"}, c.Do(ctx, "CONFIG", "SET", "maxmemory-samples", "7"))
	for _, n := range nodes {
		assert.Equal(t, redactor.Result{Value: []any{"maxmemory-samples", "7"}}, c.DoOn(ctx, n.Addr, "CONFIG", "GET", "maxmemory-samples"), n.Addr)
	}

	// FLUSHALL runs on every master and succeeds only if all did.
	assert.Equal(t, redactor.Result{Value: "OK"}, c.Do(ctx, "FLUSHALL"))
	for addr, n := range perMaster(t, c, "DBSIZE") {
		assert.Equal(t, int64(0), n, addr)
	}
	assert.Equal(t, redactor.Result{Value: int64(0)}, c.Do(ctx, "DBSIZE"))
}

// TestCommandPoliciesOverride makes CONFIG GET, by default run on one
// master, run on every master with a per-node answer.
func TestCommandPoliciesOverride(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{CommandPolicies: map[string]resp.Policy{
		"config|get": {Request: resp.RequestAllShards, Response: resp.ResponseSpecial},
	}})
	r := c.Do(ctx, "CONFIG", "GET", "port")
	require.NoError(t, r.Err)
	byNode := r.Value.(map[string]any)
	require.Len(t, byNode, 3)
	for addr, v := range byNode {
		assert.Equal(t, []any{"port", addr[len("127.0.0.1:"):]}, v)
	}
}

// TestDoOnAndForEachMaster runs node-specific commands where the caller
// names the node.
func TestDoOnAndForEachMaster(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	nodes := c.Nodes()
	require.Len(t, nodes, 6)
	for _, n := range nodes {
		r := c.DoOn(ctx, n.Addr, "ROLE")
		require.NoError(t, r.Err, n.Addr)
		role := r.Value.([]any)[0]
		if n.IsMaster() {
			assert.Equal(t, "master", role, n.Addr)
		} else {
			assert.Equal(t, "slave", role, n.Addr)
		}
	}
	// SCAN runs on a named node; CONFIG REWRITE is allowed there (and fails
	// on the server: the test nodes have no config file).
	r := c.DoOn(ctx, nodes[0].Addr, "SCAN", "0", "COUNT", "10")
	require.NoError(t, r.Err)
	assert.Len(t, r.Value, 2)
	r = c.DoOn(ctx, nodes[0].Addr, "CONFIG", "REWRITE")
	var re *redactor.RedisError
	assert.ErrorAs(t, r.Err, &re, "the server's own answer, not a refusal")
	// Connection state stays refused on a named node too.
	assert.ErrorIs(t, c.DoOn(ctx, nodes[0].Addr, "CLIENT", "REPLY", "OFF").Err, redactor.ErrNotPipelinable)
	assert.ErrorIs(t, c.DoOn(ctx, "127.0.0.1:1", "PING").Err, redactor.ErrUnknownNode)

	var mu sync.Mutex
	var seen []string
	require.NoError(t, c.ForEachMaster(ctx, func(ctx context.Context, addr string) error {
		mu.Lock()
		seen = append(seen, addr)
		mu.Unlock()
		return c.DoOn(ctx, addr, "PING").Err
	}))
	slices.Sort(seen)
	want := slices.Clone(cluster.Addrs())
	slices.Sort(want)
	assert.Equal(t, want, seen)
	err := c.ForEachMaster(ctx, func(ctx context.Context, addr string) error {
		return fmt.Errorf("failed on purpose")
	})
	assert.ErrorContains(t, err, "failed on purpose")
}

func toStrings(vs []any) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.(string)
	}
	return out
}
