package topology

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/redactor-go/redactor/internal/wire"
	"github.com/redactor-go/redactor/resp"
)

// ActorConfig configures the topology actor.
type ActorConfig struct {
	// Seeds are the addresses to load the layout from when no known master
	// answers.
	Seeds []string
	// Dial opens the short-lived connections the layout is loaded over.
	Dial DialFunc
	// NodeProps returns the props of the node actor for the master at addr.
	// The topology actor spawns one child per master, restarts a child that
	// fails with a growing backoff, and stops the children of nodes that are
	// no longer masters.
	NodeProps func(addr string) *actor.Props
	// Publish receives the actor's events (Loaded) and those of the node
	// actors it makes that have no Publish of their own. Nil publishes
	// them on the actor system's event stream.
	Publish Publish
	// TLS says the connections are TLS: nodes are reached at their
	// tls-port.
	TLS bool
	// LoadTimeout bounds one load across all addresses tried. Zero means 5s.
	LoadTimeout time.Duration
	// AddrTimeout bounds each address within a load: connecting and the
	// replies of the layout and the command table. An address that goes
	// past it is given up as unreachable and the load goes on with the
	// next one. Zero means LoadTimeout.
	AddrTimeout time.Duration
	// MinRefreshInterval is the least time between the end of one load and
	// the start of the next; it doubles with each load in a row that finds
	// nothing new, up to 500ms (or MinRefreshInterval when larger), and
	// is itself again after a load that changed the layout or a MOVED.
	// Zero means 100ms.
	MinRefreshInterval time.Duration
	// RefreshInterval, when positive, makes the actor reload the layout that
	// often even when nothing asked for it. Zero means never.
	RefreshInterval time.Duration
	// Policies override the request and response policies of the named
	// commands (lower-case, "container|sub" for subcommands) in the loaded
	// command table; see resp.CommandTable.WithPolicies.
	Policies map[string]resp.Policy
	// RestartBackoff is the first delay before a failed node actor is
	// restarted; each further failure within 10s adds as much again. Zero
	// means 10ms.
	RestartBackoff time.Duration
}

// Props returns the props of a topology actor. It loads nothing until it
// receives its first Refresh.
func Props(cfg ActorConfig) *actor.Props {
	if cfg.LoadTimeout <= 0 {
		cfg.LoadTimeout = 5 * time.Second
	}
	if cfg.MinRefreshInterval <= 0 {
		cfg.MinRefreshInterval = 100 * time.Millisecond
	}
	if cfg.RestartBackoff <= 0 {
		cfg.RestartBackoff = 10 * time.Millisecond
	}
	return actor.PropsFromProducer(func() actor.Actor {
		return &topologyActor{cfg: cfg, nodes: map[string]*actor.PID{}}
	}, actor.WithSupervisor(actor.NewExponentialBackoffStrategy(10*time.Second, cfg.RestartBackoff)))
}

// topologyActor owns the slot map and the node actors, and tells its
// subscribers every time the layout changes.
type topologyActor struct {
	cfg         ActorConfig
	routes      *Routes
	commands    *resp.CommandTable
	nodes       map[string]*actor.PID
	subscribers []*actor.PID

	loading   bool        // a load runs
	scheduled bool        // a refreshDue is on its way
	timer     *time.Timer // sends it; stopped with the actor
	lastLoad  time.Time   // when the last load ended
	waiting   []waiter    // answered when the running load ends
	next      []waiter    // arrived during the running load: served by the next
	again     bool        // someone asked for a load during the running one
	// movedDuringLoad are the MOVEDs patched in while the running load
	// ran: its layout may predate them, so they are patched on top of it
	// (the load they asked for then confirms or corrects them).
	movedDuringLoad []Move
	stopTick        chan struct{}

	reloadCommands bool // the next load loads the command table too

	retiring []retiree         // node actors to stop once nobody routes to them
	applied  map[string]uint64 // the Routes version each subscriber routes by

	// suspects are addresses that failed a load or were reported down
	// (NodeDown) since they last answered: loads try them last, so a hung
	// node does not hold up every load by AddrTimeout.
	suspects map[string]bool
	// quietLoads counts the loads in a row that changed nothing; see
	// refreshGap.
	quietLoads int
}

// waiter is one Refresh to answer when its load ends.
type waiter struct {
	sender *actor.PID
	done   chan<- any
}

var _ actor.Actor = (*topologyActor)(nil)

// Receive handles the actor's messages.
func (a *topologyActor) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *Refresh:
		w := waiter{sender: ctx.Sender(), done: msg.Done}
		if a.loading {
			a.next = append(a.next, w)
		} else {
			a.waiting = append(a.waiting, w)
		}
		a.requestLoad(ctx)
	case *Redirect:
		a.redirect(ctx, msg)
	case *ReloadCommands:
		a.reloadCommands = true
		a.requestLoad(ctx)
	case *NodeDown:
		a.suspect(msg.Addr)
		a.requestLoad(ctx)
	case *refreshDue:
		a.scheduled = false
		a.requestLoad(ctx)
	case *loaded:
		a.finishLoad(ctx, msg)
	case *RoutesApplied:
		a.routesApplied(ctx, ctx.Sender(), msg.Version)
	case *Subscribe:
		a.subscribers = append(a.subscribers, msg.PID)
		if a.routes != nil && a.routes.Version > msg.Version {
			ctx.Send(msg.PID, a.routes)
		}
	case *Unsubscribe:
		a.subscribers = slices.DeleteFunc(a.subscribers, func(p *actor.PID) bool { return p.Equal(msg.PID) })
		delete(a.applied, msg.PID.String())
		a.stopRetired(ctx)
	case *actor.Started:
		a.startTicker(ctx)
	case *actor.Stopping:
		if a.stopTick != nil {
			close(a.stopTick)
		}
		if a.timer != nil {
			a.timer.Stop()
		}
	}
}

// requestLoad starts a load now if none runs and the last one ended at least
// MinRefreshInterval ago; otherwise it makes sure one follows.
func (a *topologyActor) requestLoad(ctx actor.Context) {
	if a.loading {
		a.again = true
		return
	}
	if a.scheduled {
		return
	}
	wait := a.refreshGap() - time.Since(a.lastLoad)
	if a.routes == nil || wait <= 0 {
		a.startLoad(ctx)
		return
	}
	a.scheduled = true
	root, self := ctx.ActorSystem().Root, ctx.Self()
	a.timer = time.AfterFunc(wait, func() { root.Send(self, &refreshDue{}) })
}

// quietLoadsCap bounds the gap refreshGap grows to between loads that
// find nothing new.
const quietLoadsCap = 500 * time.Millisecond

// refreshGap is the least time between the end of a load and the start of
// the next: MinRefreshInterval, doubled for each load in a row that found
// the layout unchanged or failed, up to quietLoadsCap (or
// MinRefreshInterval, when larger). While nodes are down, every retry of
// their commands asks for a load that finds nothing new: this keeps those
// loads, each a new connection to a live node, at a few per second.
func (a *topologyActor) refreshGap() time.Duration {
	gap := a.cfg.MinRefreshInterval
	for range min(a.quietLoads, 10) {
		if gap >= quietLoadsCap {
			break
		}
		gap = min(2*gap, quietLoadsCap)
	}
	return gap
}

// startTicker starts the periodic refresh, when configured.
func (a *topologyActor) startTicker(ctx actor.Context) {
	if a.cfg.RefreshInterval <= 0 {
		return
	}
	a.stopTick = make(chan struct{})
	root, self, stop := ctx.ActorSystem().Root, ctx.Self(), a.stopTick
	go func() {
		t := time.NewTicker(a.cfg.RefreshInterval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				root.Send(self, &refreshDue{})
			case <-stop:
				return
			}
		}
	}()
}

// startLoad loads the layout in the background and sends the outcome back to
// the actor as *loaded, so the actor keeps serving messages meanwhile.
func (a *topologyActor) startLoad(ctx actor.Context) {
	a.loading = true
	var addrs []string
	if a.routes != nil {
		for _, s := range a.routes.Map.Shards() {
			addrs = append(addrs, s.Master)
		}
		for _, s := range a.routes.Map.Shards() {
			addrs = append(addrs, s.Replicas...)
		}
	}
	for _, seed := range a.cfg.Seeds {
		if !slices.Contains(addrs, seed) {
			addrs = append(addrs, seed)
		}
	}
	for addr := range a.suspects {
		if !slices.Contains(addrs, addr) {
			delete(a.suspects, addr)
		}
	}
	// Suspects last, in their order.
	slices.SortStableFunc(addrs, func(x, y string) int {
		switch {
		case a.suspects[x] == a.suspects[y]:
			return 0
		case a.suspects[x]:
			return 1
		}
		return -1
	})
	needCommands := a.commands == nil || a.reloadCommands
	a.reloadCommands = false
	self, root := ctx.Self(), ctx.ActorSystem().Root
	dial, timeout, tls := a.cfg.Dial, a.cfg.LoadTimeout, a.cfg.TLS
	addrTimeout := cmp.Or(a.cfg.AddrTimeout, timeout)
	go func() {
		loadCtx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		root.Send(self, load(loadCtx, dial, tls, addrs, addrTimeout, needCommands))
	}()
}

// suspect makes addr one of the addresses loads try last.
func (a *topologyActor) suspect(addr string) {
	if a.suspects == nil {
		a.suspects = map[string]bool{}
	}
	a.suspects[addr] = true
}

// load asks each address in turn, each for at most addrTimeout, until one
// answers.
func load(ctx context.Context, dial DialFunc, tls bool, addrs []string, addrTimeout time.Duration, needCommands bool) *loaded {
	var errs loadError
	var failed []string
	for _, addr := range addrs {
		l, err := loadFrom(ctx, dial, tls, addr, addrTimeout, needCommands)
		if err == nil {
			l.from, l.failed = addr, failed
			return l
		}
		errs = append(errs, &addrError{addr: addr, err: err})
		failed = append(failed, addr)
		if ctx.Err() != nil {
			break
		}
	}
	if len(errs) == 0 {
		return &loaded{err: errors.New("no address to load the cluster layout from")}
	}
	return &loaded{err: errs, failed: failed}
}

// loadFrom loads the layout, and the command table when needed, from the
// node at addr within timeout. A node that cannot be reached, closes the
// connection or does not answer in time fails with ErrNodeUnreachable.
func loadFrom(ctx context.Context, dial DialFunc, tls bool, addr string, timeout time.Duration, needCommands bool) (*loaded, error) {
	addrCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	l, err := loadFromConn(addrCtx, dial, tls, addr, needCommands)
	switch {
	case err == nil:
		return l, nil
	case addrCtx.Err() != nil && ctx.Err() == nil:
		return nil, wire.Mark(wire.ErrNodeUnreachable, fmt.Sprintf("no answer within %v", timeout), err)
	}
	return nil, wire.Unreachable(err)
}

func loadFromConn(ctx context.Context, dial DialFunc, tls bool, addr string, needCommands bool) (*loaded, error) {
	conn, err := dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	m, err := LoadSlotMap(ctx, conn, tls)
	if err != nil {
		return nil, err
	}
	if m.Covered() == 0 {
		return nil, errors.New("the node serves no slots: is it in cluster mode, with slots assigned?")
	}
	l := &loaded{m: m}
	if needCommands {
		if l.commands, err = LoadCommandTable(ctx, conn); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// finishLoad applies a load's outcome, answers everyone waiting for it, and
// starts the next load if one was asked for meanwhile.
func (a *topologyActor) finishLoad(ctx actor.Context, l *loaded) {
	a.loading = false
	defer func() { a.movedDuringLoad = nil }()
	a.lastLoad = time.Now()
	for _, addr := range l.failed {
		a.suspect(addr)
	}
	delete(a.suspects, l.from)
	var answer any
	changed := false
	if l.err != nil {
		answer = &RefreshFailed{Err: fmt.Errorf("topology: loading the cluster layout: %w", l.err)}
	} else {
		newCommands := l.commands != nil && a.commands != nil
		if l.commands != nil {
			a.commands = l.commands.WithPolicies(a.cfg.Policies)
		}
		if len(a.movedDuringLoad) > 0 {
			// A layout read before those MOVEDs would send their
			// commands back to where they were refused, once per load
			// until a command runs out of redirects.
			l.m = l.m.WithMoves(a.movedDuringLoad)
		}
		changed = a.routes == nil || !a.routes.Map.Equal(l.m) || newCommands
		if changed {
			a.setRoutes(ctx, l.m, true)
		}
		answer = a.routes
	}
	a.quietLoads++
	if changed {
		a.quietLoads = 0
	}
	var version uint64
	if a.routes != nil {
		version = a.routes.Version
	}
	a.cfg.Publish.PublishOn(ctx)(&Loaded{Version: version, Changed: changed, Err: l.err})
	for _, w := range a.waiting {
		w.answer(ctx, answer)
	}
	a.waiting, a.next = a.next, nil
	if a.again || len(a.waiting) > 0 {
		a.again = false
		a.requestLoad(ctx)
	}
}

func (w waiter) answer(ctx actor.Context, answer any) {
	if w.done != nil {
		select {
		case w.done <- answer:
		default:
		}
	} else if w.sender != nil {
		ctx.Send(w.sender, answer)
	}
}

// redirect patches the slot map as MOVED/ASK redirects say, answers the
// sender with the current Routes, and schedules a refresh for moved slots.
func (a *topologyActor) redirect(ctx actor.Context, r *Redirect) {
	if a.routes == nil {
		ctx.Respond(&RefreshFailed{Err: errors.New("topology: no layout loaded yet")})
		return
	}
	m := a.routes.Map.WithMoves(r.Moved)
	if a.loading {
		a.movedDuringLoad = append(a.movedDuringLoad, r.Moved...)
	}
	missing := slices.ContainsFunc(r.Addrs, func(addr string) bool { return a.nodes[addr] == nil })
	if m != a.routes.Map || missing {
		for _, addr := range r.Addrs {
			a.node(ctx, addr)
		}
		a.setRoutes(ctx, m, false)
	}
	if ctx.Sender() != nil {
		ctx.Respond(a.routes)
	}
	if len(r.Moved) > 0 {
		a.quietLoads = 0 // slots moved: the layout is changing
		a.requestLoad(ctx)
	}
}

// node returns the node actor for addr, spawning it if needed.
func (a *topologyActor) node(ctx actor.Context, addr string) *actor.PID {
	pid, ok := a.nodes[addr]
	if !ok {
		pid = ctx.SpawnPrefix(a.cfg.NodeProps(addr), "node-"+addr)
		a.nodes[addr] = pid
	}
	return pid
}

// setRoutes makes m the current layout and publishes it. After a full load
// (prune), node actors of nodes that are no longer masters are retired:
// they are stopped, after the batches already sent to them, once every
// subscriber has confirmed it routes by these Routes (RoutesApplied), so no
// batch is ever sent to a stopped node actor.
func (a *topologyActor) setRoutes(ctx actor.Context, m *SlotMap, prune bool) {
	shards := m.Shards()
	var version uint64 = 1
	if a.routes != nil {
		version = a.routes.Version + 1
	}
	if prune {
		for addr, pid := range a.nodes {
			if !slices.ContainsFunc(shards, func(s Shard) bool { return s.Master == addr || slices.Contains(s.Replicas, addr) }) ||
				a.demoted(shards, addr) {
				a.retiring = append(a.retiring, retiree{pid: pid, version: version})
				delete(a.nodes, addr)
			}
		}
	}
	nodes := make([]*actor.PID, len(shards))
	replicas := make([][]*actor.PID, len(shards))
	for i, s := range shards {
		nodes[i] = a.node(ctx, s.Master)
		for _, r := range s.Replicas {
			replicas[i] = append(replicas[i], a.node(ctx, r))
		}
	}
	a.routes = &Routes{Version: version, Map: m, Nodes: nodes, Replicas: replicas, ByAddr: maps.Clone(a.nodes),
		Commands: a.commands}
	for _, sub := range a.subscribers {
		ctx.Send(sub, a.routes)
	}
	a.stopRetired(ctx)
}

// demoted reports whether addr was a master in the current Routes and is
// none in shards (a failover made it a replica): its node actor, with the
// connections it opened as a master's (pipelined, for blocking commands),
// is retired, and a fresh one serves it as a replica (replica reads, a
// redirect naming it), connecting only when used.
func (a *topologyActor) demoted(shards []Shard, addr string) bool {
	if a.routes == nil || !slices.ContainsFunc(a.routes.Map.Shards(), func(s Shard) bool { return s.Master == addr }) {
		return false
	}
	return !slices.ContainsFunc(shards, func(s Shard) bool { return s.Master == addr })
}

// retiree is a node actor to stop once every subscriber routes by Routes of
// version or later.
type retiree struct {
	pid     *actor.PID
	version uint64
}

// routesApplied records that a subscriber routes by a version, and stops the
// node actors no subscriber can send to any more.
func (a *topologyActor) routesApplied(ctx actor.Context, sender *actor.PID, version uint64) {
	if sender == nil {
		return
	}
	if a.applied == nil {
		a.applied = map[string]uint64{}
	}
	if version > a.applied[sender.String()] {
		a.applied[sender.String()] = version
	}
	a.stopRetired(ctx)
}

// stopRetired poisons the retirees every subscriber has moved past; the
// poison lands behind the batches already in their mailboxes.
func (a *topologyActor) stopRetired(ctx actor.Context) {
	oldest := uint64(math.MaxUint64)
	for _, sub := range a.subscribers {
		oldest = min(oldest, a.applied[sub.String()])
	}
	kept := a.retiring[:0]
	for _, r := range a.retiring {
		if r.version <= oldest {
			ctx.Send(r.pid, &Retire{})
			ctx.Poison(r.pid)
		} else {
			kept = append(kept, r)
		}
	}
	clear(a.retiring[len(kept):])
	a.retiring = kept
}
