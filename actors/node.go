package actors

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/redactor-go/redactor/internal/wire"
	"github.com/redactor-go/redactor/resp"
	"github.com/redactor-go/redactor/topology"
)

// ErrNodeUnreachable wraps a failure to connect to a node. Commands that get
// it were never sent.
var ErrNodeUnreachable = wire.ErrNodeUnreachable

// NodeConfig configures a node actor.
type NodeConfig struct {
	// Addr is the node's client address, "host:port".
	Addr string
	// Dial opens the node's connection.
	Dial func(ctx context.Context, addr string) (net.Conn, error)
	// DrainTimeout bounds how long a stopped node actor waits for the
	// replies of batches already written before it closes the connection.
	// Zero means 5s.
	DrainTimeout time.Duration
	// Dispatcher runs the node actor's mailbox; nil means protoactor's
	// default (a goroutine per run).
	Dispatcher actor.Dispatcher
	// Registry, when set (shared with the coordinators' config), is where
	// the actor publishes its open connection.
	Registry *Registry
	// ReadTimeout bounds the silence while replies are due (no byte for
	// that long): the node is then taken for dead. Commands that may block
	// get their own timeout on top of it. Zero means no limit.
	ReadTimeout time.Duration
	// WriteTimeout bounds one write. Zero means no limit.
	WriteTimeout time.Duration
	// DedicatedConns bounds the connections of its own the node actor
	// keeps for commands that may block (BLPOP, XREAD BLOCK); more such
	// commands wait for one. Zero means 8.
	DedicatedConns int
	// Publish receives the actor's events (topology.NodeUp,
	// topology.NodeDown); nil publishes them on the actor system's event
	// stream. It must not block.
	Publish topology.Publish
	// OnPush, when set, is told of each RESP3 push frame one of the node's
	// connections read and skipped (no command ever gets one), on the
	// goroutine reading that connection. Nil means they are only skipped.
	OnPush func(addr string, push []any)
	// DialReadOnly opens the connection replica reads run on, which must
	// have sent READONLY. Nil means Dial.
	DialReadOnly func(ctx context.Context, addr string) (net.Conn, error)
	// Limits bound the replies the node's connections accept; a reply
	// beyond them is a protocol error (resp.ErrProtocol), which breaks
	// its connection. The zero value is resp's defaults.
	Limits resp.Limits
	// MaxInFlight and MaxInFlightBytes bound, on each pipelined
	// connection of the node, the commands and their argument bytes
	// written and not yet answered; batches beyond the bound wait, in
	// order, for replies to come, and those whose caller gave up meanwhile
	// are dropped unwritten (ErrNotSent, ErrCanceled). A batch larger than
	// the bound is written alone. Zero means no bound.
	MaxInFlight      int
	MaxInFlightBytes int64
	// ProbeInterval, when positive, makes the node actor PING its node
	// that often on a connection of its own, for replica reads: the
	// latency ReadNearest compares, and a node that fails is paused. It
	// needs a Registry. Zero means no probe.
	ProbeInterval time.Duration
}

// NodeProps returns the props of a node actor: the one owner of the
// connection to one node. It connects on its first batch. When it cannot
// connect, it fails the batch as not sent, tells its parent
// (topology.NodeDown), and waits a growing dial backoff before it dials
// again. When an open connection breaks, it tells its parent and crashes,
// so its supervisor restarts it, with backoff, to connect afresh.
func NodeProps(cfg NodeConfig) *actor.Props {
	if cfg.DrainTimeout <= 0 {
		cfg.DrainTimeout = 5 * time.Second
	}
	if cfg.DedicatedConns <= 0 {
		cfg.DedicatedConns = 8
	}
	var opts []actor.PropsOption
	if cfg.Dispatcher != nil {
		opts = append(opts, actor.WithDispatcher(cfg.Dispatcher))
	}
	return actor.PropsFromProducer(func() actor.Actor {
		return &nodeActor{cfg: cfg}
	}, opts...)
}

// nodeActor owns the connection to one node and writes each batch it gets
// with one write; the connection's reader goroutine reads the replies while
// the actor goes on writing.
type nodeActor struct {
	cfg NodeConfig
	// lanes are the node's pipelined connections: the shared one, and one
	// for large batches (see laneOf), each dialed on first use.
	lanes [laneCount]*pipeConn
	// handle publishes the lanes to the coordinators (nil without a
	// Registry).
	handle *nodeHandle
	// dedicated are the connections of its own for commands that may
	// block, made on first use.
	dedicated *wire.Pool
	// probe measures the node's latency (NodeConfig.ProbeInterval).
	probe *probe
	// After a failed dial: no new dial before downUntil; batches fail with
	// dialErr meanwhile.
	downUntil   time.Time
	dialErr     error
	dialBackoff time.Duration
	// back holds the batches connections gave back unwritten, until the
	// actor sends them again.
	back *handback
	// retired is set when the topology actor is about to stop the actor
	// because its node left the layout or is no longer a master.
	retired bool
}

// connFailure is the panic value a node actor crashes with.
type connFailure struct {
	addr string
	err  error
}

func (f connFailure) Error() string { return fmt.Sprintf("redactor: node %s: %v", f.addr, f.err) }

var _ actor.Actor = (*nodeActor)(nil)

// Receive handles the actor's messages.
func (n *nodeActor) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *nodeBatch:
		n.send(ctx, msg)
	case *nodeBatches:
		for _, b := range msg.batches {
			n.send(ctx, b)
		}
	case *actor.Started:
		if n.cfg.Registry != nil {
			n.handle = n.cfg.Registry.handle(ctx.Self().Id)
			n.handle.addr.Store(&n.cfg.Addr)
			if n.cfg.ProbeInterval > 0 {
				n.probe = startProbe(n.cfg.Addr, n.cfg.Dial, n.cfg.ProbeInterval, n.handle)
			}
		}
	case *connBroken:
		for lane, conn := range n.lanes {
			if msg.conn != conn {
				continue
			}
			n.setConn(lane, nil)
			if !msg.quiet {
				n.crash(ctx, msg.err)
			}
			// Closed by the peer while idle (an idle timeout): not a
			// failure of the node; the next batch dials afresh.
		}
	case *unsentBatches:
		for _, b := range n.back.take() {
			if b.resent {
				b.failUnanswered(fmt.Errorf("%w: %s: %w", ErrNotSent, n.cfg.Addr, errIdleClosed))
				ctx.Send(b.coordinator, b.doneMsg())
				continue
			}
			b.resent = true
			n.send(ctx, b)
		}
	case *actor.Restarting:
		n.stopProbe()
		n.failHandedBack()
		for lane, conn := range n.lanes {
			if conn != nil {
				conn.shut(false)
				n.setConn(lane, nil)
			}
		}
		// The restarted actor starts with a pool of its own.
		if n.dedicated != nil {
			n.dedicated.Close()
		}
	case *topology.Retire:
		n.retired = true
	case *actor.Stopped:
		n.stopProbe()
		if n.dedicated != nil {
			n.closeDedicated()
		}
		// Batches already written keep their replies: a connection
		// closes once they are in (or DrainTimeout passed).
		for lane, conn := range n.lanes {
			if conn != nil {
				n.setConn(lane, nil)
				conn.close(n.cfg.DrainTimeout)
			}
		}
		n.failHandedBack()
		if n.cfg.Registry != nil {
			n.cfg.Registry.forget(ctx.Self().Id)
		}
	}
}

// closeDedicated closes the connections for commands that may block as the
// actor stops. When the client closes they close now: those commands do
// not hold up the stop. When the node left the layout or was demoted
// (retired), a command still waiting may get an answer that proves it did
// not run (a demoted master's UNBLOCKED, to follow the new master): its
// connection closes once it is answered, within DrainTimeout.
func (n *nodeActor) closeDedicated() {
	if !n.retired {
		n.dedicated.Close()
		return
	}
	n.dedicated.Drain()
	time.AfterFunc(n.cfg.DrainTimeout, n.dedicated.Close)
}

// handback holds the batches that a connection the peer closed while idle
// gave back unwritten, until its node actor sends them on a new one. The
// actor's message only says there are some: a message to an actor that
// stops before it reads it is dropped, and so would be its batches; these
// the actor fails as not sent as it stops, and the batches given back
// after that fail at once.
type handback struct {
	root    *actor.RootContext // reports failed batches done
	mu      sync.Mutex
	batches []*nodeBatch
	stopped bool
}

// put keeps batches for the actor, or reports false once it stopped.
func (h *handback) put(batches []*nodeBatch) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped {
		return false
	}
	h.batches = append(h.batches, batches...)
	return true
}

// take returns the batches kept, and forgets them.
func (h *handback) take() []*nodeBatch {
	if h == nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	batches := h.batches
	h.batches = nil
	return batches
}

// stop takes the batches kept, and makes put refuse the next ones.
func (h *handback) stop() []*nodeBatch {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stopped = true
	batches := h.batches
	h.batches = nil
	return batches
}

// failHandedBack fails, as not sent, the batches given back that the actor
// did not send again, as it stops or restarts.
func (n *nodeActor) failHandedBack() {
	if n.back != nil {
		n.failUnsent(n.back.stop())
	}
}

// failUnsent fails batches given back unwritten as not sent (the
// coordinator retries them) and reports them done.
func (n *nodeActor) failUnsent(batches []*nodeBatch) {
	for _, b := range batches {
		b.failUnanswered(fmt.Errorf("%w: %s: %w", ErrNotSent, n.cfg.Addr, errIdleClosed))
		n.back.root.Send(b.coordinator, b.doneMsg())
	}
}

// stopProbe stops the node's probe, if it has one.
func (n *nodeActor) stopProbe() {
	if n.probe != nil {
		n.probe.stop()
		n.probe = nil
	}
}

// setConn makes conn the node's connection of lane, also for the
// coordinators.
func (n *nodeActor) setConn(lane int, conn *pipeConn) {
	n.lanes[lane] = conn
	if n.handle != nil {
		n.handle.lanes[lane].Store(conn)
	}
}

// send writes the batch on the node's connection, connecting first if
// needed. The reader reports the batch to the coordinator when its replies
// are in.
func (n *nodeActor) send(ctx actor.Context, b *nodeBatch) {
	execCtx := b.exec.ctx()
	if execCtx.Err() != nil {
		b.failUnanswered(canceledErr(execCtx))
		ctx.Send(b.coordinator, b.doneMsg())
		return
	}
	if b.dedicated {
		n.sendDedicated(ctx, b)
		return
	}
	lane := laneOf(b)
	if conn := n.lanes[lane]; conn != nil && conn.send(b) {
		return
	}
	n.setConn(lane, nil) // closed since: dial afresh
	if err := n.connect(ctx, execCtx, lane); err != nil {
		if execCtx.Err() != nil {
			err = canceledErr(execCtx) // the caller gave up; the node may be fine
		} else {
			err = wire.Chain(ErrNotSent, unreachable(n.cfg.Addr, err))
		}
		b.failUnanswered(err)
		ctx.Send(b.coordinator, b.doneMsg())
		return
	}
	if !n.lanes[lane].send(b) {
		b.failUnanswered(fmt.Errorf("%w: %s: %w", ErrNotSent, n.cfg.Addr, net.ErrClosed))
		ctx.Send(b.coordinator, b.doneMsg())
	}
}

// unreachable is the error of a failed dial of the node at addr: it
// matches ErrNodeUnreachable and names addr once (a dial error names it
// already).
func unreachable(addr string, err error) error {
	if !strings.Contains(err.Error(), addr) {
		err = fmt.Errorf("%s: %w", addr, err)
	}
	return wire.Mark(ErrNodeUnreachable, "node unreachable", err)
}

// Dial backoff: after a failed dial the node actor fails batches at once,
// without dialing, for a while that doubles with each further failure.
const (
	minDialBackoff = 20 * time.Millisecond
	maxDialBackoff = time.Second
)

// connect dials the node and starts the connection's writer and reader. A
// failed dial is reported to the parent (topology.NodeDown), and dialing
// again waits for the dial backoff.
func (n *nodeActor) connect(ctx actor.Context, dialCtx context.Context, lane int) error {
	if time.Now().Before(n.downUntil) {
		return n.dialErr
	}
	err := n.dial(ctx, dialCtx, lane)
	switch {
	case err == nil:
		n.dialBackoff, n.dialErr = 0, nil
	case dialCtx.Err() == nil:
		n.dialBackoff = min(max(2*n.dialBackoff, minDialBackoff), maxDialBackoff)
		n.downUntil, n.dialErr = time.Now().Add(n.dialBackoff), err
		n.reportDown(ctx, err)
	}
	return err
}

// dial opens the connection of lane.
func (n *nodeActor) dial(ctx actor.Context, dialCtx context.Context, lane int) error {
	root, self := ctx.ActorSystem().Root, ctx.Self()
	if n.back == nil {
		n.back = &handback{root: root}
	}
	back := n.back
	dial := n.cfg.Dial
	if lane == readLane && n.cfg.DialReadOnly != nil {
		dial = n.cfg.DialReadOnly
	}
	conn, err := dialPipe(dialCtx, dial, n.cfg.Addr,
		connOptions{read: n.cfg.ReadTimeout, write: n.cfg.WriteTimeout,
			inFlight: flowLimit{cmds: n.cfg.MaxInFlight, bytes: n.cfg.MaxInFlightBytes}}, n.cfg.Limits,
		connHooks{
			done: func(b *nodeBatch) { root.Send(b.coordinator, b.doneMsg()) },
			broken: func(c *pipeConn, err error, quiet bool) {
				root.Send(self, &connBroken{conn: c, err: err, quiet: quiet})
			},
			unsent: func(c *pipeConn, batches []*nodeBatch) {
				if back.put(batches) {
					root.Send(self, &unsentBatches{})
					return
				}
				n.failUnsent(batches)
			},
			push: n.onPush(),
		})
	if err != nil {
		return err
	}
	n.setConn(lane, conn)
	if lane != bulkLane {
		n.cfg.Publish.PublishOn(ctx)(&topology.NodeUp{Addr: n.cfg.Addr})
	}
	return nil
}

// onPush returns the hook a connection's decoder tells of the push frames
// it skips, or nil.
func (n *nodeActor) onPush() func(push []any) {
	if n.cfg.OnPush == nil {
		return nil
	}
	addr, onPush := n.cfg.Addr, n.cfg.OnPush
	return func(push []any) { onPush(addr, push) }
}

// reportDown tells the parent, and the client's events, that the node failed.
func (n *nodeActor) reportDown(ctx actor.Context, err error) {
	down := &topology.NodeDown{Addr: n.cfg.Addr, Err: err}
	n.cfg.Publish.PublishOn(ctx)(down)
	if parent := ctx.Parent(); parent != nil {
		ctx.Send(parent, down)
	}
}

// crash reports a broken connection, then fails the actor so its
// supervisor restarts it after a backoff.
func (n *nodeActor) crash(ctx actor.Context, err error) {
	n.reportDown(ctx, err)
	panic(connFailure{addr: n.cfg.Addr, err: err})
}
