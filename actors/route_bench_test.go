package actors

import (
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"testing"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/redactor-go/redactor/internal/dispatch"
	"github.com/redactor-go/redactor/resp"
	"github.com/redactor-go/redactor/topology"
)

// The routing path without I/O: in-memory node actors answer each batch at
// once, so what these benchmarks measure is the client's own work between
// a caller and its nodes (routing, grouping, hand-offs).

// echoNode answers every batch at once, on its own goroutine.
type echoNode struct{}

func (echoNode) Receive(ctx actor.Context) {
	b, ok := ctx.Message().(*nodeBatch)
	if !ok {
		return
	}
	for _, i := range b.idx {
		*b.exec.result(i) = Result{Value: "OK"}
	}
	b.replied = len(b.idx)
	ctx.Send(b.coordinator, b.doneMsg())
}

// benchRoutes returns Routes over three in-memory nodes of system.
func benchRoutes(tb testing.TB, system *actor.ActorSystem) *topology.Routes {
	ranges := []topology.SlotRange{{First: 0, Last: 5460}, {First: 5461, Last: 10922}, {First: 10923, Last: 16383}}
	var shards []topology.Shard
	var nodes []*actor.PID
	for i, r := range ranges {
		shards = append(shards, topology.Shard{Master: fmt.Sprintf("n%d", i), Ranges: []topology.SlotRange{r}})
		nodes = append(nodes, system.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return echoNode{} })))
	}
	m, err := topology.NewSlotMap(shards)
	if err != nil {
		tb.Fatal(err)
	}
	return &topology.Routes{Version: 1, Map: m, Nodes: nodes, Commands: benchTable(tb)}
}

var benchTableCache *resp.CommandTable

func benchTable(tb testing.TB) *resp.CommandTable {
	if benchTableCache == nil {
		benchTableCache = loadCommandTable(tb)
	}
	return benchTableCache
}

// quietSystem returns an actor system that logs nothing.
func quietSystem() *actor.ActorSystem {
	return actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}))
}

// benchCommands returns n commands, half SET and half GET, over random keys
// of all masters.
func benchCommands(n int) [][]string {
	rng := rand.New(rand.NewPCG(1, 2))
	cmds := make([][]string, n)
	for i := range cmds {
		k := fmt.Sprintf("bench:%05d", rng.IntN(10_000))
		if i%2 == 0 {
			cmds[i] = []string{"SET", k, "0123456789abcdef0123456789abcdef"}
		} else {
			cmds[i] = []string{"GET", k}
		}
	}
	return cmds
}

// BenchmarkShardOf is the per-command routing cost: the command's table
// entry, its keys, their slot, the slot's master.
func BenchmarkShardOf(b *testing.B) {
	c := &coordinator{}
	routes := &topology.Routes{Commands: benchTable(b)}
	m, _ := topology.NewSlotMap([]topology.Shard{{Master: "a", Ranges: []topology.SlotRange{{First: 0, Last: 16383}}}})
	routes.Map = m
	cmds := benchCommands(1024)
	b.ResetTimer()
	for i := range b.N {
		if _, _, err := c.shardOf(routes, cmds[i&1023]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRouting runs pipelines of 100 commands from parallel callers,
// routed on the callers' goroutines (Exec.Preroute, as redactor.Client
// does), through the coordinator to in-memory nodes; run it with -cpu 1,2
// to see how it scales. It reports commands per second.
func BenchmarkRouting(b *testing.B) {
	system := quietSystem()
	defer system.Shutdown()
	routes := benchRoutes(b, system)
	workers := dispatch.NewWorkerPool(300, 64)
	defer workers.Close()
	coord := system.Root.Spawn(CoordinatorProps(CoordinatorConfig{Routes: routes, Dispatcher: workers}))
	cmds := benchCommands(100)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		done := make(chan *Exec, 1)
		e := &Exec{}
		var shards []int32
		for pb.Next() {
			*e = Exec{Commands: cmds, Done: done, Results: e.Results}
			shards = e.Preroute(routes, shards)
			system.Root.Send(coord, e)
			<-done
		}
	})
	b.ReportMetric(float64(b.N*len(cmds))/b.Elapsed().Seconds(), "commands/s")
}

// BenchmarkGroupPrerouted is the coordinator's own per-command cost for a
// prerouted pipeline of 100 commands: laying out its batches.
func BenchmarkGroupPrerouted(b *testing.B) {
	system := quietSystem()
	defer system.Shutdown()
	routes := benchRoutes(b, system)
	cmds := benchCommands(100)
	e := &Exec{Commands: cmds, Results: make([]Result, len(cmds))}
	e.Preroute(routes, nil)
	c := &coordinator{routes: routes}
	self := system.Root.Spawn(actor.PropsFromFunc(func(actor.Context) {}))
	ctx := &selfContext{self: self}
	b.ResetTimer()
	for range b.N {
		c.group(ctx, e, nil)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(cmds)), "ns/command")
}

// BenchmarkGroup is the coordinator's per-command cost for a pipeline of
// 100 commands it routes itself (not prerouted: newer Routes, or a caller
// that does not preroute): finding each command's master, then laying out
// the batches.
func BenchmarkGroup(b *testing.B) {
	system := quietSystem()
	defer system.Shutdown()
	routes := benchRoutes(b, system)
	cmds := benchCommands(100)
	e := &Exec{Commands: cmds, Results: make([]Result, len(cmds))}
	c := &coordinator{routes: routes}
	self := system.Root.Spawn(actor.PropsFromFunc(func(actor.Context) {}))
	ctx := &selfContext{self: self}
	b.ResetTimer()
	for range b.N {
		c.group(ctx, e, nil)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(cmds)), "ns/command")
}

// selfContext is an actor.Context that knows only Self, all the fast path
// of group asks of it.
type selfContext struct {
	actor.Context
	self *actor.PID
}

func (c *selfContext) Self() *actor.PID { return c.self }
