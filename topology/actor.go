package topology

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/redactor-go/redactor/resp"
)

// ActorConfig configures the topology actor.
type ActorConfig struct {
	// Seeds are the addresses to load the layout from when no known node
	// answers.
	Seeds []string
	// Dial opens the short-lived connections the layout is loaded over.
	Dial DialFunc
	// NodeProps returns the props of the node actor for the master at addr.
	// The topology actor spawns one child per master and stops the children
	// of nodes that are no longer masters.
	NodeProps func(addr string) *actor.Props
	// LoadTimeout bounds one load across all addresses tried. Zero means 5s.
	LoadTimeout time.Duration
}

// Props returns the props of a topology actor. It loads nothing until it
// receives its first Refresh.
func Props(cfg ActorConfig) *actor.Props {
	if cfg.LoadTimeout <= 0 {
		cfg.LoadTimeout = 5 * time.Second
	}
	return actor.PropsFromProducer(func() actor.Actor {
		return &topologyActor{cfg: cfg, nodes: map[string]*actor.PID{}}
	})
}

// topologyActor owns the slot map and the node actors, and tells its
// subscribers every time the layout changes.
type topologyActor struct {
	cfg         ActorConfig
	routes      *Routes
	commands    *resp.CommandTable
	nodes       map[string]*actor.PID
	subscribers []*actor.PID
	loading     bool
	waiting     []waiter
}

// waiter is one Refresh to answer when the running load ends.
type waiter struct {
	sender *actor.PID
	done   chan<- any
}

// Receive handles the actor's messages.
func (a *topologyActor) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *Refresh:
		a.waiting = append(a.waiting, waiter{sender: ctx.Sender(), done: msg.Done})
		if !a.loading {
			a.loading = true
			a.startLoad(ctx)
		}
	case *loaded:
		a.loading = false
		a.finishLoad(ctx, msg)
	case *Subscribe:
		a.subscribers = append(a.subscribers, msg.PID)
		if a.routes != nil {
			ctx.Send(msg.PID, a.routes)
		}
	}
}

// startLoad loads the layout in the background and sends the outcome back to
// the actor as *loaded, so the actor keeps serving messages meanwhile.
func (a *topologyActor) startLoad(ctx actor.Context) {
	var addrs []string
	if a.routes != nil {
		for _, s := range a.routes.Map.Shards() {
			addrs = append(addrs, s.Master)
		}
	}
	for _, seed := range a.cfg.Seeds {
		if !slices.Contains(addrs, seed) {
			addrs = append(addrs, seed)
		}
	}
	needCommands := a.commands == nil
	self, root := ctx.Self(), ctx.ActorSystem().Root
	dial, timeout := a.cfg.Dial, a.cfg.LoadTimeout
	go func() {
		loadCtx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		root.Send(self, load(loadCtx, dial, addrs, needCommands))
	}()
}

// load asks each address in turn until one answers.
func load(ctx context.Context, dial DialFunc, addrs []string, needCommands bool) *loaded {
	var errs []error
	for _, addr := range addrs {
		l, err := loadFrom(ctx, dial, addr, needCommands)
		if err == nil {
			return l
		}
		errs = append(errs, fmt.Errorf("%s: %w", addr, err))
		if ctx.Err() != nil {
			break
		}
	}
	if len(errs) == 0 {
		errs = append(errs, errors.New("no address to load the cluster layout from"))
	}
	return &loaded{err: errors.Join(errs...)}
}

func loadFrom(ctx context.Context, dial DialFunc, addr string, needCommands bool) (*loaded, error) {
	conn, err := dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	m, err := LoadSlotMap(ctx, conn)
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

// finishLoad applies a load's outcome and answers everyone waiting for it.
func (a *topologyActor) finishLoad(ctx actor.Context, l *loaded) {
	var answer any
	if l.err != nil {
		answer = &RefreshFailed{Err: fmt.Errorf("topology: loading the cluster layout: %w", l.err)}
	} else {
		if l.commands != nil {
			a.commands = l.commands
		}
		a.apply(ctx, l.m)
		answer = a.routes
	}
	for _, w := range a.waiting {
		if w.done != nil {
			select {
			case w.done <- answer:
			default:
			}
		} else if w.sender != nil {
			ctx.Send(w.sender, answer)
		}
	}
	a.waiting = a.waiting[:0]
}

// apply makes m the current layout: it spawns node actors for new masters,
// stops those of former masters (after their queued batches), and publishes
// new Routes when anything changed.
func (a *topologyActor) apply(ctx actor.Context, m *SlotMap) {
	if a.routes != nil && a.routes.Map.Equal(m) {
		return
	}
	shards := m.Shards()
	nodes := make([]*actor.PID, len(shards))
	live := make(map[string]*actor.PID, len(shards))
	for i, s := range shards {
		pid, ok := a.nodes[s.Master]
		if !ok {
			pid = ctx.SpawnPrefix(a.cfg.NodeProps(s.Master), "node-"+s.Master)
		}
		nodes[i] = pid
		live[s.Master] = pid
	}
	for addr, pid := range a.nodes {
		if _, ok := live[addr]; !ok {
			ctx.Poison(pid)
		}
	}
	a.nodes = live
	var version uint64 = 1
	if a.routes != nil {
		version = a.routes.Version + 1
	}
	a.routes = &Routes{Version: version, Map: m, Nodes: nodes, Commands: a.commands}
	for _, sub := range a.subscribers {
		ctx.Send(sub, a.routes)
	}
}
