package actors

import (
	"fmt"
	"testing"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/redactor-go/redactor/topology"
)

// benchReplicaRoutes returns benchRoutes with two in-memory replicas per
// master.
func benchReplicaRoutes(tb testing.TB, system *actor.ActorSystem) *topology.Routes {
	routes := benchRoutes(tb, system)
	shards := append([]topology.Shard(nil), routes.Map.Shards()...)
	routes.Replicas = make([][]*actor.PID, len(shards))
	for i := range shards {
		for k := range 2 {
			shards[i].Replicas = append(shards[i].Replicas, fmt.Sprintf("n%dr%d", i, k))
			routes.Replicas[i] = append(routes.Replicas[i],
				system.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return echoNode{} })))
		}
	}
	m, err := topology.NewSlotMap(shards)
	if err != nil {
		tb.Fatal(err)
	}
	routes.Map = m
	return routes
}

// BenchmarkGroupReplicaReads is BenchmarkGroupPrerouted with
// ReadReplicaPreferred and two replicas per master: the coordinator's cost
// of the read plan and of moving the pipeline's GETs (half of it) to
// replica batches.
func BenchmarkGroupReplicaReads(b *testing.B) {
	system := quietSystem()
	defer system.Shutdown()
	routes := benchReplicaRoutes(b, system)
	cmds := benchCommands(100)
	e := &Exec{Commands: cmds, Results: make([]Result, len(cmds))}
	e.Preroute(routes, nil)
	c := &coordinator{routes: routes, cfg: CoordinatorConfig{ReadFrom: ReadReplicaPreferred}}
	self := system.Root.Spawn(actor.PropsFromFunc(func(actor.Context) {}))
	ctx := &selfContext{self: self}
	b.ResetTimer()
	for range b.N {
		e.reads = readPlan{}
		if len(c.group(ctx, e, nil)) != 6 {
			b.Fatal("want a master batch (the SETs) and a replica batch (the GETs) per shard")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(cmds)), "ns/command")
}
