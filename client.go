package redactor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/router"

	"github.com/redactor-go/redactor/actors"
	"github.com/redactor-go/redactor/internal/dispatch"
	"github.com/redactor-go/redactor/internal/wire"
	"github.com/redactor-go/redactor/resp"
	"github.com/redactor-go/redactor/topology"
)

// Client is a Redis Cluster client. It is safe for concurrent use. Create it
// with New and release it with Close.
type Client struct {
	cfg       Config
	system    *actor.ActorSystem
	ownSystem bool
	topology  *actor.PID
	// coordinators split and gather the pipelines (see coordinatorCount),
	// each pipeline taken by the next in turn; the callers route their
	// own commands (Exec.Preroute).
	coordinators []*actor.PID
	nextCoord    atomic.Uint32
	// active counts the calls waiting for a coordinator, for Close;
	// closing turns new calls away while Close lets those finish.
	active  atomic.Int64
	closing atomic.Bool
	// coordinator is what Coordinator returns: the one coordinator, or a
	// round-robin router over them.
	coordinator *actor.PID
	workers     *dispatch.WorkerPool
	routes      atomic.Pointer[topology.Routes]
	events      *eventBus
	closed      chan struct{}
	closeOnce   sync.Once

	// closers are run by Close before the actors stop: subscriptions,
	// dedicated connection pools.
	closersMu sync.Mutex
	closers   map[any]func()

	// pools are the connections of their own per node, for Watch.
	poolsMu sync.Mutex
	pools   map[string]*wire.Pool

	// pushes counts the push frames the command connections skipped.
	pushes atomic.Uint64

	// metrics records Config.MeterProvider's metrics; nil without one.
	metrics *metrics
}

// onClose registers fn, under key, to run when the client closes; it
// reports false, not registering, when the client is closed already.
func (c *Client) onClose(key any, fn func()) bool {
	c.closersMu.Lock()
	defer c.closersMu.Unlock()
	select {
	case <-c.closed:
		return false
	default:
	}
	if c.closers == nil {
		c.closers = map[any]func(){}
	}
	c.closers[key] = fn
	return true
}

// forgetClose removes what onClose registered under key.
func (c *Client) forgetClose(key any) {
	c.closersMu.Lock()
	delete(c.closers, key)
	c.closersMu.Unlock()
}

// New connects to the cluster: it loads the slot map and the command table
// from the first of cfg.Addrs that answers, and starts the client's actors.
// ctx bounds only this start.
func New(ctx context.Context, cfg Config) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("redactor: %w", err)
	}
	registry := actors.NewRegistry()
	c := &Client{
		cfg:     cfg,
		system:  cfg.ActorSystem,
		workers: dispatch.NewWorkerPool(300, 64),
		closed:  make(chan struct{}),
	}
	if cfg.MeterProvider != nil {
		if c.metrics, err = newMetrics(cfg.MeterProvider, registry, c.routes.Load); err != nil {
			c.workers.Close()
			return nil, fmt.Errorf("%w: MeterProvider: %w", ErrInvalidConfig, err)
		}
	}
	if c.system == nil {
		c.ownSystem = true
		c.system = actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
			return cfg.Logger
		}))
	}
	c.events = newEventBus(c)
	if cfg.OnEvent != nil {
		newObserver(c.events, func(Event) bool { return true }, cfg.OnEvent)
	}
	c.topology = c.system.Root.SpawnPrefix(topology.Props(topology.ActorConfig{
		Publish: c.events.publish,
		Seeds:   cfg.Addrs,
		Dial:    c.dialRadix,
		TLS:     cfg.TLS != nil,
		NodeProps: func(addr string) *actor.Props {
			return withMiddleware(actors.NodeProps(actors.NodeConfig{Addr: addr, Dial: c.dial, Dispatcher: c.workers, Registry: registry,
				ReadTimeout: cfg.ReadTimeout, WriteTimeout: cfg.WriteTimeout, DedicatedConns: cfg.BlockingPoolSize,
				Publish: c.events.publish, OnPush: c.onPush, DrainTimeout: cfg.CloseTimeout, Limits: cfg.limits(),
				DialReadOnly: c.dialReadOnly, ProbeInterval: probeInterval(cfg.ReadFrom),
				MaxInFlight: cfg.MaxInFlight, MaxInFlightBytes: cfg.MaxInFlightBytes}), cfg.NodeMiddleware)
		},
		Policies:           cfg.CommandPolicies,
		AddrTimeout:        cfg.layoutAddrTimeout(),
		LoadTimeout:        layoutLoadAddrs * cfg.layoutAddrTimeout(),
		MinRefreshInterval: cfg.MinRefreshInterval,
		RefreshInterval:    cfg.RefreshInterval,
	}), "redactor-topology")

	routes, err := c.refresh(ctx)
	if err == nil {
		err = c.checkProtocol(ctx)
	}
	if err != nil {
		c.stopActors()
		return nil, err
	}
	c.routes.Store(routes)
	onBatch, onExec, publish := c.observers()
	props := withMiddleware(actors.CoordinatorProps(actors.CoordinatorConfig{
		Topology:     c.topology,
		Routes:       routes,
		MaxRedirects: cfg.MaxRedirects,
		RetryTimeout: cfg.RetryTimeout,
		RetryUnsafe:  cfg.RetryUnsafe,
		Dispatcher:   c.workers,
		OnRoutes:     c.setRoutes,
		Publish:      publish,
		Registry:     registry,
		ReadFrom:     cfg.ReadFrom,
		// Several parts of a streamed pipeline fit the bound at once.
		MaxBatchCommands: cfg.MaxInFlight / 4,
		MaxBatchBytes:    cfg.MaxInFlightBytes / 4,
		OnBatch:          onBatch,
		OnExec:           onExec,
	}), cfg.CoordinatorMiddleware)
	for range coordinatorCount() {
		c.coordinators = append(c.coordinators, c.system.Root.SpawnPrefix(props, "redactor-coordinator"))
	}
	c.coordinator = c.coordinators[0]
	if len(c.coordinators) > 1 {
		c.coordinator = c.system.Root.SpawnPrefix(router.NewRoundRobinGroup(c.coordinators...), "redactor-coordinators")
	}
	return c, nil
}

// observers returns the coordinators' batch and pipeline observers and
// event publisher: Config.OnBatch and the event bus, with the metrics'
// chained in when there are metrics.
func (c *Client) observers() (actors.BatchObserver, actors.ExecObserver, topology.Publish) {
	m, user := c.metrics, c.cfg.OnBatch
	if m == nil {
		return user, nil, c.events.publish
	}
	onBatch := m.batch
	if user != nil {
		onBatch = func(b actors.BatchInfo) {
			m.batch(b)
			user(b)
		}
	}
	publish := func(ev any) {
		m.event(ev)
		c.events.publish(ev)
	}
	return onBatch, m.exec, publish
}

// setRoutes keeps the Routes the coordinator routes by, for the calls that
// pick nodes themselves (DoOn, Watch, subscriptions, Scan).
func (c *Client) setRoutes(r *topology.Routes) {
	for {
		old := c.routes.Load()
		if old != nil && old.Version >= r.Version {
			return
		}
		if c.routes.CompareAndSwap(old, r) {
			c.retirePools(r)
			return
		}
	}
}

// Coordinator returns the PID that takes pipelines as actor messages, for
// actors of your own (in the client's actor system, Config.ActorSystem):
// send it an *actors.Exec with Commands and Mode set, with ctx.Request so
// that the same *actors.Exec comes back to the sender as a message,
// Results filled in queue order and Err set when the pipeline failed as a
// whole; or set Exec.Done to get it on a channel. An Exec must not be
// changed or reused until it comes back. Exec.Ctx, when set, bounds the
// pipeline as Pipeline.Exec's ctx does. The PID is the client's
// coordinator, or a round-robin router over its coordinators, which
// accepts the same messages. It stops with Close.
func (c *Client) Coordinator() *actor.PID { return c.coordinator }

// ActorSystem returns the actor system the client's actors run in. Its
// EventStream carries the client's events as *Event (see Observe for a
// typed way to watch them), published by a goroutine of the client's: a
// slow EventStream subscriber delays only the delivery of events, never a
// pipeline.
func (c *Client) ActorSystem() *actor.ActorSystem { return c.system }

// refresh asks the topology actor to load the layout, waits for it, and
// makes it the client's (for DoOn, Watch, subscriptions, Scan) at once.
func (c *Client) refresh(ctx context.Context) (*topology.Routes, error) {
	done := make(chan any, 1)
	c.system.Root.Send(c.topology, &topology.Refresh{Done: done})
	select {
	case answer := <-done:
		switch a := answer.(type) {
		case *topology.Routes:
			c.setRoutes(a)
			return a, nil
		case *topology.RefreshFailed:
			return nil, authFailure(fmt.Errorf("redactor: %w", a.Err))
		}
		return nil, fmt.Errorf("redactor: unexpected topology answer %T", answer)
	case <-ctx.Done():
		return nil, fmt.Errorf("redactor: loading the cluster layout from %s: %w",
			strings.Join(c.cfg.Addrs, ", "), context.Cause(ctx))
	case <-c.closed:
		return nil, ErrClosed
	}
}

// Pipeline returns an empty pipeline. By default it follows the client's
// Config.SerialPipelines; WithParallel overrides that.
func (c *Client) Pipeline(opts ...PipelineOption) *Pipeline {
	p := &Pipeline{client: c, mode: actors.Parallel}
	if c.cfg.SerialPipelines {
		p.mode = actors.Serial
	}
	for _, opt := range opts {
		opt(p)
	}
	return p
}

// Do runs one command and returns its Result. Errors of the whole call
// (context done, client closed) are in Result.Err too; a call whose context
// had ended before it, or on a closed client, sends nothing, and its error
// matches ErrNotSent and ErrCanceled besides the cause. Like Pipeline.Exec,
// a call whose ctx has no deadline ends after Config.RetryTimeout plus
// Config.ReadTimeout at the latest.
func (c *Client) Do(ctx context.Context, cmd string, args ...string) Result {
	call := doCalls.Get().(*doCall)
	return c.do(ctx, call, append(append(call.command[0][:0], cmd), args...))
}

// do runs command, built in call's own memory, and recycles call once
// nothing reads it any more.
func (c *Client) do(ctx context.Context, call *doCall, command []string) Result {
	if err := c.refuse(ctx); err != nil {
		// The command's own outcome too: it was never sent.
		clear(command)
		call.putBack()
		return Result{Err: wire.Chain(ErrNotSent, ErrCanceled, err)}
	}
	call.command[0] = command
	call.exec.Commands, call.exec.Results = call.command[:], call.result[:0]
	// A prerouted command is a plain one: only the others may block.
	prerouted := len(call.exec.Preroute(c.routes.Load(), call.shard[:0])) == 1
	results, released, err := c.exec(ctx, &call.exec, call.done, !prerouted && c.mayBlock(call.command[:]))
	if !released {
		// The coordinator still holds the call: leave it to the GC, with
		// what is known of the command.
		if len(results) == 1 {
			return results[0]
		}
		return Result{Err: err}
	}
	if err != nil {
		return Result{Err: err} // the pipeline's own error, or no call at all
	}
	r := results[0]
	clear(command)
	call.result[0] = Result{}
	call.putBack()
	return r
}

// doCall is what one Client.Do needs, kept in a pool: the Exec, its command
// list and result, and the channel the coordinator answers on.
type doCall struct {
	exec    actors.Exec
	command [1][]string
	result  [1]actors.Result
	shard   [1]int32
	done    chan *actors.Exec
	// buf holds the text of DoArgs's arguments that are not strings.
	buf []byte
}

// putBack recycles a call nothing reads any more; its command must be
// cleared already.
func (call *doCall) putBack() {
	if cap(call.buf) > maxPooledArgBytes {
		call.buf = nil
	}
	call.buf = call.buf[:0]
	doCalls.Put(call)
}

var doCalls = sync.Pool{New: func() any { return &doCall{done: make(chan *actors.Exec, 1)} }}

// exec sends e to the coordinator and waits for it to come back on done,
// which must be empty and have room for one, and returns its Results and
// Err. When ctx ends first (or the client closes), exec asks the
// coordinator for the outcomes as far as known (actors.Cancel) and returns
// that copy with ctx's error (or ErrClosed): commands not sent yet have
// ErrCanceled and ErrNotSent, those in flight ErrUnknownOutcome. Only
// with blocking set does it first wait, up to outcomeGrace, for the real
// outcome: a command that may block runs on a connection of its own that
// closes as ctx ends, so its outcome follows within moments.
//
// released reports whether the coordinator is done with e, which may then
// be reused; when not, e and its commands belong to the coordinator for
// good.
func (c *Client) exec(ctx context.Context, e *actors.Exec, done chan *actors.Exec, blocking bool) (results []Result, released bool, err error) {
	e.Ctx, e.Done = ctx, done
	if err := c.refuse(ctx); err != nil {
		return nil, true, err
	}
	c.active.Add(1)
	defer c.active.Add(-1)
	// A call without a deadline of its own ends after callBound even if
	// an answer got lost.
	var bound <-chan time.Time
	extended := false
	if _, ok := ctx.Deadline(); !ok {
		t := startBound(c.callBound())
		defer stopBound(t)
		bound = t.C
	}
	coordinator := c.coordinatorFor()
	c.system.Root.Send(coordinator, e)
	for {
		select {
		case <-done:
			return e.Results, true, e.Err
		case <-ctx.Done():
			return c.ctxDone(ctx, coordinator, e, done, blocking)
		case <-c.closed:
			return c.cancel(coordinator, e, done, ErrClosed)
		case <-bound:
			bound = nil
			if !extended {
				// A command that may block (BLPOP) extends the bound
				// by its own timeout; one that may wait forever
				// lifts it.
				extended = true
				extra, forever := c.blockFor(e.Commands)
				if forever {
					continue
				}
				if extra > 0 {
					bound = time.After(extra)
					continue
				}
			}
			return c.cancel(coordinator, e, done, errNoOutcome)
		}
	}
}

// refuse returns why a call must not start, sending nothing: the client
// is closing, or ctx ended.
func (c *Client) refuse(ctx context.Context) error {
	if c.closing.Load() {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("redactor: pipeline: %w", err)
	}
	return nil
}

// errNoOutcome is the cause of a call without a deadline of its own that
// had no outcome within its bound (Client.callBound).
var errNoOutcome = fmt.Errorf("redactor: pipeline: no outcome within Config.RetryTimeout plus Config.ReadTimeout: %w",
	context.DeadlineExceeded)

// callBound is how long a call whose context has no deadline waits for its
// outcome (plus the timeout of a command that may block): retries stop
// after RetryTimeout, and a node that sends nothing for ReadTimeout is
// taken for dead, so only a lost answer could take longer.
func (c *Client) callBound() time.Duration {
	return c.cfg.RetryTimeout + max(c.cfg.ReadTimeout, 0)
}

// blockFor returns the longest timeout of the commands of cmds that may
// block, or forever when one of them may block without a timeout (BLPOP k
// 0).
func (c *Client) blockFor(cmds [][]string) (longest time.Duration, forever bool) {
	routes := c.routes.Load()
	if routes == nil {
		return 0, false
	}
	for _, args := range cmds {
		info, ok := routes.Commands.Lookup(args)
		if !ok || info.Class == resp.ClassPipelined || !info.Blocks(args) {
			continue
		}
		d := info.BlockTimeout(args)
		if d == 0 {
			return 0, true
		}
		longest = max(longest, d)
	}
	return longest, false
}

// bounds are the timers of the calls' bounds, reused.
var bounds sync.Pool

// startBound returns a timer that fires after d.
func startBound(d time.Duration) *time.Timer {
	if t, ok := bounds.Get().(*time.Timer); ok {
		t.Reset(d)
		return t
	}
	return time.NewTimer(d)
}

// stopBound stops t and keeps it for reuse. Since Go 1.23 a stopped
// timer's channel holds no stale value.
func stopBound(t *time.Timer) {
	t.Stop()
	bounds.Put(t)
}

// ctxDone is exec's answer when ctx ended before e's outcome.
func (c *Client) ctxDone(ctx context.Context, coordinator *actor.PID, e *actors.Exec, done chan *actors.Exec, blocking bool) ([]Result, bool, error) {
	if blocking {
		select {
		case <-done:
			return e.Results, true, e.Err
		case <-time.After(outcomeGrace):
		case <-c.closed:
		}
	}
	return c.cancel(coordinator, e, done, fmt.Errorf("redactor: pipeline: %w", context.Cause(ctx)))
}

// cancel asks coordinator to answer e at once, as far as known, and
// returns that copy of its results with cause; or, when e was answered
// first, its results.
func (c *Client) cancel(coordinator *actor.PID, e *actors.Exec, done chan *actors.Exec, cause error) ([]Result, bool, error) {
	reply := make(chan []actors.Result, 1)
	c.system.Root.Send(coordinator, &actors.Cancel{Exec: e, Cause: cause, Reply: reply})
	timeout := time.NewTimer(outcomeGrace)
	defer timeout.Stop()
	select {
	case results := <-reply:
		if results == nil {
			<-done // answered before the Cancel
			return e.Results, true, e.Err
		}
		return results, false, cause
	case <-done:
		return e.Results, true, e.Err
	case <-timeout.C:
		// The coordinator is gone (Close) or stuck: nothing is known.
		return nil, false, cause
	}
}

// outcomeGrace bounds how long a call whose context ended waits for the
// outcome of its commands that may block.
const outcomeGrace = time.Second

// mayBlock reports whether one of cmds may block, by the command table the
// client routes by.
func (c *Client) mayBlock(cmds [][]string) bool {
	routes := c.routes.Load()
	if routes == nil {
		return false
	}
	for _, args := range cmds {
		if info, ok := routes.Commands.Lookup(args); ok && info.Class != resp.ClassPipelined && info.Blocks(args) {
			return true
		}
	}
	return false
}

// Close stops the client: it turns new calls away with ErrClosed, lets
// the calls in flight finish for up to Config.CloseTimeout, returns the
// others at once with ErrClosed and what is known of each command (see
// Pipeline.Exec), then stops the client's actors and closes its
// connections. Close is idempotent.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		c.closing.Store(true)
		c.waitCalls(c.cfg.CloseTimeout)
		c.closersMu.Lock()
		close(c.closed)
		closers := c.closers
		c.closers = nil
		c.closersMu.Unlock()
		// The calls left ask their coordinators for what is known.
		c.waitCalls(outcomeGrace)
		for _, fn := range closers {
			fn()
		}
		c.stopActors()
	})
	return nil
}

// waitCalls waits until no call waits for a coordinator, or d passed.
func (c *Client) waitCalls(d time.Duration) {
	deadline := time.Now().Add(d)
	for c.active.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
}

// probeInterval is how often each node actor PINGs its node for replica
// reads: for the latency ReadNearest compares, and to pause reads to a
// replica that fails (ReadReplicaPreferred too). ReadPrimary needs none.
func probeInterval(r ReadFrom) time.Duration {
	if r == ReadPrimary {
		return 0
	}
	return time.Second
}

// coordinatorCount is how many coordinators a client runs: one per 8 Ps.
// With the callers routing their own commands, a coordinator's own work is
// about 25 ns a command, so one serves some 40 million commands a second;
// more of them on few cores would only split the batching of their
// mailboxes (on 2 cores, 2 coordinators cut the rate of 200 goroutines of
// single commands by 15%).
func coordinatorCount() int { return max(1, runtime.GOMAXPROCS(0)/8) }

// coordinatorFor returns the coordinator of the next pipeline, in turn.
func (c *Client) coordinatorFor() *actor.PID {
	return c.coordinators[int(c.nextCoord.Add(1))%len(c.coordinators)]
}

// stopActors stops the coordinators and the topology actor (whose
// children, the node actors, stop with it), then the actor system if it is
// the client's own.
func (c *Client) stopActors() {
	if len(c.coordinators) > 1 {
		_ = c.system.Root.StopFuture(c.coordinator).Wait()
	}
	for _, pid := range c.coordinators {
		_ = c.system.Root.StopFuture(pid).Wait()
	}
	_ = c.system.Root.StopFuture(c.topology).Wait()
	c.metrics.stop()
	c.events.close()
	if c.ownSystem {
		c.system.Shutdown()
	}
	c.workers.Close()
}

// authFailure marks err with ErrAuth when a node refused the layout load
// for want of credentials or rights (NOAUTH, WRONGPASS, NOPERM).
func authFailure(err error) error {
	if errors.Is(err, ErrAuth) {
		return err
	}
	if e, ok := resp.AsError(err); ok {
		switch e.Prefix() {
		case "NOAUTH", "WRONGPASS", "NOPERM":
			return fmt.Errorf("%w (%w)", err, ErrAuth)
		}
	}
	return err
}

// withMiddleware returns props wrapped in the receiver middleware mw, if
// any.
func withMiddleware(props *actor.Props, mw []actor.ReceiverMiddleware) *actor.Props {
	if len(mw) == 0 {
		return props
	}
	return props.Configure(actor.WithReceiverMiddleware(mw...))
}
