package redactor_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/actors"
)

// newClient connects to the shared cluster through one seed address only, so
// every test also proves that the client finds the other masters itself.
func newClient(t *testing.T, cfg redactor.Config) *redactor.Client {
	t.Helper()
	cfg.Addrs = cluster.Addrs()[:1]
	c, err := redactor.New(testContext(t), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// keysFor returns n keys unique to the test, spread over all masters.
func keysFor(t *testing.T, n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("%s:%d", t.Name(), i)
	}
	return keys
}

func TestPipelineSizes(t *testing.T) {
	for _, size := range []int{1, 100, 10_000} {
		for _, parallel := range []bool{true, false} {
			t.Run(fmt.Sprintf("%d commands, parallel=%v", size, parallel), func(t *testing.T) {
				ctx := testContext(t)
				c := newClient(t, redactor.Config{})
				keys := keysFor(t, size)

				set := c.Pipeline(redactor.WithParallel(parallel))
				for i, k := range keys {
					set.Do("SET", k, fmt.Sprint("value-", i))
				}
				results, err := set.Exec(ctx)
				require.NoError(t, err)
				require.Len(t, results, size)
				for i, r := range results {
					require.NoError(t, r.Err, keys[i])
					require.Equal(t, "OK", r.Value, keys[i])
				}

				get := c.Pipeline(redactor.WithParallel(parallel))
				for _, k := range keys {
					get.Do("GET", k)
				}
				results, err = get.Exec(ctx)
				require.NoError(t, err)
				require.Len(t, results, size)
				direct, owners := readBack(t, keys)
				for i, r := range results {
					require.NoError(t, r.Err, keys[i])
					require.Equal(t, fmt.Sprint("value-", i), r.Value, keys[i])
					require.Equal(t, direct[i], r.Value, "redactor and a direct read of %q disagree", keys[i])
				}
				if size >= 100 {
					assert.Len(t, owners, 3, "keys must cover all three masters")
				}
			})
		}
	}
}

// mixedPipeline queues commands of many kinds over keys of all masters,
// including keyless ones and ones that fail.
func mixedPipeline(p *redactor.Pipeline, prefix string) {
	for i := range 30 {
		k := fmt.Sprintf("%s:%d", prefix, i)
		p.Do("INCR", k+":n")
		p.Do("RPUSH", k+":list", "a", fmt.Sprint(i))
		p.Do("LRANGE", k+":list", "0", "-1")
		p.Do("HSET", k+":h", "f", fmt.Sprint(i))
		p.Do("HGETALL", k+":h")
		p.Do("GET", k+":missing")
		p.Do("GET", k+":list") // WRONGTYPE
		p.Do("PING", fmt.Sprint(i))
		p.Do("MSET", "{"+k+"}a", "1", "{"+k+"}b", "2")
		p.Do("MGET", "{"+k+"}a", "{"+k+"}b", "{"+k+"}c")
	}
}

func TestSerialAndParallelGiveIdenticalResults(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	var runs [][]redactor.Result
	for _, parallel := range []bool{true, false} {
		p := c.Pipeline(redactor.WithParallel(parallel))
		mixedPipeline(p, fmt.Sprintf("%s:%v", t.Name(), parallel))
		results, err := p.Exec(ctx)
		require.NoError(t, err)
		runs = append(runs, results)
	}
	require.Equal(t, len(runs[0]), len(runs[1]))
	for i := range runs[0] {
		assert.Equal(t, runs[0][i].Value, runs[1][i].Value, "command %d", i)
		assert.Equal(t, fmt.Sprint(runs[0][i].Err), fmt.Sprint(runs[1][i].Err), "command %d", i)
	}
	// Spot-check the values themselves, not only their agreement.
	assert.Equal(t, int64(1), runs[0][0].Value)
	assert.Equal(t, []any{"a", "0"}, runs[0][2].Value)
	assert.Equal(t, []any{"f", "0"}, runs[0][4].Value)
	assert.Nil(t, runs[0][5].Value)
	assert.Equal(t, "0", runs[0][7].Value)
	assert.Equal(t, []any{"1", "2", nil}, runs[0][9].Value)
}

func TestMixedErrorsLandOnTheirOwnCommands(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	k := t.Name()
	p := c.Pipeline()
	p.Do("SET", k+":s", "v")               // 0 ok
	p.Do("LPUSH", k+":l", "x")             // 1 ok
	p.Do("GET", k+":l")                    // 2 WRONGTYPE
	p.Do("NOSUCHCOMMAND", k)               // 3 unknown command
	p.Do("MSETNX", "a"+k, "1", "b"+k, "2") // 4 CROSSSLOT (different slots, never split)
	p.Do("GET", k+":s")                    // 5 ok
	p.Do("")                               // 6 empty command
	p.Do("SET", k+":s")                    // 7 arity error from the server
	p.Do("INCR", k+":s")                   // 8 not an integer
	p.Do("LLEN", k+":l")                   // 9 ok
	results, err := p.Exec(ctx)
	require.NoError(t, err)
	require.Len(t, results, 10)

	assert.Equal(t, redactor.Result{Value: "OK"}, results[0])
	assert.Equal(t, redactor.Result{Value: int64(1)}, results[1])

	var redisErr *redactor.RedisError
	require.ErrorAs(t, results[2].Err, &redisErr)
	assert.Equal(t, "WRONGTYPE", redisErr.Prefix())
	assert.Contains(t, redisErr.Error(), "WRONGTYPE Operation against a key holding the wrong kind of value")
	assert.Nil(t, results[2].Value)

	require.ErrorAs(t, results[3].Err, &redisErr)
	assert.True(t, strings.HasPrefix(redisErr.Error(), "ERR unknown command"), redisErr.Error())

	assert.ErrorIs(t, results[4].Err, redactor.ErrCrossSlot)
	assert.True(t, strings.HasPrefix(results[4].Err.Error(), "CROSSSLOT"))

	assert.Equal(t, redactor.Result{Value: "v"}, results[5])
	assert.ErrorIs(t, results[6].Err, redactor.ErrEmptyCommand)

	require.ErrorAs(t, results[7].Err, &redisErr)
	assert.Contains(t, redisErr.Error(), "wrong number of arguments")
	require.ErrorAs(t, results[8].Err, &redisErr)
	assert.Contains(t, redisErr.Error(), "not an integer")
	assert.Equal(t, redactor.Result{Value: int64(1)}, results[9])

	// The CROSSSLOT command was refused before any I/O: neither key exists.
	direct, _ := readBack(t, []string{"a" + k, "b" + k})
	assert.Equal(t, []any{nil, nil}, direct)
}

func TestKeysFoundByTheServersCommandTable(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	keys := keysFor(t, 30) // over all masters
	p := c.Pipeline()
	for _, k := range keys {
		p.Do("SET", k, "12345")
		p.Do("XADD", k+":stream", "1-1", "f", "v")
	}
	_, err := p.Exec(ctx)
	require.NoError(t, err)

	// Each of these would get MOVED from a wrong node.
	p = c.Pipeline()
	for _, k := range keys {
		p.Do("OBJECT", "ENCODING", k)
		p.Do("MEMORY", "USAGE", k)
		p.Do("EVAL", "return redis.call('GET', KEYS[1])", "1", k)
		p.Do("XREAD", "COUNT", "1", "STREAMS", k+":stream", "0")
		p.Do("XINFO", "STREAM", k+":stream")
		p.Do("STRLEN", k)
	}
	results, err := p.Exec(ctx)
	require.NoError(t, err)
	for i, r := range results {
		require.NoError(t, r.Err, "command %d", i)
	}
	for i := range keys {
		r := results[i*6:]
		assert.Equal(t, "int", r[0].Value)
		assert.IsType(t, int64(0), r[1].Value)
		assert.Equal(t, "12345", r[2].Value)
		assert.Equal(t, []any{[]any{keys[i] + ":stream", []any{[]any{"1-1", []any{"f", "v"}}}}}, r[3].Value)
		assert.Equal(t, int64(5), r[5].Value)
	}
}

func TestKeylessCommands(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	p := c.Pipeline()
	p.Do("PING")
	p.Do("ECHO", "hello")
	p.Do("INFO", "server")
	p.Do("EVAL", "return 7", "0")
	results, err := p.Exec(ctx)
	require.NoError(t, err)
	assert.Equal(t, redactor.Result{Value: "PONG"}, results[0])
	assert.Equal(t, redactor.Result{Value: "hello"}, results[1])
	require.NoError(t, results[2].Err)
	// INFO's reply is per node (response_policy:special): one per master.
	byNode, ok := results[2].Value.(map[string]any)
	require.True(t, ok, "INFO is %T", results[2].Value)
	assert.Len(t, byNode, 3)
	for addr, info := range byNode {
		assert.Contains(t, info, "redis_version:", addr)
	}
	assert.Equal(t, redactor.Result{Value: int64(7)}, results[3])
}

func TestClientDo(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	k := t.Name()
	assert.Equal(t, redactor.Result{Value: "OK"}, c.Do(ctx, "SET", k, "v"))
	assert.Equal(t, redactor.Result{Value: "v"}, c.Do(ctx, "GET", k))
	assert.Equal(t, redactor.Result{Value: nil}, c.Do(ctx, "GET", k+":missing"))
	var redisErr *redactor.RedisError
	assert.ErrorAs(t, c.Do(ctx, "LPUSH", k, "x").Err, &redisErr)
}

func TestEmptyPipeline(t *testing.T) {
	c := newClient(t, redactor.Config{})
	// A canceled context proves no round trip is attempted.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	results, err := c.Pipeline().Exec(ctx)
	require.NoError(t, err)
	assert.NotNil(t, results)
	assert.Empty(t, results)
}

func TestPipelineIsEmptyAfterExec(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	p := c.Pipeline()
	p.Do("PING", "1")
	require.Equal(t, 1, p.Len())
	first, err := p.Exec(ctx)
	require.NoError(t, err)
	require.Equal(t, 0, p.Len())
	p.Do("PING", "2")
	second, err := p.Exec(ctx)
	require.NoError(t, err)
	assert.Equal(t, []redactor.Result{{Value: "1"}}, first)
	assert.Equal(t, []redactor.Result{{Value: "2"}}, second)
}

func TestPipelineArgumentsAreCopied(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	args := []string{t.Name(), "first"}
	p := c.Pipeline()
	p.Do("SET", args...)
	args[1] = "changed"
	p.Do("GET", t.Name())
	results, err := p.Exec(ctx)
	require.NoError(t, err)
	assert.Equal(t, "first", results[1].Value)
}

func TestContextDone(t *testing.T) {
	c := newClient(t, redactor.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := c.Pipeline()
	p.Do("SET", t.Name(), "v")
	_, err := p.Exec(ctx)
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, redactor.Result{Value: nil}, c.Do(testContext(t), "GET", t.Name()),
		"a pipeline whose context was done before Exec must not run")

	// A deadline that passes while a command blocks ends the wait, and the
	// client stays usable.
	short, cancelShort := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancelShort()
	start := time.Now()
	r := c.Do(short, "BLPOP", t.Name()+":empty", "3")
	require.ErrorIs(t, r.Err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 2500*time.Millisecond, "Exec returns at the deadline, not when BLPOP does")
	assert.Equal(t, redactor.Result{Value: "PONG"}, c.Do(testContext(t), "PING"))
}

func TestClose(t *testing.T) {
	c, err := redactor.New(testContext(t), redactor.Config{Addrs: cluster.Addrs()})
	require.NoError(t, err)
	require.NoError(t, c.Close())
	require.NoError(t, c.Close(), "Close is idempotent")
	assert.ErrorIs(t, c.Do(testContext(t), "PING").Err, redactor.ErrClosed)
	p := c.Pipeline()
	_, err = p.Exec(testContext(t))
	assert.ErrorIs(t, err, redactor.ErrClosed)
}

func TestNewErrors(t *testing.T) {
	ctx := testContext(t)
	_, err := redactor.New(ctx, redactor.Config{})
	assert.ErrorIs(t, err, redactor.ErrNoAddrs)

	for _, bad := range []redactor.Config{
		{Addrs: cluster.Addrs(), DialTimeout: -time.Second},
		{Addrs: cluster.Addrs(), RetryTimeout: -time.Second},
		{Addrs: cluster.Addrs(), MaxRedirects: -1},
		{Addrs: cluster.Addrs(), MaxReplyDepth: -1},
		{Addrs: cluster.Addrs(), MaxBulkLen: -1},
		{Addrs: cluster.Addrs(), ReadFrom: redactor.ReadNearest + 1},
		{Addrs: []string{""}},
	} {
		_, err = redactor.New(ctx, bad)
		assert.True(t, errors.Is(err, redactor.ErrInvalidConfig) || errors.Is(err, redactor.ErrNoAddrs), "%+v: %v", bad, err)
	}

	_, err = redactor.New(ctx, redactor.Config{Addrs: []string{"127.0.0.1:1"}, DialTimeout: time.Second})
	assert.ErrorContains(t, err, "127.0.0.1:1")

	done, cancel := context.WithCancel(ctx)
	cancel()
	_, err = redactor.New(done, redactor.Config{Addrs: cluster.Addrs()})
	assert.True(t, errors.Is(err, context.Canceled), "got %v", err)
}

// pipelineActor is a plain protoactor actor that runs pipelines through
// the client's coordinator by message, as a user's actor would.
type pipelineActor struct {
	coordinator *actor.PID
	commands    [][]string
	mode        actors.Mode
	report      chan<- *actors.Exec
}

func (a *pipelineActor) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		ctx.Request(a.coordinator, &actors.Exec{Commands: a.commands, Mode: a.mode})
	case *actors.Exec:
		a.report <- msg
	}
}

// TestCoordinatorAcceptsActors checks the actor-level API: actors of the
// client's system send *actors.Exec to Client.Coordinator and get it back
// as a message with the results, in both modes and from 50 actors at once.
func TestCoordinatorAcceptsActors(t *testing.T) {
	t.Run("one coordinator", func(t *testing.T) { testCoordinatorAcceptsActors(t) })
	t.Run("a router over two", func(t *testing.T) {
		// A client runs one coordinator per 8 Ps.
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(16))
		testCoordinatorAcceptsActors(t)
	})
}

func testCoordinatorAcceptsActors(t *testing.T) {
	system := actor.NewActorSystem()
	defer system.Shutdown()
	c := newClient(t, redactor.Config{ActorSystem: system})
	require.NotNil(t, c.Coordinator())

	require.NoError(t, c.Do(testContext(t), "SET", t.Name()+":string", "not a number").Err)
	const actorsAtOnce = 50
	report := make(chan *actors.Exec, actorsAtOnce)
	for i := range actorsAtOnce {
		mode := actors.Parallel
		if i%2 == 1 {
			mode = actors.Serial
		}
		var cmds [][]string
		for k := range 20 {
			key := fmt.Sprintf("%s:%d:%d", t.Name(), i, k)
			cmds = append(cmds, []string{"SET", key, key}, []string{"GET", key})
		}
		cmds = append(cmds, []string{"INCR", t.Name() + ":string"}) // an error of its own, last
		system.Root.Spawn(actor.PropsFromProducer(func() actor.Actor {
			return &pipelineActor{coordinator: c.Coordinator(), commands: cmds, mode: mode, report: report}
		}))
	}
	for range actorsAtOnce {
		select {
		case e := <-report:
			require.NoError(t, e.Err)
			require.Len(t, e.Results, 41)
			for k := 0; k < 40; k += 2 {
				require.NoError(t, e.Results[k].Err)
				assert.Equal(t, e.Commands[k][1], e.Results[k+1].Value, "GET after SET, in queue order")
			}
			var redisErr *redactor.RedisError
			require.ErrorAs(t, e.Results[40].Err, &redisErr, "the INCR's own error")
			assert.Equal(t, "ERR", redisErr.Prefix())
		case <-time.After(10 * time.Second):
			t.Fatal("an actor got no answer")
		}
	}
}
