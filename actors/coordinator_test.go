package actors

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor/resp"
	"github.com/redactor-go/redactor/topology"
)

// These unit tests drive a real coordinator against fake node actors that
// answer each command with "<node>:<command args>". The cluster behaviour
// itself is tested against real redis-server processes in the root package.

// fakeNode answers batches itself and records the order it got them in.
type fakeNode struct {
	name string
	log  *eventLog
}

type eventLog struct {
	mu     sync.Mutex
	events []string
}

func (l *eventLog) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, s)
}

func (l *eventLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.events...)
}

// answer is the fake node's reply to args: "<node>:<command args>", but
// for the multi-key commands a reply of the real command's shape: MGET a
// "<node>:<key>" per key, DEL and EXISTS the number of keys, MSET OK.
func (n *fakeNode) answer(args []string) any {
	switch strings.ToUpper(args[0]) {
	case "MGET":
		values := make([]any, 0, len(args)-1)
		for _, k := range args[1:] {
			values = append(values, n.name+":"+k)
		}
		return values
	case "DEL", "EXISTS":
		return int64(len(args) - 1)
	case "MSET":
		return "OK"
	}
	return n.name + ":" + strings.Join(args, " ")
}

func (n *fakeNode) Receive(ctx actor.Context) {
	b, ok := ctx.Message().(*nodeBatch)
	if !ok {
		return
	}
	n.log.add(fmt.Sprintf("%s got %v", n.name, b.idx))
	root := ctx.ActorSystem().Root
	// Answer a little later, so a serial coordinator visibly waits.
	time.AfterFunc(5*time.Millisecond, func() {
		for _, i := range b.idx {
			*b.exec.result(i) = Result{Value: n.answer(b.exec.command(i))}
		}
		b.replied = len(b.idx)
		n.log.add(n.name + " done")
		root.Send(b.coordinator, b.doneMsg())
	})
}

// loadCommandTable reads the command table recorded from redis-server 7.0.
func loadCommandTable(t testing.TB) *resp.CommandTable {
	t.Helper()
	data, err := os.ReadFile("../resp/testdata/command-7.0.json")
	require.NoError(t, err)
	var raw any
	require.NoError(t, json.Unmarshal(data, &raw))
	var convert func(any) any
	convert = func(v any) any {
		switch v := v.(type) {
		case float64:
			return int64(v)
		case []any:
			out := make([]any, len(v))
			for i, e := range v {
				out[i] = convert(e)
			}
			return out
		}
		return v
	}
	table, err := resp.ParseCommandTable(convert(raw))
	require.NoError(t, err)
	return table
}

// startCoordinator spawns three fake nodes serving slots 0-5460, 5461-10922
// and 10923-16383, and a coordinator routing to them.
func startCoordinator(t *testing.T) (*actor.ActorSystem, *actor.PID, *eventLog) {
	t.Helper()
	system := actor.NewActorSystem()
	t.Cleanup(system.Shutdown)
	log := &eventLog{}
	ranges := []topology.SlotRange{{First: 0, Last: 5460}, {First: 5461, Last: 10922}, {First: 10923, Last: 16383}}
	var shards []topology.Shard
	var nodes []*actor.PID
	for i, r := range ranges {
		name := fmt.Sprintf("n%d", i)
		shards = append(shards, topology.Shard{Master: name, Ranges: []topology.SlotRange{r}})
		nodes = append(nodes, system.Root.Spawn(actor.PropsFromProducer(func() actor.Actor {
			return &fakeNode{name: name, log: log}
		})))
	}
	m, err := topology.NewSlotMap(shards)
	require.NoError(t, err)
	byAddr := map[string]*actor.PID{}
	for i, pid := range nodes {
		byAddr[shards[i].Master] = pid
	}
	routes := &topology.Routes{Version: 1, Map: m, Nodes: nodes, ByAddr: byAddr, Commands: loadCommandTable(t)}
	coord := system.Root.Spawn(CoordinatorProps(CoordinatorConfig{Routes: routes}))
	return system, coord, log
}

func run(t *testing.T, system *actor.ActorSystem, coord *actor.PID, mode Mode, cmds ...[]string) *Exec {
	t.Helper()
	done := make(chan *Exec, 1)
	system.Root.Send(coord, &Exec{Commands: cmds, Mode: mode, Done: done})
	select {
	case e := <-done:
		return e
	case <-time.After(5 * time.Second):
		t.Fatal("no answer from the coordinator")
		return nil
	}
}

// Keys and their nodes: slot("a")=15495 (n2), slot("b")=3300 (n0),
// slot("c")=7365 (n1).
func TestCoordinatorKeepsQueueOrderAcrossNodes(t *testing.T) {
	system, coord, _ := startCoordinator(t)
	e := run(t, system, coord, Parallel,
		[]string{"PING"},                       // keyless at the start: joins the first keyed batch (n2)
		[]string{"GET", "a"},                   // n2
		[]string{"GET", "b"},                   // n0
		[]string{"ECHO", "x"},                  // keyless: joins the batch of the command before (n0)
		[]string{"MSETNX", "a", "1", "b", "2"}, // CROSSSLOT (never split), never sent
		[]string{"GET", "c"},                   // n1
		[]string{""},                           // empty command
		[]string{"GET", "{b}other"},            // n0
	)
	require.NoError(t, e.Err)
	assert.Equal(t, "n2:PING", e.Results[0].Value)
	assert.Equal(t, "n2:GET a", e.Results[1].Value)
	assert.Equal(t, "n0:GET b", e.Results[2].Value)
	assert.Equal(t, "n0:ECHO x", e.Results[3].Value)
	assert.ErrorIs(t, e.Results[4].Err, ErrCrossSlot)
	assert.Equal(t, "n1:GET c", e.Results[5].Value)
	assert.ErrorIs(t, e.Results[6].Err, ErrEmptyCommand)
	assert.Equal(t, "n0:GET {b}other", e.Results[7].Value)
}

func TestCoordinatorSerialSendsOneBatchAfterAnother(t *testing.T) {
	system, coord, log := startCoordinator(t)
	e := run(t, system, coord, Serial, []string{"GET", "a"}, []string{"GET", "b"}, []string{"GET", "c"}, []string{"GET", "a"})
	require.NoError(t, e.Err)
	assert.Equal(t, []string{"n2 got [0 3]", "n2 done", "n0 got [1]", "n0 done", "n1 got [2]", "n1 done"}, log.all())
}

func TestCoordinatorParallelSendsAllBatchesAtOnce(t *testing.T) {
	system, coord, log := startCoordinator(t)
	e := run(t, system, coord, Parallel, []string{"GET", "a"}, []string{"GET", "b"}, []string{"GET", "c"})
	require.NoError(t, e.Err)
	events := log.all()
	require.Len(t, events, 6)
	assert.ElementsMatch(t, []string{"n2 got [0]", "n0 got [1]", "n1 got [2]"}, events[:3], "every batch is out before any reply")
}

func TestCoordinatorEmptyExec(t *testing.T) {
	system, coord, log := startCoordinator(t)
	e := run(t, system, coord, Parallel)
	require.NoError(t, e.Err)
	assert.Empty(t, e.Results)
	assert.Empty(t, log.all())
}

// TestCoordinatorAnswersAnActorSender sends an Exec from an actor with
// Request, as users extending redactor with actors do: the same *Exec comes
// back to that actor, filled in.
func TestCoordinatorAnswersAnActorSender(t *testing.T) {
	system, coord, _ := startCoordinator(t)
	answers := make(chan *Exec, 1)
	sender := system.Root.Spawn(actor.PropsFromFunc(func(ctx actor.Context) {
		switch msg := ctx.Message().(type) {
		case *actor.Started:
			ctx.Request(coord, &Exec{Commands: [][]string{{"GET", "a"}, {"GET", "b"}}})
		case *Exec:
			answers <- msg
		}
	}))
	defer system.Root.Stop(sender)
	select {
	case e := <-answers:
		require.NoError(t, e.Err)
		assert.Equal(t, []Result{{Value: "n2:GET a"}, {Value: "n0:GET b"}}, e.Results)
	case <-time.After(5 * time.Second):
		t.Fatal("no answer to the actor")
	}
}
