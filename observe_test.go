package redactor_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/topology"
)

// TestOnEventSeesNew checks that Config.OnEvent sees the first layout load,
// the one New waits for.
func TestOnEventSeesNew(t *testing.T) {
	loaded := make(chan redactor.Event, 16)
	c := newClient(t, redactor.Config{OnEvent: func(ev redactor.Event) {
		if _, ok := ev.Payload.(*topology.Loaded); ok {
			loaded <- ev
		}
	}})
	select {
	case ev := <-loaded:
		assert.Same(t, c, ev.Client)
		l := ev.Payload.(*topology.Loaded)
		assert.NoError(t, l.Err)
		assert.Equal(t, uint64(1), l.Version)
		assert.False(t, ev.Time.IsZero())
	case <-time.After(5 * time.Second):
		t.Fatal("no topology.Loaded event from New")
	}
}

// TestSlowAndReentrantObservers checks that observers never hold up the
// client: one sleeps a second per event, one calls the client from inside
// its handler, and the pipelines that cause events (redirects, loads) run
// on at full speed meanwhile.
func TestSlowAndReentrantObservers(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})

	var slowCalls atomic.Int32
	slow := redactor.Observe(c, func(redactor.Event) {
		slowCalls.Add(1)
		time.Sleep(time.Second)
	})
	defer func() {
		slow.Stop()
		<-slow.Done() // its last sleep
	}()
	var reentrant sync.WaitGroup
	reentrant.Add(1)
	var once sync.Once
	var inner redactor.Result
	re := redactor.Observe(c, func(*topology.Loaded) {
		once.Do(func() {
			// A pipeline from inside a handler: it must not deadlock.
			inner = c.Do(ctx, "SET", t.Name()+":inner", "v")
			reentrant.Done()
		})
	})
	defer re.Stop()

	// Cause many events: each refresh publishes a topology.Loaded.
	start := time.Now()
	for i := range 200 {
		require.NoError(t, c.Do(ctx, "CLUSTER", "SHARDS").Err)
		p := c.Pipeline()
		p.Do("SET", fmt.Sprintf("%s:%d", t.Name(), i), "v")
		p.Do("GET", fmt.Sprintf("%s:%d", t.Name(), i))
		results, err := p.Exec(ctx)
		require.NoError(t, err)
		require.Equal(t, "v", results[1].Value)
		if i%20 == 0 {
			refreshLayout(t, c)
		}
	}
	elapsed := time.Since(start)
	reentrant.Wait()
	require.NoError(t, inner.Err)
	// A generous liveness bound: 200 pipelines and 10 refreshes, while
	// the slow observer has taken at most a few of its events.
	assert.Less(t, elapsed, 10*time.Second)
	assert.LessOrEqual(t, slowCalls.Load(), int32(elapsed/time.Second)+1)
	t.Logf("200 pipelines and 10 refreshes in %v; the slow observer saw %d events, dropped %d", elapsed, slowCalls.Load(), slow.Dropped())
}

// refreshLayout makes the client load its layout again, which publishes a
// topology.Loaded: a command its command table does not know makes it
// reload the table, with the slot map.
func refreshLayout(t *testing.T, c *redactor.Client) {
	t.Helper()
	r := c.Do(testContext(t), "NOSUCHCOMMAND", "x")
	require.Error(t, r.Err)
}

// TestEventsOfClientsSharingASystem checks that two clients on one actor
// system keep their events apart: each observer sees its client's only,
// and the EventStream's *Event says which client.
func TestEventsOfClientsSharingASystem(t *testing.T) {
	system := actor.NewActorSystem()
	defer system.Shutdown()
	var mu sync.Mutex
	byClient := map[*redactor.Client]int{}
	sub := system.EventStream.Subscribe(func(evt any) {
		if ev, ok := evt.(*redactor.Event); ok {
			mu.Lock()
			byClient[ev.Client]++
			mu.Unlock()
		}
	})
	defer system.EventStream.Unsubscribe(sub)

	// Each OnEvent records the clients of the events it got.
	var seenMu sync.Mutex
	seen := map[string][]*redactor.Client{}
	record := func(name string) func(redactor.Event) {
		return func(ev redactor.Event) {
			seenMu.Lock()
			seen[name] = append(seen[name], ev.Client)
			seenMu.Unlock()
		}
	}
	a := newClient(t, redactor.Config{ActorSystem: system, OnEvent: record("a")})
	b := newClient(t, redactor.Config{ActorSystem: system, OnEvent: record("b")})
	refreshLayout(t, a)
	refreshLayout(t, b)
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return byClient[a] >= 2 && byClient[b] >= 2
	}, 5*time.Second, 10*time.Millisecond)
	seenMu.Lock()
	defer seenMu.Unlock()
	for name, want := range map[string]*redactor.Client{"a": a, "b": b} {
		require.NotEmpty(t, seen[name])
		for _, got := range seen[name] {
			assert.Same(t, want, got, "%s saw only its own events", name)
		}
	}
}

// TestObserverStop checks that a stopped observer is called no more.
func TestObserverStop(t *testing.T) {
	c := newClient(t, redactor.Config{})
	var calls atomic.Int32
	o := redactor.Observe(c, func(*topology.Loaded) { calls.Add(1) })
	refreshLayout(t, c)
	require.Eventually(t, func() bool { return calls.Load() >= 1 }, 5*time.Second, 5*time.Millisecond)
	o.Stop()
	time.Sleep(50 * time.Millisecond) // a call already running may end
	before := calls.Load()
	refreshLayout(t, c)
	time.Sleep(200 * time.Millisecond)
	assert.Equal(t, before, calls.Load())
	o.Stop() // twice is fine
}
