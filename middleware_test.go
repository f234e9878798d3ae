package redactor_test

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/actors"
)

// TestBatchObserverSeesEveryBatch checks Config.OnBatch: every command of
// every pipeline is in exactly one completed batch, with its outcome
// counted, on the direct path to the connection as on the node actor's.
func TestBatchObserverSeesEveryBatch(t *testing.T) {
	ctx := testContext(t)
	var mu sync.Mutex
	var batches []actors.BatchInfo
	c := newClient(t, redactor.Config{OnBatch: func(b actors.BatchInfo) {
		mu.Lock()
		batches = append(batches, b)
		mu.Unlock()
	}})
	take := func() []actors.BatchInfo {
		mu.Lock()
		defer mu.Unlock()
		out := batches
		batches = nil
		return out
	}
	require.NoError(t, c.Do(ctx, "SET", t.Name()+":string", "x").Err)
	take()

	const rounds = 20
	for range rounds {
		p := c.Pipeline()
		for i := range 30 {
			p.Do("SET", fmt.Sprintf("%s:%d", t.Name(), i), "v")
		}
		p.Do("INCR", t.Name()+":string") // an error reply
		_, err := p.Exec(ctx)
		require.NoError(t, err)
	}
	got := take()
	var commands, ok, errorReplies int
	for _, b := range got {
		assert.True(t, slices.Contains(cluster.Addrs(), b.Addr), "a master: %s", b.Addr)
		assert.Equal(t, b.Commands, b.Written)
		assert.Equal(t, b.Commands, b.Replied)
		assert.Positive(t, b.Duration)
		commands += b.Commands
		ok += b.OK
		errorReplies += b.ErrorReplies
	}
	assert.Equal(t, rounds*31, commands)
	assert.Equal(t, rounds*30, ok)
	assert.Equal(t, rounds, errorReplies)
	assert.GreaterOrEqual(t, len(got), rounds*3, "one batch per master per pipeline")

	// A blocking command runs as a dedicated batch; a pipeline whose
	// context is done before it is sent makes no batch at all.
	require.NoError(t, c.Do(ctx, "BLPOP", t.Name()+":empty", "0.01").Err)
	got = take()
	require.Len(t, got, 1)
	assert.True(t, got[0].Dedicated)
	assert.Equal(t, 1, got[0].OK)
}

// TestMiddleware checks Config.CoordinatorMiddleware and NodeMiddleware: the
// coordinator's sees every pipeline, a node actor's its lifecycle.
func TestMiddleware(t *testing.T) {
	ctx := testContext(t)
	var execs, nodeStarts atomic.Int32
	coordinatorMW := func(next actor.ReceiverFunc) actor.ReceiverFunc {
		return func(c actor.ReceiverContext, env *actor.MessageEnvelope) {
			if _, ok := env.Message.(*actors.Exec); ok {
				execs.Add(1)
			}
			next(c, env)
		}
	}
	nodeMW := func(next actor.ReceiverFunc) actor.ReceiverFunc {
		return func(c actor.ReceiverContext, env *actor.MessageEnvelope) {
			if _, ok := env.Message.(*actor.Started); ok {
				nodeStarts.Add(1)
			}
			next(c, env)
		}
	}
	c := newClient(t, redactor.Config{
		CoordinatorMiddleware: []actor.ReceiverMiddleware{coordinatorMW},
		NodeMiddleware:        []actor.ReceiverMiddleware{nodeMW},
	})
	for i := range 25 {
		p := c.Pipeline()
		p.Do("SET", fmt.Sprintf("%s:%d", t.Name(), i), "v")
		p.Do("GET", fmt.Sprintf("%s:%d", t.Name(), i))
		results, err := p.Exec(ctx)
		require.NoError(t, err)
		assert.Equal(t, "v", results[1].Value, "the middleware passes messages on")
	}
	require.NoError(t, c.Do(ctx, "PING").Err)
	assert.Equal(t, int32(26), execs.Load(), "every pipeline and Do")
	assert.Eventually(t, func() bool { return nodeStarts.Load() >= int32(len(c.Nodes())) },
		time.Second, time.Millisecond, "every node actor started through the middleware")
}
