package redactor_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor"
)

// checkedLoad runs goroutines that SET and GET keys of their own on every
// master, each GET checked against the value its SET wrote, until stop.
type checkedLoad struct {
	wg       sync.WaitGroup
	stop     chan struct{}
	ops      atomic.Int64
	wrong    atomic.Int64
	errs     atomic.Int64
	mu       sync.Mutex
	examples []string
}

func startCheckedLoad(t *testing.T, c *redactor.Client, prefix string, workers int) *checkedLoad {
	l := &checkedLoad{stop: make(chan struct{})}
	ctx := testContext(t)
	for w := range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for n := 0; ; n++ {
				select {
				case <-l.stop:
					return
				default:
				}
				k := fmt.Sprintf("%s:%d:%d", prefix, w, n%64)
				v := fmt.Sprintf("v%d", n)
				if n%2 == 0 {
					// Single commands share the connection with the
					// command under test.
					l.check(c.Do(ctx, "SET", k, v), "OK", k)
					l.check(c.Do(ctx, "GET", k), v, k)
					continue
				}
				p := c.Pipeline()
				p.Do("SET", k, v)
				p.Do("GET", k)
				p.Do("ECHO", k)
				results, err := p.Exec(ctx)
				if err != nil {
					l.errs.Add(1)
					continue
				}
				l.check(results[0], "OK", k)
				l.check(results[1], v, k)
				l.check(results[2], k, k)
			}
		}()
	}
	return l
}

func (l *checkedLoad) check(r redactor.Result, want any, key string) {
	l.ops.Add(1)
	if r.Err != nil {
		l.errs.Add(1)
		l.note(fmt.Sprintf("%s: error %v", key, r.Err))
		return
	}
	if r.Value != want {
		l.wrong.Add(1)
		l.note(fmt.Sprintf("%s: got %#v, want %#v", key, r.Value, want))
	}
}

func (l *checkedLoad) note(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.examples) < 5 {
		l.examples = append(l.examples, s)
	}
}

func (l *checkedLoad) finish(t *testing.T) {
	t.Helper()
	close(l.stop)
	l.wg.Wait()
	t.Logf("concurrent load: %d checked replies, %d wrong, %d errors", l.ops.Load(), l.wrong.Load(), l.errs.Load())
	assert.Zero(t, l.wrong.Load(), "no reply may reach another command: %v", l.examples)
	assert.Zero(t, l.errs.Load(), "the load must not fail: %v", l.examples)
	assert.Positive(t, l.ops.Load())
}

// TestConnectionStateCommandsAreRefused sends every command that would
// change the shared connection's state, alone and inside pipelines, while
// other goroutines use the same connections: each is refused before any
// I/O with ErrNotPipelinable naming what to use instead, and not one of the
// concurrent replies goes astray.
func TestConnectionStateCommandsAreRefused(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	load := startCheckedLoad(t, c, t.Name(), 8)

	refused := []struct {
		args []string
		hint string
	}{
		{[]string{"MULTI"}, "WithTx"},
		{[]string{"EXEC"}, ""},
		{[]string{"WATCH", "k"}, "Client.Watch"},
		{[]string{"UNWATCH"}, "Client.Watch"},
		{[]string{"SUBSCRIBE", "ch"}, "Client.Subscribe"},
		{[]string{"PSUBSCRIBE", "ch*"}, "Client.PSubscribe"},
		{[]string{"SSUBSCRIBE", "ch"}, "Client.SSubscribe"},
		{[]string{"UNSUBSCRIBE"}, "Client.Subscribe"},
		{[]string{"CLIENT", "REPLY", "SKIP"}, "state of the connection"},
		{[]string{"CLIENT", "REPLY", "OFF"}, "state of the connection"},
		{[]string{"client", "tracking", "on"}, "state of the connection"},
		{[]string{"CLIENT", "SETNAME", "x"}, "state of the connection"},
		{[]string{"HELLO", "3"}, "state of the connection"},
		{[]string{"AUTH", "pw"}, "state of the connection"},
		{[]string{"SELECT", "1"}, "state of the connection"},
		{[]string{"RESET"}, "state of the connection"},
		{[]string{"QUIT"}, "Client.Close"},
		{[]string{"READONLY"}, "state of the connection"},
		{[]string{"READWRITE"}, "state of the connection"},
		{[]string{"ASKING"}, "state of the connection"},
		{[]string{"MONITOR"}, "stream"},
		{[]string{"SYNC"}, "stream"},
		{[]string{"PSYNC", "?", "-1"}, "stream"},
		{[]string{"SCAN", "0"}, "Client.Scan"},
		{[]string{"SHUTDOWN", "NOSAVE"}, "Client.DoOn"},
		{[]string{"CLUSTER", "FAILOVER"}, "Client.DoOn"},
		{[]string{"CLUSTER", "RESET"}, "Client.DoOn"},
		{[]string{"DEBUG", "SLEEP", "0"}, "Client.DoOn"},
		{[]string{"CONFIG", "REWRITE"}, "Client.DoOn"},
		{[]string{"WAIT", "1", "0"}, "timeout"},
		{[]string{"WAIT", "1", "100"}, "writes"},
	}
	for _, tt := range refused {
		name := strings.Join(tt.args, " ")
		if tt.args[0] == "EXEC" {
			// EXEC alone changes nothing: the server answers it.
			r := c.Do(ctx, tt.args[0], tt.args[1:]...)
			assert.ErrorContains(t, r.Err, "EXEC without MULTI", name)
			continue
		}
		r := c.Do(ctx, tt.args[0], tt.args[1:]...)
		require.ErrorIs(t, r.Err, redactor.ErrNotPipelinable, name)
		assert.Contains(t, r.Err.Error(), tt.hint, name)

		// In a pipeline, the refusal is the command's own result.
		k := t.Name() + ":" + name
		p := c.Pipeline()
		p.Do("SET", k, "before")
		p.Do(tt.args[0], tt.args[1:]...)
		p.Do("GET", k)
		results, err := p.Exec(ctx)
		require.NoError(t, err, name)
		assert.Equal(t, redactor.Result{Value: "OK"}, results[0], name)
		switch name {
		case "MULTI":
			// A MULTI without EXEC refuses everything after it: its block.
			assert.ErrorIs(t, results[1].Err, redactor.ErrNotPipelinable, name)
			assert.ErrorIs(t, results[2].Err, redactor.ErrNotPipelinable, name)
		case "WAIT 1 100":
			// After a write of its pipeline, WAIT has something to count.
			require.NoError(t, results[1].Err, name)
			assert.IsType(t, int64(0), results[1].Value, name)
			assert.Equal(t, redactor.Result{Value: "before"}, results[2], name)
		default:
			assert.ErrorIs(t, results[1].Err, redactor.ErrNotPipelinable, name)
			assert.Equal(t, redactor.Result{Value: "before"}, results[2], name)
		}
	}
	// A PUBLISH after the refused SUBSCRIBE reaches no shared connection.
	for range 10 {
		require.NoError(t, c.Do(ctx, "PUBLISH", "ch", "hello").Err)
	}
	load.finish(t)
}

// TestClientReplySkipCannotShiftReplies is the reproduction: CLIENT
// REPLY SKIP with 50 concurrent GETs used to hand 13 of them another key's
// value.
func TestClientReplySkipCannotShiftReplies(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	const n = 50
	for i := range n {
		require.NoError(t, c.Do(ctx, "SET", fmt.Sprintf("%s:%d", t.Name(), i), fmt.Sprint(i)).Err)
	}
	var wg sync.WaitGroup
	var wrong atomic.Int64
	for round := range 20 {
		wg.Add(n + 1)
		go func() {
			defer wg.Done()
			r := c.Do(ctx, "CLIENT", "REPLY", "SKIP")
			if !errors.Is(r.Err, redactor.ErrNotPipelinable) {
				wrong.Add(1)
			}
		}()
		for i := range n {
			go func() {
				defer wg.Done()
				r := c.Do(ctx, "GET", fmt.Sprintf("%s:%d", t.Name(), i))
				if r.Err != nil || r.Value != fmt.Sprint(i) {
					wrong.Add(1)
					t.Logf("round %d: GET %d got %#v", round, i, r)
				}
			}()
		}
		wg.Wait()
	}
	assert.Zero(t, wrong.Load())
}

// TestMultiWithoutExecIsRefused queues a MULTI whose EXEC never comes: the
// block is refused before I/O, and the connection other callers share is
// never left inside a transaction.
func TestMultiWithoutExecIsRefused(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	load := startCheckedLoad(t, c, t.Name(), 4)
	k := "{" + t.Name() + "}"
	for range 20 {
		p := c.Pipeline()
		p.Do("GET", "other:"+k)
		p.Do("MULTI")
		p.Do("SET", k+"a", "1")
		p.Do("SET", k+"b", "2")
		results, err := p.Exec(ctx)
		require.NoError(t, err)
		assert.Equal(t, redactor.Result{}, results[0], "commands before the block run")
		for _, r := range results[1:] {
			require.ErrorIs(t, r.Err, redactor.ErrNotPipelinable)
			assert.Contains(t, r.Err.Error(), "without EXEC")
		}
	}
	assert.Equal(t, redactor.Result{Value: int64(0)}, c.Do(ctx, "EXISTS", k+"a"), "nothing of the block ran")
	load.finish(t)
}

// TestRefusalsDoNotBlockOthers checks that empty and refused commands in a
// pipeline leave the others' results alone.
func TestRefusalsDoNotBlockOthers(t *testing.T) {
	ctx, cancel := context.WithCancel(testContext(t))
	defer cancel()
	c := newClient(t, redactor.Config{})
	p := c.Pipeline()
	p.Do("")
	p.Do("SUBSCRIBE")
	p.Do("PING")
	results, err := p.Exec(ctx)
	require.NoError(t, err)
	assert.ErrorIs(t, results[0].Err, redactor.ErrEmptyCommand)
	assert.ErrorIs(t, results[1].Err, redactor.ErrNotPipelinable)
	assert.Equal(t, redactor.Result{Value: "PONG"}, results[2])
}
