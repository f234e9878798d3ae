package actors

import (
	"errors"
	"slices"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/redactor-go/redactor/resp"
	"github.com/redactor-go/redactor/topology"
)

// CoordinatorConfig configures a coordinator actor.
type CoordinatorConfig struct {
	// Topology is the topology actor: the coordinator subscribes to its
	// Routes and tells it about redirects.
	Topology *actor.PID
	// Routes are the routes to start with (optional; the subscription sends
	// the current ones too).
	Routes *topology.Routes
	// MaxRedirects is how many MOVED/ASK redirects one command may follow
	// before it gets ErrTooManyRedirects. Zero means 5.
	MaxRedirects int
	// RetryTimeout bounds how long, from the start of its Exec, a command is
	// retried while its node is unavailable (TRYAGAIN, CLUSTERDOWN, LOADING,
	// MASTERDOWN, not reachable); the Exec's context may end it sooner.
	// Zero means 10s.
	RetryTimeout time.Duration
	// RetryUnsafe re-sends every command whose connection broke after it was
	// written. By default only read-only commands are (the server's command
	// flags say which); the others get ErrUnknownOutcome. None is re-sent
	// after a malformed reply broke the connection (resp.ErrProtocol).
	RetryUnsafe bool
	// Dispatcher runs the coordinator's mailbox; nil means protoactor's
	// default (a goroutine per run).
	Dispatcher actor.Dispatcher
	// OnRoutes, when set, is called on the coordinator's goroutine with
	// every Routes it starts to route by.
	OnRoutes func(*topology.Routes)
	// Publish receives the coordinator's events (Redirected,
	// UnknownOutcome); nil publishes them on the actor system's event
	// stream. It must not block.
	Publish topology.Publish
	// Registry, when set (shared with the node actors' NodeConfig), lets
	// the coordinator hand batches straight to open connections.
	Registry *Registry
	// OnBatch, when set, is told of each node batch that completes, on the
	// goroutine that completed it (see BatchObserver).
	OnBatch BatchObserver
	// OnExec, when set, is told of each pipeline the coordinator answers,
	// on the coordinator's goroutine (see ExecObserver).
	OnExec ExecObserver
	// ReadFrom says which node of a shard runs its read-only commands.
	// Zero means ReadPrimary: the master.
	ReadFrom ReadFrom
	// MaxBatchCommands and MaxBatchBytes bound one node batch: a larger
	// one is cut, between commands and never inside a transaction block,
	// into batches sent one after another to the same connection, so that
	// a huge pipeline streams through the connections' in-flight bounds
	// (NodeConfig.MaxInFlight) with several parts in flight. Zero means no
	// bound.
	MaxBatchCommands int
	MaxBatchBytes    int64
}

func (cfg CoordinatorConfig) withDefaults() CoordinatorConfig {
	if cfg.MaxRedirects <= 0 {
		cfg.MaxRedirects = 5
	}
	if cfg.RetryTimeout <= 0 {
		cfg.RetryTimeout = 10 * time.Second
	}
	return cfg
}

// CoordinatorProps returns the props of a coordinator actor, which runs the
// Exec messages it receives.
func CoordinatorProps(cfg CoordinatorConfig) *actor.Props {
	cfg = cfg.withDefaults()
	var opts []actor.PropsOption
	if cfg.Dispatcher != nil {
		opts = append(opts, actor.WithDispatcher(cfg.Dispatcher))
	}
	return actor.PropsFromProducer(func() actor.Actor {
		return &coordinator{cfg: cfg, routes: cfg.Routes}
	}, opts...)
}

// coordinator splits each pipeline into one batch per node, sends the batches
// (at once, or one after another), follows redirects and retries, and answers
// when every command has its outcome.
type coordinator struct {
	cfg    CoordinatorConfig
	routes *topology.Routes
	// waiting are the Execs with commands to re-send on the next Routes.
	waiting []*Exec
	// keys and targets are scratch space for key positions and for the
	// shard of each command, reused across Execs.
	keys    []int
	targets []int32
	// next spreads pipelines without keyed commands over the masters.
	next int
	// sawUnknown is set when a command the table does not know was routed;
	// lastReload is when the coordinator last asked for the table again.
	sawUnknown bool
	lastReload time.Time
	// timers are the pending retry timers, stopped with the actor.
	timers map[*Exec]*time.Timer
	// handles caches the Registry's node handles.
	handles map[*actor.PID]*nodeHandle
	// turns counts the replica picks per shard (readNode).
	turns []uint32
	// written is scratch space for the slots a pipeline writes (planReads).
	written writtenSlots
}

var _ actor.Actor = (*coordinator)(nil)

// maxKeptTargets bounds the shards of commands the coordinator keeps room
// for between Execs: a larger pipeline gets room of its own, which goes
// with it, so that no pipeline leaves the coordinator holding memory of its
// size. It bounds the key positions kept (keys) too.
const maxKeptTargets = 16 << 10

// scratchTargets returns room for the shards of n commands.
func (c *coordinator) scratchTargets(n int) []int32 {
	if n > maxKeptTargets {
		return make([]int32, n)
	}
	c.targets = slices.Grow(c.targets[:0], n)[:n]
	return c.targets
}

// Receive handles the actor's messages.
func (c *coordinator) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *Exec:
		c.start(ctx, msg)
	case *batchDone:
		c.batchDone(ctx, msg.batch)
	case *retryDue:
		c.retryDue(ctx, msg.exec)
	case *Cancel:
		c.cancel(msg)
	case *topology.Routes:
		if c.routes == nil || msg.Version >= c.routes.Version {
			c.routes = msg
			if c.cfg.OnRoutes != nil {
				c.cfg.OnRoutes(msg)
			}
		}
		if c.cfg.Topology != nil {
			// A Request, so that the topology actor knows which
			// subscriber applied them.
			ctx.Request(c.cfg.Topology, &topology.RoutesApplied{Version: c.routes.Version})
		}
		c.resendWaiting(ctx)
	case *topology.RefreshFailed:
		c.resendWaiting(ctx)
	case *actor.Started:
		if c.cfg.Topology != nil {
			sub := &topology.Subscribe{PID: ctx.Self()}
			if c.routes != nil {
				sub.Version = c.routes.Version
			}
			ctx.Send(c.cfg.Topology, sub)
		}
	case *actor.Stopping:
		for _, t := range c.timers {
			t.Stop()
		}
		if c.cfg.Topology != nil {
			ctx.Send(c.cfg.Topology, &topology.Unsubscribe{PID: ctx.Self()})
		}
	}
}

// start routes every command of e and sends the node batches.
func (c *coordinator) start(ctx actor.Context, e *Exec) {
	// A fresh working state, but for what Preroute found on the caller's
	// side.
	e.execState = execState{pre: e.pre, preVersion: e.preVersion}
	e.Err = nil
	e.abandoned.Store(false)
	e.sender = ctx.Sender()
	e.started = time.Now()
	e.onBatch = c.cfg.OnBatch
	if cap(c.keys) > maxKeptTargets {
		c.keys = nil // a command of many keys grew it: not kept for all
	}
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
	if n == 1 && e.Node == "" {
		c.startOne(ctx, e)
	} else {
		c.route(ctx, e, nil)
	}
	c.reloadIfUnknown(ctx)
	c.checkDone(ctx, e)
}

// route routes the commands idx of e (all of them when idx is nil) and sends
// them.
func (c *coordinator) route(ctx actor.Context, e *Exec, idx []int) {
	c.dispatch(ctx, e, c.group(ctx, e, idx))
	c.sendByAddr(ctx, e)
}

// minReloadInterval is the least time between two requests to load the
// command table again because a command it does not know appeared.
const minReloadInterval = 10 * time.Second

// reloadIfUnknown asks the topology actor for the command table again when
// a command it does not know was routed (rate-limited).
func (c *coordinator) reloadIfUnknown(ctx actor.Context) {
	if !c.sawUnknown {
		return
	}
	c.sawUnknown = false
	if c.cfg.Topology == nil || time.Since(c.lastReload) < minReloadInterval {
		return
	}
	c.lastReload = time.Now()
	ctx.Send(c.cfg.Topology, &topology.ReloadCommands{})
}

// firstOnly is the idx of a batch holding an Exec's only command. It is
// never written: a batch that needs more commands appends, which copies.
var firstOnly = []int{0}

// startOne sends an Exec of a single command, the commonest kind (Client.Do),
// without building the per-node grouping.
func (c *coordinator) startOne(ctx actor.Context, e *Exec) {
	routes := c.routes
	var (
		shard int
		info  *resp.CommandInfo
		err   error
	)
	if pre := e.prerouted(routes, nil); pre != nil {
		shard = int(pre[0])
	} else {
		shard, info, err = c.shardOf(routes, e.Commands[0])
	}
	if err != nil || special(info) {
		// Records the error, retrying an unserved slot; or splits a
		// multi-key command by slot, or routes what needs more than keys.
		c.route(ctx, e, nil)
		return
	}
	if shard < 0 {
		shard = c.next % len(routes.Nodes)
		c.next++
	}
	b := &nodeBatch{exec: e, node: routes.Nodes[shard], addr: routes.Map.Shards()[shard].Master,
		version: routes.Version, idx: firstOnly, coordinator: ctx.Self(), bytes: argBytes(e.Commands[0])}
	if c.cfg.ReadFrom != ReadPrimary {
		c.readOne(e, b, shard)
	}
	e.pending++
	c.deliver(ctx, b)
}

// dispatch sends batches: all at once in Parallel mode; in Serial mode it
// queues them and sends the first if nothing is in flight.
func (c *coordinator) dispatch(ctx actor.Context, e *Exec, batches []*nodeBatch) {
	if e.Mode == Serial {
		e.queue = append(e.queue, batches...)
		if e.pending == 0 {
			c.sendNext(ctx, e)
		}
		return
	}
	e.pending += len(batches)
	for _, b := range batches {
		c.deliver(ctx, b)
	}
}

// sendNext sends the first queued batch. A batch built with Routes whose
// node actor has since left the layout is routed again first.
func (c *coordinator) sendNext(ctx actor.Context, e *Exec) {
	for len(e.queue) > 0 {
		b := e.queue[0]
		e.queue[0] = nil
		e.queue = e.queue[1:]
		if b.version != c.routes.Version && c.routes.ByAddr[b.addr] != b.node {
			e.queue = append(c.group(ctx, e, b.idx), e.queue...)
			c.sendByAddr(ctx, e)
			continue
		}
		e.pending++
		c.deliver(ctx, b)
		return
	}
}

// deliverNext sends next, a node's batch that waited for the dedicated
// one before it (Parallel mode). When the node actor it was built for has
// been retired since (a blocking command may wait long), the batch and
// those after it go to the node's actor now, or, when the node left the
// layout, are routed again: a batch sent to a stopped actor would be lost.
func (c *coordinator) deliverNext(ctx actor.Context, e *Exec, next *nodeBatch) {
	if next.version != c.routes.Version && c.routes.ByAddr[next.addr] != next.node {
		old, pid := next.node, c.routes.ByAddr[next.addr]
		if pid == nil {
			var idx []int
			for b := next; b != nil; b = b.next {
				idx = append(idx, b.idx...)
			}
			c.dispatch(ctx, e, c.group(ctx, e, sortedPositions(idx)))
			c.sendByAddr(ctx, e)
			return
		}
		for b := next; b != nil; b = b.next {
			if b.node == old {
				b.node, b.version = pid, c.routes.Version
			}
		}
	}
	e.pending++
	c.deliver(ctx, next)
}

// batchDone records a finished batch, collects the commands to re-send, and
// moves the Exec on.
func (c *coordinator) batchDone(ctx actor.Context, b *nodeBatch) {
	e := b.exec
	e.pending--
	e.completed(b)
	if e.canceled {
		// Its caller took a copy of the results: nothing more to send.
		if e.pending == 0 {
			c.finish(ctx, e)
		}
		return
	}
	c.inspect(ctx, e, b)
	if b.next != nil {
		// The node's next batch, after a dedicated one (Parallel mode).
		c.deliverNext(ctx, e, b.next)
	}
	if e.pending == 0 {
		c.sendNext(ctx, e)
	}
	c.checkDone(ctx, e)
}

// checkDone answers the Exec when nothing of it is in flight or pending.
func (c *coordinator) checkDone(ctx actor.Context, e *Exec) {
	if e.pending > 0 || len(e.queue) > 0 || len(e.awaitingRoutes) > 0 || len(e.byAddr) > 0 || e.timerSet {
		return
	}
	c.finish(ctx, e)
}

// finish answers the Exec.
func (c *coordinator) finish(ctx actor.Context, e *Exec) {
	e.queue = nil
	e.inflight = nil
	if e.canceled {
		return // its caller has the copy Cancel made
	}
	e.answered = true
	if len(e.fans) > 0 {
		e.mergeFans()
	}
	c.observeExec(e)
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

// groupByMaster builds one batch per master for the commands idx of e (all
// of them when idx is nil), in the order of their first command. A command without
// keys joins the batch of the keyed command before it (or, at the start, the
// first keyed command's), so the commands sent to a node keep their queue
// order. Commands that cannot be routed get their error at once.
//
// It works in two passes: the first finds each command's shard, the second
// lays the batches' positions out in one array, each batch with exactly the
// room it needs.
func (c *coordinator) groupByMaster(ctx actor.Context, e *Exec, idx []int) []*nodeBatch {
	routes := c.routes
	n, at := positionsOf(e, idx)
	const (
		dropped = -1 // failed to route: its error is recorded
		leading = -2 // keyless, before the first keyed command
	)
	if e.Node != "" {
		return c.groupSpecial(ctx, e, idx)
	}
	targets := c.scratchTargets(n)
	counts := make([]int, len(routes.Nodes))
	current, nLeading := -1, 0
	var errs []error // by j, of the commands that failed to route
	pre := e.prerouted(routes, idx)
	for j := range n {
		i := at(j)
		if i >= len(e.Commands) {
			return c.groupSpecial(ctx, e, idx)
		}
		var (
			shard int
			info  *resp.CommandInfo
			err   error
		)
		if pre != nil {
			shard = int(pre[i])
		} else {
			shard, info, err = c.shardOf(routes, e.Commands[i])
		}
		switch {
		case special(info):
			return c.groupSpecial(ctx, e, idx)
		case err != nil:
			if _, split := c.splitOf(info, e.Commands[i], err); split {
				return c.groupSpecial(ctx, e, idx)
			}
			if errs == nil {
				errs = make([]error, n)
			}
			targets[j], errs[j] = dropped, err
			continue
		case shard < 0 && current < 0:
			targets[j] = leading
			nLeading++
			continue
		case shard < 0:
			shard = current
		}
		targets[j] = int32(shard)
		counts[shard]++
		current = shard
	}
	// Record the errors only now that no command sent the Exec to
	// groupSpecial, which would record them again.
	unserved := false
	for j, t := range targets {
		if t != dropped {
			continue
		}
		i, err := at(j), errs[j]
		e.Results[i] = Result{Err: err}
		// A slot without a master is a failover in progress: wait for the
		// promoted replica.
		if errors.Is(err, ErrSlotNotServed) && c.retryLater(e, i) {
			unserved = true
		}
	}
	first := -1 // the shard the leading keyless commands join
	for _, t := range targets {
		if t >= 0 {
			first = int(t)
			break
		}
	}
	if nLeading > 0 {
		if first < 0 && len(routes.Nodes) == 0 {
			for j, t := range targets {
				if t == leading {
					e.Results[at(j)] = Result{Err: ErrNoRoutes}
					targets[j] = dropped
				}
			}
		} else {
			if first < 0 {
				first = c.next % len(routes.Nodes)
				c.next++
			}
			counts[first] += nLeading
		}
	}

	positions := make([]int, 0, n)
	byShard := make([]*nodeBatch, len(routes.Nodes))
	var batches []*nodeBatch
	for j, t := range targets {
		shard := int(t)
		switch t {
		case dropped:
			continue
		case leading:
			shard = first
		}
		b := byShard[shard]
		if b == nil {
			off := len(positions)
			positions = positions[:off+counts[shard]]
			b = &nodeBatch{exec: e, node: routes.Nodes[shard], addr: routes.Map.Shards()[shard].Master,
				version: routes.Version, idx: positions[off : off : off+counts[shard]], coordinator: ctx.Self()}
			byShard[shard] = b
			batches = append(batches, b)
		}
		b.idx = append(b.idx, at(j))
		b.bytes += argBytes(e.Commands[at(j)])
	}
	if unserved {
		ctx.Send(c.cfg.Topology, &topology.Refresh{})
		c.startTimer(ctx, e)
	}
	return batches
}
