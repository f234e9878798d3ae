package actors

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/redactor-go/redactor/resp"
	"github.com/redactor-go/redactor/topology"
)

// chains builds the batches of an Exec that needs more than routing by
// keys: per node, a chain of batches in queue order, in which a command run
// on a connection of its own (BLPOP) is a batch between the batches of the
// node's shared connection, so the node still sees the commands in order.
type chains struct {
	e       *Exec
	self    *actor.PID
	version uint64
	byNode  map[*actor.PID]*chain
	order   []*chain
}

// chain is one node's batches, head first.
type chain struct {
	head, tail *nodeBatch
}

func newChains(ctx actor.Context, e *Exec, routes *topology.Routes) *chains {
	return &chains{e: e, self: ctx.Self(), version: routes.Version, byNode: map[*actor.PID]*chain{}}
}

func (g *chains) chainOf(pid *actor.PID) *chain {
	ch := g.byNode[pid]
	if ch == nil {
		ch = &chain{}
		g.byNode[pid] = ch
		g.order = append(g.order, ch)
	}
	return ch
}

func (g *chains) newBatch(ch *chain, pid *actor.PID, addr string) *nodeBatch {
	b := &nodeBatch{exec: g.e, node: pid, addr: addr, version: g.version, coordinator: g.self}
	if ch.tail == nil {
		ch.head = b
	} else {
		ch.tail.next = b
	}
	ch.tail = b
	return b
}

// add appends position i to the node's batch on its shared connection.
func (g *chains) add(pid *actor.PID, addr string, i int) *nodeBatch {
	ch := g.chainOf(pid)
	b := ch.tail
	if b == nil || b.dedicated {
		b = g.newBatch(ch, pid, addr)
	}
	b.idx = append(b.idx, i)
	b.bytes += argBytes(g.e.command(i))
	return b
}

// addDedicated makes position i a batch of its own, run on a connection of
// its own, after what the node got before it.
func (g *chains) addDedicated(pid *actor.PID, addr string, i int, blockFor time.Duration) {
	b := g.newBatch(g.chainOf(pid), pid, addr)
	b.dedicated, b.blockFor = true, blockFor
	b.idx = []int{i}
}

// batches returns what to dispatch: in Parallel mode each chain's head,
// linked to the rest; in Serial mode every batch, one after another.
func (g *chains) batches(mode Mode) []*nodeBatch {
	var out []*nodeBatch
	for _, ch := range g.order {
		if mode == Parallel {
			out = append(out, ch.head)
			continue
		}
		for b := ch.head; b != nil; {
			next := b.next
			b.next = nil
			out = append(out, b)
			b = next
		}
	}
	return out
}

// groupSpecial is group for Execs with a command that needs more than its
// keys: a MULTI block, a blocking command, a command run on every master or
// node, a command split by slot, WAIT, a refused command, a part being
// re-sent, or a named node.
func (c *coordinator) groupSpecial(ctx actor.Context, e *Exec, idx []int) []*nodeBatch {
	if e.Node != "" {
		return c.groupOnNode(ctx, e, idx)
	}
	routes := c.routes
	n, at := positionsOf(e, idx)
	g := newChains(ctx, e, routes)
	master := func(shard int) (*actor.PID, string) {
		return routes.Nodes[shard], routes.Map.Shards()[shard].Master
	}
	wrote := make([]bool, len(routes.Nodes))
	unserved := false
	fail := func(i int, err error) {
		*e.result(i) = Result{Err: err}
		// A slot without a master is a failover in progress: wait for the
		// promoted replica.
		if errors.Is(err, ErrSlotNotServed) && c.retryLater(e, i) {
			unserved = true
		}
	}
	// Keyless commands join the master of the keyed command before them;
	// those before the first keyed command join its master.
	current := c.firstShard(routes, e, idx)
	for j := 0; j < n; j++ {
		i := at(j)
		if i >= len(e.Commands) {
			if e.parts[i-len(e.Commands)].ords != nil {
				// A part of a split command, re-sent: by its slot.
				c.routeSplitPart(g, e, i, fail)
				continue
			}
			// A part of a fanned-out command, re-sent: to its own node.
			addr := e.parts[i-len(e.Commands)].addr
			if routes.ByAddr[addr] == nil {
				*e.result(i) = Result{Err: fmt.Errorf("%w: %s left the cluster's layout", ErrNotSent, addr)}
				continue
			}
			e.sendTo(addrKey{addr: addr}, i)
			continue
		}
		args := e.Commands[i]
		shard, info, err := c.shardOf(routes, args)
		switch {
		case info != nil && info.Class == resp.ClassRefused:
			fail(i, notPipelinable(args, refusalText[info.Refusal]))
			continue
		case info != nil && info.Class == resp.ClassNodeSpecific:
			fail(i, notPipelinable(args, nodeSpecificText))
			continue
		case err != nil:
			if l, split := c.splitOf(info, args, err); split {
				current = c.groupSplit(g, e, i, info, l, current, wrote, fail)
				continue
			}
			fail(i, err)
			continue
		}
		if shard < 0 {
			shard = current
		}
		switch {
		case info != nil && info.Class == resp.ClassMulti:
			j = c.groupTx(g, e, idx, j, &current, wrote, fail)
			continue
		case info != nil && info.Class == resp.ClassWait:
			c.groupWait(g, e, i, wrote, fail)
			continue
		case info != nil && fansOut(info):
			c.groupFan(g, e, i, info, wrote)
			continue
		case shard < 0:
			fail(i, ErrNoRoutes)
			continue
		}
		pid, addr := master(shard)
		if info != nil && info.Blocks(args) {
			g.addDedicated(pid, addr, i, info.BlockTimeout(args))
		} else {
			g.add(pid, addr, i)
		}
		current = shard
		if info != nil && info.Flags.Has(resp.FlagWrite) {
			wrote[shard] = true
		}
	}
	if unserved {
		ctx.Send(c.cfg.Topology, &topology.Refresh{})
		c.startTimer(ctx, e)
	}
	return g.batches(e.Mode)
}

// firstShard returns the shard of the first keyed command among the
// positions idx, or a master in turn when none has keys; -1 without masters.
func (c *coordinator) firstShard(routes *topology.Routes, e *Exec, idx []int) int {
	n, at := positionsOf(e, idx)
	for j := range n {
		i := at(j)
		if i >= len(e.Commands) {
			continue
		}
		if shard, _, err := c.shardOf(routes, e.Commands[i]); err == nil && shard >= 0 {
			return shard
		}
	}
	if len(routes.Nodes) == 0 {
		return -1
	}
	c.next++
	return (c.next - 1) % len(routes.Nodes)
}

// groupTx routes the MULTI block that starts at idx[j] as one unit on the
// master of its slot, and returns the index into idx of its end.
func (c *coordinator) groupTx(g *chains, e *Exec, idx []int, j int, current *int, wrote []bool, fail func(int, error)) int {
	n, at := positionsOf(e, idx)
	k, err := c.findTxEnd(e, idx, j)
	last := min(k, n-1)
	shard, slot, writes := -1, -1, false
	for m := j + 1; m < last && err == nil; m++ {
		loc, lerr := c.locate(c.routes, e.Commands[at(m)])
		switch {
		case lerr != nil:
			err = lerr
		case loc.slot >= 0 && slot >= 0 && loc.slot != slot:
			err = blockSlotErr()
		case loc.slot >= 0:
			shard, slot = loc.shard, loc.slot
		}
		writes = writes || loc.info != nil && loc.info.Flags.Has(resp.FlagWrite)
	}
	if shard < 0 {
		shard = *current
	}
	if err == nil && shard < 0 {
		err = ErrNoRoutes
	}
	if err != nil {
		for m := j; m <= last; m++ {
			fail(at(m), err)
		}
		return last
	}
	e.addTx(txBlock{start: at(j), end: at(k)})
	pid, addr := c.routes.Nodes[shard], c.routes.Map.Shards()[shard].Master
	for m := j; m <= k; m++ {
		g.add(pid, addr, at(m))
	}
	*current = shard
	wrote[shard] = wrote[shard] || writes
	return k
}

// groupWait sends WAIT to every master this pipeline wrote to before it,
// right after those writes on the same connection, and takes the least
// count: the number of replicas that acknowledged every write before it.
func (c *coordinator) groupWait(g *chains, e *Exec, i int, wrote []bool, fail func(int, error)) {
	args := e.Commands[i]
	if len(args) == 3 {
		timeout, err := strconv.ParseInt(args[2], 10, 64)
		switch {
		case err == nil && timeout == 0:
			fail(i, notPipelinable(args, "with timeout 0 would block a shared connection until enough replicas acknowledge: give a timeout in milliseconds"))
			return
		case err == nil && timeout > 0:
			f := fan{cmd: i, first: len(e.parts), policy: resp.ResponseAggMin}
			for shard, w := range wrote {
				if !w {
					continue
				}
				addr := c.routes.Map.Shards()[shard].Master
				b := g.add(c.routes.Nodes[shard], addr, e.addPart(i, addr))
				b.waitFor = max(b.waitFor, time.Duration(timeout)*time.Millisecond)
				f.n++
			}
			if f.n == 0 {
				fail(i, notPipelinable(args, "counts the writes before it on its connection: queue it after this pipeline's writes (it runs on each master they went to, and its result is the least count)"))
				return
			}
			e.fans = append(e.fans, f)
			return
		}
	}
	// Malformed: any master answers with the server's own error.
	shard := c.next % len(c.routes.Nodes)
	c.next++
	g.add(c.routes.Nodes[shard], c.routes.Map.Shards()[shard].Master, i)
}

// groupFan sends a copy of command i to every master (and, for all_nodes,
// every replica), each in its place in that node's batch.
func (c *coordinator) groupFan(g *chains, e *Exec, i int, info *resp.CommandInfo, wrote []bool) {
	f := fan{cmd: i, first: len(e.parts), policy: info.Policy.Response}
	shards := c.routes.Map.Shards()
	for shard, pid := range c.routes.Nodes {
		g.add(pid, shards[shard].Master, e.addPart(i, shards[shard].Master))
		f.n++
		if info.Flags.Has(resp.FlagWrite) {
			wrote[shard] = true
		}
		if info.Policy.Request != resp.RequestAllNodes || shard >= len(c.routes.Replicas) {
			continue
		}
		for k, rpid := range c.routes.Replicas[shard] {
			addr := shards[shard].Replicas[k]
			g.add(rpid, addr, e.addPart(i, addr))
			f.n++
		}
	}
	if f.n == 0 {
		f.emptyResult = Result{Err: ErrNoRoutes}
	}
	e.fans = append(e.fans, f)
}

// groupOnNode sends every command of an Exec with Node to that node.
func (c *coordinator) groupOnNode(ctx actor.Context, e *Exec, idx []int) []*nodeBatch {
	n, at := positionsOf(e, idx)
	pid := c.routes.ByAddr[e.Node]
	if pid == nil {
		for j := range n {
			*e.result(at(j)) = Result{Err: ErrUnknownNode}
		}
		return nil
	}
	g := newChains(ctx, e, c.routes)
	for j := 0; j < n; j++ {
		i := at(j)
		args := e.Commands[i]
		if len(args) == 0 || args[0] == "" {
			e.Results[i] = Result{Err: ErrEmptyCommand}
			continue
		}
		info, _ := c.routes.Commands.Lookup(args)
		switch {
		case info == nil:
			g.add(pid, e.Node, i)
		case info.Class == resp.ClassRefused && info.Refusal != resp.RefuseScan:
			e.Results[i] = Result{Err: notPipelinable(args, refusalText[info.Refusal])}
		case info.Class == resp.ClassMulti:
			k, err := c.findTxEnd(e, idx, j)
			if err != nil {
				for m := j; m <= min(k, n-1); m++ {
					e.Results[at(m)] = Result{Err: err}
				}
				j = k
				continue
			}
			e.addTx(txBlock{start: i, end: at(k)})
			for m := j; m <= k; m++ {
				g.add(pid, e.Node, at(m))
			}
			j = k
		case info.Class == resp.ClassWait:
			timeout, err := strconv.ParseInt(safeArg(args, 2), 10, 64)
			if err == nil && timeout == 0 {
				e.Results[i] = Result{Err: notPipelinable(args, "with timeout 0 would block a shared connection until enough replicas acknowledge: give a timeout in milliseconds")}
				continue
			}
			b := g.add(pid, e.Node, i)
			b.waitFor = max(b.waitFor, time.Duration(max(timeout, 0))*time.Millisecond)
		case info.Blocks(args):
			g.addDedicated(pid, e.Node, i, info.BlockTimeout(args))
		default:
			g.add(pid, e.Node, i)
		}
	}
	return g.batches(e.Mode)
}

func safeArg(args []string, i int) string {
	if i < len(args) {
		return args[i]
	}
	return ""
}
