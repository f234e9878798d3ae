package actors

import (
	"fmt"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/redactor-go/redactor/topology"
)

// CoordinatorConfig configures a coordinator actor.
type CoordinatorConfig struct {
	// Topology is the topology actor to subscribe to for Routes.
	Topology *actor.PID
	// Routes are the routes to start with (optional; the subscription sends
	// the current ones too).
	Routes *topology.Routes
}

// CoordinatorProps returns the props of a coordinator actor, which runs the
// Exec messages it receives.
func CoordinatorProps(cfg CoordinatorConfig) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		return &coordinator{topology: cfg.Topology, routes: cfg.Routes}
	})
}

// coordinator splits each pipeline into one batch per node, sends the batches
// (at once, or one after another), and answers when every command has its
// outcome.
type coordinator struct {
	topology *actor.PID
	routes   *topology.Routes
	// keys is scratch space for key positions, reused across commands.
	keys []int
	// next spreads pipelines without keyed commands over the masters.
	next int
}

// Receive handles the actor's messages.
func (c *coordinator) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *Exec:
		c.start(ctx, msg)
	case *batchDone:
		c.batchDone(ctx, msg.batch)
	case *topology.Routes:
		if c.routes == nil || msg.Version >= c.routes.Version {
			c.routes = msg
		}
	case *actor.Started:
		if c.topology != nil {
			ctx.Send(c.topology, &topology.Subscribe{PID: ctx.Self()})
		}
	}
}

// start routes every command of e and sends the node batches.
func (c *coordinator) start(ctx actor.Context, e *Exec) {
	e.sender = ctx.Sender()
	e.Err = nil
	n := len(e.Commands)
	if cap(e.Results) >= n {
		e.Results = e.Results[:n]
		clear(e.Results)
	} else {
		e.Results = make([]Result, n)
	}
	switch {
	case n == 0:
		c.finish(ctx, e)
		return
	case c.routes == nil:
		e.Err = ErrNoRoutes
		c.finish(ctx, e)
		return
	}
	batches := c.split(ctx, e)
	if len(batches) == 0 {
		c.finish(ctx, e)
		return
	}
	if e.Mode == Serial {
		e.pending = 1
		e.queue = batches[1:]
		ctx.Send(batches[0].node, batches[0])
		return
	}
	e.pending = len(batches)
	for _, b := range batches {
		ctx.Send(b.node, b)
	}
}

// split groups the commands of e by the master that serves their slot, in
// the order of their first command. A command without keys joins the batch of
// the keyed command before it (or, at the start, the first keyed command's),
// so the commands sent to a node keep their queue order. Commands that
// cannot be routed get their error at once.
func (c *coordinator) split(ctx actor.Context, e *Exec) []*nodeBatch {
	routes := c.routes
	byShard := make([]*nodeBatch, len(routes.Nodes))
	var batches []*nodeBatch
	var current *nodeBatch
	var leading []int // keyless commands before the first keyed one
	for i, args := range e.Commands {
		shard, err := c.shardOf(routes, args)
		if err != nil {
			e.Results[i].Err = err
			continue
		}
		if shard < 0 {
			if current == nil {
				leading = append(leading, i)
			} else {
				current.idx = append(current.idx, i)
			}
			continue
		}
		b := byShard[shard]
		if b == nil {
			b = &nodeBatch{exec: e, node: routes.Nodes[shard], coordinator: ctx.Self()}
			if current == nil {
				b.idx = leading
			}
			byShard[shard] = b
			batches = append(batches, b)
		}
		b.idx = append(b.idx, i)
		current = b
	}
	if current == nil && len(leading) > 0 {
		shard := c.next % len(routes.Nodes)
		c.next++
		batches = append(batches, &nodeBatch{exec: e, node: routes.Nodes[shard], idx: leading, coordinator: ctx.Self()})
	}
	return batches
}

// shardOf returns the index of the shard serving args' keys, or -1 for a
// command without keys (or one the command table does not know: the server
// will answer it with its own error).
func (c *coordinator) shardOf(routes *topology.Routes, args []string) (int, error) {
	if len(args) == 0 || args[0] == "" {
		return 0, ErrEmptyCommand
	}
	keys, known := routes.Commands.KeyPositions(args, c.keys[:0])
	c.keys = keys
	if !known || len(keys) == 0 {
		return -1, nil
	}
	slot := topology.Slot(args[keys[0]])
	for _, k := range keys[1:] {
		if topology.Slot(args[k]) != slot {
			return 0, fmt.Errorf("%w (%s)", ErrCrossSlot, args[0])
		}
	}
	shard, ok := routes.Map.ShardIndex(slot)
	if !ok {
		return 0, fmt.Errorf("%w: slot %d (%s)", ErrSlotNotServed, slot, args[0])
	}
	return shard, nil
}

// batchDone records a finished batch, sends the next one in Serial mode, and
// answers the Exec when nothing is left.
func (c *coordinator) batchDone(ctx actor.Context, b *nodeBatch) {
	e := b.exec
	e.pending--
	if len(e.queue) > 0 {
		next := e.queue[0]
		e.queue = e.queue[1:]
		e.pending++
		ctx.Send(next.node, next)
		return
	}
	if e.pending == 0 {
		c.finish(ctx, e)
	}
}

// finish answers the Exec.
func (c *coordinator) finish(ctx actor.Context, e *Exec) {
	e.queue = nil
	if e.Done != nil {
		select {
		case e.Done <- e:
		default:
		}
		return
	}
	if e.sender != nil {
		ctx.Send(e.sender, e)
	}
}
